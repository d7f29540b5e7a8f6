"""Feeds: seeded random inputs of every dtype, and user arrays from .npz files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.feeds import concrete_shape, load_npz_feeds, make_feeds, prepare_inputs
from ortbench_tui.inputs import InputSpec
from ortbench_tui.models import TensorInfo, inspect_model

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]
ONNX_TYPES = {
    "float16": TensorProto.FLOAT16, "float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE,
    "int8": TensorProto.INT8, "int16": TensorProto.INT16, "int32": TensorProto.INT32,
    "int64": TensorProto.INT64, "uint8": TensorProto.UINT8, "bool": TensorProto.BOOL,
}  # fmt: skip


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "cache"
    monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(root))
    return root


# ------------------------------------------------------------------ concrete_shape


def test_concrete_shape_fixed_and_symbolic():
    t = TensorInfo("tokens", "float32", ["batch", "sequence", 64])
    assert concrete_shape(t, {"batch": 2, "sequence": 8, "other": 5}) == (2, 8, 64)
    assert concrete_shape(TensorInfo("x", "float32", [1, 16]), {}) == (1, 16)
    assert concrete_shape(TensorInfo("s", "float32", []), {}) == ()


def test_unset_symbolic_dim_names_input_and_dim():
    t = TensorInfo("tokens", "float32", ["batch", "sequence", 64])
    with pytest.raises(OrtbenchError) as exc:
        concrete_shape(t, {"batch": 1})
    msg = str(exc.value)
    assert "tokens  float32  [batch, sequence, 64]  unset: sequence (#1)" in msg
    assert "--shape tokens=1x1x64" in msg  # batch's size is known, the rest stands as 1
    assert "free_dimensions = { sequence = 1 }" in msg


def test_unnamed_dim_error_says_which_dim():
    t = TensorInfo("x", "float32", [1, None, 4])
    with pytest.raises(OrtbenchError, match=r"x  float32  \[1, \?, 4\]  unset: \? \(#1\)"):
        concrete_shape(t, {})


def test_unknown_rank_and_bad_free_dim():
    with pytest.raises(OrtbenchError, match="rank unknown"):
        concrete_shape(TensorInfo("x", "float32", [], has_shape=False), {})
    with pytest.raises(OrtbenchError, match="free_dimensions.batch"):
        concrete_shape(TensorInfo("x", "float32", ["batch"]), {"batch": -1})


# ------------------------------------------------------------------ make_feeds


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype(dtype: str):
    t = TensorInfo("in", dtype, ["batch", 50, 40])
    (feed,) = make_feeds([t], {"batch": 3})
    arr = feed["in"]
    assert arr.dtype == np.dtype(dtype)
    assert arr.shape == (3, 50, 40)
    assert arr.flags.c_contiguous
    if dtype.startswith("float"):
        assert abs(float(arr.astype(np.float64).mean())) < 0.1
        assert 0.9 < float(arr.astype(np.float64).std()) < 1.1
    elif dtype == "uint8":
        assert arr.min() >= 0 and arr.max() <= 255 and arr.max() > 200
    elif dtype == "bool":
        assert 0.4 < arr.mean() < 0.6
    else:
        assert arr.min() >= 0 and arr.max() <= 100  # stays a valid index
        assert len(np.unique(arr)) > 50


def test_scalar_input_is_an_array():
    (feed,) = make_feeds([TensorInfo("s", "int64", [])], {})
    assert isinstance(feed["s"], np.ndarray) and feed["s"].shape == ()


def test_seeds_and_sets():
    inputs = [TensorInfo("a", "float32", [4, 8]), TensorInfo("b", "int64", [16])]
    one = make_feeds(inputs, {}, seed=7, sets=3)
    two = make_feeds(inputs, {}, seed=7, sets=3)
    other = make_feeds(inputs, {}, seed=8, sets=3)
    assert len(one) == 3
    for x, y in zip(one, two, strict=True):
        for name in ("a", "b"):
            np.testing.assert_array_equal(x[name], y[name])
    assert not np.array_equal(one[0]["a"], one[1]["a"])
    assert not np.array_equal(one[1]["a"], one[2]["a"])
    assert not np.array_equal(one[0]["b"], one[1]["b"])
    assert not np.array_equal(one[0]["a"], other[0]["a"])
    # the first set does not depend on how many sets are asked for
    np.testing.assert_array_equal(make_feeds(inputs, {}, seed=7, sets=1)[0]["a"], one[0]["a"])


def test_unsupported_dtypes_and_sets():
    (strings,) = make_feeds([TensorInfo("s", "string", [2])], {})  # strings are generated now
    assert strings["s"].dtype == object and all(isinstance(w, str) for w in strings["s"])
    with pytest.raises(OrtbenchError, match="complex64"):
        make_feeds([TensorInfo("c", "complex64", [2])], {})
    with pytest.raises(OrtbenchError, match="at least 1"):
        make_feeds([TensorInfo("x", "float32", [2])], {}, sets=0)
    with pytest.raises(OrtbenchError, match=r"unset: batch \(#0\)"):
        make_feeds([TensorInfo("x", "float32", ["batch", 2])], {})


def test_feeds_of_every_dtype_run_in_ort(tmp_path: Path):
    """ORT accepts what make_feeds builds: dtype, shape and layout all match the model."""
    inputs = [helper.make_tensor_value_info(d, ONNX_TYPES[d], ["batch", 3]) for d in DTYPES]
    outputs = [helper.make_tensor_value_info(f"{d}_o", ONNX_TYPES[d], ["batch", 3]) for d in DTYPES]
    nodes = [helper.make_node("Identity", [d], [f"{d}_o"]) for d in DTYPES]
    model = helper.make_model(
        helper.make_graph(nodes, "ids", inputs, outputs),
        opset_imports=[helper.make_opsetid("", 17)],
        ir_version=10,
    )
    path = tmp_path / "ids.onnx"
    onnx.save(model, str(path))
    feeds = make_feeds(inspect_model(path).inputs, {"batch": 2}, seed=1, sets=2)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for feed in feeds:
        for d, out in zip(DTYPES, sess.run(None, feed), strict=True):
            np.testing.assert_array_equal(out, feed[d])


# ------------------------------------------------------------------ load_npz_feeds

TOKENS = TensorInfo("tokens", "float32", ["batch", "sequence", 64])
MASK = TensorInfo("mask", "int64", ["batch", "sequence"])
INPUTS = [TOKENS, MASK]


def _npz(tmp_path: Path, **arrays: np.ndarray) -> Path:
    path = tmp_path / "inputs.npz"
    np.savez(path, **arrays)
    return path


def _tok(*shape: int) -> np.ndarray:
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


def test_npz_single_set(tmp_path: Path):
    tokens, mask = _tok(2, 5, 64), np.ones((2, 5), np.int64)
    sets = load_npz_feeds(_npz(tmp_path, tokens=tokens, mask=mask), INPUTS, {})
    assert len(sets) == 1
    np.testing.assert_array_equal(sets[0]["tokens"], tokens)
    np.testing.assert_array_equal(sets[0]["mask"], mask)
    assert all(a.flags.c_contiguous for a in sets[0].values())


def test_npz_leading_axis_is_k_sets(tmp_path: Path):
    tokens = _tok(3, 1, 4, 64)  # K=3 sets of [1, 4, 64]
    mask = np.ones((1, 4), np.int64)  # no leading axis: reused by every set
    sets = load_npz_feeds(_npz(tmp_path, tokens=tokens, mask=mask), INPUTS, {"batch": 1})
    assert len(sets) == 3
    for k, feed in enumerate(sets):
        np.testing.assert_array_equal(feed["tokens"], tokens[k])
        assert feed["tokens"].shape == (1, 4, 64) and feed["tokens"].flags.c_contiguous
        np.testing.assert_array_equal(feed["mask"], mask)


def test_npz_feeds_run_the_encoder(tmp_path: Path, cache_dir: Path):
    from ortbench_tui.samples import sample_path

    path = sample_path("encoder")
    info = inspect_model(path)
    npz = _npz(tmp_path, tokens=_tok(2, 1, 6, 64))
    sets = load_npz_feeds(npz, info.inputs, {})
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [sess.run(None, f)[0].shape for f in sets] == [(1, 6, 64), (1, 6, 64)]


def test_npz_missing_input(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(1, 4, 64))
    with pytest.raises(OrtbenchError, match=r"inputs\.npz: missing array for input\(s\) 'mask'"):
        load_npz_feeds(path, INPUTS, {})


def test_npz_extra_name(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(1, 4, 64), mask=np.ones((1, 4), np.int64), junk=_tok(1))
    with pytest.raises(OrtbenchError, match=r"inputs\.npz: array\(s\) 'junk' match no model input"):
        load_npz_feeds(path, INPUTS, {})


def test_npz_wrong_dtype(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(1, 4, 64).astype(np.float64), mask=np.ones((1, 4), np.int64))
    with pytest.raises(OrtbenchError) as exc:
        load_npz_feeds(path, INPUTS, {})
    msg = str(exc.value)
    assert str(path) in msg and "'tokens'" in msg and "float32" in msg and "float64" in msg


def test_npz_fixed_dim_mismatch(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(1, 4, 32), mask=np.ones((1, 4), np.int64))
    with pytest.raises(OrtbenchError) as exc:
        load_npz_feeds(path, INPUTS, {})
    msg = str(exc.value)
    assert "'tokens'" in msg and "[batch, sequence, 64]" in msg and "[1, 4, 32]" in msg
    assert "dim #2" in msg and "fixed at 64" in msg


def test_npz_rank_mismatch(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(4, 64), mask=np.ones((1, 4), np.int64))
    with pytest.raises(OrtbenchError, match=r"'tokens' expects shape .* got \[4, 64\]"):
        load_npz_feeds(path, INPUTS, {})


def test_npz_symbolic_dim_fixed_by_free_dims(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(2, 4, 64), mask=np.ones((2, 4), np.int64))
    assert len(load_npz_feeds(path, INPUTS, {})) == 1  # any size when not fixed
    with pytest.raises(
        OrtbenchError, match=r"array \[2, 4, 64\] for 'tokens' .* free_dimensions sets batch = 1"
    ):
        load_npz_feeds(path, INPUTS, {"batch": 1})


def test_npz_arrays_that_disagree_on_a_named_dim_are_fed_with_a_warning(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(1, 4, 64), mask=np.ones((1, 5), np.int64))
    prepared = prepare_inputs(INPUTS, InputSpec(files=str(path)), {})
    assert [r.shape for r in prepared.records] == [(1, 4, 64), (1, 5)]
    (warning,) = prepared.warnings
    assert "named dim 'sequence' has two sizes" in warning and "makes it 4" in warning


def test_npz_inconsistent_set_counts(tmp_path: Path):
    path = _npz(tmp_path, tokens=_tok(3, 1, 4, 64), mask=np.ones((2, 1, 4), np.int64))
    with pytest.raises(OrtbenchError, match="holds 2 sets .* other inputs hold 3"):
        load_npz_feeds(path, INPUTS, {})


def test_npz_not_a_file_or_not_npz(tmp_path: Path):
    with pytest.raises(OrtbenchError, match="input file not found"):
        load_npz_feeds(tmp_path / "nope.npz", INPUTS, {})
    bad = tmp_path / "bad.npz"
    bad.write_text("not a zip")
    with pytest.raises(OrtbenchError, match=r"bad\.npz is not an \.npz file \(not a zip") as info:
        load_npz_feeds(bad, INPUTS, {})
    assert "pickle" not in str(info.value)


def test_npz_member_that_is_not_an_npy_is_named(tmp_path: Path):
    import zipfile

    path = tmp_path / "odd.npz"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("tokens.npy", b"not an npy at all")
        z.writestr("mask.npy", b"nor this")
    with pytest.raises(OrtbenchError, match=r"odd\.npz: member 'tokens' is not an \.npy array"):
        load_npz_feeds(path, INPUTS, {})


def test_npz_that_is_a_folder_says_so(tmp_path: Path):
    folder = tmp_path / "in.npz"
    folder.mkdir()
    with pytest.raises(OrtbenchError, match=r"in\.npz is a folder, not an \.npz file"):
        load_npz_feeds(folder, INPUTS, {})
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(OrtbenchError, match=r"pipe\.npz is a named pipe"):
        load_npz_feeds(fifo, INPUTS, {})


def test_npz_scalar_input_keeps_rank_0(tmp_path: Path):
    scalar = TensorInfo("temperature", "float32", [])
    path = _npz(tmp_path, temperature=np.array(0.5, np.float32))
    (feed,) = load_npz_feeds(path, [scalar], {})
    assert feed["temperature"].shape == ()
    stacked = _npz(tmp_path, temperature=np.array([0.5, 1.0], np.float32))
    assert [f["temperature"].shape for f in load_npz_feeds(stacked, [scalar], {})] == [(), ()]
