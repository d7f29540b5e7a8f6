"""One fleet run from start to report: connect, select and check nodes, ship the jobs, keep
results in the history as they arrive, cancel every remote worker on Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable

from ..bench.load import LoadRequest
from ..errors import OrtbenchError
from ..inputs.spec import InputSpec
from ..profile import Profile
from .cluster import NodeInfo, cluster_nodes, connect, disconnect, select_nodes
from .driver import FleetEvent, FleetRun, JobOutcome, NodeStatus, check_versions
from .history import Keeper, keep_outcome
from .payload import plan_jobs
from .report import FleetReport, build_report


class FleetSession:
    def __init__(
        self,
        models: list[str],
        profiles: list[Profile],
        address: str | None,
        selectors: list[str],
        run_id: str,
        inputs: dict[str, InputSpec] | None = None,
        load: LoadRequest | None = None,
    ) -> None:
        """`inputs`: each model's input spec (by the model as given), as `ortbench run`
        takes it from --shape/--input/--inputs. `load`: run load jobs with this traffic
        (`ortbench fleet --load`) in place of timed runs."""
        self.models = models
        self.load = load
        self.inputs = inputs or {}
        self.profiles = profiles
        self.address = address
        self.selectors = selectors
        self.run_id = run_id
        self.node_messages: dict[str, list[str]] = {}
        self.current: FleetRun | None = None
        self.partial_report: FleetReport | None = None
        """Set when the run was interrupted: the jobs so far, cancelled ones marked."""

    def _note(self, node: NodeInfo | str, message: str) -> None:
        label = node if isinstance(node, str) else node.label
        self.node_messages.setdefault(label, []).append(message)

    def prepare(self, on_event: Callable[[FleetEvent], None]) -> tuple[FleetRun, int]:
        """Nodes chosen and checked, models shipped; returns the run and how many nodes were
        skipped for their ortbench version."""
        nodes, no_resource = select_nodes(cluster_nodes(), self.selectors)
        for message in no_resource:
            label, _, why = message.partition(": ")
            self._note(label, why)
        for node in nodes:
            on_event(NodeStatus(node, "checking", ""))
        usable, problems = check_versions(nodes)
        for node in nodes:
            if node.node_id in problems:
                self._note(node, problems[node.node_id])
                on_event(NodeStatus(node, "skipped", problems[node.node_id]))
        if not usable:
            raise OrtbenchError(
                "no node can run this ortbench:\n  "
                + "\n  ".join(f"{n.label}: {problems[n.node_id]}" for n in nodes)
            )
        self.current = FleetRun(
            usable, plan_jobs(self.models, self.profiles, self.inputs, self.load)
        )
        return self.current, len(problems)

    def run_all(
        self, on_event: Callable[[FleetEvent], None], keep: Keeper | None = None
    ) -> tuple[FleetReport, int]:
        """Connected already: every job on every node; each result that measured something
        (a failed or cancelled job's partial one too) is given to `keep` as it arrives."""
        run, skipped = self.prepare(on_event)
        outcomes: list[JobOutcome] = []

        def take(event: FleetEvent) -> None:
            if isinstance(event, JobOutcome):
                if keep is not None:
                    keep_outcome(event, self.run_id, keep)
                outcomes.append(event)
            elif isinstance(event, NodeStatus) and event.state == "lost":
                self._note(event.node, event.message)
            on_event(event)

        try:
            for event in run.events():
                take(event)
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM or SIGHUP (cli.py)
            run.cancel()
            for event in run.finish_cancelled():
                take(event)
            # What finished or was cut short, for --json and the table on the way out.
            self.partial_report = build_report(run.nodes, outcomes, self.node_messages)
            raise
        finally:
            run.close()
        return build_report(run.nodes, outcomes, self.node_messages), skipped

    def run(
        self, on_event: Callable[[FleetEvent], None], keep: Keeper | None = None
    ) -> tuple[FleetReport, int]:
        """Connect (auto, local or an address), run, and leave the cluster as found."""
        started = connect(self.address)
        try:
            return self.run_all(on_event, keep)
        finally:
            if started:
                disconnect()
