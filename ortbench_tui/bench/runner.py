"""The parent side of a measured run: start the worker process, stream its events, build the result.

Used the same way by the CLI (`run_benchmark`, blocking) and by the TUI (`start_run` and
`RunHandle.events()` in a thread worker, `RunHandle.cancel()` from Esc).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..inputs.spec import InputSpec
from ..profile import Profile, profile_to_dict
from ..session_gpu import BUILD_PHASE, BUILD_PHASE_TEXT
from .buffer import SampleBuffer
from .child import (
    STOP_GRACE_S,
    ChildDied,
    ChildProcess,
    Idle,
    death_message,
    send_stop,
)
from .ci_stop import CiWidthState
from .job import JobFailed, JobProgress, drive
from .parent import ensure_spawn_ready
from .protocol import (
    Done,
    Error,
    PhaseProgress,
    RunChildRequest,
    RunFinal,
    SampleBatch,
    SessionMeta,
    SessionReady,
)
from .result_record import RunResult
from .run_eta import run_eta
from .run_inputs import request_inputs
from .run_watch import BatchMedians, PeakRss, PrecisionWatch, ci_width_target
from .sample_store import SampleStore
from .stalls import StallWatch
from .worker import BATCH_SECONDS, worker_main

__all__ = [
    "STOP_GRACE_S",
    "Event",
    "Finished",
    "RunHandle",
    "RunProgress",
    "RunRequest",
    "SampleBuffer",
    "death_message",
    "ensure_spawn_ready",
    "follow_run",
    "run_benchmark",
    "send_stop",
    "start_run",
    "traces_dir",
]


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


@dataclass(frozen=True)
class RunProgress(JobProgress):
    """The worker's position (the job's generic progress) plus what the run panel draws.
    phase is build_engine (done = seconds so far; TensorRT only), first_run, warmup or timed."""

    new_samples_ns: np.ndarray | None = None
    precision: CiWidthState | None = None
    """run.until_ci_pct: the state of the CI-width rule at its last look, if any."""
    shifts: list[int] | None = None
    """Run indices where the latency shifted so far (`drift`), for the live plot."""


@dataclass
class Finished:
    result: RunResult
    samples_ns: np.ndarray


Event = RunProgress | Finished | JobFailed


def traces_dir() -> Path:
    """Raw ORT profiler traces are kept beside the history (open them in Perfetto)."""
    from .results import results_dir

    folder = results_dir().parent / "traces"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class RunHandle:
    """A running worker process. Iterate `events()`; call `cancel()` from any thread."""

    def __init__(self, request: RunRequest, target: Callable[..., None] = worker_main) -> None:
        """`target` is the child's entry point; tests swap in one that crashes on purpose."""
        from ..errors import OrtbenchError
        from ..models import file_sha256
        from ..samples import resolve_model
        from ..session import thread_problems

        problems = thread_problems(request.profile)
        if problems:  # before any process starts, like a bad model path
            raise OrtbenchError("; ".join(problems))
        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        self.profiling_prefix = str(traces_dir() / "ort") if request.trace else None
        precision = ci_width_target(request.profile)
        self.watch = PrecisionWatch(*precision) if precision else None
        self.batches = BatchMedians()
        child_profile = request.profile
        if precision:  # the worker runs by time up to the cap; the parent stops it sooner
            child_profile = child_profile.copy()
            child_profile.run.duration_s = precision[1]
        child_request: RunChildRequest = {
            "model_path": str(self.model_path),
            "profile": profile_to_dict(child_profile),
            "profiling_prefix": self.profiling_prefix,
            "inputs": request_inputs(request.inputs),
        }
        self.started = time.perf_counter()
        self.child = ChildProcess(target, child_request, "ortbench-worker-")
        self.samples = SampleStore()
        """Every timed sample: on disk as it streams, exact in memory while the run is small."""
        self.meta: SessionMeta = {}
        self.final: RunFinal | None = None
        """The worker's own final figures, once it has sent them."""
        self._user_cancelled = False
        self.stalls = StallWatch(BATCH_SECONDS)
        self.building_since: float | None = None
        """When the worker said TensorRT started building (until its session is ready)."""
        self.first_run_ms: float | None = None
        self.timed_span: tuple[float, float] | None = None
        """(start, end) of the timed phase as the parent saw it: the first batch's arrival less
        its own duration, and the last batch's arrival (for a partial run's wall_s)."""
        self.peak_rss = PeakRss(self.child.process.pid)
        """The worker's peak RSS, read from /proc while batches stream (for a partial run)."""

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
        for msg in self.child.messages(poll_s, idle_s=BUILD_TICK_S):
            now = time.perf_counter()
            if isinstance(msg, Idle):
                if self.building_since is not None:  # the build phase's clock
                    yield self._progress(BUILD_PHASE, int(now - self.building_since), None, now)
            elif isinstance(msg, SessionReady):
                self.meta = msg.meta
                self.building_since = None
                changed = model_changed(self.model_path, self.model_sha256, msg.meta)
                if changed:
                    self.child.cancel(0.0)
                    yield JobFailed("input", changed)
                    return
            elif isinstance(msg, PhaseProgress):
                self.stalls.heard(now)
                if msg.phase == BUILD_PHASE:
                    self.building_since = now
                if msg.first_run_ms is not None:
                    self.first_run_ms = msg.first_run_ms
                yield self._progress(msg.phase, msg.done, msg.total, now)
            elif isinstance(msg, SampleBatch):
                self.stalls.batch(time.perf_counter())
                self._timed_batch(now, msg.samples_ns)
                self.samples.extend(msg.samples_ns)
                self.batches.add(msg.samples_ns)
                state = None
                if self.watch is not None:
                    if self.watch.add(msg.samples_ns):
                        self.child.cancel()  # precision reached: a planned stop
                    state = self.watch.state()
                yield self._progress(
                    "timed",
                    self.samples.size,
                    self.timed_total,
                    now,
                    new_samples_ns=msg.samples_ns,
                    precision=state,
                    shifts=self.batches.live_runs(),
                )
            elif isinstance(msg, Done):
                self.final = self._closing(msg.final_as(RunFinal))
                yield Finished(self._build(self.final), self.samples.array())
            elif isinstance(msg, Error):
                yield JobFailed(msg.kind, msg.message, self.partial(msg.message))
            elif isinstance(msg, ChildDied):
                if self.cancelled and self.building_since is not None:
                    yield JobFailed("run", f"cancelled while {BUILD_PHASE_TEXT}: nothing measured")
                elif self.cancelled and self.child.killed_after_stop:
                    # The kill was ours, not the kernel's: a cancel, not an out-of-memory death.
                    stuck = " (stuck inside one inference)" if self.samples.size else ""
                    reason = (
                        f"cancelled; the worker did not stop within {STOP_GRACE_S:g} s{stuck} "
                        "and was killed"
                    )
                    partial = self.partial(reason, cancelled=True)
                    if partial is not None:
                        yield Finished(partial, self.samples.array())
                    else:
                        yield JobFailed("run", f"{reason}: nothing measured")
                else:
                    yield JobFailed("run", msg.message, self.partial(msg.message))

    @property
    def timed_total(self) -> int | None:
        """Timed runs planned, or None when the run stops by time or by precision reached."""
        run = self.request.profile.run
        return None if run.duration_s > 0 or self.watch else run.timed_runs

    def _progress(
        self,
        phase: str,
        done: int,
        total: int | None,
        now: float,
        new_samples_ns: np.ndarray | None = None,
        precision: CiWidthState | None = None,
        shifts: list[int] | None = None,
    ) -> RunProgress:
        return RunProgress(
            phase,
            done,
            total,
            now - self.started,
            self._eta(phase, done, total, now, precision),
            _detail(phase, done, precision),
            new_samples_ns,
            precision,
            shifts,
        )

    def _eta(
        self,
        phase: str,
        done: int,
        total: int | None,
        now: float,
        precision: CiWidthState | None,
    ) -> float | None:
        """Timed runs by count: as fast as the runs so far, within the count's time cap; by
        time (or up to a precision cap): the seconds left of it, or sooner where the precision
        rule foresees its stop. Before timing starts, only a run by time can say."""
        run = self.request.profile.run
        seconds = self.watch.max_duration_s if self.watch else run.duration_s
        if phase != "timed" or self.timed_since is None:
            return seconds if seconds > 0 else None
        # By count, by time, or up to a precision's cap (bench.run_eta, which knows the cap
        # that bounds a run by count).
        left = run_eta(run, done, total, now - self.timed_since)
        if precision is not None and precision.eta_s is not None and left is not None:
            return min(left, precision.eta_s)
        return left

    def _closing(self, final: RunFinal) -> RunFinal:
        """The worker's figures plus what the parent saw: how it stopped, shifts."""
        final = replace(final, warnings=[*final.warnings, *self.batches.warnings()])
        shifts = self.batches.records()
        if shifts:  # run indices, for the shift markers of the run chart
            final = replace(final, shifts=shifts)
        if self.watch is not None:
            final = replace(final, stopping=self.watch.finish(), cancelled=self._user_cancelled)
        return final

    @property
    def timed_since(self) -> float | None:
        """When the timed phase started (the clock of its ETA)."""
        return self.timed_span[0] if self.timed_span is not None else None

    def _timed_batch(self, now: float, samples_ns: np.ndarray) -> None:
        if self.timed_span is None:  # the first batch took about its samples' sum
            start = now - float(samples_ns.sum()) / 1e9
        else:
            start = self.timed_span[0]
        self.timed_span = (start, now)
        self.peak_rss.batch()

    def partial(self, reason: str, cancelled: bool = False) -> RunResult | None:
        """What a failed, killed or interrupted run still measured, marked as such with the
        reason (cancelled when the user stopped it, else failed); None without samples. The
        worker never sent its final figures, so wall time, first run and peak RSS are the
        parent's own: the timed batches' span, the first_run message, /proc (`PeakRss`)."""
        if not self.samples.size:
            return None
        return self._build(self.partial_final(reason, cancelled))

    def partial_final(self, reason: str, cancelled: bool = False) -> RunFinal:
        """The final figures of `partial`, as the worker would have sent them."""
        cancelled = cancelled or self.cancelled
        wall_s = self.timed_span[1] - self.timed_span[0] if self.timed_span else 0.0
        return RunFinal(
            self.first_run_ms,
            wall_s,
            cancelled,
            rss_peak_mb=self.peak_rss.final(),
            failed=not cancelled,
            reason=reason,
        )

    def _build(self, final: RunFinal) -> RunResult:
        from .results import build_result

        return build_result(
            model_spec=self.request.model,
            model_path=self.model_path,
            model_sha256=self.model_sha256,
            profile=self.request.profile,
            meta=self.meta,
            final=replace(final, warnings=[*final.warnings, *self.stalls.warnings()]),
            samples_ns=self.samples,
            hardware=self.request.hardware,
        )

    def close(self) -> None:
        self.child.close()


def model_changed(path: Path, parent_sha256: str, meta: SessionMeta) -> str | None:
    """Why a worker's session is not of the model the parent hashed (the file was replaced
    between the two), or None when it is the same."""
    loaded = meta.get("model_sha256")
    if loaded is None or loaded == parent_sha256:
        return None
    return (
        f"{path} changed on disk while the run started (sha256 {parent_sha256[:12]}… when "
        f"read, {loaded[:12]}… when loaded): nothing measured; run it again once it is written"
    )


BUILD_TICK_S = 0.5
"""How often the build phase's clock ticks while the worker is inside ORT."""


def start_run(request: RunRequest) -> RunHandle:
    """Spawn the worker for `request` (bad model paths fail here, before any process starts)."""
    return RunHandle(request)


def follow_run(
    handle: RunHandle, on_event: Callable[[Event], None] | None = None
) -> Finished | JobFailed:
    """Follow a run to its Finished, or its JobFailed (which carries any partial result)."""
    for event in handle.events():
        if on_event:
            on_event(event)
        if isinstance(event, Finished | JobFailed):
            return event
    return JobFailed("run", "the worker stopped without a result", handle.partial("no result"))


def run_benchmark(request: RunRequest, on_event: Callable[[Event], None] | None = None) -> Finished:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drive(start_run(request), Finished, on_event, "worker")


def _detail(phase: str, done: int, precision: CiWidthState | None) -> str:
    """The run's one line of state: the build's clock, or the CI reached against its target."""
    if phase == BUILD_PHASE:
        return f"{BUILD_PHASE_TEXT}… {done} s (Ctrl-C cancels)"
    if precision is not None and precision.half_width is not None:
        return f"CI ±{precision.half_width:.1%} (target ±{precision.target:.1%})"
    return ""
