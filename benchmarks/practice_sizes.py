"""How large is a practice's effect, measured by call-level alternation: a reference for the
verdicts of `ortbench practices`.

For each pair of graph optimization levels (B against A), fresh session pairs are created in
this process and called in turn, A, B, B, A ... (`--pairs` calls each, at ORT's default
threads unless `--threads`), so a neighbour's burst hits both alike; B / A is the ratio of
their medians, reported as the median over `--session-pairs` pairs with its range. The
sessions run in one process, so the pools of both stay awake; `ortbench practices` measures
each profile in blocks with a re-warm (`bench/interleave.py`), the way a server runs one of
them. The two should agree on the direction and roughly on the size.

    .venv/bin/python benchmarks/practice_sizes.py [--sample conv] [--pairs 400]
        [--session-pairs 6] [--threads 0]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from ortbench_tui.feeds import make_feeds
from ortbench_tui.models import inspect_model
from ortbench_tui.samples import sample_path

PAIRS = (("basic", "all"), ("basic", "extended"))


def ratio(sample: str, a: str, b: str, pairs: int, session_pairs: int, threads: int) -> str:
    import onnxruntime as ort

    model = sample_path(sample)
    feed = make_feeds(inspect_model(model).inputs, {}, seed=0, sets=1)[0]
    levels = {
        "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    pc = time.perf_counter_ns
    ratios = []
    for _ in range(session_pairs):
        sessions = []
        for level in (a, b):
            so = ort.SessionOptions()
            so.intra_op_num_threads = threads
            so.graph_optimization_level = levels[level]
            sessions.append(
                ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
            )
        for s in sessions:
            for _ in range(20):
                s.run(None, feed)
        times = np.empty((2, pairs), dtype=np.int64)
        for i in range(pairs):
            for j in (0, 1) if i % 2 == 0 else (1, 0):
                t0 = pc()
                sessions[j].run(None, feed)
                times[j, i] = pc() - t0
        ratios.append(float(np.median(times[1]) / np.median(times[0])))
    return (
        f"{statistics.median(ratios):.3f}x ({min(ratios):.3f}-{max(ratios):.3f}), "
        f"A median {np.median(times[0]) / 1e3:.0f} µs"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample", default="conv")
    ap.add_argument("--pairs", type=int, default=400)
    ap.add_argument("--session-pairs", type=int, default=6)
    ap.add_argument("--threads", type=int, default=0, help="intra-op threads (0: ORT's default)")
    args = ap.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for a, b in PAIRS:
        text = ratio(args.sample, a, b, args.pairs, args.session_pairs, args.threads)
        print(f"{args.sample}: {b} against {a}: {text}", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
