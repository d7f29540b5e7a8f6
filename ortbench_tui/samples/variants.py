"""Variants of a model whose optimized and unoptimized sessions differ by a known amount of
work: what checks a verdict (a benchmark of time to decide, a test that a compare names the
slower side) needs, since a difference measured by another compare is as noisy as what it
checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper


def with_constant_work(model: str | Path, n: int, out: str | Path) -> Path:
    """The model plus an n x n MatMul of two constants, reduced to a scalar, times 0, added to
    its first output (the output is unchanged). Constant folding (graph optimization level
    basic and above) turns the branch into one constant once, at session creation; level
    disable computes it every run: n**3 multiply-adds more a run (n = 512: ~134 M). One node
    of work, so creating a session stays cheap, unlike a long chain of nodes."""
    m = onnx.load(str(model))
    g = m.graph
    last = g.output[0].name
    for node in g.node:
        node.output[:] = [f"{o}__pre" if o == last else o for o in node.output]
    rng = np.random.default_rng(0)
    for name in ("work_w1", "work_w2"):
        # scaled so the product stays O(1): times 0 must give 0, never inf * 0
        w = rng.standard_normal((n, n)).astype(np.float32) / n
        g.initializer.append(numpy_helper.from_array(w, name))
    g.initializer.append(numpy_helper.from_array(np.zeros((), np.float32), "work_zero"))
    g.node.extend(
        [
            helper.make_node("MatMul", ["work_w1", "work_w2"], ["work_product"]),
            helper.make_node("ReduceSum", ["work_product"], ["work_sum"], keepdims=0),
            helper.make_node("Mul", ["work_sum", "work_zero"], ["work_nil"]),
            helper.make_node("Add", [f"{last}__pre", "work_nil"], [last]),
        ]
    )
    onnx.save(m, str(out))
    return Path(out)
