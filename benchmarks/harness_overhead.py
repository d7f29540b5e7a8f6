"""Does ortbench add overhead that a bare loop does not have?

In one process and interleaved (A B C A B C ...), on the tiny and MLP samples:
  * bare `sess.run(None, feed)` loop            vs ortbench's timed loop, plain mode
  * bare `sess.run_with_iobinding(b, ro)` loop  vs ortbench's timed loop, IO-binding mode
ortbench's loop is the worker's own `Measurement` (the code the child process runs), driven
in this process through an in-memory pipe, so only the harness differs, not the process.

Target: ortbench's median within 2% of the bare loop of the same kind, and IO-bound mode
faster than plain mode on the tiny sample.

    .venv/bin/python benchmarks/harness_overhead.py [--rounds 7] [--runs 3000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import onnxruntime as ort

from ortbench_tui.bench.protocol import SampleBatch
from ortbench_tui.bench.worker import Measurement
from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict
from ortbench_tui.samples import sample_path


class MemoryPipe:
    """Stands in for the worker's pipe: keeps the batches, never asks to stop."""

    def __init__(self) -> None:
        self.batches: list[np.ndarray] = []

    def send(self, msg: object) -> None:
        if isinstance(msg, SampleBatch):
            self.batches.append(msg.samples_ns)

    def poll(self) -> bool:
        return False


def bare_loop(fn, args, n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.int64)
    pc = time.perf_counter_ns
    for i in range(n):
        t0 = pc()
        fn(*args)
        out[i] = pc() - t0
    return out


def ortbench_loop(
    model: str,
    io_binding: bool,
    runs: int,
    settings: tuple[str, ...] = ("session.intra_op_num_threads=1",),
) -> np.ndarray:
    """The worker's own timed loop on `model`, with `settings` (--set assignments) on top."""
    profile = apply_overrides(
        Profile(),
        [
            *settings,
            f"run.io_binding={str(io_binding).lower()}",
            "run.warmup_runs=50",
            f"run.timed_runs={runs}",
            "run.input_sets=1",
        ],
    )
    pipe = MemoryPipe()
    m = Measurement(
        pipe, {"model_path": str(sample_path(model)), "profile": profile_to_dict(profile)}
    )
    m.setup()
    m.measure()
    return np.concatenate(pipe.batches)


def bare_session(model: str):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(sample_path(model)), so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    feed = {inp.name: np.random.default_rng(0).standard_normal(inp.shape).astype(np.float32)}
    outputs = sess.run(None, feed)
    binding = sess.io_binding()
    binding.bind_ortvalue_input(inp.name, ort.OrtValue.ortvalue_from_numpy(feed[inp.name]))
    for o, arr in zip(sess.get_outputs(), outputs, strict=True):
        binding.bind_ortvalue_output(o.name, ort.OrtValue.ortvalue_from_numpy(np.empty_like(arr)))
    ro = ort.RunOptions()
    ro.add_run_config_entry("gpu_graph_id", "-1")
    return sess, feed, binding, ro


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3000)
    args = ap.parse_args()
    ort.set_default_logger_severity(3)
    print(f"{'model':<6} {'mode':<8} {'bare µs':>9} {'ortbench µs':>12} {'ratio':>7}")
    for model in ("tiny", "mlp"):
        sess, feed, binding, ro = bare_session(model)
        med: dict[str, list[float]] = {k: [] for k in ("bare-run", "ob-run", "bare-iob", "ob-iob")}
        for _ in range(args.rounds):
            med["bare-run"].append(np.median(bare_loop(sess.run, (None, feed), args.runs)))
            med["ob-run"].append(np.median(ortbench_loop(model, False, args.runs)))
            med["bare-iob"].append(
                np.median(bare_loop(sess.run_with_iobinding, (binding, ro), args.runs))
            )
            med["ob-iob"].append(np.median(ortbench_loop(model, True, args.runs)))
        m = {k: float(np.median(v)) / 1e3 for k, v in med.items()}
        for mode, bare, ob in (("plain", "bare-run", "ob-run"), ("iobind", "bare-iob", "ob-iob")):
            print(f"{model:<6} {mode:<8} {m[bare]:>9.2f} {m[ob]:>12.2f} {m[ob] / m[bare]:>7.3f}")
        print(f"{model:<6} iobind/plain (ortbench): {m['ob-iob'] / m['ob-run']:.3f}")


if __name__ == "__main__":
    main()
