"""Does successive halving find (nearly) the best configuration in half the time?

A 12-point grid on sample:conv (intra-op threads 1,2 x optimization level disable, basic,
all x IO binding off, on):

  * exhaustive: every point measured for `--per-point` seconds of timed runs, all in one
    interleaved child (the same machinery a sweep round uses), so the twelve medians are
    comparable; its wall time, set-up included, is the reference;
  * halving: `ortbench sweep`'s engine with a budget of `--fraction` (default 0.45) of the
    exhaustive wall time.

Target: the halving winner's median (as measured by the exhaustive run, so both are judged
on the same data) within 5% of the exhaustive best, in at most half the exhaustive time.

    .venv/bin/python benchmarks/sweep_vs_exhaustive.py [--repeats 3] [--per-point 2.0]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ortbench_tui.bench.compare import CompareFinished, CompareRequest, CompareRun
from ortbench_tui.bench.runner import ensure_spawn_ready
from ortbench_tui.bench.sweep import (
    SweepRequest,
    SweepResult,
    SweepRun,
    build_candidates,
    parse_grid,
)
from ortbench_tui.hardware import physical_cores
from ortbench_tui.profile import Profile

GRID = [
    "session.intra_op_num_threads=1,2",
    "session.graph_optimization_level=disable,basic,all",
    "run.io_binding=false,true",
]
MODEL = "sample:conv"


def exhaustive(per_point: float) -> tuple[float, dict[str, float]]:
    """Wall seconds, and the median (ms) of every grid point, from one interleaved run."""
    cands = build_candidates(Profile(name="base"), parse_grid(GRID), None, physical_cores())
    profiles = []
    for c in cands:
        p = c.profile.copy()
        p.run.duration_s = per_point
        profiles.append(p)
    t0 = time.perf_counter()
    run = CompareRun(CompareRequest(MODEL, profiles, interleave=True, sessions=1, reps=200))
    finished = None
    for ev in run.events():
        if isinstance(ev, CompareFinished):
            finished = ev
        elif not hasattr(ev, "phase"):
            raise SystemExit(f"exhaustive run failed: {ev}")
    wall = time.perf_counter() - t0
    assert finished is not None
    medians = {
        c.label: float(np.median(s)) / 1e6 for c, s in zip(cands, finished.samples, strict=True)
    }
    return wall, medians


def halving(budget: float) -> tuple[float, SweepResult]:
    request = SweepRequest(MODEL, Profile(name="base"), parse_grid(GRID), budget_s=budget)
    t0 = time.perf_counter()
    result = None
    for ev in SweepRun(request).events():
        if isinstance(ev, SweepResult):
            result = ev
        elif not hasattr(ev, "candidates"):
            raise SystemExit(f"sweep failed: {ev}")
    assert result is not None
    return time.perf_counter() - t0, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--per-point", type=float, default=2.0, help="timed seconds per point")
    ap.add_argument("--fraction", type=float, default=0.45, help="halving budget / exhaustive")
    args = ap.parse_args()
    ensure_spawn_ready()
    ok = 0
    print(f"grid: {' x '.join(GRID)} on {MODEL} (12 points)")
    for k in range(args.repeats):
        ex_wall, medians = exhaustive(args.per_point)
        best_label = min(medians, key=medians.__getitem__)
        sw_wall, result = halving(args.fraction * ex_wall)
        winner = result.winner.label if result.winner else "?"
        gap = medians[winner] / medians[best_label] - 1 if winner in medians else float("nan")
        time_ratio = sw_wall / ex_wall
        passed = gap <= 0.05 and time_ratio <= 0.5
        ok += passed
        print(
            f"\nrepeat {k + 1}: exhaustive {ex_wall:.1f} s, halving {sw_wall:.1f} s "
            f"({time_ratio:.0%} of it; budget {args.fraction * ex_wall:.1f} s, "
            f"{result.rounds_done} rounds {' -> '.join(map(str, result.plan))} -> 1)"
        )
        for label, med in sorted(medians.items(), key=lambda kv: kv[1]):
            mark = " <- halving winner" if label == winner else ""
            mark += " (exhaustive best)" if label == best_label else ""
            print(f"  {med * 1e3:8.1f} µs  {label}{mark}")
        print(f"  winner {gap:+.1%} from the exhaustive best: {'PASS' if passed else 'FAIL'}")
    print(f"\n{ok}/{args.repeats} repeats within 5% of the best in at most half the time")


if __name__ == "__main__":
    main()
