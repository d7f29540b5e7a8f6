"""The CLI on odd files: models folders and broken models, bad result files in compare, npz
inputs that are not what they say, relative paths in profiles, ORT's telemetry noise."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from ortbench_tui.bench.result_record import run_record
from ortbench_tui.bench.results import save_to_history
from ortbench_tui.cli import main
from ortbench_tui.samples import sample_path

FAST = ["--runs", "20", "--warmup", "1", "--set", "session.intra_op_num_threads=1"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_a_folder_named_like_a_model_is_exit_2(capsys, tmp_path):
    (tmp_path / "x.onnx").mkdir()
    code, out, err = run_cli(capsys, "models", str(tmp_path / "x.onnx"))
    assert code == 2 and out == ""
    assert "x.onnx" in err and "directory" in err


def test_models_dir_reports_a_bad_file_and_lists_the_others(capsys, tmp_path):
    shutil.copy(sample_path("tiny"), tmp_path / "a-good.onnx")
    (tmp_path / "b-bad.onnx").write_text("not a model")
    shutil.copy(sample_path("mlp"), tmp_path / "c-good.onnx")
    code, out, err = run_cli(capsys, "models", str(tmp_path))
    assert code == 2
    assert "a-good" in out and "c-good" in out
    assert "b-bad.onnx is not a valid ONNX model" in err
    code, out, err = run_cli(capsys, "models", str(tmp_path), "--json")
    assert code == 2 and [m["name"] for m in json.loads(out)] == ["a-good", "c-good"]


def test_missing_external_data_is_flagged(capsys, tmp_path):
    weight = numpy_helper.from_array(np.ones((4, 4), np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = tmp_path / "ext.onnx"
    onnx.save(model, str(path), save_as_external_data=True, location="ext.bin", size_threshold=0)
    code, out, err = run_cli(capsys, "models", str(path))
    assert code == 0 and "MISSING" not in out
    (tmp_path / "ext.bin").unlink()
    code, out, err = run_cli(capsys, "models", str(path), "--json")
    assert json.loads(out)[0]["missing_external_data"] == ["ext.bin"]
    assert "external data missing: ext.bin" in err
    code, out, err = run_cli(capsys, "models", str(path))
    assert "MISSING    external data ext.bin" in out


def good_result_file() -> Path:
    result = {
        "schema": 1,
        "model": {"name": "m", "path": "/m.onnx"},
        "profile": {"name": "p"},
        "latency_ms": {"p50": 1.0, "p99": 2.0},
        "runs": 3,
    }
    return save_to_history(run_record(result), np.array([900_000, 1_000_000, 2_000_000], np.int64))


def test_compare_on_a_bad_result_file_is_exit_2_naming_it(capsys, tmp_path):
    good = good_result_file()
    cases = {
        "model-str.json": {**json.loads(good.read_text()), "model": "resnet"},
        "null-latency.json": {**json.loads(good.read_text()), "latency_ms": None},
    }
    for name, data in cases.items():
        bad = tmp_path / name
        bad.write_text(json.dumps(data))
        code, out, err = run_cli(capsys, "compare", str(good), str(bad))
        assert code == 2, err
        assert str(bad) in err and "Traceback" not in err
    assert "latency_ms must be an object of numbers, got null" in err


def test_compare_with_truncated_samples_warns_and_goes_on(capsys, tmp_path):
    a, b = good_result_file(), good_result_file()
    b.with_suffix(".npy").write_bytes(b"")
    code, out, err = run_cli(capsys, "compare", str(a), str(b))
    assert code == 0, err
    assert "is not a readable .npy" in out + err


def test_npz_with_a_member_that_is_not_an_npy_is_exit_2(capsys, tmp_path):
    bad = tmp_path / "in.npz"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("x.npy", b"not an npy")
    code, _, err = run_cli(
        capsys, "run", "sample:tiny", *FAST, "--no-history", "--set", f"run.inputs_npz={bad}"
    )
    assert code == 2, err
    assert "member 'x' is not an .npy array" in err and "AttributeError" not in err


def test_inputs_npz_in_a_profile_is_read_next_to_the_profile(capsys, tmp_path, monkeypatch):
    from ortbench_tui.models import inspect_model

    (name,) = [t.name for t in inspect_model(sample_path("tiny")).inputs]
    folder = tmp_path / "profiles"
    folder.mkdir()
    shape = [
        d if isinstance(d, int) and d > 0 else 1
        for d in inspect_model(sample_path("tiny")).inputs[0].shape
    ]
    np.savez(folder / "in.npz", **{name: np.zeros(shape, np.float32)})
    (folder / "p.toml").write_text('[run]\ninputs_npz = "in.npz"\n')
    monkeypatch.chdir(tmp_path)  # not the profile's folder
    code, out, err = run_cli(
        capsys, "run", "sample:tiny", "--profile", str(folder / "p.toml"), *FAST, "--json", "-"
    )
    assert code == 0, err
    assert json.loads(out)["profile"]["run"]["inputs_npz"] == str(folder / "in.npz")


def test_unwritable_home_keeps_ort_telemetry_off_stderr(tmp_path):
    home = tmp_path / "home-is-a-file"  # nothing can be made under it, as with a read-only HOME
    home.write_text("")
    env = {**os.environ, "HOME": str(home)}
    env.pop("XDG_CACHE_HOME", None)
    proc = subprocess.run(
        [sys.executable, "-m", "ortbench_tui", "detect"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "telemetry" not in proc.stderr and proc.stderr == ""


# --- output files are checked before anything is measured --------------------------------------

MEASURES = {
    "run": "ortbench_tui.bench.runner.start_run",
    "trace": "ortbench_tui.bench.runner.run_benchmark",
    "curve": "ortbench_tui.bench.curve.run_curve",
    "compare": "ortbench_tui.bench.compare.run_compare",
    "sweep": "ortbench_tui.bench.sweep.run_sweep",
    "practices": "ortbench_tui.bench.practices.run_practices",
}
ARGS = {
    "run": ["sample:tiny"],
    "trace": ["sample:tiny"],
    "curve": ["sample:encoder", "--dim", "batch=1,2"],
    "compare": ["sample:tiny", "--profile", "defaults", "--profile", "defaults"],
    "sweep": ["sample:tiny", "--grid", "session.intra_op_num_threads=1,2"],
    "practices": ["sample:tiny"],
}
FLAGS = {
    "run": ["--json", "--samples"],
    "trace": ["--json"],
    "curve": ["--json", "--markdown", "--csv"],
    "compare": ["--json", "--markdown", "--csv"],
    "sweep": ["--json", "--markdown", "--csv", "--save-best"],
    "practices": ["--json", "--markdown", "--save-best"],
}
CASES = [(command, flag) for command, flags in FLAGS.items() for flag in flags]


def _never_measure(monkeypatch, command: str) -> None:
    def measured(*args, **kwargs):
        raise AssertionError(f"{command} measured before refusing its output file")

    monkeypatch.setattr(MEASURES[command], measured)


@pytest.mark.parametrize(("command", "flag"), CASES)
def test_an_existing_output_file_is_refused_before_measuring(
    capsys, tmp_path, monkeypatch, command, flag
):
    """A 22 s curve used to end with "curve.md already exists" and no table."""
    _never_measure(monkeypatch, command)
    existing = tmp_path / "out.txt"
    existing.write_text("keep me")
    code, out, err = run_cli(capsys, command, *ARGS[command], flag, str(existing), "-q")
    assert code == 2, err
    assert f"{flag} {existing}" in err and "already exists" in err and "--overwrite" in err
    assert existing.read_text() == "keep me"


@pytest.mark.parametrize("command", sorted(FLAGS))
def test_an_output_in_a_missing_folder_or_onto_a_folder_is_refused_first(
    capsys, tmp_path, monkeypatch, command
):
    _never_measure(monkeypatch, command)
    flag = FLAGS[command][0]
    missing = tmp_path / "no-such-folder" / "out.json"
    code, _, err = run_cli(capsys, command, *ARGS[command], flag, str(missing), "-q")
    assert code == 2 and "does not exist" in err and str(missing.parent) in err
    code, _, err = run_cli(capsys, command, *ARGS[command], flag, str(tmp_path), "-q")
    assert code == 2 and "it is a folder" in err


def test_overwrite_lets_run_replace_its_outputs(capsys, tmp_path):
    out = tmp_path / "r.json"
    out.write_text("old")
    out.with_suffix(".npy").write_text("old")
    code, _, err = run_cli(
        capsys, "run", "sample:tiny", *FAST, "--json", str(out), "-q", "--overwrite"
    )
    assert code == 0, err
    assert json.loads(out.read_text())["runs"] == 20
    assert np.load(out.with_suffix(".npy")).size == 20


def test_profile_accepts_an_existing_name_that_starts_with_a_dash(capsys, tmp_path, monkeypatch):
    """A profile saved as `-tmp-newcomer-best` (older TUI default names) failed as
    `--profile -tmp-...`: "expected one argument"."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "-tmp-newcomer-best.toml").write_text(
        'name = "-tmp-newcomer-best"\n[run]\nwarmup_runs = 1\n'
    )
    code, out, err = run_cli(
        capsys, "run", "sample:tiny", "--profile", "-tmp-newcomer-best", "--runs", "5", "-q"
    )
    assert code == 0, err
    assert "-tmp-newcomer-best" in out
    with pytest.raises(SystemExit) as exited:  # a short flag stays a flag
        main(["run", "sample:tiny", "--profile", "-q"])
    assert exited.value.code == 2 and "expected one argument" in capsys.readouterr().err
