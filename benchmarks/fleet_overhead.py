"""What does running through Ray cost? A fleet run against the same local `ortbench run`.

On a one-node Ray cluster started here (`--ray local`'s cluster), interleaved round by round
(local, fleet, local, fleet, ...), the same model and profile:
  * p50 of each run; target: the fleet run's median p50 within 3% of the local one's
  * the fixed cost of a job: from submitting it to its first timed batch, fleet against local
    (the fleet figure includes scheduling the node's agent, detecting the node's hardware in
    a child process, and fetching the model from the object store)

    .venv/bin/python benchmarks/fleet_overhead.py [--model sample:mlp] [--rounds 5] [--runs 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from ortbench_tui.bench.runner import RunProgress, RunRequest, start_run
from ortbench_tui.fleet.cluster import cluster_nodes, connect, disconnect, select_nodes
from ortbench_tui.fleet.driver import FleetProgress, FleetRun, JobOutcome, NodeStatus
from ortbench_tui.fleet.payload import plan_jobs
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.text import format_ms


def local_round(model: str, profile: Profile) -> tuple[float, float]:
    """(p50 ms, seconds from start to the first timed batch) of one local run."""
    submitted = time.perf_counter()
    first = None
    handle = start_run(RunRequest(model=model, profile=profile))
    for event in handle.events():
        if isinstance(event, RunProgress) and event.phase == "timed" and first is None:
            first = time.perf_counter() - submitted
        if not isinstance(event, RunProgress):
            if not hasattr(event, "result"):
                raise SystemExit(f"local run failed: {event}")
            return event.result.latency_ms.p50, first or float("nan")
    raise SystemExit("local run ended without a result")


def fleet_round(model: str, profile: Profile) -> tuple[float, float, float]:
    """(p50 ms, seconds to the first timed batch, seconds to the agent being ready)."""
    nodes, _ = select_nodes(cluster_nodes(), [])
    run = FleetRun(nodes[:1], plan_jobs([model], [profile]))
    first = ready = None
    p50 = None
    for event in run.events():
        now = time.perf_counter() - run.submitted_at
        if isinstance(event, NodeStatus) and event.state == "ready":
            ready = now
        if (
            isinstance(event, FleetProgress)
            and event.run
            and event.run.phase == "timed"
            and first is None
        ):
            first = now
        if isinstance(event, JobOutcome):
            if event.status != "ok" or event.result is None:
                raise SystemExit(f"fleet run failed: {event.message}")
            p50 = event.result["latency_ms"]["p50"]
    assert p50 is not None
    return p50, first or float("nan"), ready or float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sample:mlp")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    profile = apply_overrides(
        Profile(name="fleet-overhead"),
        ["session.intra_op_num_threads=1", "run.warmup_runs=50", f"run.timed_runs={args.runs}"],
    )
    connect("local")
    try:
        fleet_round(args.model, profile)  # the first job also starts Ray's worker pool
        local, fleet, local_first, fleet_first, ready = [], [], [], [], []
        for i in range(args.rounds):
            p50, first = local_round(args.model, profile)
            local.append(p50)
            local_first.append(first)
            p50, first, up = fleet_round(args.model, profile)
            fleet.append(p50)
            fleet_first.append(first)
            ready.append(up)
            print(f"round {i + 1}: local p50 {format_ms(local[-1])}  fleet p50 {format_ms(p50)}")
    finally:
        disconnect()
    ratio = statistics.median(f / lo for f, lo in zip(fleet, local, strict=True))
    verdict = "within" if abs(ratio - 1) <= 0.03 else "OUTSIDE"
    print()
    print(f"p50 median: local {format_ms(statistics.median(local))}, "
          f"fleet {format_ms(statistics.median(fleet))}")  # fmt: skip
    print(f"fleet / local p50 (median of rounds): {ratio:.4f}  ({verdict} the 3% target)")
    lf, ff = statistics.median(local_first), statistics.median(fleet_first)
    print(f"submit to first timed batch: local {lf:.2f} s, fleet {ff:.2f} s "
          f"(fixed cost of a fleet job: +{ff - lf:.2f} s; agent ready after "
          f"{statistics.median(ready):.2f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
