"""The node side of a fleet run: one actor per node runs that node's jobs one at a time, each
with the local job (a timed run: `start_run`, the same worker process, warm-up, statistics and
result; a load job: `LoadJob`, the same open-loop worker and result as `ortbench load`), and
streams what happens back to the driver as typed messages (`AgentMessage`):

  AgentReady      hardware detected, jobs about to start
  AgentProgress   the job's generic progress, at most every PROGRESS_EVERY_S per node
  AgentSamples    one chunk of a long run's samples, sent once the run has ended
  AgentFinished   its result, and its samples (a run) or its steps' timelines (a load job)
  AgentFailed     status input (exit 2), run (exit 1) or cancelled; with what the job still
                  measured (status failed or cancelled, with its reason), as a local job keeps it

A run's samples and the cost of sending them. Up to the node's exact limit (the run's
`SampleStore` keeps every sample in memory, `stats.EXACT_LIMIT`, 8 MB) they travel whole in
the closing message, as they always did. Past it the closing message carries none: the run's
spill file is read a chunk at a time (at most `chunk_samples`, 8 MB) and each chunk goes as its
own `AgentSamples` before it, which the driver appends to a store of its own that becomes the
history's `.npy` (`driver.FleetRun.receive`). So a message, and what the node or the driver
holds of a run at once, is bounded whatever the run's length; the bytes sent are not (they
are the run's samples). That is chosen over leaving the samples on the node: the history
entry then has all its samples beside it, as a local run's has, so `compare`, `history`
and every other reader of saved runs read a fleet run the same way, and nothing measured
stays on a node that may be gone tomorrow. The chunks leave after the run has ended, never
while it measures, and Ray's backpressure (`STREAM_BACKPRESSURE`) holds the agent while the
driver is behind. The result's statistics are the node's own (exact, or from its log
histogram past the limit, named in `percentile_method`), computed before anything is sent.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
import types
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..bench.job import JobProgress
from ..bench.load import ProfileLoad
from ..bench.sample_store import SampleStore
from ..bench.stats import EXACT_LIMIT
from ..errors import OrtbenchError
from .payload import NodeJob, node_input_spec, node_load_request, receive

PROGRESS_EVERY_S = 0.25
SCAN_EVERY_S = 2.0
RAY_OWN_PROCESSES = ("ray::IDLE", "ray::DashboardAgent", "ray::RuntimeEnvAgent", "ray::NodeAgent")
"""Ray's own helpers and idle workers, and fleet agents: not someone else's work."""


def node_identity() -> dict[str, Any]:
    """Who this node is and what it runs; the driver checks versions against its own."""
    import ray

    from .. import __version__

    try:
        import onnxruntime

        ort_version = str(onnxruntime.__version__)
    except Exception as exc:  # reported, not fatal: the benchmark will say more
        ort_version = f"unavailable ({exc})"
    return {
        "hostname": socket.gethostname(),
        "node_id": ray.get_runtime_context().get_node_id(),
        "ip": ray.util.get_node_ip_address(),  # type: ignore[no-untyped-call]
        "ortbench_version": __version__,
        "ort_version": ort_version,
        "ray_version": ray.__version__,
        "python": sys.version.split()[0],
    }


def other_ray_work() -> Counter[str]:
    """Busy Ray workers on this machine that are not this agent (Ray names its worker
    processes `ray::Task` or `ray::Actor.method`; idle ones are `ray::IDLE`)."""
    import psutil

    mine = os.getpid()
    found: Counter[str] = Counter()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = proc.info.get("cmdline") or []
        title = cmd[0] if cmd else ""
        if proc.info["pid"] == mine or not title.startswith("ray::"):
            continue
        name = title.split()[0]
        if not name.startswith(RAY_OWN_PROCESSES):
            found[name] += 1
    return found


def neighbour_warning(seen: Counter[str]) -> str | None:
    if not seen:
        return None
    names = ", ".join(f"{n} x{c}" if c > 1 else n for n, c in seen.most_common(6))
    return f"other Ray work on this node during the run: {names}"


def plain_main_steps(events: Iterator[Any]) -> Iterator[Any]:
    """`events`, each step of it taken with a plain __main__: a job that starts its worker
    process lazily (a load job, when its first event is asked for) starts it without Ray."""
    while True:
        with plain_main_module():
            try:
                event = next(events)
            except StopIteration:
                return
        yield event


@contextlib.contextmanager
def plain_main_module() -> Iterator[None]:
    """Spawned children re-run the parent's __main__ file; in a Ray worker that is Ray's
    worker script, which would load Ray into the measuring process. Start it without."""
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = saved


@dataclass(frozen=True)
class AgentReady:
    """The agent's node, and what it found wrong there (hardware detection failed)."""

    identity: dict[str, Any]
    warnings: list[str]


@dataclass(frozen=True)
class AgentProgress:
    """Job `index` moved on: the node's run's generic progress, as it came."""

    index: int
    progress: JobProgress


@dataclass(frozen=True)
class AgentSamples:
    """Samples `start` to `start + len(samples_ns)` of job `index`'s run: one chunk of a run
    past the node's exact limit, sent in order before the job's closing message."""

    index: int
    start: int
    samples_ns: np.ndarray


@dataclass(frozen=True)
class AgentFinished:
    """A run's result and samples, or a load job's result and its profile's steps with their
    timelines (what `save_load` keeps beside the result). `chunked`: how many samples came
    before it in `AgentSamples` (then `samples_ns` is None); 0 when `samples_ns` holds all."""

    index: int
    result: dict[str, Any]
    samples_ns: np.ndarray | None = None
    load_parts: list[ProfileLoad] | None = None
    chunked: int = 0


@dataclass(frozen=True)
class AgentFailed:
    """status: input (bad input on that node, exit 2), run (failed, exit 1), cancelled; a
    partial result and its samples when it measured something (`chunked` as for
    `AgentFinished`)."""

    index: int
    status: str
    message: str
    partial: dict[str, Any] | None = None
    samples_ns: np.ndarray | None = None
    load_parts: list[ProfileLoad] | None = None
    chunked: int = 0


AgentMessage = AgentReady | AgentProgress | AgentSamples | AgentFinished | AgentFailed
"""What an agent streams back to the driver, job by job (through Ray's object store)."""


class NodeAgent:
    """Created pinned to its node and holding the node's whole `ortbench` resource (see
    cluster.py), so no other ortbench benchmark runs there meanwhile. Threaded (two calls at
    a time) so that `cancel` reaches it while `run_jobs` is measuring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._handle: Any = None

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._handle is not None:
                self._handle.cancel()

    def run_jobs(
        self, jobs: list[NodeJob], hardware: dict[str, Any] | None
    ) -> Iterator[AgentMessage]:
        from ..hardware import detect_isolated

        identity = node_identity()
        warnings = []
        if hardware is None:
            try:
                # In a child process, as `ortbench detect` would: this process stays ORT-free.
                hardware = detect_isolated().to_dict()
            except OrtbenchError as exc:
                warnings.append(f"hardware detection failed: {exc}")
        yield AgentReady(identity, warnings)
        for job in jobs:
            yield from self._run_one(job, hardware, identity)

    def _run_one(
        self, job: NodeJob, hardware: dict[str, Any] | None, identity: dict[str, Any]
    ) -> Iterator[AgentMessage]:
        from ..bench.load import LoadJob
        from ..bench.runner import RunRequest, start_run
        from ..profile import profile_from_dict

        if self._cancelled:
            yield failed(job, "cancelled", "cancelled before it started")
            return
        try:
            profile = profile_from_dict(job.profile, source=f"profile {job.profile.get('name')}")
            if job.inputs is not None:
                profile.run.inputs_npz = str(receive(job.inputs))
            model_path = receive(job.model)
            with self._lock, plain_main_module():
                if job.load is not None:  # its worker starts with its first event
                    self._handle = LoadJob(node_load_request(job, model_path, profile))
                else:
                    request = RunRequest(
                        model=str(model_path),
                        profile=profile,
                        hardware=hardware,
                        inputs=node_input_spec(job),
                    )
                    self._handle = start_run(request)
                if self._cancelled:
                    self._handle.cancel()
        except OrtbenchError as exc:
            yield failed(job, "input", str(exc))
            return
        except Exception as exc:  # a shipment Ray could not fetch, a full disk: this job only
            yield failed(job, "run", f"could not start: {type(exc).__name__}: {exc}")
            return
        try:
            if job.load is not None:
                yield from self._follow_load(job, identity)
            else:
                yield from self._follow_run(job, identity)
        finally:
            with self._lock:
                self._handle = None

    def _follow_run(self, job: NodeJob, identity: dict[str, Any]) -> Iterator[AgentMessage]:
        from ..bench.job import JobFailed
        from ..bench.result_record import record_dict
        from ..bench.runner import Finished, RunProgress

        watch = NeighbourWatch()
        last_progress = 0.0
        for event in self._handle.events():
            now = watch.look()
            if isinstance(event, RunProgress) and now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
                yield AgentProgress(job.index, _generic(event))
            elif isinstance(event, Finished):
                # The result crosses to the driver as its JSON object (the file's form).
                result = with_node(record_dict(event.result), job, identity, watch.warning())
                whole, chunked = yield from send_samples(job.index, self._handle.samples)
                if self._handle.cancelled:  # stopped early: kept as cancelled, like a run's
                    yield failed(job, "cancelled", "cancelled", result, whole, chunked)
                else:
                    yield AgentFinished(job.index, result, whole, chunked=chunked)
            elif isinstance(event, JobFailed):
                partial = event.partial
                whole, chunked = None, 0
                if partial is not None:
                    partial = with_node(record_dict(partial), job, identity, watch.warning())
                    whole, chunked = yield from send_samples(job.index, self._handle.samples)
                yield failed(job, event.kind, event.message, partial, whole, chunked)

    def _follow_load(self, job: NodeJob, identity: dict[str, Any]) -> Iterator[AgentMessage]:
        """The load job's progress, then its result with every step it measured: a job
        stopped or failed part way is sent back as cancelled or failed with those steps,
        as `ortbench load` keeps them."""
        from ..bench.job import JobFailed
        from ..bench.load import LoadFinished

        watch = NeighbourWatch()
        last_progress = 0.0
        for event in plain_main_steps(self._handle.events()):
            now = watch.look()
            if isinstance(event, JobProgress) and now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
                yield AgentProgress(job.index, _generic(event))
            elif isinstance(event, LoadFinished):
                result = with_node(event.result, job, identity, watch.warning())
                parts = event.profiles
                why = next((p.failed for p in parts if p.failed), None)
                if event.cancelled or self._handle.cancelled:
                    yield AgentFailed(job.index, "cancelled", "cancelled", result, None, parts)
                elif why is not None:
                    yield AgentFailed(job.index, "run", why, result, None, parts)
                else:
                    yield AgentFinished(job.index, result, load_parts=parts)
            elif isinstance(event, JobFailed):  # nothing measured: no step to keep
                kind = "cancelled" if self._handle.cancelled else event.kind
                yield failed(job, kind, event.message)


class NeighbourWatch:
    """Other Ray work on this node while a job runs, looked for every SCAN_EVERY_S."""

    def __init__(self) -> None:
        self.seen = other_ray_work()
        self.last_scan = time.monotonic()

    def look(self) -> float:
        """Scan again when it is time; returns the monotonic time now."""
        now = time.monotonic()
        if now - self.last_scan > SCAN_EVERY_S:
            self.seen |= other_ray_work()
            self.last_scan = now
        return now

    def warning(self) -> str | None:
        return neighbour_warning(self.seen)


STREAM_BACKPRESSURE = 4
"""Messages an agent may have sent that the driver has not taken yet (Ray's generator
backpressure): at most this many chunks of a long run wait in the object store."""


def chunk_samples(store: SampleStore) -> int:
    """Samples per `AgentSamples`: no more than the store keeps in memory at its exact limit,
    and never more than EXACT_LIMIT (8 MB of int64)."""
    return max(1, min(store.exact_limit, EXACT_LIMIT))


def send_samples(
    index: int, store: SampleStore
) -> Generator[AgentSamples, None, tuple[np.ndarray | None, int]]:
    """A run's samples on their way to the driver: returns (the array to send whole, 0) while
    the store holds them all in memory (within its exact limit); else yields them in
    `AgentSamples` chunks read from its spill file and returns (None, how many were sent)."""
    if store.exact:
        return store.array(), 0
    every = store.array()  # the spill file, mapped read-only
    step = chunk_samples(store)
    for start in range(0, int(every.size), step):
        # A copy of this chunk only: the mapped pages are read from disk as it is made.
        yield AgentSamples(index, start, np.array(every[start : start + step], dtype=np.int64))
    return None, int(every.size)


def failed(
    job: NodeJob,
    kind: str,
    message: str,
    partial: dict[str, Any] | None = None,
    samples_ns: np.ndarray | None = None,
    chunked: int = 0,
) -> AgentFailed:
    return AgentFailed(job.index, kind, message, partial, samples_ns, chunked=chunked)


def _generic(progress: JobProgress) -> JobProgress:
    """The generic part of a run's progress (its samples stay on the node)."""
    return JobProgress(
        progress.phase,
        progress.done,
        progress.total,
        progress.elapsed_s,
        progress.eta_s,
        progress.detail,
    )


def with_node(
    result: dict[str, Any], job: NodeJob, identity: dict[str, Any], warning: str | None
) -> dict[str, Any]:
    """The local result plus the node's identity, named after the model the user gave."""
    result["model"]["spec"] = job.model_spec
    result["model"]["name"] = job.model_name
    result["host"] = identity["hostname"]
    result["node"] = {k: identity[k] for k in ("hostname", "node_id", "ip", "ray_version")}
    if warning:
        result["warnings"].append(warning)
    return result
