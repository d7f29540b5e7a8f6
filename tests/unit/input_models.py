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


def paddle_placeholders(folder: Path) -> Path:
    """x [-1, 3, ?, ?] as Paddle writes it: dim_param "?" for each unknown dim (no shared size)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [-1, 3, "?", "?"])
    return _save(
        folder / "paddle_cls.onnx",
        [helper.make_node("Relu", ["x"], ["y"])],
        [x],
        [_vi("y", TensorProto.FLOAT, ["unk__0", 3, "?", "?"])],
    )


def shared_batch(folder: Path) -> Path:
    """a [batch, 4] and b [batch, 2]: a real symbol ORT does not enforce between inputs."""
    return _save(
        folder / "shared.onnx",
        [
            helper.make_node("ReduceSum", ["a"], ["sa"], keepdims=0),
            helper.make_node("ReduceSum", ["b"], ["sb"], keepdims=0),
        ],
        [_vi("a", TensorProto.FLOAT, ["batch", 4]), _vi("b", TensorProto.FLOAT, ["batch", 2])],
        [_vi("sa", TensorProto.FLOAT, []), _vi("sb", TensorProto.FLOAT, [])],
    )


def strings(folder: Path) -> Path:
    """text string [n]: its shape and an identity (a string output) as a text pipeline has."""
    return _save(
        folder / "strings.onnx",
        [
            helper.make_node("Shape", ["text"], ["n"]),
            helper.make_node("Identity", ["text"], ["echo"]),
        ],
        [_vi("text", TensorProto.STRING, ["n"])],
        [_vi("n", TensorProto.INT64, [1]), _vi("echo", TensorProto.STRING, ["n"])],
    )


def optional_input(folder: Path) -> Path:
    """o optional(tensor(float)[4]): whether it was given, and its element."""
    opt = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [4]))
    graph = helper.make_graph(
        [helper.make_node("OptionalHasElement", ["o"], ["has"])],
        "optional",
        [helper.make_value_info("o", opt)],
        [_vi("has", TensorProto.BOOL, [])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)], ir_version=10)
    path = folder / "optional.onnx"
    onnx.save(model, str(path))
    return path


def sequence_input(folder: Path) -> Path:
    """seq sequence(tensor(float)): how many tensors it holds."""
    seq = helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, ["n"]))
    graph = helper.make_graph(
        [helper.make_node("SequenceLength", ["seq"], ["count"])],
        "sequence",
        [helper.make_value_info("seq", seq)],
        [_vi("count", TensorProto.INT64, [])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    path = folder / "sequence.onnx"
    onnx.save(model, str(path))
    return path


VOCAB = 30522


def text_encoder(folder: Path) -> Path:
    """A MiniLM-like front: input_ids [batch, seq] (cast to int32 on the way) index a
    VOCAB-row embedding, token_type_ids a 2-row one; attention_mask [batch, seq] is float."""
    word = numpy_helper.from_array(np.zeros((VOCAB, 2), np.float32), "word_embeddings")
    kind = numpy_helper.from_array(np.zeros((2, 2), np.float32), "type_embeddings")
    dims = ["batch", "sequence"]
    return _save(
        folder / "encoder.onnx",
        [
            helper.make_node("Cast", ["input_ids"], ["ids32"], to=TensorProto.INT32),
            helper.make_node("Gather", ["word_embeddings", "ids32"], ["we"], name="words"),
            helper.make_node("Gather", ["type_embeddings", "token_type_ids"], ["te"], name="types"),
            helper.make_node("Add", ["we", "te"], ["emb"]),
            helper.make_node("Unsqueeze", ["attention_mask", "axis"], ["m"]),
            helper.make_node("Mul", ["emb", "m"], ["y"]),
        ],
        [
            _vi("input_ids", TensorProto.INT64, dims),
            _vi("token_type_ids", TensorProto.INT64, dims),
            _vi("attention_mask", TensorProto.FLOAT, dims),
        ],
        [_vi("y", TensorProto.FLOAT, [*dims, 2])],
        [word, kind, numpy_helper.from_array(np.array([2], np.int64), "axis")],
    )


def flag_input(folder: Path) -> Path:
    """flag bool []: Not of it."""
    return _save(
        folder / "flag.onnx",
        [helper.make_node("Not", ["flag"], ["y"])],
        [_vi("flag", TensorProto.BOOL, [])],
        [_vi("y", TensorProto.BOOL, [])],
    )
