"""Every model ORT can run, ortbench feeds: placeholder dims, string, optional and sequence
inputs, defaults read from the graph, true/false for bools. Each kind is a model made with
onnx.helper (tests/unit/input_models.py), fed by the engine and run by a bare ORT session."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import input_models as im
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import numpy_helper

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.feeds import default_for, describe_inputs, prepare_inputs
from ortbench_tui.inputs import InputSpec, parse_value_spec, spec_from_flags
from ortbench_tui.models import inspect_model
from ortbench_tui.run_errors import explain_run_error


def _run(path: Path, spec: InputSpec, sets: int = 1):
    info = inspect_model(path)
    prepared = prepare_inputs(info.inputs, spec, {}, seed=0, sets=sets)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    outputs = [sess.run(None, feed) for feed in prepared.sets]
    return prepared, outputs


# -- 1. repeated placeholder dims --------------------------------------------------------------


def test_paddle_question_mark_dims_are_unnamed_and_one_shape_sizes_them(tmp_path: Path):
    path = im.paddle_placeholders(tmp_path)
    info = inspect_model(path)
    assert info.inputs[0].shape == [-1, 3, None, None]
    assert info.input_dims == [] and info.symbolic_dims == []  # '?' and unk__0 tie nothing
    prepared, (out,) = _run(path, spec_from_flags(shapes=["x=1x3x48x192"]))
    assert prepared.records[0].shape == (1, 3, 48, 192) and not prepared.warnings
    assert out[0].shape == (1, 3, 48, 192)


def test_a_real_symbol_two_shapes_disagree_on_warns_naming_both(tmp_path: Path):
    path = im.shared_batch(tmp_path)
    prepared, _ = _run(path, spec_from_flags(shapes=["a=1x4", "b=2x2"]))
    assert [r.shape for r in prepared.records] == [(1, 4), (2, 2)]
    (warning,) = prepared.warnings
    assert "'batch'" in warning and "--shape a=1x4" in warning and "--shape b=2x2" in warning
    # the profile's free_dimensions binds the session: disagreeing with it is still refused
    with pytest.raises(OrtbenchError, match="free_dimensions sets batch = 1"):
        prepare_inputs(inspect_model(path).inputs, spec_from_flags(shapes=["b=2x2"]), {"batch": 1})


# -- 2. strings ----------------------------------------------------------------------------------


def test_strings_are_generated_from_words_or_a_stated_default(tmp_path: Path):
    path = im.strings(tmp_path)
    prepared, outputs = _run(path, spec_from_flags(shapes=["text=3"]), sets=2)
    record = prepared.records[0]
    assert record.source["spec"].startswith("str:") and record.source["default"]
    assert all(isinstance(w, str) for w in prepared.sets[0]["text"])
    assert outputs[0][0].tolist() == [3]
    mine, (out,) = _run(path, spec_from_flags(["text=4"], ["text=str:héllo,wörld"]))
    assert set(mine.sets[0]["text"]) <= {"héllo", "wörld"} and out[0].tolist() == [4]
    assert "str:héllo,wörld" in describe_inputs(mine.records)[0]


def test_numbers_are_refused_for_strings_and_words_for_numbers(tmp_path: Path):
    strings = inspect_model(im.strings(tmp_path)).inputs
    with pytest.raises(OrtbenchError, match=r"holds strings; give words with --input text=str:"):
        prepare_inputs(strings, spec_from_flags(["text=3"], ["text=int:0..9"]), {})
    numbers = inspect_model(im.gather_table(tmp_path)).inputs
    with pytest.raises(OrtbenchError, match="not string"):
        prepare_inputs(numbers, spec_from_flags(["ids=1x8"], ["ids=str:a"]), {})


def _object_npy(path: Path, values: list[object]) -> Path:
    np.save(path, np.array(values, dtype=object), allow_pickle=True)
    return path


def test_unicode_and_object_str_arrays_are_fed_from_npy_and_npz(tmp_path: Path):
    path = im.strings(tmp_path)
    unicode_npy = tmp_path / "u.npy"
    np.save(unicode_npy, np.array(["a", "bb", "ccc"]))
    prepared, (out,) = _run(path, spec_from_flags(values=[f"text={unicode_npy}"]))
    assert out[1].tolist() == ["a", "bb", "ccc"] and prepared.records[0].shape == (3,)
    obj = _object_npy(tmp_path / "o.npy", ["x", "y"])
    _, (out,) = _run(path, spec_from_flags(values=[f"text={obj}"]))
    assert out[1].tolist() == ["x", "y"]
    npz = tmp_path / "t.npz"
    np.savez(npz, text=np.array(["p", "q", "r", "s"], dtype=object))
    _, (out,) = _run(path, InputSpec(files=str(npz)))
    assert out[0].tolist() == [4]


class _Boom:
    """Unpickling this runs code: the reader must refuse it before it gets that far."""

    def __reduce__(self):
        return (Path.touch, (Path(_Boom.target),))

    target = ""


def test_object_arrays_holding_anything_but_str_are_refused_without_running_code(
    tmp_path: Path,
):
    path = im.strings(tmp_path)
    with_int = _object_npy(tmp_path / "mixed.npy", ["a", 3])
    with pytest.raises(OrtbenchError, match="every element is a str; found a int"):
        _run(path, spec_from_flags(values=[f"text={with_int}"]))
    _Boom.target = str(tmp_path / "ran")
    evil = _object_npy(tmp_path / "evil.npy", ["a", _Boom()])
    with pytest.raises(OrtbenchError, match="refused: pathlib"):
        _run(path, spec_from_flags(values=[f"text={evil}"]))
    assert not (tmp_path / "ran").exists()
    evil_npz = tmp_path / "evil.npz"
    with zipfile.ZipFile(evil_npz, "w") as z:
        z.writestr("text.npy", evil.read_bytes())
    with pytest.raises(OrtbenchError, match="pickled objects"):
        _run(path, InputSpec(files=str(evil_npz)))
    assert not (tmp_path / "ran").exists()
    # a whole pickle (not an .npy) is refused as before, for a numeric input too
    raw = tmp_path / "raw.npy"
    raw.write_bytes(pickle.dumps(np.zeros(3)))
    with pytest.raises(OrtbenchError, match="pickled objects"):
        _run(path, spec_from_flags(values=[f"text={raw}"]))


def test_string_tensorproto_input_pb_is_read(tmp_path: Path):
    path = im.strings(tmp_path)
    folder = tmp_path / "test_data_set_0"
    folder.mkdir()
    proto = numpy_helper.from_array(np.array(["uno", "dos"], dtype=object), "text")
    assert proto.data_type == onnx.TensorProto.STRING
    (folder / "input_0.pb").write_bytes(proto.SerializeToString())
    prepared, (out,) = _run(path, InputSpec(files=str(folder)))
    assert out[1].tolist() == ["uno", "dos"] and prepared.records[0].source["kind"] == "file"


# -- 3. optional, 4. sequence --------------------------------------------------------------------


def test_optional_input_shows_its_element_and_is_fed_or_left_out(tmp_path: Path):
    path = im.optional_input(tmp_path)
    (t,) = inspect_model(path).inputs
    assert (t.kind, t.dtype, t.shape, t.type_text) == (
        "optional",
        "float32",
        [4],
        "optional(float32)",
    )
    fed, (out,) = _run(path, InputSpec())
    assert fed.sets[0]["o"].shape == (4,) and bool(out[0]) is True
    npy = tmp_path / "o.npy"
    np.save(npy, np.ones(4, np.float32))
    _, (out,) = _run(path, spec_from_flags(values=[f"o={npy}"]))
    assert bool(out[0]) is True
    omitted, (out,) = _run(path, spec_from_flags(values=["o=none"]))
    assert "o" not in omitted.sets[0] and bool(out[0]) is False
    assert omitted.records[0].source == {"kind": "none"}


def test_none_is_refused_for_an_input_that_is_not_optional(tmp_path: Path):
    inputs = inspect_model(im.strings(tmp_path)).inputs
    with pytest.raises(OrtbenchError, match="'text' is not optional"):
        prepare_inputs(inputs, spec_from_flags(["text=2"], ["text=none"]), {})


def test_sequence_inputs_are_refused_plainly_and_no_flag_is_suggested(tmp_path: Path):
    path = im.sequence_input(tmp_path)
    info = inspect_model(path)
    (t,) = info.inputs
    assert t.kind == "sequence" and t.dynamic_dims == [] and info.input_dims == []
    assert info.to_dict()["shape_flags"] == ""
    spec, why = default_for(t)
    assert spec is None and "cannot feed sequence inputs yet" in why
    for attempt in (
        InputSpec(),
        spec_from_flags(shapes=["seq=3"]),
        spec_from_flags(values=["seq=ones"]),
    ):
        with pytest.raises(OrtbenchError, match="cannot feed sequence inputs yet") as exc:
            prepare_inputs(info.inputs, attempt, {})
        assert "--shape seq" not in str(exc.value) and "FILE.npy" not in str(exc.value)


# -- 7. defaults from the graph ------------------------------------------------------------------


def test_gather_bounded_ids_mask_ones_and_a_small_type_table(tmp_path: Path):
    path = im.text_encoder(tmp_path)
    by_name = {t.name: t for t in inspect_model(path).inputs}
    assert by_name["input_ids"].default == f"int:0..{im.VOCAB - 1}"  # through a Cast
    assert "Gather 'words'" in by_name["input_ids"].default_reason
    assert by_name["token_type_ids"].default == "int:0..1"
    assert by_name["attention_mask"].default == "ones"
    shapes = [f"{n}=2x16" for n in by_name]
    prepared, _ = _run(path, spec_from_flags(shapes=shapes), sets=4)
    ids = np.stack([s["input_ids"] for s in prepared.sets])
    # 128 draws from 0..30521: all within the table, and not confined to 0..100 (the chance
    # that all 128 land in 0..100 is (101/30522)^128, far below 1e-300)
    assert ids.min() >= 0 and ids.max() <= im.VOCAB - 1 and ids.max() > 100
    assert all((s["attention_mask"] == 1).all() for s in prepared.sets)
    lines = "\n".join(describe_inputs(prepared.records))
    assert "int:0..30521 (default: indices into Gather 'words'" in lines


def test_if_checked_scalar_defaults_to_the_constant_it_is_compared_with(tmp_path: Path):
    path = im.sample_rate_if(tmp_path)
    rate = next(t for t in inspect_model(path).inputs if t.name == "rate")
    assert rate.default == str(im.SAMPLE_RATE) and "Equal" in rate.default_reason
    prepared, _ = _run(path, InputSpec())  # the If's else branch would fail on other values
    assert int(prepared.sets[0]["rate"]) == im.SAMPLE_RATE


def test_run_error_hints_are_flags_that_run_as_typed():
    from ortbench_tui.feeds import InputRecord

    records = [
        InputRecord("trip_count", "int64", (), {"kind": "generator", "spec": "5"}),
        InputRecord("flag", "bool", (), {"kind": "generator", "spec": "1"}),
        InputRecord("ids", "int64", (1, 8), {"kind": "generator", "spec": "int:0..100"}),
    ]
    text = explain_run_error("Non-zero status code returned while running Loop node.", records)
    assert "--input trip_count=1" in text and "--input flag=true" in text
    assert "--input ids=int:0..9" in text
    assert "=VALUE" not in text and "int:0..HI" not in text


# -- 8. bools --------------------------------------------------------------------------------------


def test_bools_take_true_and_false(tmp_path: Path):
    assert parse_value_spec("true", "x").low == 1 and parse_value_spec("False", "x").low == 0
    path = im.flag_input(tmp_path)
    prepared, (out,) = _run(path, spec_from_flags(values=["flag=true"]))
    assert prepared.sets[0]["flag"].dtype == np.bool_ and bool(prepared.sets[0]["flag"]) is True
    assert bool(out[0]) is False
    _, (out,) = _run(path, spec_from_flags(values=["flag=false"]))
    assert bool(out[0]) is True


def test_models_says_what_each_input_is_fed_by_default_and_why(tmp_path: Path, capsys):
    import json

    from ortbench_tui.cli import main

    folder = tmp_path / "m"
    folder.mkdir()
    for build in (im.text_encoder, im.strings, im.optional_input, im.sequence_input):
        build(folder)
    assert main(["models", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "fed by default: int:0..30521 (indices into Gather 'words'" in out
    assert "fed by default: ones (named like a mask" in out
    assert "fed by default: str:the,quick,brown,fox (the default for string)" in out
    assert "o  optional(float32)  [4]" in out and "--input o=none leaves it out" in out
    assert "seq  sequence(float32)" in out and "cannot feed sequence inputs yet" in out
    assert main(["models", str(folder / "encoder.onnx"), "--json", "-"]) == 0
    (info,) = json.loads(capsys.readouterr().out)
    fed = {i["name"]: i["fed_by_default"] for i in info["inputs"]}
    assert fed["token_type_ids"]["spec"] == "int:0..1" and "Gather" in fed["token_type_ids"]["why"]


def test_rows_show_the_graph_default_and_why(tmp_path):
    """The form's values placeholder is what a run feeds; a default read from the graph says
    where it came from (issue 19 item 7)."""
    from ortbench_tui.inputs import InputSpec
    from ortbench_tui.models import inspect_model
    from ortbench_tui.tui.input_rows import build_rows

    rows = {
        r.name: r
        for r in build_rows(inspect_model(im.text_encoder(tmp_path)).inputs, InputSpec(), {})
    }
    assert rows["input_ids"].default_values_text == f"int:0..{im.VOCAB - 1}"
    assert "Gather 'words'" in rows["input_ids"].default_why
    assert rows["attention_mask"].default_values_text == "ones"


def test_nested_types_are_named_and_refused_plainly(tmp_path: Path):
    """optional(sequence(tensor)): no hint to feed it a FILE.npy, which could not work."""
    from onnx import TensorProto, helper

    seq = helper.make_sequence_type_proto(helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))
    graph = helper.make_graph(
        [helper.make_node("OptionalHasElement", ["maybe"], ["has"])],
        "nested",
        [helper.make_value_info("maybe", helper.make_optional_type_proto(seq))],
        [helper.make_tensor_value_info("has", TensorProto.BOOL, [])],
    )
    path = tmp_path / "nested.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    (t,) = inspect_model(path).inputs
    assert not t.feedable and t.type_text == "optional(sequence_type)"
    spec, why = default_for(t)
    assert spec is None and "cannot feed" in why and "FILE.npy" not in why
    with pytest.raises(OrtbenchError, match="cannot feed") as exc:
        prepare_inputs([t], InputSpec(), {})
    assert "FILE.npy" not in str(exc.value)
