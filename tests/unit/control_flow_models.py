"""Models with control flow (If, Loop), built with onnx.helper: their subgraphs' nodes run
inside the control-flow node's kernel call, which is what the trace summary must not count
twice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SIZE = 96
"""Square matrices: large enough that a MatMul takes tens of microseconds."""


def _matmul_chain(prefix: str, source: str, depth: int) -> tuple[list, list, str]:
    nodes, inits, prev = [], [], source
    for i in range(depth):
        weight = f"{prefix}_w{i}"
        inits.append(numpy_helper.from_array(np.full((SIZE, SIZE), 0.01, np.float32), weight))
        nodes.append(
            helper.make_node(
                "MatMul", [prev, weight], [f"{prefix}_m{i}"], name=f"{prefix}_matmul_{i}"
            )
        )
        nodes.append(
            helper.make_node(
                "Relu", [f"{prefix}_m{i}"], [f"{prefix}_r{i}"], name=f"{prefix}_relu_{i}"
            )
        )
        prev = f"{prefix}_r{i}"
    return nodes, inits, prev


def _branch(prefix: str, depth: int) -> onnx.GraphProto:
    """A subgraph reading the outer `x` (captured) through a chain of MatMul + Relu."""
    nodes, inits, last = _matmul_chain(prefix, "x", depth)
    out = helper.make_tensor_value_info(last, TensorProto.FLOAT, [SIZE, SIZE])
    return helper.make_graph(nodes, prefix, [], [out], initializer=inits)


def _save(graph: onnx.GraphProto, path: Path) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def if_model(path: Path, then_depth: int = 4) -> Path:
    """x -> ReduceSum > 0 -> If (then: `then_depth` MatMul+Relu; else: one) -> Add x -> y.
    With positive x the `then` branch runs; its nodes are children of the node `choose`."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [SIZE, SIZE])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [SIZE, SIZE])
    zero = numpy_helper.from_array(np.array(0, np.float32), "zero")
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0, name="sum"),
        helper.make_node("Greater", ["s", "zero"], ["c"], name="positive"),
        helper.make_node(
            "If",
            ["c"],
            ["b"],
            then_branch=_branch("then", then_depth),
            else_branch=_branch("else", 1),
            name="choose",
        ),
        helper.make_node("Add", ["b", "x"], ["y"], name="add_after"),
    ]
    return _save(helper.make_graph(nodes, "if_graph", [x], [y], initializer=[zero]), path)


def loop_model(path: Path, trips: int = 3, depth: int = 2) -> Path:
    """A Loop of `trips` iterations whose body runs `depth` MatMul+Relu on the carried value;
    the body's nodes are children of the node `repeat`."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [SIZE, SIZE])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [SIZE, SIZE])
    body_nodes, body_inits, last = _matmul_chain("body", "carried", depth)
    body_nodes.append(helper.make_node("Identity", ["cond_in"], ["cond_out"], name="body_cond"))
    body = helper.make_graph(
        body_nodes,
        "loop_body",
        [
            helper.make_tensor_value_info("iteration", TensorProto.INT64, []),
            helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
            helper.make_tensor_value_info("carried", TensorProto.FLOAT, [SIZE, SIZE]),
        ],
        [
            helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
            helper.make_tensor_value_info(last, TensorProto.FLOAT, [SIZE, SIZE]),
        ],
        initializer=body_inits,
    )
    inits = [
        numpy_helper.from_array(np.array(trips, np.int64), "trips"),
        numpy_helper.from_array(np.array(True), "keep_going"),
    ]
    nodes = [
        helper.make_node(
            "Loop", ["trips", "keep_going", "x"], ["looped"], body=body, name="repeat"
        ),
        helper.make_node("Sigmoid", ["looped"], ["y"], name="squash"),
    ]
    return _save(helper.make_graph(nodes, "loop_graph", [x], [y], initializer=inits), path)
