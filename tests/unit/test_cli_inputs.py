"""The input flags end to end: each troublesome model runs after its flags and fails clearly
without them (exit 2 for what the user must state, exit 1 with ORT's words for values ORT
rejects), bad specs exit 2 naming the input, and every result records its inputs."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import input_models as models
import numpy as np
import pytest

from ortbench_tui.cli import main
from ortbench_tui.inputs import InputSpec
from ortbench_tui.inputs.store import save_spec, saved_spec_path

FAST = ["--runs", "10", "--warmup", "1", "--set", "session.intra_op_num_threads=1", "-q"]


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, model: Path, *flags: str) -> dict:
    code, out, err = cli(capsys, "run", str(model), *FAST, "--no-history", "--json", "-", *flags)
    assert code == 0, err
    return json.loads(out)


def test_dotted_dims_all_listed_with_paste_ready_flags_and_valid_toml(capsys, tmp_path):
    model = models.dotted_dims(tmp_path)
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history")
    assert code == 2 and "Traceback" not in err
    assert "'batch'" in err and "'p2o.DynamicDimension.0'" in err
    assert "--shape tokens=1x1 --shape mask=1x1" in err
    toml_lines = err.split("--inputs FILE.toml:\n", 1)[1].split("named dims", 1)[0]
    parsed = tomllib.loads("\n".join(line.strip() for line in toml_lines.splitlines()))
    assert parsed == {"inputs": {"tokens": {"shape": "1x1"}, "mask": {"shape": "1x1"}}}
    free_line = err.strip().splitlines()[-1]
    assert tomllib.loads(free_line.strip())["free_dimensions"]["p2o.DynamicDimension.0"] == 1

    result = run_json(capsys, model, "--shape", "tokens=2x5", "--shape", "mask=2x5")
    assert [(r["name"], r["shape"]) for r in result["inputs"]] == [
        ("tokens", [2, 5]),
        ("mask", [2, 5]),
    ]


def test_shape_and_free_dimensions_must_agree_and_free_dimensions_alone_suffice(capsys, tmp_path):
    model = models.dotted_dims(tmp_path)
    free = ["--set", "session.free_dimensions.batch=1"]
    code, _, err = cli(
        capsys, "run", str(model), *FAST, "--no-history", *free, "--shape", "tokens=4x3",
        "--shape", "mask=4x3",
    )  # fmt: skip
    assert code == 2 and "dim 'batch'" in err and "--shape tokens=4x3" in err
    assert "free_dimensions sets batch = 1" in err
    # free_dimensions sizes batch; the other dim comes from --shape
    result = run_json(capsys, model, *free, "--shape", "tokens=1x3", "--shape", "mask=1x3")
    assert result["inputs"][0]["shape"] == [1, 3]
    assert result["profile"]["session"]["free_dimensions"] == {"batch": 1}  # not widened


def test_unnamed_and_minus_one_dims_need_a_shape(capsys, tmp_path):
    model = models.unnamed_dims(tmp_path)
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history")
    assert code == 2 and "--shape image=1x3x1x1" in err and "Traceback" not in err
    assert "negative dimensions" not in err
    result = run_json(capsys, model, "--shape", "image=1x3x8x8")
    assert result["inputs"][0]["shape"] == [1, 3, 8, 8]


@pytest.mark.slow
def test_gather_on_a_short_table_fails_with_orts_words_then_runs_with_a_range(capsys, tmp_path):
    model = models.gather_table(tmp_path)
    wide = ["--shape", "ids=1x8", "--input", "ids=int:0..100"]
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history", *wide)
    assert code == 1 and "Traceback" not in err and "ValueError" not in err
    assert "Gather node 'embed'" in err and "out of data bounds" in err
    assert f"--input ids=int:0..{models.TABLE_ROWS - 1}" in err
    result = run_json(capsys, model, "--shape", "ids=1x8", "--input", "ids=int:0..9")
    source = result["inputs"][0]["source"]
    assert source["kind"] == "generator" and source["spec"] == "int:0..9" and "seed" in source
    # with no --input, the graph's table bounds the ids, and the record says so
    source = run_json(capsys, model, "--shape", "ids=1x8")["inputs"][0]["source"]
    assert source["spec"] == "int:0..9" and source["default"] and "Gather 'embed'" in source["why"]


def test_if_checked_scalar_fails_naming_both_nodes_then_runs_with_its_value(capsys, tmp_path):
    model = models.sample_rate_if(tmp_path)
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history", "--input", "rate=8000")
    assert code == 1 and "Traceback" not in err
    assert "If node 'check_rate' > Reshape node 'unsupported_rate'" in err
    assert "--input rate=1" in err and "VALUE" not in err
    result = run_json(capsys, model)  # the default is the constant the graph tests
    rate = next(r for r in result["inputs"] if r["name"] == "rate")
    assert rate["shape"] == [] and rate["source"]["spec"] == str(models.SAMPLE_RATE)
    assert "Equal" in rate["source"]["why"]


def test_pad_too_short_fails_clearly_then_runs_long_enough(capsys, tmp_path):
    model = models.reflect_pad(tmp_path)
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history", "--shape", "samples=1x4")
    assert code == 1 and "Pad node 'reflect_pad'" in err and "--shape" in err
    result = run_json(capsys, model, "--shape", f"samples=1x{4 * models.PAD}")
    assert result["inputs"][0]["shape"] == [1, 4 * models.PAD]


def _bad_npy(tmp_path: Path, dtype: str, shape: tuple[int, ...]) -> str:
    path = tmp_path / f"ids-{dtype}-{len(shape)}.npy"
    np.save(path, np.zeros(shape, dtype=dtype))
    return str(path)


def _pickled_npz(tmp_path: Path) -> str:
    path = tmp_path / "pickled.npz"
    np.savez(path, ids=np.array([{"a": 1}], dtype=object))
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (lambda d: ["--shape", "idz=1x8"], ["unknown input 'idz'", "'ids'"]),
        (lambda d: ["--shape", "ids=1x8x2"], ["'ids'", "rank 2"]),
        (lambda d: ["--shape", "ids=1x8", "--input", "ids=int:5..1"], ["ids", "int:5..1"]),
        (
            lambda d: ["--input", f"ids={_bad_npy(d, 'float32', (1, 8))}"],
            ["'ids'", "int64", "float32"],
        ),
        (lambda d: ["--input", f"ids={_bad_npy(d, 'int64', (1, 5))}"], ["'ids'", "fixed at 8"]),
        (lambda d: ["--inputs", _pickled_npz(d)], ["pickle"]),
    ],
    ids=["unknown-name", "wrong-rank", "empty-range", "npy-dtype", "npy-shape", "pickled-npz"],
)
def test_bad_specs_exit_2_naming_the_input(capsys, tmp_path, flags, expected):
    model = models.gather_table(tmp_path)
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history", *flags(tmp_path))
    assert code == 2, err
    assert "Traceback" not in err
    for text in expected:
        assert text in err, (text, err)


def test_pb_folder_is_recorded_with_its_sha256(capsys, tmp_path):
    model = models.gather_table(tmp_path)
    folder = models.pb_folder(tmp_path / "test_data_set_0", {"ids": np.ones((2, 8), np.int64)})
    result = run_json(capsys, model, "--inputs", str(folder))
    record = result["inputs"][0]
    assert record["shape"] == [2, 8] and record["source"]["kind"] == "file"
    assert len(record["source"]["sha256"]) == 64


def test_run_text_output_lists_the_input_shapes(capsys, tmp_path):
    model = models.dotted_dims(tmp_path)
    code, out, _ = cli(
        capsys, "run", str(model), *FAST, "--no-history", "--shape", "tokens=3x4",
        "--shape", "mask=3x4",
    )  # fmt: skip
    assert code == 0
    block = out.split("inputs:\n", 1)[1].splitlines()[:2]
    assert "tokens" in block[0] and "[3, 4]" in block[0] and "mask" in block[1]


def test_saved_spec_is_used_only_when_asked(capsys, tmp_path):
    model = models.dotted_dims(tmp_path)
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history", "--inputs", "saved")
    assert code == 2 and "no inputs saved" in err and str(saved_spec_path(model)) in err
    save_spec(model, InputSpec(shapes={"tokens": (1, 6), "mask": (1, 6)}))
    code, _, err = cli(capsys, "run", str(model), *FAST, "--no-history")
    assert code == 2 and "--inputs saved" in err  # not used silently, but pointed to
    result = run_json(capsys, model, "--inputs", "saved", "--shape", "mask=1x6")
    assert [r["shape"] for r in result["inputs"]] == [[1, 6], [1, 6]]


def test_compare_warns_when_results_ran_on_different_shapes(capsys, tmp_path):
    model = models.dotted_dims(tmp_path)
    paths = []
    for n in (4, 8):
        code, out, err = cli(
            capsys, "run", str(model), *FAST, "--json", "-", "--shape", f"tokens=1x{n}",
            "--shape", f"mask=1x{n}",
        )  # fmt: skip
        assert code == 0, err
        paths.append(json.loads(out)["history_path"])
    code, out, err = cli(capsys, "compare", *paths)
    assert code == 0, err
    assert "inputs A: tokens 1x4, mask 1x4" in out and "inputs B: tokens 1x8" in out
    assert "warning: different input shapes" in out

    code, out, err = cli(capsys, "compare", paths[0], paths[0])
    assert code == 0 and "inputs: tokens 1x4, mask 1x4" in out
    assert "different input shapes" not in out


@pytest.mark.slow
def test_live_compare_takes_the_flags_and_shows_the_shapes(capsys, tmp_path):
    model = models.dotted_dims(tmp_path)
    code, out, err = cli(
        capsys, "compare", str(model), "--profile", "defaults", "--profile",
        "defaults+session.intra_op_num_threads=1", "--runs", "20", "--sessions", "1",
        "--no-history", "--json", "-", "-q", "--shape", "tokens=1x3", "--shape", "mask=1x3",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert data["comparison"]["inputs"] == ["tokens 1x3, mask 1x3"] * 2
    assert all(r["inputs"][0]["shape"] == [1, 3] for r in data["results"])


def test_input_flags_are_refused_for_offline_compare(capsys, tmp_path):
    a = tmp_path / "a.json"
    a.write_text("{}")
    code, _, err = cli(capsys, "compare", str(a), str(a), "--shape", "x=1")
    assert code == 2 and "--shape/--input/--inputs" in err


def test_models_marks_dynamic_dims_and_prints_the_fixing_flags(capsys, tmp_path):
    model = models.unnamed_dims(tmp_path)
    code, out, _ = cli(capsys, "models", str(model))
    assert code == 0 and "dynamic" in out and "--shape image=1x3x1x1" in out
    code, out, _ = cli(capsys, "models", str(model), "--json")
    info = json.loads(out)[0]
    assert info["inputs"][0]["dynamic_dims"] == [0, 2, 3]
    assert info["shape_flags"] == "--shape image=1x3x1x1"
