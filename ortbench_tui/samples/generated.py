"""The generated sample models, built with ``onnx.helper`` from fixed seeds.

Identical bytes on every machine and every run, so results taken on different days point at
the same model (same sha256).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .names import SAMPLES_VERSION

OPSET = 17
# ORT >= 1.17 loads IR 10; onnx 1.23's default (IR 11+) is too new for older ORT releases.
IR_VERSION = 10


def _w(rng: np.random.Generator, *shape: int, fan_in: int) -> np.ndarray:
    """He-style scaled weights keep activations O(1), so no inf/NaN that would skew timing."""
    scale = float(np.sqrt(2.0 / fan_in))
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _init(name: str, arr: np.ndarray) -> TensorProto:
    return numpy_helper.from_array(arr, name)


def _model(graph: onnx.GraphProto) -> onnx.ModelProto:
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
        producer_name="ortbench-samples",
        producer_version=str(SAMPLES_VERSION),
    )
    return model


def _tiny() -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    inits = [
        _init("bias", rng.standard_normal((1, 16)).astype(np.float32)),
        _init("scale", rng.standard_normal((1, 16)).astype(np.float32)),
    ]
    nodes = [
        helper.make_node("Add", ["x", "bias"], ["t0"], name="add"),
        helper.make_node("Mul", ["t0", "scale"], ["t1"], name="mul"),
        helper.make_node("Relu", ["t1"], ["y"], name="relu"),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 16])],
        inits,
    )
    return _model(graph)


def _mlp() -> onnx.ModelProto:
    rng = np.random.default_rng(2)
    dims = [256, 1024, 1024, 1024]
    nodes, inits = [], []
    cur = "x"
    for i, (din, dout) in enumerate(zip(dims[:-1], dims[1:], strict=True)):
        inits += [
            _init(f"fc{i}.w", _w(rng, din, dout, fan_in=din)),
            _init(f"fc{i}.b", np.zeros(dout, np.float32)),
        ]
        nodes += [
            helper.make_node("Gemm", [cur, f"fc{i}.w", f"fc{i}.b"], [f"h{i}"], name=f"fc{i}"),
            helper.make_node("Relu", [f"h{i}"], [f"a{i}"], name=f"relu{i}"),
        ]
        cur = f"a{i}"
    inits += [
        _init("head.w", _w(rng, dims[-1], 10, fan_in=dims[-1])),
        _init("head.b", np.zeros(10, np.float32)),
    ]
    nodes.append(helper.make_node("Gemm", [cur, "head.w", "head.b"], ["y"], name="head"))
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return _model(graph)


def _conv() -> onnx.ModelProto:
    rng = np.random.default_rng(3)
    chans = [3, 64, 128, 256]
    nodes, inits = [], []
    cur = "image"
    for i, (cin, cout) in enumerate(zip(chans[:-1], chans[1:], strict=True)):
        inits += [
            _init(f"conv{i}.w", _w(rng, cout, cin, 3, 3, fan_in=cin * 9)),
            _init(f"conv{i}.b", np.zeros(cout, np.float32)),
        ]
        nodes += [
            helper.make_node(
                "Conv",
                [cur, f"conv{i}.w", f"conv{i}.b"],
                [f"c{i}"],
                name=f"conv{i}",
                kernel_shape=[3, 3],
                pads=[1, 1, 1, 1],
            ),
            helper.make_node("Relu", [f"c{i}"], [f"r{i}"], name=f"relu{i}"),
        ]
        cur = f"r{i}"
        if i < len(chans) - 2:
            nodes.append(
                helper.make_node(
                    "MaxPool",
                    [cur],
                    [f"p{i}"],
                    name=f"pool{i}",
                    kernel_shape=[2, 2],
                    strides=[2, 2],
                )
            )
            cur = f"p{i}"
    inits += [
        _init("head.w", _w(rng, chans[-1], 10, fan_in=chans[-1])),
        _init("head.b", np.zeros(10, np.float32)),
    ]
    nodes += [
        helper.make_node("GlobalAveragePool", [cur], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "head.w", "head.b"], ["logits"], name="head"),
    ]
    graph = helper.make_graph(
        nodes,
        "conv",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return _model(graph)


def _encoder() -> onnx.ModelProto:
    """Post-norm encoder block; Reshape with 0 copies batch/sequence, so both stay symbolic."""
    rng = np.random.default_rng(4)
    d, heads, ffn = 64, 4, 256
    hd = d // heads
    inits = [
        _init("split_heads", np.array([0, 0, heads, hd], np.int64)),
        _init("merge_heads", np.array([0, 0, d], np.int64)),
        _init("attn_scale", np.array(1.0 / np.sqrt(hd), np.float32)),
        _init("ln1.g", np.ones(d, np.float32)),
        _init("ln1.b", np.zeros(d, np.float32)),
        _init("ln2.g", np.ones(d, np.float32)),
        _init("ln2.b", np.zeros(d, np.float32)),
        _init("ffn1.w", _w(rng, d, ffn, fan_in=d)),
        _init("ffn1.b", np.zeros(ffn, np.float32)),
        _init("ffn2.w", _w(rng, ffn, d, fan_in=ffn)),
        _init("ffn2.b", np.zeros(d, np.float32)),
    ]
    nodes = []
    for p in ("q", "k", "v", "o"):
        inits += [
            _init(f"{p}.w", _w(rng, d, d, fan_in=d)),
            _init(f"{p}.b", np.zeros(d, np.float32)),
        ]
    for p in ("q", "k", "v"):
        nodes += [
            helper.make_node("MatMul", ["tokens", f"{p}.w"], [f"{p}_mm"], name=f"{p}_proj"),
            helper.make_node("Add", [f"{p}_mm", f"{p}.b"], [f"{p}_lin"], name=f"{p}_bias"),
            helper.make_node(
                "Reshape", [f"{p}_lin", "split_heads"], [f"{p}_4d"], name=f"{p}_split"
            ),
        ]
    nodes += [
        helper.make_node("Transpose", ["q_4d"], ["q_h"], name="q_t", perm=[0, 2, 1, 3]),
        helper.make_node("Transpose", ["k_4d"], ["k_h"], name="k_t", perm=[0, 2, 3, 1]),
        helper.make_node("Transpose", ["v_4d"], ["v_h"], name="v_t", perm=[0, 2, 1, 3]),
        helper.make_node("MatMul", ["q_h", "k_h"], ["scores_raw"], name="qk"),
        helper.make_node("Mul", ["scores_raw", "attn_scale"], ["scores"], name="scale"),
        helper.make_node("Softmax", ["scores"], ["probs"], name="softmax", axis=-1),
        helper.make_node("MatMul", ["probs", "v_h"], ["ctx_h"], name="pv"),
        helper.make_node("Transpose", ["ctx_h"], ["ctx_t"], name="ctx_t", perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["ctx_t", "merge_heads"], ["ctx"], name="ctx_merge"),
        helper.make_node("MatMul", ["ctx", "o.w"], ["o_mm"], name="o_proj"),
        helper.make_node("Add", ["o_mm", "o.b"], ["attn_out"], name="o_bias"),
        helper.make_node("Add", ["tokens", "attn_out"], ["res1"], name="residual1"),
        helper.make_node(
            "LayerNormalization",
            ["res1", "ln1.g", "ln1.b"],
            ["n1"],
            name="ln1",
            axis=-1,
            epsilon=1e-5,
        ),
        helper.make_node("MatMul", ["n1", "ffn1.w"], ["f1_mm"], name="ffn1"),
        helper.make_node("Add", ["f1_mm", "ffn1.b"], ["f1"], name="ffn1_bias"),
        helper.make_node("Relu", ["f1"], ["f1_act"], name="ffn_relu"),
        helper.make_node("MatMul", ["f1_act", "ffn2.w"], ["f2_mm"], name="ffn2"),
        helper.make_node("Add", ["f2_mm", "ffn2.b"], ["f2"], name="ffn2_bias"),
        helper.make_node("Add", ["n1", "f2"], ["res2"], name="residual2"),
        helper.make_node(
            "LayerNormalization",
            ["res2", "ln2.g", "ln2.b"],
            ["hidden"],
            name="ln2",
            axis=-1,
            epsilon=1e-5,
        ),
    ]
    shape: list[str | int] = ["batch", "sequence", d]
    graph = helper.make_graph(
        nodes,
        "encoder",
        [helper.make_tensor_value_info("tokens", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, shape)],
        inits,
    )
    return _model(graph)


GENERATORS: dict[str, Callable[[], onnx.ModelProto]] = {
    "tiny": _tiny,
    "mlp": _mlp,
    "conv": _conv,
    "encoder": _encoder,
}
