"""The parent side of a measured run: start the worker process, stream its events, build the result.

Used the same way by the CLI (`run_benchmark`, blocking) and by the TUI (`start_run` and
`RunHandle.events()` in a thread worker, `RunHandle.cancel()` from Esc).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import OrtbenchError, RunFailed
from ..profile import Profile, profile_to_dict
from .buffer import SampleBuffer
from .child import STOP_GRACE_S, ChildDied, ChildProcess, death_message, send_stop
from .protocol import Done, Error, PhaseProgress, SampleBatch, SessionReady
from .run_watch import BatchMedians, PrecisionWatch, precision_target
from .worker import worker_main

__all__ = [
    "STOP_GRACE_S",
    "Event",
    "Failed",
    "Finished",
    "Progress",
    "RunHandle",
    "RunRequest",
    "SampleBuffer",
    "death_message",
    "drain",
    "ensure_spawn_ready",
    "run_benchmark",
    "send_stop",
    "start_run",
    "traces_dir",
]

T = TypeVar("T")


@dataclass
class RunRequest:
    """One measured run: a model (path or sample:NAME), a profile, and what to keep."""

    model: str
    profile: Profile
    trace: bool = False
    label: str = ""
    hardware: dict[str, Any] | None = None
    """Detected by the caller with EP probing (the TUI has it); else the worker's own view."""


@dataclass
class Progress:
    """The worker's position: phase is first_run, warmup or timed."""

    phase: str
    done: int
    total: int | None
    elapsed_s: float
    new_samples_ns: np.ndarray | None = None
    precision: Any = None
    """run.until_ci_pct: the `precision_stop.PrecisionState` of the last look, if any."""
    shifts: list[int] | None = None
    """Run indices where the latency shifted so far (`drift`), for the live plot."""


@dataclass
class Finished:
    result: dict[str, Any]
    samples_ns: np.ndarray


@dataclass
class Failed:
    """kind is "input" (the user can fix it, exit 2) or "run" (it broke mid-run, exit 1)."""

    kind: str
    message: str
    partial: dict[str, Any] | None = None


Event = Progress | Finished | Failed


def traces_dir() -> Path:
    """Raw ORT profiler traces are kept beside the history (open them in Perfetto)."""
    from .results import results_dir

    folder = results_dir().parent / "traces"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ensure_spawn_ready() -> None:
    """Start multiprocessing's resource tracker now: started lazily from inside a Textual app
    it fails (`bad value(s) in fds_to_keep`, stderr has fileno -1)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


class RunHandle:
    """A running worker process. Iterate `events()`; call `cancel()` from any thread."""

    def __init__(self, request: RunRequest, target: Callable[..., None] = worker_main) -> None:
        """`target` is the child's entry point; tests swap in one that crashes on purpose."""
        from ..models import file_sha256
        from ..samples import resolve_model

        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        self.profiling_prefix = str(traces_dir() / "ort") if request.trace else None
        precision = precision_target(request.profile)
        self.watch = PrecisionWatch(*precision) if precision else None
        self.batches = BatchMedians()
        child_profile = request.profile
        if precision:  # the worker runs by time up to the cap; the parent stops it sooner
            child_profile = child_profile.copy()
            child_profile.run.duration_s = precision[1]
        child_request = {
            "model_path": str(self.model_path),
            "profile": profile_to_dict(child_profile),
            "profiling_prefix": self.profiling_prefix,
        }
        self.started = time.perf_counter()
        self.child = ChildProcess(target, child_request, "ortbench-worker-")
        self.samples = SampleBuffer()
        self.meta: dict[str, Any] = {}
        self.final: dict[str, Any] | None = None
        """The worker's own final figures, once it has sent them."""
        self._user_cancelled = False

    @property
    def process(self) -> Any:
        return self.child.process

    def cancel(self) -> None:
        """Ask the worker to stop after its current batch (~100 ms); partial results are kept."""
        self._user_cancelled = True
        self.child.cancel()

    @property
    def cancelled(self) -> bool:
        return self._user_cancelled

    def events(self, poll_s: float = 0.05) -> Iterator[Event]:
        """Yield progress until the run finishes, fails, or the worker dies."""
        profile = self.request.profile
        timed_total = None if profile.run.duration_s > 0 or self.watch else profile.run.timed_runs
        for msg in self.child.messages(poll_s):
            elapsed = time.perf_counter() - self.started
            if isinstance(msg, SessionReady):
                self.meta = msg.meta
            elif isinstance(msg, PhaseProgress):
                yield Progress(msg.phase, msg.done, msg.total, elapsed)
            elif isinstance(msg, SampleBatch):
                self.samples.extend(msg.samples_ns)
                self.batches.add(msg.samples_ns)
                state = None
                if self.watch is not None:
                    if self.watch.add(msg.samples_ns):
                        self.child.cancel()  # precision reached: a planned stop
                    state = self.watch.state()
                yield Progress(
                    "timed",
                    self.samples.size,
                    timed_total,
                    elapsed,
                    msg.samples_ns,
                    state,
                    self.batches.live_runs(),
                )
            elif isinstance(msg, Done):
                self.final = self._closing(msg.final)
                yield Finished(self._build(self.final), self.samples.view().copy())
            elif isinstance(msg, Error):
                yield Failed(msg.kind, msg.message, self._partial())
            elif isinstance(msg, ChildDied):
                yield Failed("run", msg.message, self._partial())

    def _closing(self, final: dict[str, Any]) -> dict[str, Any]:
        """The worker's figures plus what the parent saw: how it stopped, shifts."""
        final = {**final, "warnings": list(final.get("warnings") or [])}
        final["warnings"] += self.batches.warnings()
        shifts = self.batches.records()
        if shifts:  # run indices, for the shift markers of the run chart
            final["shifts"] = shifts
        if self.watch is not None:
            final["stopping"] = self.watch.finish()
            final["cancelled"] = self._user_cancelled
        return final

    def _partial(self) -> dict[str, Any] | None:
        """What a failed or killed run still measured, marked as such."""
        if not self.samples.size:
            return None
        return self._build({"cancelled": self.cancelled, "failed": True, "warnings": []})

    def _build(self, final: dict[str, Any]) -> dict[str, Any]:
        from .results import build_result

        return build_result(
            model_spec=self.request.model,
            model_path=self.model_path,
            model_sha256=self.model_sha256,
            profile=self.request.profile,
            meta=self.meta,
            final=final,
            samples_ns=self.samples.view(),
            hardware=self.request.hardware,
        )

    def close(self) -> None:
        self.child.close()


def start_run(request: RunRequest) -> RunHandle:
    """Spawn the worker for `request` (bad model paths fail here, before any process starts)."""
    return RunHandle(request)


def drain(
    events: Iterable[Any], done: type[T], on_event: Callable[[Any], None] | None, what: str
) -> T:
    """Follow an event stream to its end: return the `done` event; raise OrtbenchError for bad
    input and RunFailed for a failed run. Shared by run, compare, sweep and practices."""
    for event in events:
        if on_event:
            on_event(event)
        if isinstance(event, done):
            return event
        if isinstance(event, Failed):
            if event.kind == "input":
                raise OrtbenchError(event.message)
            raise RunFailed(event.message)
    raise RunFailed(f"the {what} stopped without a result")


def run_benchmark(request: RunRequest, on_event: Callable[[Event], None] | None = None) -> Finished:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drain(start_run(request).events(), Finished, on_event, "worker")
