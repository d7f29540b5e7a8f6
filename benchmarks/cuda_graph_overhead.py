"""On a GPU: is ortbench's CUDA-graph run as fast as a bare CUDA-graph loop?

In one process and interleaved (A B A B ...), on sample:mlp (launch-bound: harness overhead
would show first there):
  * bare: `sess.run_with_iobinding(binding, ro)` with inputs and outputs bound once on the
    device, `enable_cuda_graph=1` and `gpu_graph_id` set, in a closed loop;
  * ortbench: the worker's own `Measurement` (the code the child process runs) with the
    profile provider=cuda, enable_cuda_graph=true, io_binding=true, driven in this process
    through an in-memory pipe, so only the harness differs.

Target: ortbench's median within 2% of the bare loop. Needs a working CUDA EP (see README,
GPUs: `pip install 'ortbench-tui[cuda]'`); without one it says so and exits 2.

    .venv/bin/python benchmarks/cuda_graph_overhead.py [--model mlp] [--rounds 7] [--runs 5000]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from harness_overhead import bare_loop, ortbench_loop

from ortbench_tui.gpu.libs import preload_gpu_libraries
from ortbench_tui.hardware import probe_providers
from ortbench_tui.samples import sample_path

CUDA = "CUDAExecutionProvider"
GRAPH = ("provider.name=cuda", "provider.options.enable_cuda_graph=true")
"""The profile under test: the CUDA EP with a CUDA graph (io_binding is set on by the loop)."""


def bare_graph_session(model: str):
    import onnxruntime as ort

    providers = [(CUDA, {"enable_cuda_graph": "1"}), "CPUExecutionProvider"]
    sess = ort.InferenceSession(str(sample_path(model)), providers=providers)
    if sess.get_providers()[0] != CUDA:
        raise SystemExit(f"the session ran on {sess.get_providers()[0]}, not CUDA")
    inp = sess.get_inputs()[0]
    feed = np.random.default_rng(0).standard_normal(inp.shape).astype(np.float32)
    outputs = sess.run(None, {inp.name: feed})
    binding = sess.io_binding()
    binding.bind_ortvalue_input(inp.name, ort.OrtValue.ortvalue_from_numpy(feed, "cuda", 0))
    for o, arr in zip(sess.get_outputs(), outputs, strict=True):
        device = ort.OrtValue.ortvalue_from_numpy(np.empty_like(arr), "cuda", 0)
        binding.bind_ortvalue_output(o.name, device)
    ro = ort.RunOptions()
    ro.add_run_config_entry("gpu_graph_id", "1")
    sess.run_with_iobinding(binding, ro)  # the first run with a graph id captures the graph
    return sess, binding, ro


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--runs", type=int, default=5000)
    args = ap.parse_args()
    preload_gpu_libraries()
    cuda = next((p for p in probe_providers() if p.name == CUDA), None)
    if cuda is None or not cuda.works:
        reason = cuda.reason if cuda else "not in this onnxruntime build"
        fix = f"\nfix: {cuda.fix}" if cuda and cuda.fix else ""
        print(f"no working {CUDA} here: {reason}{fix}")
        return 2
    sess, binding, ro = bare_graph_session(args.model)
    bare, ours = [], []
    for _ in range(args.rounds):
        bare.append(np.median(bare_loop(sess.run_with_iobinding, (binding, ro), args.runs)))
        ours.append(np.median(ortbench_loop(args.model, True, args.runs, GRAPH)))
    b, o = float(np.median(bare)) / 1e3, float(np.median(ours)) / 1e3
    print(f"{args.model}: bare CUDA-graph loop {b:.2f} µs, ortbench {o:.2f} µs, ratio {o / b:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
