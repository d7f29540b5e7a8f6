"""The driver side of a fleet run: check each node's ortbench, start one agent per node, merge
the agents' event streams, turn a lost node into failed results that name it, cancel.
`FleetRun` follows the agents; `job.FleetJob` wraps it into the fleet's `Job`."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..bench.job import JobProgress, eta_from_fraction
from ..bench.load import ProfileLoad
from ..bench.results import Samples
from ..bench.sample_store import SampleStore
from .agent import (
    STREAM_BACKPRESSURE,
    AgentFailed,
    AgentFinished,
    AgentMessage,
    AgentProgress,
    AgentReady,
    AgentSamples,
    NodeAgent,
    node_identity,
)
from .cluster import RESOURCE, NodeInfo
from .payload import NodeJob

PROBE_TIMEOUT_S = 60.0
CANCEL_GRACE_S = 5.0


@dataclass
class NodeStatus:
    """state: checking, waiting (for the node's ortbench slot), ready, skipped, lost, done."""

    node: NodeInfo
    state: str
    message: str = ""


FLEET_PHASE = "jobs done"
"""The phase of a fleet run's progress: done and total count (node, job) pairs."""


@dataclass(frozen=True)
class FleetProgress(JobProgress):
    """The whole fleet run: `done` of `total` (node, job) pairs ended, the ETA of the whole
    run, every node's phase in `detail`. `node` and `job` moved it; `run` is that job's own
    progress on its node (None when the event is a job's end)."""

    node: NodeInfo | None = None
    job: NodeJob | None = None
    run: JobProgress | None = None


@dataclass
class JobOutcome:
    """status: ok, input (bad input on that node, exit 2), run (failed, exit 1), cancelled.
    A job that is not ok may still carry its partial `result` (status failed or cancelled).
    A run's result comes with its samples (an array, or past the node's exact limit the
    driver's `SampleStore` its chunks went into), a load job's with its steps' timelines."""

    node: NodeInfo
    job: NodeJob
    status: str
    result: dict[str, Any] | None = None
    samples_ns: Samples | None = None
    message: str = ""
    history_path: str | None = None
    load_parts: list[ProfileLoad] | None = None


@dataclass(frozen=True)
class NodeLost:
    """The node, or its agent, is gone (said by the driver's thread that followed it)."""

    message: str


@dataclass(frozen=True)
class AgentEnded:
    """The agent's stream is over."""


@dataclass(frozen=True)
class NodeMessage:
    """What a node's follower thread hands the driver: one message from that node; with a
    closing message whose samples came in chunks, the store they went into."""

    node: NodeInfo
    message: AgentMessage | NodeLost | AgentEnded
    chunks: SampleStore | None = None


FleetEvent = NodeStatus | FleetProgress | JobOutcome


def check_versions(nodes: list[NodeInfo]) -> tuple[list[NodeInfo], dict[str, str]]:
    """Ask every node, in parallel, which ortbench it runs. Returns the nodes that run this
    version, and a message per node that does not (or cannot say)."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    probe = ray.remote(node_identity)
    refs = {
        n.node_id: probe.options(
            num_cpus=0, scheduling_strategy=NodeAffinitySchedulingStrategy(n.node_id, soft=False)
        ).remote()
        for n in nodes
    }
    ok, problems = [], {}
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    for n in nodes:
        try:
            ident = ray.get(refs[n.node_id], timeout=max(0.1, deadline - time.monotonic()))
        except Exception as exc:
            problems[n.node_id] = f"cannot run ortbench there: {first_line(exc)}"
            continue
        theirs = ident.get("ortbench_version")
        if theirs != __version__:
            problems[n.node_id] = f"runs ortbench {theirs}, this is {__version__}: skipped"
        else:
            ok.append(n)
    return ok, problems


def first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[-1] if lines else type(exc).__name__
    return text[:300]


class FleetRun:
    """Every job on every node. Iterate `events()` from one thread; `cancel()` from any."""

    def __init__(self, nodes: list[NodeInfo], jobs: list[NodeJob]) -> None:
        self.nodes = nodes
        self.jobs = jobs
        self._queue: queue.Queue[NodeMessage] = queue.Queue()
        self._agents: dict[str, Any] = {}
        self._threads: list[threading.Thread] = []
        self._cancelled = False
        self._cancel_deadline: float | None = None
        """After a cancel: when to stop waiting for the agents' last messages."""
        self._by_index = {job.index: job for job in jobs}
        self._pending = {n.node_id: set(self._by_index) for n in nodes}
        self._running = len(nodes)
        self.submitted_at = 0.0
        self.started = time.perf_counter()
        self._node_phase: dict[str, str] = {}
        """Each node's phase as the last message said, for the live line."""
        self._ended = 0
        self._chunks: dict[tuple[str, int], SampleStore] = {}
        """(node id, job index): the store a long run's chunks go into, until it closes."""

    def _start(self) -> None:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        actor = ray.remote(NodeAgent)
        self.submitted_at = time.perf_counter()
        for node in self.nodes:
            agent = actor.options(
                num_cpus=0,
                max_concurrency=2,
                resources={RESOURCE: node.slots},
                scheduling_strategy=NodeAffinitySchedulingStrategy(node.node_id, soft=False),
            ).remote()
            self._agents[node.node_id] = agent
            run_jobs: Any = agent.run_jobs  # a Ray actor method, untyped
            stream = run_jobs.options(
                num_returns="streaming", _generator_backpressure_num_objects=STREAM_BACKPRESSURE
            ).remote(self.jobs, None)
            thread = threading.Thread(
                target=self._follow, args=(node, stream), daemon=True, name=f"fleet-{node.label}"
            )
            self._threads.append(thread)
            thread.start()

    def _follow(self, node: NodeInfo, stream: Any) -> None:
        """One thread per node: the agent's messages into the shared queue, in order."""
        import ray

        try:
            for ref in stream:
                self.receive(node, ray.get(ref))
        except Exception as exc:  # the node or its agent is gone: name it, the rest go on
            self.receive(node, NodeLost(first_line(exc)))
        self.receive(node, AgentEnded())

    def receive(self, node: NodeInfo, message: AgentMessage | NodeLost | AgentEnded) -> None:
        """One message from `node`, in the thread that reads its stream: a chunk of a long
        run's samples is appended here to that job's store (a spill file beside the history,
        so the driver's memory does not grow with the run, and Ray's backpressure holds the
        agent while this thread writes); the job's closing message then takes the store with
        it. Everything else goes to the queue `events()` reads."""
        if isinstance(message, AgentSamples):
            key = (node.node_id, message.index)
            if key not in self._chunks:  # no exact copy: the node's result has the statistics
                self._chunks[key] = SampleStore(exact_limit=0)
            self._chunks[key].extend(message.samples_ns)
            return
        chunks = None
        if isinstance(message, AgentFinished | AgentFailed):
            chunks = self._chunks.pop((node.node_id, message.index), None)
        elif isinstance(message, NodeLost | AgentEnded):  # a run cut off mid-stream: no result
            for key in [k for k in self._chunks if k[0] == node.node_id]:
                self._chunks.pop(key).discard()
        if chunks is not None:
            chunks.finish()
        self._queue.put(NodeMessage(node, message, chunks))

    @property
    def total(self) -> int:
        """(node, job) pairs in the run: the `total` of its progress."""
        return len(self.jobs) * len(self.nodes)

    def events(self) -> Iterator[FleetEvent]:
        """Node states, progress and outcomes, as they come, until every agent is done, or,
        after `cancel()`, until the agents' last messages are in or the grace time is over;
        a job with no outcome by then is cancelled."""
        for node in self.nodes:
            yield NodeStatus(node, "waiting")  # for the node's ortbench slot
        yield self._fleet_progress()
        if not self._cancelled:  # a cancel before the start starts nothing
            self._start()
        else:
            self._running = 0
        while self._running and not self._grace_over():
            yield from self._pump(0.2)
        yield from self._wind_up()

    def _grace_over(self) -> bool:
        return self._cancel_deadline is not None and time.monotonic() >= self._cancel_deadline

    def _wind_up(self) -> list[FleetEvent]:
        """Close the agents; a job still without an outcome (after a cancel) is cancelled."""
        self.close()
        out: list[FleetEvent] = []
        for node in self.nodes:
            out += self._fail_pending(node, "cancelled", "cancelled")
        return out

    def _pump(self, timeout_s: float) -> list[FleetEvent]:
        """The events of the next agent message, if one comes within `timeout_s`."""
        try:
            item = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return []
        node, msg = item.node, item.message
        pending = self._pending[node.node_id]
        assert not isinstance(msg, AgentSamples)  # `receive` keeps chunks out of the queue
        if isinstance(msg, AgentReady):
            return [NodeStatus(node, "ready", "; ".join(msg.warnings))]
        if isinstance(msg, AgentProgress):
            p = msg.progress
            count = f"{p.done:.0f}/{p.total:.0f}" if p.total else f"{p.done:.0f}"
            self._node_phase[node.label] = f"{p.phase} {count}"
            return [self._fleet_progress(node, self._by_index[msg.index], p)]
        if isinstance(msg, AgentFinished | AgentFailed):
            pending.discard(msg.index)
            self._ended += 1
            job = self._by_index[msg.index]
            return [self._outcome(node, job, msg, item.chunks), self._fleet_progress(node, job)]
        if isinstance(msg, NodeLost):
            why = f"node {node.label} (id {node.node_id[:12]}, {node.ip}) was lost: {msg.message}"
            status = "cancelled" if self._cancelled else "run"
            return [NodeStatus(node, "lost", why), *self._fail_pending(node, status, why)]
        self._running -= 1  # AgentEnded
        why = f"node {node.label} ended without a result for this job"
        return [*self._fail_pending(node, "run", why), NodeStatus(node, "done")]

    def _fleet_progress(
        self,
        node: NodeInfo | None = None,
        job: NodeJob | None = None,
        run: JobProgress | None = None,
    ) -> FleetProgress:
        """(node, job) pairs ended of all; the ETA of every job at the pace of those ended so
        far, or the running job's own while none has ended."""
        elapsed = time.perf_counter() - self.started
        if self._ended:
            eta = eta_from_fraction(elapsed, self._ended / self.total)
        else:
            eta = run.eta_s if run is not None else None
        detail = "  ·  ".join(f"{label} {phase}" for label, phase in self._node_phase.items())
        return FleetProgress(
            FLEET_PHASE, self._ended, self.total, elapsed, eta, detail, node, job, run
        )

    def _fail_pending(self, node: NodeInfo, status: str, why: str) -> list[FleetEvent]:
        pending = self._pending[node.node_id]
        out: list[FleetEvent] = []
        for i in sorted(pending):
            self._ended += 1
            out += [JobOutcome(node, self._by_index[i], status, message=why)]
            out += [self._fleet_progress(node, self._by_index[i])]
        pending.clear()
        return out

    @staticmethod
    def _outcome(
        node: NodeInfo,
        job: NodeJob,
        msg: AgentFinished | AgentFailed,
        chunks: SampleStore | None,
    ) -> JobOutcome:
        samples: Samples | None = msg.samples_ns
        result = msg.result if isinstance(msg, AgentFinished) else msg.partial
        if msg.chunked:
            samples = chunks
            got = chunks.size if chunks is not None else 0
            if got != msg.chunked and result is not None:  # said, never silently short
                result["warnings"] = [
                    *result.get("warnings", []),
                    f"{node.label} sent {msg.chunked:,} samples, {got:,} arrived",
                ]
        if isinstance(msg, AgentFinished):
            return JobOutcome(node, job, "ok", result, samples, load_parts=msg.load_parts)
        return JobOutcome(
            node, job, msg.status, result, samples, f"{node.label}: {msg.message}",
            load_parts=msg.load_parts,
        )  # fmt: skip

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self, grace_s: float = CANCEL_GRACE_S) -> None:
        """Stop every remote worker after its current batch; jobs not started are cancelled.
        `events()` waits `grace_s` at most for what the agents still send."""
        if self._cancelled:
            return
        self._cancelled = True
        self._cancel_deadline = time.monotonic() + grace_s
        for agent in list(self._agents.values()):
            agent.cancel.remote()

    def close(self) -> None:
        """End the agents (a worker still measuring stops when its agent's pipe closes)."""
        import ray

        for agent in self._agents.values():
            ray.kill(agent, no_restart=True)
        self._agents.clear()

    def finish_cancelled(self, grace_s: float = CANCEL_GRACE_S) -> list[FleetEvent]:
        """When `events()` was cut short (Ctrl-C, SIGTERM or SIGHUP unwound its consumer):
        cancel, then what the agents still send within `grace_s`, then close them."""
        self.cancel(grace_s)
        out: list[FleetEvent] = []
        while self._running and not self._grace_over():
            out += self._pump(0.1)
        return out + self._wind_up()
