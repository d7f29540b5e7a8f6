"""Every message between a measuring child process and its parent, both ways.

The single-run child (`bench.worker`) and the interleaved child (`bench.interleave`) speak
the same protocol; the parent side (`bench.child.ChildProcess`) reads it.

  child -> parent   SessionReady    a session is created and its providers checked
                    PhaseProgress   first run and warm-up progress
                    Schedule        (interleaved) the planned rounds and block sizes
                    SampleBatch     (single run) timed samples in ns, every ~100 ms
                    Block           (interleaved) one block of one session's timed samples
                    PointProgress   (curve) warm-up / timed progress of one point
                    PointDone       (curve) one point's timed samples, in start order
                    PointFailed     (curve) one point ORT could not run; the curve goes on
                    Done            the child's final figures: a RunFinal (single run),
                                    an InterleavedFinal, a CurveFinal or a LoadFinal
                    Error           bad input ("input", exit 2) or a failed run ("run", exit 1)
  parent -> child   Stop            finish the current batch (or round) and stop
                    StopUnit        (interleaved) run this session no more; the others go on
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NotRequired, Protocol, TypedDict, TypeVar

import numpy as np


class RunChildRequest(TypedDict):
    """What the single-run child (`worker.worker_main`) is asked to measure."""

    model_path: str
    profile: dict[str, Any]
    """`profile_to_dict` of the resolved profile (read back with `profile_from_dict`)."""
    inputs: dict[str, Any]
    """`InputSpec.to_dict()`."""
    profiling_prefix: NotRequired[str | None]
    """Where ORT's profiler writes its trace (`ortbench trace`), or None."""


class ScheduleRequest(TypedDict):
    """How an interleaved child splits its timed runs into rounds of blocks."""

    timed_runs: int
    duration_s: float
    min_rounds: int
    block_s: float
    cap_s: NotRequired[float]
    """By count: seconds of timed runs of all sessions together at most (0: none)."""
    open: NotRequired[bool]
    """Until decided: rounds go on until the parent stops them (duration_s is the cap)."""
    recycle_rounds: NotRequired[int]
    """Until decided, on CPU: every session is retired and made afresh after this many
    rounds (0: never), so sessions are sampled, not fixed."""
    alternate_within: NotRequired[int]
    """Units per call-alternated group (the profiles' count: one session of each); 0 or
    absent: blocks only."""
    alternation: NotRequired[str]
    """auto (calls where safe: CPU sessions without a thread pool) | call | block."""


class InterleaveChildRequest(TypedDict):
    """What the interleaved child (`interleave.interleave_main`) is asked to measure."""

    model_path: str
    profiles: list[dict[str, Any]]
    """One per session, profile after profile within a session."""
    schedule: ScheduleRequest
    inputs: dict[str, Any]


class CurveChildRequest(TypedDict):
    """What the curve's child (`curve.worker.curve_main`) is asked to measure."""

    model_path: str
    profile: dict[str, Any]
    inputs: dict[str, Any]
    dims: dict[str, list[int]]
    points: list[dict[str, Any]]
    start: int
    """The first point to measure (a fresh child goes on after one that died)."""


class LoadChildRequest(CurveChildRequest):
    """What the load job's child (`load.worker.load_main`) is asked to serve: a curve's
    session (its `points` empty) plus the shapes of the request mix and the serving threads."""

    shapes: list[dict[str, int]]
    """One dims mapping per shape of the mix (one empty mapping without a mix)."""
    weights: list[float] | None
    workers: int


class SessionMeta(TypedDict, total=False):
    """What a child says of a session it created (the result JSON copies most of it)."""

    providers: dict[str, Any]
    """`session.ProviderReport.to_dict()`: requested, active, fallback."""
    session_create_ms: float
    intra_op_threads: int
    run_model_path: str
    """The model the session runs (a converted copy for fp16/int8)."""
    model_sha256: str
    """The sha256 of the model file the worker loaded (the parent refuses a replaced one)."""
    worker_cpus: list[int]
    hardware: dict[str, Any]
    """`detect(probe_eps=False)` in the child: the UI process must not import onnxruntime."""
    inputs: list[dict[str, Any]]
    tensorrt: dict[str, Any] | None
    warnings: list[str]
    warm_service_ms: float
    """Load only: the warm-up's median service time (where a --find-max search starts)."""
    shapes: list[dict[str, list[int]]]
    """Load only: per shape of the mix, each input's shape."""


@dataclass(frozen=True)
class SessionReady:
    index: int
    """Which session (0 for a single run; the unit index in an interleaved child)."""
    meta: SessionMeta


@dataclass(frozen=True)
class PhaseProgress:
    phase: str
    """first_run | warmup"""
    done: int
    total: int | None
    first_run_ms: float | None = None
    """With the first_run phase: its latency, so a run that dies later still reports it."""


@dataclass(frozen=True)
class Schedule:
    rounds: int | None
    """Planned rounds, or None when the child runs by time."""
    block_runs: list[int]
    """Timed runs per block, per session."""
    rewarm_runs: list[int]
    """Untimed runs that open each block, per session."""
    alternation: str = "block"
    """block: each session's block runs alone | call: the sessions of a group take turns
    call by call within the round (`interleave.alternates_calls`)."""
    recycle_rounds: int = 0
    """Every this many rounds each session is retired and made afresh (0: never): what the
    child does, which the parent's rule counts generations by (the request's cadence, none
    on a GPU, a shorter one call by call: `interleave.CALL_GENERATION_ROUNDS`)."""


@dataclass(frozen=True)
class SampleBatch:
    start: int
    """Index of the batch's first sample in the run."""
    samples_ns: np.ndarray


@dataclass(frozen=True)
class Block:
    round: int
    index: int
    samples_ns: np.ndarray
    switches: int = -1
    """The worker's involuntary context switches during the block's timed runs (it lost its
    core that many times); -1 where not measured."""
    generation: int = 0
    """How many times this session has been retired and made afresh (`recycle_rounds`)."""


@dataclass(frozen=True)
class PointProgress:
    index: int
    """The point's index in the curve's grid."""
    phase: str
    """warmup | timed"""
    done: int
    total: int | None
    elapsed_s: float = 0.0
    """Seconds into the phase (the clock of a point's ETA and of its time cap)."""


@dataclass(frozen=True)
class PointDone:
    index: int
    samples_ns: np.ndarray
    """Every request's latency, all threads merged in the order the requests started."""
    wall_s: float
    """From the first request's start to the last one's end."""
    info: dict[str, Any]
    """items_per_request, shapes, per-thread request counts; capped_s (the time cap, in
    seconds) when the cap, not the count, ended the point."""


@dataclass(frozen=True)
class PointFailed:
    index: int
    message: str


@dataclass(frozen=True)
class RunFinal:
    """One measured session's final figures: what a single run's worker sends at its end
    (`Done`), and each session's entry of an `InterleavedFinal`. The result JSON
    (`results.build_result`) copies them into its fields of the same names.

    The messages are frozen dataclasses, not msgspec Structs: they cross the pipe pickled,
    beside numpy arrays, between two processes of the same code, so there is nothing to
    validate; msgspec's records are for what is read back from files (`result_record`).

    The last four fields are the parent's, never the child's: it completes the record with
    `dataclasses.replace` (how the run stopped, shifts it saw) before the result is built.
    """

    first_run_ms: float | None
    """The session's very first inference (cold start); None when it never ran."""
    wall_s: float
    """Wall time of the timed runs."""
    cancelled: bool
    """Stopped before its planned end (a Stop from the parent)."""
    warnings: list[str] = field(default_factory=list)
    rss_peak_mb: float | None = None
    gpu_mem_peak_mb: float | None = None
    gpu_mem_note: str | None = None
    """Why `gpu_mem_peak_mb` is None, when it is."""
    accuracy: dict[str, Any] | None = None
    """Reduced precision only: `precision.accuracy_report` (open: per output)."""
    quantization: dict[str, Any] | None = None
    """int8 only: `worker.quantization_section`."""
    trace_file: str | None = None
    """`ortbench trace` only: the raw ORT profiler trace."""
    trace: dict[str, Any] | None = None
    """`ortbench trace` only: `trace.trace_section` of `trace_file`."""
    fallback_nodes: list[Any] = field(default_factory=list)
    """Nodes that ran on another provider than requested (from the trace; else empty)."""
    failed: bool = False
    """Parent: the worker failed or died; what it measured is kept as a partial result."""
    reason: str = ""
    """Parent: why the run ended early (failed or cancelled); empty when it did not."""
    stopping: dict[str, Any] | None = None
    """Parent, `run --until-ci` only: `run_watch.PrecisionWatch.finish`."""
    shifts: list[dict[str, Any]] | None = None
    """Parent: latency shifts in the stream (`run_watch.BatchMedians.records`), when any."""


@dataclass(frozen=True)
class InterleavedFinal:
    """What the interleaved child (`interleave`) sends at its end."""

    finals: list[RunFinal]
    """One per session, in session (unit) order."""
    rounds: int
    """Rounds the child ran to their end."""
    settle_s: float = 0.0
    """Seconds waited after pooled blocks for their spinning workers to park
    (`interleave.settle_pools`): wall time the timed runs do not count."""
    renewed_first_ms: list[list[float]] = field(default_factory=list)
    """Per session (unit), the first run of each session created in its place when sessions
    were renewed (the warm-up row counts every session's first run)."""

    @property
    def cancelled(self) -> bool:
        return any(f.cancelled for f in self.finals)


@dataclass(frozen=True)
class CurveFinal:
    """What the curve's child (`curve.worker`) sends after its last point (each point's
    figures went with its PointDone)."""

    cancelled: bool
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LoadFinal:
    """What the load job's child (`load.worker`) sends after its last step (each step's
    timeline went with its StepDone)."""

    cancelled: bool
    warnings: list[str] = field(default_factory=list)


Final = RunFinal | InterleavedFinal | CurveFinal | LoadFinal
FinalT = TypeVar("FinalT", RunFinal, InterleavedFinal, CurveFinal, LoadFinal)


@dataclass(frozen=True)
class Done:
    final: Final

    def final_as(self, kind: type[FinalT]) -> FinalT:
        """The final as the record its reader expects; a child that sent another kind is a
        parent and child out of step, said as such, never read as the wrong record."""
        if not isinstance(self.final, kind):
            raise TypeError(
                f"the child sent a {type(self.final).__name__} where a {kind.__name__} was due"
            )
        return self.final


@dataclass(frozen=True)
class Error:
    kind: str
    """input | run"""
    message: str


@dataclass(frozen=True)
class Stop:
    """Parent -> child: stop after the current batch."""


@dataclass(frozen=True)
class StopUnit:
    """Parent -> interleaved child: this session's question is answered; leave it out of the
    rounds from the next one on (its time goes to the sessions still undecided)."""

    index: int


ChildMessage = (
    SessionReady
    | PhaseProgress
    | Schedule
    | SampleBatch
    | Block
    | PointProgress
    | PointDone
    | PointFailed
    | Done
    | Error
)


class Connection(Protocol):
    """The child's end of the pipe, as the measuring code uses it."""

    def send(self, obj: Any) -> None: ...

    def recv(self) -> Any: ...

    def poll(self, timeout: float | None = ...) -> bool: ...


class Stopped(Exception):
    """Raised in the child when the parent asked it to stop."""


class StopListener:
    """The child's one check for a Stop from the parent, made between batches (never per run)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.requested = False
        self.dropped: set[int] = set()
        """Sessions the parent asked to run no more (StopUnit)."""

    def check(self) -> None:
        """Read what the parent sent; raise Stopped once a Stop has arrived."""
        while self.conn.poll():
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):  # the parent is gone: nobody to measure for
                self.requested = True
                break
            if isinstance(msg, Stop):
                self.requested = True
            elif isinstance(msg, StopUnit):
                self.dropped.add(msg.index)
        if self.requested:
            raise Stopped
