"""Model inspection: what a benchmark needs to know, from the file alone."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.models import TensorInfo, file_sha256, format_model, inspect_model
from ortbench_tui.samples import sample_path

EXPECTED_IO = {
    "tiny": ([("x", "float32", [1, 16])], [("y", "float32", [1, 16])]),
    "mlp": ([("x", "float32", [1, 256])], [("y", "float32", [1, 10])]),
    "conv": ([("image", "float32", [1, 3, 64, 64])], [("logits", "float32", [1, 10])]),
    "encoder": (
        [("tokens", "float32", ["batch", "sequence", 64])],
        [("hidden", "float32", ["batch", "sequence", 64])],
    ),
}


def _io(tensors: list[TensorInfo]) -> list[tuple]:
    return [(t.name, t.dtype, t.shape) for t in tensors]


def _save(tmp_path: Path, graph: onnx.GraphProto, name: str = "m.onnx", **kw) -> Path:
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    path = tmp_path / name
    onnx.save(model, str(path), **kw)
    return path


@pytest.mark.parametrize("name", list(EXPECTED_IO))
def test_inspect_generated_samples(name: str):
    path = sample_path(name)
    info = inspect_model(path)
    ins, outs = EXPECTED_IO[name]
    assert _io(info.inputs) == ins
    assert _io(info.outputs) == outs
    assert info.opset == 17
    assert info.ir_version == 10
    assert info.producer.startswith("ortbench-samples")
    assert info.path == path
    assert info.name == name
    assert info.file_size_bytes == path.stat().st_size
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.external_data is False

    model = onnx.load(str(path))
    expected_params = sum(int(numpy_helper.to_array(t).size) for t in model.graph.initializer)
    assert info.parameter_count == expected_params > 0
    assert info.node_count == len(model.graph.node) == sum(info.op_type_counts.values())
    counts = list(info.op_type_counts.values())
    assert counts == sorted(counts, reverse=True)


def test_encoder_symbolic_dims_and_ops():
    info = inspect_model(sample_path("encoder"))
    assert info.symbolic_dims == ["batch", "sequence"]
    assert info.inputs[0].symbolic_dims == ["batch", "sequence"]
    assert info.op_type_counts["MatMul"] == 8
    assert info.op_type_counts["LayerNormalization"] == 2
    assert info.op_type_counts["Softmax"] == 1
    assert not inspect_model(sample_path("mlp")).symbolic_dims


def test_mlp_param_count_is_known():
    # 256*1024 + 1024 + 2 * (1024*1024 + 1024) + 1024*10 + 10
    assert inspect_model(sample_path("mlp")).parameter_count == 2_372_618


def test_light_model_initializers_are_not_inputs():
    # IR 3 models list every initializer as a graph input too; only real inputs count
    info = inspect_model(sample_path("resnet50-light"))
    assert _io(info.inputs) == [("gpu_0/data_0", "float32", [1, 3, 224, 224])]
    assert info.ir_version == 3 and info.opset == 9
    assert info.op_type_counts["Conv"] == 53


def test_to_dict_is_json_safe():
    info = inspect_model(sample_path("encoder"))
    d = json.loads(json.dumps(info.to_dict()))
    assert d["path"] == str(info.path)
    assert d["inputs"][0] == {
        "name": "tokens",
        "dtype": "float32",
        "shape": ["batch", "sequence", 64],
        "symbolic_dims": ["batch", "sequence"],
        "dynamic_dims": [0, 1],
        "kind": "tensor",
        "default": "",
        "default_reason": "",
    }
    assert d["symbolic_dims"] == ["batch", "sequence"]
    assert d["shape_flags"] == "--shape tokens=1x1x64"
    assert d["op_type_counts"] == info.op_type_counts
    assert d["parameter_count"] == info.parameter_count


def test_text_file_is_not_onnx(tmp_path: Path):
    path = tmp_path / "notes.onnx"
    path.write_text("hello, this is not a model\n")
    with pytest.raises(OrtbenchError, match="is not a valid ONNX model") as exc:
        inspect_model(path)
    assert str(path) in str(exc.value)


def test_truncated_file_is_not_onnx(tmp_path: Path):
    data = sample_path("mlp").read_bytes()
    path = tmp_path / "half.onnx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(OrtbenchError, match="is not a valid ONNX model") as exc:
        inspect_model(path)
    assert str(path) in str(exc.value)


def test_empty_file_is_not_onnx(tmp_path: Path):
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    with pytest.raises(OrtbenchError, match=r"empty\.onnx is not a valid ONNX model: .*empty"):
        inspect_model(path)


def test_missing_file_and_directory(tmp_path: Path):
    missing = tmp_path / "nope.onnx"
    with pytest.raises(OrtbenchError, match=f"model file not found: {missing}"):
        inspect_model(missing)
    with pytest.raises(OrtbenchError, match="not found"):
        file_sha256(missing)
    with pytest.raises(OrtbenchError, match="directory"):
        inspect_model(tmp_path)


def test_file_sha256_streams_any_file(tmp_path: Path):
    path = tmp_path / "blob"
    data = np.random.default_rng(0).bytes(3 * (1 << 20) + 7)  # more than one chunk
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_dtypes_unnamed_and_unknown_dims(tmp_path: Path):
    types = {
        "f16": TensorProto.FLOAT16,
        "f64": TensorProto.DOUBLE,
        "i8": TensorProto.INT8,
        "i64": TensorProto.INT64,
        "u8": TensorProto.UINT8,
        "b": TensorProto.BOOL,
        "s": TensorProto.STRING,
    }
    inputs = [helper.make_tensor_value_info(n, t, [None, 3]) for n, t in types.items()]
    inputs.append(helper.make_tensor_value_info("norank", TensorProto.FLOAT, None))
    outputs = [helper.make_tensor_value_info(f"{n}_out", t, None) for n, t in types.items()]
    nodes = [helper.make_node("Identity", [n], [f"{n}_out"]) for n in types]
    path = _save(tmp_path, helper.make_graph(nodes, "g", inputs, outputs))

    info = inspect_model(path)
    got = {t.name: t for t in info.inputs}
    assert {n: got[n].dtype for n in types} == {
        "f16": "float16", "f64": "float64", "i8": "int8", "i64": "int64",
        "u8": "uint8", "b": "bool", "s": "string",
    }  # fmt: skip
    assert got["i64"].shape == [None, 3]
    assert got["i64"].symbolic_dims == []
    assert got["norank"].has_shape is False
    assert got["norank"].to_dict()["shape"] is None
    assert info.symbolic_dims == []
    assert got["i64"].dynamic_dims == [0] and got["norank"].dynamic_dims == []
    assert info.parameter_count == 0
    text = format_model(info)
    assert "i64  int64  [?, 3]  dynamic: ? (#0)" in text and "rank unknown" in text
    assert "--shape i64=1x3" in text and "free_dimensions" not in text


def test_subgraph_ops_and_custom_domains_are_counted(tmp_path: Path):
    then_g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["t"])], "then", [],
        [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])],
    )  # fmt: skip
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"])], "else", [],
        [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])],
    )  # fmt: skip
    nodes = [
        helper.make_node("If", ["c"], ["y"], then_branch=then_g, else_branch=else_g),
        helper.make_node("Gelu", ["y"], ["z"], domain="com.microsoft"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [
            helper.make_tensor_value_info("c", TensorProto.BOOL, []),
            helper.make_tensor_value_info("x", TensorProto.FLOAT, [2]),
        ],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2])],
    )
    info = inspect_model(_save(tmp_path, graph))
    assert info.op_type_counts == {"com.microsoft.Gelu": 1, "If": 1, "Neg": 1, "Relu": 1}
    assert info.node_count == 4
    assert info.inputs[0].shape == []  # a scalar is a known rank-0 shape


def test_external_data_detected_without_loading_it(tmp_path: Path):
    w = np.arange(4096, dtype=np.float32).reshape(64, 64)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "ext",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 64])],
        [numpy_helper.from_array(w, "w")],
    )
    path = _save(
        tmp_path, graph, save_as_external_data=True, location="weights.bin", size_threshold=0
    )
    (tmp_path / "weights.bin").unlink()  # inspection must not need the weights
    info = inspect_model(path)
    assert info.external_data is True
    assert info.parameter_count == 4096
    assert info.symbolic_dims == ["batch"]
    assert "external data" in format_model(info)


def test_format_model_mentions_the_essentials():
    info = inspect_model(sample_path("encoder"))
    text = format_model(info)
    for needle in (
        "encoder",
        str(info.path),
        "opset      17",
        "ir 10",
        "ortbench-samples",
        "tokens  float32  [batch, sequence, 64]",
        "dynamic: batch (#0), sequence (#1)",
        "--shape tokens=1x1x64",
        "free_dimensions = { batch = 1, sequence = 1 }",
        "MatMul 8",
    ):
        assert needle in text, needle


def test_encoder_attention_scale_is_a_scalar():
    model = onnx.load(str(sample_path("encoder")))
    scale = {t.name: t for t in model.graph.initializer}["attn_scale"]
    assert list(scale.dims) == []
