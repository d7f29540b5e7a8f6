"""Does the load curve's harness cost what a bare loop does not? Where does C=4 stop scaling?

In one process, interleaved round by round, the curve's own worker code (`CurveWorker`,
driven through an in-memory pipe, so only the harness differs, not the process):
  1. concurrency 1 of the curve vs a plain run (`Measurement`, the single-run worker) of the
     same model and shape, IO binding on, 1 intra-op thread. Target: medians within 2%.
  2. concurrency 4 of the curve vs a bare threaded loop: 4 threads, each with its own IO
     binding, calling `sess.run_with_iobinding` in a closed loop. Target: requests/s and the
     median within 3%.
  3. requests/s at C=1, 2, 4 per sample model (1 intra-op thread each, so threads are the
     only parallelism): the smallest model latency where C=4 still scales (>= 1.5x C=1).

    PYTHONPATH=. .venv/bin/python benchmarks/curve_overhead.py [--rounds 5] [--runs 2000]
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

import numpy as np
import onnxruntime as ort

from ortbench_tui.bench.curve.worker import CurveWorker
from ortbench_tui.bench.protocol import PointDone, SampleBatch
from ortbench_tui.bench.worker import Measurement
from ortbench_tui.inputs.spec import InputSpec
from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict
from ortbench_tui.samples import sample_path

SCALES = 1.5
SCALE_RUNS = {"tiny": 20, "encoder": 4}
"""--runs times this for the fast models, so each of their points lasts as long as the MLP's."""


def runs_for(model: str, runs: int) -> int:
    return runs * SCALE_RUNS.get(model, 1)


class MemoryPipe:
    """The worker's pipe in memory: keeps samples, never asks to stop."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []
        self.points: list[PointDone] = []

    def send(self, msg: object) -> None:
        if isinstance(msg, SampleBatch):
            self.batches.append(msg.samples_ns)
        elif isinstance(msg, PointDone):
            self.points.append(msg)

    def poll(self, timeout: float = 0.0) -> bool:
        time.sleep(timeout)  # as a real pipe blocks
        return False

    def recv(self) -> Any:
        raise EOFError


def profile(runs: int, free: dict[str, int]) -> Profile:
    sets = [
        "session.intra_op_num_threads=1",
        "run.io_binding=true",
        "run.warmup_runs=50",
        f"run.timed_runs={runs}",
        "run.input_sets=1",
    ]
    sets += [f"session.free_dimensions.{k}={v}" for k, v in free.items()]
    return apply_overrides(Profile(), sets)


def curve_worker(model: str, runs: int, dims: dict[str, int]) -> tuple[CurveWorker, MemoryPipe]:
    pipe = MemoryPipe()
    request = {
        "model_path": str(sample_path(model)),
        "profile": profile_to_dict(profile(runs, {})),
        "inputs": InputSpec().to_dict(),
        "dims": {k: [v] for k, v in dims.items()},
    }
    w = CurveWorker(pipe, request)
    w.setup()
    return w, pipe


def curve_point(w: CurveWorker, pipe: MemoryPipe, dims: dict[str, int], c: int) -> PointDone:
    w.measure({"index": 0, "dims": dims, "concurrency": c})
    return pipe.points.pop()


def plain_run(model: str, runs: int, free: dict[str, int]) -> np.ndarray:
    pipe = MemoryPipe()
    m = Measurement(
        pipe,
        {"model_path": str(sample_path(model)), "profile": profile_to_dict(profile(runs, free))},
    )
    m.setup()
    m.measure()
    return np.concatenate(pipe.batches)


def bare_threads(w: CurveWorker, dims: dict[str, int], c: int, runs: int) -> tuple[float, float]:
    """(median ns, requests/s) of c threads in a closed loop on the curve's session."""
    from ortbench_tui.feeds import prepare_inputs

    feed = prepare_inputs(w.inputs, InputSpec(), dims).sets[0]
    sess = w.sess
    outs = sess.run(None, feed)
    ro = ort.RunOptions()
    ro.add_run_config_entry("gpu_graph_id", "-1")
    keep = []
    bindings = []
    for _ in range(c):
        b = sess.io_binding()
        for k, a in feed.items():
            v = ort.OrtValue.ortvalue_from_numpy(a)
            keep.append(v)
            b.bind_ortvalue_input(k, v)
        for o, a in zip(sess.get_outputs(), outs, strict=True):
            v = ort.OrtValue.ortvalue_from_numpy(np.empty_like(a))
            keep.append(v)
            b.bind_ortvalue_output(o.name, v)
        bindings.append(b)
    per = runs // c
    lat = [np.empty(per, dtype=np.int64) for _ in range(c)]
    barrier = threading.Barrier(c)
    spans = [(0, 0)] * c

    def loop(t: int) -> None:
        fn, b, out, pc = sess.run_with_iobinding, bindings[t], lat[t], time.perf_counter_ns
        for _ in range(50):
            fn(b, ro)
        barrier.wait()
        first = pc()
        for i in range(per):
            t0 = pc()
            fn(b, ro)
            out[i] = pc() - t0
        spans[t] = (first, pc())

    threads = [threading.Thread(target=loop, args=(t,)) for t in range(c)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    # as the curve counts it: from the first request's start to the last one's end
    wall = (max(e for _, e in spans) - min(s for s, _ in spans)) / 1e9
    return float(np.median(np.concatenate(lat))), per * c / wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=2000)
    args = ap.parse_args()
    ort.set_default_logger_severity(3)
    print(f"cores: {os.cpu_count()} logical; load average {os.getloadavg()[0]:.2f}")

    print("\n1. C=1 of the curve vs a plain run (median µs, interleaved rounds)")
    cases = [("tiny", {}), ("mlp", {}), ("encoder", {"batch": 1, "sequence": 16})]
    for model, dims in cases:
        runs = runs_for(model, args.runs)
        w, pipe = curve_worker(model, runs, dims)
        plain, curve = [], []
        for _ in range(args.rounds):
            plain.append(np.median(plain_run(model, runs, dims)))
            curve.append(np.median(curve_point(w, pipe, dims, 1).samples_ns))
        p, c = np.median(plain) / 1e3, np.median(curve) / 1e3
        print(f"  {model:<8} plain {p:8.2f}  curve C=1 {c:8.2f}  ratio {c / p:.3f}")

    print("\n2. C=4 of the curve vs a bare loop of 4 threads (median µs, requests/s)")
    for model, dims in cases:
        runs = runs_for(model, args.runs)
        w, pipe = curve_worker(model, runs, dims)
        bm, br, cm, cr = [], [], [], []
        for _ in range(args.rounds):
            med, rps = bare_threads(w, dims, 4, runs)
            bm.append(med)
            br.append(rps)
            done = curve_point(w, pipe, dims, 4)
            cm.append(np.median(done.samples_ns))
            cr.append(done.samples_ns.size / done.wall_s)
        b_med, c_med = np.median(bm) / 1e3, np.median(cm) / 1e3
        b_rps, c_rps = np.median(br), np.median(cr)
        print(
            f"  {model:<8} bare {b_med:8.2f} µs {b_rps:9.0f}/s  curve {c_med:8.2f} µs "
            f"{c_rps:9.0f}/s  median ratio {c_med / b_med:.3f}  req/s ratio {c_rps / b_rps:.3f}"
        )

    print(f"\n3. scaling: requests/s at C=1, 2, 4 (scales: C=4 >= {SCALES}x C=1)")
    scaled = []
    more = [("conv", {}), ("encoder", {"batch": 8, "sequence": 64})]
    for model, dims in cases + more:
        w, pipe = curve_worker(model, runs_for(model, args.runs), dims)
        rps, p50 = {}, 0.0
        for c in (1, 2, 4):
            done = curve_point(w, pipe, dims, c)
            rps[c] = done.samples_ns.size / done.wall_s
            p50 = float(np.median(done.samples_ns)) / 1e3 if c == 1 else p50
        gain = rps[4] / rps[1]
        name = model + (f" {dims}" if dims else "")
        print(
            f"  {name:<40} p50 {p50:8.1f} µs  {rps[1]:8.0f} {rps[2]:8.0f} {rps[4]:8.0f} "
            f"req/s  C=4/C=1 {gain:.2f}x"
        )
        if gain >= SCALES:
            scaled.append(p50)
    if scaled:
        print(f"  smallest p50 (C=1) where C=4 still scales: {min(scaled):.1f} µs")
    else:
        print("  C=4 did not scale on any model here")


if __name__ == "__main__":
    main()
