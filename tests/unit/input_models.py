"""Small ONNX models, built with onnx.helper, that reproduce real models' input troubles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SAMPLE_RATE = 16000
TABLE_ROWS = 10
PAD = 8  # the reflect Pad needs at least PAD + 1 samples


def _save(path: Path, nodes, inputs, outputs, inits=()) -> Path:
    graph = helper.make_graph(nodes, path.stem, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.save(model, str(path))
    return path


def _vi(name: str, elem: int, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def dotted_dims(folder: Path) -> Path:
    """tokens and mask share dims named batch and p2o.DynamicDimension.0."""
    dims = ["batch", "p2o.DynamicDimension.0"]
    return _save(
        folder / "dotted.onnx",
        [helper.make_node("Add", ["tokens", "mask"], ["y"])],
        [_vi("tokens", TensorProto.FLOAT, dims), _vi("mask", TensorProto.FLOAT, dims)],
        [_vi("y", TensorProto.FLOAT, dims)],
    )


def unnamed_dims(folder: Path) -> Path:
    """image [?, 3, -1, -1]: an unnamed dim and two -1 dims."""
    shape = [None, 3, -1, -1]
    return _save(
        folder / "unnamed.onnx",
        [helper.make_node("Relu", ["image"], ["y"])],
        [_vi("image", TensorProto.FLOAT, shape)],
        [_vi("y", TensorProto.FLOAT, shape)],
    )


def gather_table(folder: Path) -> Path:
    """ids int64 [batch, 8] index a 10-row table."""
    table = np.arange(TABLE_ROWS * 4, dtype=np.float32).reshape(TABLE_ROWS, 4)
    return _save(
        folder / "gather.onnx",
        [helper.make_node("Gather", ["table", "ids"], ["emb"], name="embed")],
        [_vi("ids", TensorProto.INT64, ["batch", 8])],
        [_vi("emb", TensorProto.FLOAT, ["batch", 8, 4])],
        [numpy_helper.from_array(table, "table")],
    )


def sample_rate_if(folder: Path) -> Path:
    """rate (int64 scalar) must be 16000: an If's else branch fails on any other value."""
    then_g = helper.make_graph(
        [helper.make_node("Identity", ["audio"], ["t"])], "then", [],
        [_vi("t", TensorProto.FLOAT, None)],
    )  # fmt: skip
    bad = numpy_helper.from_array(np.array([7, 5], np.int64), "bad_shape")
    else_g = helper.make_graph(
        [helper.make_node("Reshape", ["audio", "bad_shape"], ["e"], name="unsupported_rate")],
        "else", [], [_vi("e", TensorProto.FLOAT, None)], [bad],
    )  # fmt: skip
    want = numpy_helper.from_array(np.array(SAMPLE_RATE, np.int64), "want")
    return _save(
        folder / "rate.onnx",
        [
            helper.make_node("Equal", ["rate", "want"], ["ok"], name="rate_is_16k"),
            helper.make_node(
                "If", ["ok"], ["y"], then_branch=then_g, else_branch=else_g, name="check_rate"
            ),
        ],
        [_vi("rate", TensorProto.INT64, []), _vi("audio", TensorProto.FLOAT, [1, 16])],
        [_vi("y", TensorProto.FLOAT, None)],
        [want],
    )


def reflect_pad(folder: Path) -> Path:
    """samples [1, length] reflect-padded by PAD on each side: length must exceed PAD."""
    pads = numpy_helper.from_array(np.array([0, PAD, 0, PAD], np.int64), "pads")
    return _save(
        folder / "pad.onnx",
        [helper.make_node("Pad", ["samples", "pads"], ["y"], mode="reflect", name="reflect_pad")],
        [_vi("samples", TensorProto.FLOAT, [1, "length"])],
        [_vi("y", TensorProto.FLOAT, None)],
        [pads],
    )


def pb_folder(folder: Path, arrays: dict[str, np.ndarray], named: bool = True) -> Path:
    """The model zoo's test_data_set_0/ layout: input_N.pb TensorProto files."""
    folder.mkdir(parents=True, exist_ok=True)
    for n, (name, arr) in enumerate(arrays.items()):
        proto = numpy_helper.from_array(arr, name if named else "")
        (folder / f"input_{n}.pb").write_bytes(proto.SerializeToString())
    return folder
