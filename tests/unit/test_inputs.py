"""Inputs per model: flags and saved specs, every unset dim at once, values that suit the model,
and a record of what each run fed. Each trouble is reproduced by a model in input_models."""

from __future__ import annotations

import hashlib
import json
import pickle
import shlex
import tomllib
from pathlib import Path

import input_models as im
import numpy as np
import onnxruntime as ort
import pytest

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.feeds import describe_inputs, prepare_inputs
from ortbench_tui.inputs import (
    InputSpec,
    ValueSpec,
    dumps_spec,
    load_spec,
    parse_value_spec,
    spec_from_flags,
    validate_spec,
)
from ortbench_tui.inputs.store import load_saved_spec, save_spec, saved_spec_path
from ortbench_tui.models import TensorInfo, format_model, inspect_model
from ortbench_tui.run_errors import explain_run_error


def _run(path: Path, spec: InputSpec, free_dims: dict[str, int] | None = None, sets: int = 1):
    """Feeds from the engine, run by a bare ORT session: what the worker will do."""
    info = inspect_model(path)
    prepared = prepare_inputs(info.inputs, spec, free_dims or {}, seed=0, sets=sets)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for feed in prepared.sets:
        sess.run(None, feed)
    return prepared


def _ort_failure(path: Path, spec: InputSpec) -> str:
    info = inspect_model(path)
    prepared = prepare_inputs(info.inputs, spec, {})
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception) as exc:  # ORT's own exception classes
        sess.run(None, prepared.sets[0])
    assert not isinstance(exc.value, ValueError)
    return explain_run_error(exc.value, prepared.records)


def _missing(path: Path, spec: InputSpec | None = None, free: dict[str, int] | None = None) -> str:
    with pytest.raises(OrtbenchError) as exc:
        prepare_inputs(inspect_model(path).inputs, spec or InputSpec(), free or {})
    return str(exc.value)


def _pasted(msg: str) -> InputSpec:
    """The --shape line of an error message, parsed as a shell would split it."""
    line = next(ln for ln in msg.splitlines() if ln.strip().startswith("--shape"))
    words = shlex.split(line)
    return spec_from_flags(shapes=words[1::2])


def _toml_block(msg: str) -> dict:
    lines = msg.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("[inputs"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("named dims")) if (
        "named dims" in msg) else len(lines)  # fmt: skip
    return tomllib.loads("\n".join(ln.strip() for ln in lines[start:end]))


# ------------------------------------------------------------------ flags and specs


def test_shape_flag_splits_at_the_last_equals():
    spec = spec_from_flags(shapes=["enc:0=a=1x3x640x640", "scalar="])
    assert spec.shapes == {"enc:0=a": (1, 3, 640, 640), "scalar": ()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16000", ValueSpec("const", 16000)),
        ("-0.5", ValueSpec("const", -0.5)),
        ("int:-5..5", ValueSpec("int", -5, 5)),
        ("uniform:-1.5..2", ValueSpec("uniform", -1.5, 2)),
        ("normal", ValueSpec("normal")),
        ("zeros", ValueSpec("zeros")),
        ("ones", ValueSpec("ones")),
        ("data/x.npy", ValueSpec("npy", path="data/x.npy")),
    ],
)
def test_value_specs_parse_and_print_back(text: str, expected: ValueSpec):
    got = parse_value_spec(text, "--input x")
    assert got == expected
    assert parse_value_spec(got.text, "--input x") == got


@pytest.mark.parametrize(
    ("flag", "needle"),
    [
        ("ids=int:5..1", "range 'int:5..1' is empty"),
        ("ids=int:0.5..3", "needs integer bounds"),
        ("ids=gaussian", "unknown value spec 'gaussian'"),
        ("ids=uniform:a..3", "'a' is not a number"),
        ("noequals", "expected NAME=VALUE"),
    ],
)
def test_bad_value_flags_say_what_was_expected(flag: str, needle: str):
    with pytest.raises(OrtbenchError, match="--input") as exc:
        spec_from_flags(values=[flag])
    assert needle in str(exc.value)


def test_bad_shape_flags_and_repeats():
    with pytest.raises(OrtbenchError, match="dims are positive integers"):
        spec_from_flags(shapes=["x=1x0"])
    with pytest.raises(OrtbenchError, match="'x' is given more than once"):
        spec_from_flags(shapes=["x=1", "x=2"])


INPUTS = [
    TensorInfo("ids", "int64", ["batch", 8]),
    TensorInfo("pixels", "uint8", [1, 4]),
    TensorInfo("temp", "float32", []),
]


@pytest.mark.parametrize(
    ("spec", "needle"),
    [
        (spec_from_flags(shapes=["idz=1x8"]), "unknown input 'idz'; the model's inputs are 'ids'"),
        (spec_from_flags(values=["idz=1"]), "unknown input 'idz'"),
        (spec_from_flags(shapes=["ids=1x8x2"]), "'ids' has rank 2 [batch, 8], got 3 dims"),
        (spec_from_flags(shapes=["ids=1x9"]), "dim #1 of 'ids' is fixed at 8"),
        (spec_from_flags(values=["pixels=int:0..300"]), "integers in 0..255"),
        (spec_from_flags(values=["ids=uniform:0..1"]), "'ids' is int64; uniform gives fractions"),
        (spec_from_flags(values=["ids=2.5"]), "'ids' is int64; expected integers"),
    ],
)  # fmt: skip
def test_spec_checked_against_the_model(spec: InputSpec, needle: str):
    with pytest.raises(OrtbenchError) as exc:
        validate_spec(spec, INPUTS)
    assert needle in str(exc.value)


def test_spec_toml_round_trip_with_dotted_names(tmp_path: Path):
    spec = spec_from_flags(
        shapes=["p2o.x:0=1x128", "tokens=2x16"], values=["p2o.x:0=int:0..9", "rate=16000"]
    )
    text = dumps_spec(spec, model="/m.onnx")
    assert '[inputs."p2o.x:0"]' in text and 'shape = "1x128"' in text
    path = tmp_path / "spec.toml"
    path.write_text(text)
    assert load_spec(path) == spec


def test_spec_file_errors_name_file_and_key(tmp_path: Path):
    path = tmp_path / "spec.toml"
    path.write_text('[inputs.ids]\nshape = "1x8"\nvalue = "int:0..9"\n')
    with pytest.raises(OrtbenchError, match=r"spec\.toml: inputs\.ids must be a table"):
        load_spec(path)
    path.write_text('[inputs.ids]\nvalues = "int:9..0"\n')
    with pytest.raises(OrtbenchError, match=r"spec\.toml: inputs\.ids\.values: range .* empty"):
        load_spec(path)


def test_inputs_flag_takes_a_saved_spec_and_flags_override_it(tmp_path: Path):
    path = tmp_path / "gather.toml"
    path.write_text('[inputs.ids]\nshape = "2x8"\nvalues = "int:0..100"\n')
    spec = spec_from_flags(values=["ids=int:0..9"], files=str(path))
    assert spec.shapes == {"ids": (2, 8)} and spec.values == {"ids": ValueSpec("int", 0, 9)}


def test_saved_spec_per_model(tmp_path: Path, isolated_dirs: Path):
    model = im.gather_table(tmp_path)
    assert load_saved_spec(model) is None
    spec = spec_from_flags(shapes=["ids=1x8"], values=["ids=int:0..9"])
    path = save_spec(model, spec)
    assert path == saved_spec_path(model) and path.parent == isolated_dirs / "inputs"
    assert path.name.startswith("gather-") and path.suffix == ".toml"
    assert load_saved_spec(model) == spec
    assert tomllib.loads(path.read_text())["model"] == str(model.resolve())
    save_spec(model, InputSpec(shapes={"ids": (4, 8)}))  # replaced, never half written
    assert load_saved_spec(model) == InputSpec(shapes={"ids": (4, 8)})
    assert saved_spec_path("sample:encoder") != saved_spec_path(model)


# ------------------------------------------------------------------ dims


def test_dotted_dims_listed_at_once_with_lines_to_paste(tmp_path: Path):
    path = im.dotted_dims(tmp_path)
    msg = _missing(path)
    assert "tokens  float32  [batch, p2o.DynamicDimension.0]  unset: batch (#0), " in msg
    assert "mask  float32" in msg
    assert "--shape tokens=1x1 --shape mask=1x1" in msg
    assert _toml_block(msg) == {"inputs": {"tokens": {"shape": "1x1"}, "mask": {"shape": "1x1"}}}
    free = tomllib.loads(msg.splitlines()[-1].strip())["free_dimensions"]
    assert free == {"batch": 1, "p2o.DynamicDimension.0": 1}
    assert '"p2o.DynamicDimension.0" = 1' in msg
    prepared = _run(path, _pasted(msg))
    assert [r.shape for r in prepared.records] == [(1, 1), (1, 1)]


def test_one_shape_sizes_the_named_dims_it_shares(tmp_path: Path):
    path = im.dotted_dims(tmp_path)
    prepared = _run(path, spec_from_flags(shapes=["tokens=2x5"]))
    assert [r.shape for r in prepared.records] == [(2, 5), (2, 5)]
    # two full --shape flags that give a named dim two sizes: each wins for its input, and
    # a warning names both (ORT does not enforce named dims between inputs)
    stated = spec_from_flags(shapes=["tokens=2x5", "mask=2x6"])
    prepared = prepare_inputs(inspect_model(path).inputs, stated, {})
    assert [r.shape for r in prepared.records] == [(2, 5), (2, 6)]
    (warning,) = prepared.warnings
    assert "'p2o.DynamicDimension.0'" in warning
    assert "--shape mask=2x6 makes it 6" in warning and "--shape tokens=2x5 makes it 5" in warning


def test_free_dimensions_size_dims_and_must_agree_with_shapes(tmp_path: Path):
    path = im.dotted_dims(tmp_path)
    free = {"batch": 1, "p2o.DynamicDimension.0": 3}
    assert [r.shape for r in _run(path, InputSpec(), free).records] == [(1, 3), (1, 3)]
    msg = _missing(path, spec_from_flags(shapes=["tokens=2x3"]), free)
    assert "--shape tokens=2x3 makes it 2" in msg
    assert "the profile's free_dimensions sets batch = 1" in msg


def test_unnamed_and_minus_one_dims(tmp_path: Path):
    path = im.unnamed_dims(tmp_path)
    msg = _missing(path)
    assert "image  float32  [?, 3, -1, -1]  unset: ? (#0), -1 (#2), -1 (#3)" in msg
    assert "--shape image=1x3x1x1" in msg and "free_dimensions" not in msg
    prepared = _run(path, spec_from_flags(shapes=["image=2x3x32x32"]))
    assert prepared.records[0].shape == (2, 3, 32, 32)


def test_models_marks_every_dynamic_dim(tmp_path: Path):
    info = inspect_model(im.unnamed_dims(tmp_path))
    assert info.inputs[0].dynamic_dims == [0, 2, 3]
    assert info.to_dict()["inputs"][0]["dynamic_dims"] == [0, 2, 3]
    assert info.to_dict()["shape_flags"] == "--shape image=1x3x1x1"
    text = format_model(info)
    assert "image  float32  [?, 3, -1, -1]  dynamic: ? (#0), -1 (#2), -1 (#3)" in text
    assert "--shape image=1x3x1x1" in text
    dotted = format_model(inspect_model(im.dotted_dims(tmp_path)))
    assert 'free_dimensions = { batch = 1, "p2o.DynamicDimension.0" = 1 }' in dotted


# ------------------------------------------------------------------ values that suit the model


def test_gather_on_a_small_table(tmp_path: Path):
    path = im.gather_table(tmp_path)
    too_wide = spec_from_flags(shapes=["ids=1x8"], values=["ids=int:0..100"])
    msg = _ort_failure(path, too_wide)  # 0..100 overruns 10 rows
    assert "Gather node 'embed'" in msg and "out of data bounds" in msg
    assert "ids  int64  [1, 8]  int:0..100  seed 0" in msg
    assert "--input ids=int:0..9" in msg
    # by default the ids stay within the table the graph gathers from
    prepared = _run(path, spec_from_flags(shapes=["ids=1x8"]), sets=3)
    assert prepared.records[0].source["spec"] == f"int:0..{im.TABLE_ROWS - 1}"
    assert all(int(f["ids"].max()) <= 9 for f in prepared.sets)


def test_scalar_checked_by_an_if(tmp_path: Path):
    path = im.sample_rate_if(tmp_path)
    msg = _ort_failure(path, spec_from_flags(values=["rate=8000"]))
    assert "If node 'check_rate' > Reshape node 'unsupported_rate'" in msg
    assert "--input rate=1" in msg and "VALUE" not in msg  # a flag that runs as typed
    # by default the rate is the constant the graph's Equal tests
    prepared = _run(path, InputSpec())
    assert int(prepared.sets[0]["rate"]) == im.SAMPLE_RATE and prepared.sets[0]["rate"].shape == ()


def test_pad_needs_a_long_enough_input(tmp_path: Path):
    path = im.reflect_pad(tmp_path)
    assert "samples  float32  [1, length]  unset: length (#1)" in _missing(path)
    msg = _ort_failure(path, spec_from_flags(shapes=["samples=1x4"]))
    assert "Pad node 'reflect_pad'" in msg and "--shape NAME=AxB" in msg
    _run(path, spec_from_flags(shapes=[f"samples=1x{im.PAD + 1}"]))


def test_generators_fill_as_asked(tmp_path: Path):
    ins = [TensorInfo("a", "float32", [1000]), TensorInfo("b", "float16", [4]),
           TensorInfo("c", "int32", [1000]), TensorInfo("d", "bool", [3])]  # fmt: skip
    spec = spec_from_flags(values=["a=uniform:2..3", "b=0.5", "c=int:-3..3", "d=ones"])
    (feed,) = prepare_inputs(ins, spec, {}).sets
    assert 2 <= feed["a"].min() and feed["a"].max() <= 3 and feed["a"].dtype == np.float32
    assert feed["b"].tolist() == [0.5] * 4 and feed["b"].dtype == np.float16
    assert set(feed["c"].tolist()) == set(range(-3, 4))
    assert feed["d"].all() and feed["d"].dtype == np.bool_


# ------------------------------------------------------------------ files and records


def test_records_say_where_values_came_from(tmp_path: Path):
    path = im.gather_table(tmp_path)
    npy = tmp_path / "ids.npy"
    np.save(npy, np.arange(8, dtype=np.int64).reshape(1, 8))
    prepared = _run(path, spec_from_flags(values=[f"ids={npy}"]))
    (rec,) = prepared.records_dicts()
    digest = hashlib.sha256(npy.read_bytes()).hexdigest()
    assert rec == {
        "name": "ids", "dtype": "int64", "shape": [1, 8],
        "source": {"kind": "file", "path": str(npy), "sha256": digest},
    }  # fmt: skip
    generated = prepare_inputs(
        inspect_model(path).inputs, spec_from_flags(values=["ids=int:0..9"]), {"batch": 2},
        seed=5, sets=3,
    ).records_dicts()  # fmt: skip
    assert generated[0]["source"] == {
        "kind": "generator",
        "spec": "int:0..9",
        "default": False,
        "seed": 5,
        "sets": 3,
    }
    assert json.loads(json.dumps(generated)) == generated
    assert "sha256 " + digest[:12] in describe_inputs(prepared.records)[0]


def test_npy_of_the_wrong_dtype_or_shape(tmp_path: Path):
    path = im.gather_table(tmp_path)
    npy = tmp_path / "ids.npy"
    np.save(npy, np.zeros((1, 8), np.int32))
    with pytest.raises(
        OrtbenchError, match=r"ids\.npy: input 'ids' expects dtype int64, got int32"
    ):
        _run(path, spec_from_flags(values=[f"ids={npy}"]))
    np.save(npy, np.zeros((1, 9), np.int64))
    with pytest.raises(OrtbenchError, match=r"dim #1 of input 'ids' is fixed at 8 .* got 9"):
        _run(path, spec_from_flags(values=[f"ids={npy}"]))


def test_pickles_are_refused(tmp_path: Path):
    path = im.gather_table(tmp_path)
    npz = tmp_path / "objects.npz"
    np.savez(npz, ids=np.array([{"a": 1}], dtype=object))
    with pytest.raises(OrtbenchError, match=r"objects\.npz: it holds pickled objects"):
        _run(path, InputSpec(files=str(npz)))
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps({"ids": [1, 2]}))
    with pytest.raises(OrtbenchError, match=r"raw\.npz: it holds pickled objects"):
        _run(path, InputSpec(files=str(raw)))
    npy = tmp_path / "obj.npy"
    np.save(npy, np.array([None]), allow_pickle=True)
    with pytest.raises(OrtbenchError, match=r"obj\.npy: input 'ids': it holds pickled objects"):
        _run(path, spec_from_flags(values=[f"ids={npy}"]))


@pytest.mark.parametrize("named", [True, False])
def test_model_zoo_pb_folder(tmp_path: Path, named: bool):
    path = im.sample_rate_if(tmp_path)
    rate = np.array(im.SAMPLE_RATE, np.int64)
    audio = np.ones((1, 16), np.float32)
    folder = im.pb_folder(tmp_path / "test_data_set_0", {"rate": rate, "audio": audio}, named)
    prepared = _run(path, InputSpec(files=str(folder)))
    assert [r.source["array"] for r in prepared.records] == ["input_0.pb", "input_1.pb"]
    assert int(prepared.sets[0]["rate"]) == im.SAMPLE_RATE


def test_file_set_and_input_flags_combine_but_never_twice(tmp_path: Path):
    path = im.sample_rate_if(tmp_path)
    npz = tmp_path / "audio.npz"
    np.savez(npz, audio=np.ones((1, 16), np.float32))
    spec = spec_from_flags(values=[f"rate={im.SAMPLE_RATE}"], files=str(npz))
    assert [r.source["kind"] for r in _run(path, spec).records] == ["generator", "file"]
    with pytest.raises(OrtbenchError, match=r"missing array for input\(s\) 'rate'"):
        _run(path, InputSpec(files=str(npz)))
    both = tmp_path / "both.npz"
    np.savez(both, audio=np.ones((1, 16), np.float32), rate=rate_array())
    with pytest.raises(OrtbenchError, match="'rate' is given twice"):
        _run(path, spec_from_flags(values=["rate=16000"], files=str(both)))


def rate_array() -> np.ndarray:
    return np.array(im.SAMPLE_RATE, np.int64)
