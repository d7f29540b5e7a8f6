"""One fleet run from start to report, as a `bench.job.Job[FleetFinished]`: connect, select
and check nodes, ship the jobs, keep results in the history as they arrive, cancel every
remote worker on `cancel()` or when the events are cut short (Ctrl-C, SIGTERM, SIGHUP)."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from ..bench.job import JobFailed, JobProgress
from ..bench.load import LoadRequest
from ..errors import OrtbenchError
from ..inputs.spec import InputSpec
from ..profile import Profile
from .cluster import NodeInfo, cluster_nodes, connect, disconnect, select_nodes
from .driver import FleetEvent, FleetRun, JobOutcome, NodeStatus, check_versions
from .history import Keeper, keep_outcome
from .payload import plan_jobs
from .report import FleetReport, build_report

CHECK_PHASE = "checking nodes"


@dataclass(frozen=True)
class FleetFinished:
    """The fleet run's result: its report, how many nodes were skipped for their ortbench
    version, and whether it was cancelled (then the report is partial: what finished, and
    what each node measured before the cancel, its jobs marked cancelled)."""

    report: FleetReport
    version_skips: int
    cancelled: bool = False


FleetJobEvent = FleetEvent | JobProgress | FleetFinished | JobFailed


class FleetJob:
    """Iterate `events()` from one thread (or `drive` it); `cancel()` from any."""

    def __init__(
        self,
        models: list[str],
        profiles: list[Profile],
        address: str | None,
        selectors: list[str],
        run_id: str,
        inputs: dict[str, InputSpec] | None = None,
        load: LoadRequest | None = None,
        keep: Keeper | None = None,
    ) -> None:
        """`inputs`: each model's input spec (by the model as given), as `ortbench run`
        takes it from --shape/--input/--inputs. `load`: run load jobs with this traffic
        (`ortbench fleet --load`) in place of timed runs. `keep`: each result that measured
        something (a failed or cancelled job's partial one too) is given to it as it
        arrives."""
        self.models = models
        self.load = load
        self.inputs = inputs or {}
        self.profiles = profiles
        self.address = address
        self.selectors = selectors
        self.run_id = run_id
        self.keep = keep
        self.node_messages: dict[str, list[str]] = {}
        self.current: FleetRun | None = None
        self.outcomes: list[JobOutcome] = []
        self.version_skips = 0
        self.started = time.perf_counter()
        self._cancelled = False
        self._connected = False
        """Whether this job connected to Ray (and so disconnects)."""
        self._closed = False
        """Whether the events reached their closing event."""
        self._cut_short: list[FleetJobEvent] | None = None
        """Once the events were cut short: what the agents sent after, closed by the result."""

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        """Stop every remote worker after its current batch (thread-safe); the events close
        with the partial report."""
        self._cancelled = True
        if self.current is not None:
            self.current.cancel()

    def _note(self, node: NodeInfo | str, message: str) -> None:
        label = node if isinstance(node, str) else node.label
        self.node_messages.setdefault(label, []).append(message)

    def events(self) -> Iterator[FleetJobEvent]:
        """Node states, progress and each job's outcome on its node, closed by one
        `FleetFinished` or one `JobFailed` (bad input: no Ray, no usable node)."""
        self.started = time.perf_counter()
        try:
            try:
                self._connected = connect(self.address)
                run = yield from self._prepare()
            except OrtbenchError as exc:
                self._closed = True
                yield JobFailed("input", str(exc))
                return
            for event in run.events():
                yield from self._take(event)
            self._closed = True
            yield self._result()
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            if not self._closed:  # cut short: the agents cancelled, what they measured kept
                self.partial()
            raise
        finally:
            self._release()

    def _prepare(self) -> Generator[FleetJobEvent, None, FleetRun]:
        """Nodes chosen and checked, models shipped: yields the nodes' states and returns
        the run (`self.current`)."""
        nodes, no_resource = select_nodes(cluster_nodes(), self.selectors)
        for message in no_resource:
            label, _, why = message.partition(": ")
            self._note(label, why)
        for node in nodes:
            yield NodeStatus(node, "checking", "")
        elapsed = time.perf_counter() - self.started
        yield JobProgress(CHECK_PHASE, 0, len(nodes), elapsed, None)
        usable, problems = check_versions(nodes)
        for node in nodes:
            if node.node_id in problems:
                self._note(node, problems[node.node_id])
                yield NodeStatus(node, "skipped", problems[node.node_id])
        if not usable:
            raise OrtbenchError(
                "no node can run this ortbench:\n  "
                + "\n  ".join(f"{n.label}: {problems[n.node_id]}" for n in nodes)
            )
        self.version_skips = len(problems)
        jobs = plan_jobs(self.models, self.profiles, self.inputs, self.load)
        self.current = FleetRun(usable, jobs)
        if self._cancelled:
            self.current.cancel()
        return self.current

    def _take(self, event: FleetEvent) -> list[FleetEvent]:
        """Keep an outcome in the history (and for the report), note a lost node."""
        if isinstance(event, JobOutcome):
            if self.keep is not None:
                keep_outcome(event, self.run_id, self.keep)
            self.outcomes.append(event)
        elif isinstance(event, NodeStatus) and event.state == "lost":
            self._note(event.node, event.message)
        return [event]

    def _result(self) -> FleetFinished:
        nodes = self.current.nodes if self.current is not None else []
        report = build_report(nodes, self.outcomes, self.node_messages)
        return FleetFinished(report, self.version_skips, self._cancelled)

    def partial(
        self, on_event: Callable[[FleetJobEvent], None] | None = None
    ) -> FleetFinished | None:
        """When the events were cut short (Ctrl-C, SIGTERM or SIGHUP unwound their
        consumer): every remote worker cancelled, what the agents still send within the
        grace time kept and given to `on_event`, then the report of what finished or was
        cut short (None when no job had started). Safe to call again: the same events and
        result."""
        if self._cut_short is None:
            self._cancelled = True
            self._cut_short = []
            if self.current is not None:
                for event in self.current.finish_cancelled():
                    self._cut_short += self._take(event)
                self._cut_short.append(self._result())
            self._release()
        for late in self._cut_short:
            if on_event is not None:
                on_event(late)
        last = self._cut_short[-1] if self._cut_short else None
        return last if isinstance(last, FleetFinished) else None

    def _release(self) -> None:
        """End the agents and leave the cluster as found (once)."""
        if self.current is not None:
            self.current.close()
        if self._connected:
            self._connected = False
            disconnect()
