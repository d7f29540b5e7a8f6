"""How long does `ortbench check` take to a right answer, and how often is it right?

A baseline of sample:mlp (plus an empty Identity chain) at graph level "disable", one
thread, then checks of: the same model (right answer: exit 0, no regression beyond the
margin) and the model with k Identity nodes (each a kernel call that "disable" keeps; right
answer: exit 3). Each check is a fresh `ortbench check` process, timed by wall clock from
launch to exit; a fresh baseline is saved per repeat, so the baseline's own luck is in the
figures too. Prints per case: right / undecided / wrong, and the median and worst wall time.

    .venv/bin/python benchmarks/check_time.py [--repeats 3] [--k 150] [--margin 3%] [--busy]

`--busy` keeps one core busy with a spinning process for the whole benchmark.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "unit"))


def spin() -> None:
    while True:
        pass


def ortbench(*args: str, env: dict[str, str]) -> tuple[int, float]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "ortbench_tui", *args], env=env, capture_output=True, text=True
    )
    return proc.returncode, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, default=150)
    parser.add_argument("--margin", default="3%")
    parser.add_argument("--busy", action="store_true")
    args = parser.parse_args()
    from test_baseline import identity_chain_model

    busy = mp.get_context("spawn").Process(target=spin, daemon=True) if args.busy else None
    if busy is not None:
        busy.start()
    work = Path(tempfile.mkdtemp(prefix="ortbench-check-time-"))
    env = {**os.environ, "ORTBENCH_DATA_DIR": str(work / "data"), "PYTHONPATH": str(ROOT)}
    plain = identity_chain_model(work / "plain.onnx", 0)
    slower = identity_chain_model(work / "slower.onnx", args.k)
    common = ["--set", "session.intra_op_num_threads=1"]
    common += ["--set", "session.graph_optimization_level=disable"]
    cases: dict[str, list[tuple[int, float]]] = {"same model": [], f"+{args.k} Identity": []}
    try:
        for r in range(args.repeats):
            code, took = ortbench(
                "baseline", "save", plain, "--name", f"b{r}", "-q", *common, env=env
            )
            if code:
                print(f"baseline save failed with exit {code}")
                return 1
            print(f"repeat {r + 1}: baseline saved in {took:.1f} s", flush=True)
            for case, model in zip(cases, (plain, slower), strict=True):
                extra = ["--compare-anyway"] if model == slower else []
                res = ortbench(
                    "check",
                    model,
                    "--baseline",
                    f"b{r}",
                    "--margin",
                    args.margin,
                    "-q",
                    *extra,
                    env=env,
                )
                cases[case].append(res)
                print(f"  {case}: exit {res[0]} in {res[1]:.1f} s", flush=True)
    finally:
        if busy is not None:
            busy.kill()
    load = open("/proc/loadavg").read().split()[0]
    print(f"\nmargin {args.margin}, {'one core busy' if args.busy else 'quiet'}, load {load}")
    for (case, runs), right in zip(cases.items(), (0, 3), strict=True):
        times = [t for _, t in runs]
        good = sum(code == right for code, _ in runs)
        undecided = sum(code == 4 for code, _ in runs)
        print(
            f"  {case:<16} right {good}/{len(runs)}, undecided {undecided}, "
            f"median {statistics.median(times):.1f} s, worst {max(times):.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
