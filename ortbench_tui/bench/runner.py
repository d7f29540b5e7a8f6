"""The parent side of a measured run: start the worker process, stream its events, build the result.

Used the same way by the CLI (`run_benchmark`, blocking) and by the TUI (`start_run` and
`RunHandle.events()` in a thread worker, `RunHandle.cancel()` from Esc).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import OrtbenchError, RunFailed
from ..inputs.spec import InputSpec
from ..profile import Profile, profile_to_dict
from ..session_gpu import BUILD_PHASE, BUILD_PHASE_TEXT
from .buffer import SampleBuffer
from .child import STOP_GRACE_S, ChildDied, ChildProcess, Idle, death_message, send_stop
from .protocol import Done, Error, PhaseProgress, SampleBatch, SessionReady
from .run_inputs import request_inputs
from .run_watch import BatchMedians, PrecisionWatch, precision_target
from .sample_store import SampleStore
from .stalls import StallWatch
from .worker import BATCH_SECONDS, worker_main

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
    "follow_run",
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
    inputs: InputSpec = field(default_factory=InputSpec)
    """Shapes and values of the model's inputs (`--shape`, `--input`, `--inputs`)."""


@dataclass
class Progress:
    """The worker's position: phase is build_engine (done = seconds so far; TensorRT only),
    first_run, warmup or timed."""

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
            "inputs": request_inputs(request.inputs),
        }
        self.started = time.perf_counter()
        self.child = ChildProcess(target, child_request, "ortbench-worker-")
        self.samples = SampleStore()
        """Every timed sample: on disk as it streams, exact in memory while the run is small."""
        self.meta: dict[str, Any] = {}
        self.final: dict[str, Any] | None = None
        """The worker's own final figures, once it has sent them."""
        self._user_cancelled = False
        self.stalls = StallWatch(BATCH_SECONDS)
        self.building_since: float | None = None
        """When the worker said TensorRT started building (until its session is ready)."""

    @property
    def process(self) -> Any:
        return self.child.process

    def cancel(self) -> None:
        """Ask the worker to stop after its current batch (~100 ms); partial results are kept.
        While TensorRT builds, the worker is inside ORT and cannot listen: it is killed."""
        self._user_cancelled = True
        self.child.cancel(0.0 if self.building_since is not None else STOP_GRACE_S)

    @property
    def cancelled(self) -> bool:
        return self._user_cancelled

    def events(self, poll_s: float = 0.05) -> Iterator[Event]:
        """Yield progress until the run finishes, fails, or the worker dies."""
        profile = self.request.profile
        timed_total = None if profile.run.duration_s > 0 or self.watch else profile.run.timed_runs
        for msg in self.child.messages(poll_s, idle_s=BUILD_TICK_S):
            now = time.perf_counter()
            elapsed = now - self.started
            if isinstance(msg, Idle):
                if self.building_since is not None:  # the build phase's clock
                    yield Progress(BUILD_PHASE, int(now - self.building_since), None, elapsed)
            elif isinstance(msg, SessionReady):
                self.meta = msg.meta
                self.building_since = None
            elif isinstance(msg, PhaseProgress):
                self.stalls.heard(now)
                if msg.phase == BUILD_PHASE:
                    self.building_since = now
                yield Progress(msg.phase, msg.done, msg.total, elapsed)
            elif isinstance(msg, SampleBatch):
                self.stalls.batch(time.perf_counter())
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
                yield Finished(self._build(self.final), self.samples.array())
            elif isinstance(msg, Error):
                yield Failed(msg.kind, msg.message, self.partial(msg.message))
            elif isinstance(msg, ChildDied):
                if self.cancelled and self.building_since is not None:
                    yield Failed("run", f"cancelled while {BUILD_PHASE_TEXT}: nothing measured")
                else:
                    yield Failed("run", msg.message, self.partial(msg.message))

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

    def partial(self, reason: str, cancelled: bool = False) -> dict[str, Any] | None:
        """What a failed, killed or interrupted run still measured, marked as such with the
        reason (cancelled when the user stopped it, else failed); None without samples."""
        if not self.samples.size:
            return None
        cancelled = cancelled or self.cancelled
        final = {"cancelled": cancelled, "failed": not cancelled, "reason": reason}
        return self._build({**final, "warnings": []})

    def _build(self, final: dict[str, Any]) -> dict[str, Any]:
        from .results import build_result

        return build_result(
            model_spec=self.request.model,
            model_path=self.model_path,
            model_sha256=self.model_sha256,
            profile=self.request.profile,
            meta=self.meta,
            final={**final, "warnings": [*final.get("warnings", []), *self.stalls.warnings()]},
            samples_ns=self.samples,
            hardware=self.request.hardware,
        )

    def close(self) -> None:
        self.child.close()


BUILD_TICK_S = 0.5
"""How often the build phase's clock ticks while the worker is inside ORT."""


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


def follow_run(
    handle: RunHandle, on_event: Callable[[Event], None] | None = None
) -> Finished | Failed:
    """Follow a run to its Finished, or its Failed (which carries any partial result)."""
    for event in handle.events():
        if on_event:
            on_event(event)
        if isinstance(event, Finished | Failed):
            return event
    return Failed("run", "the worker stopped without a result", handle.partial("no result"))


def run_benchmark(request: RunRequest, on_event: Callable[[Event], None] | None = None) -> Finished:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drain(start_run(request).events(), Finished, on_event, "worker")
