"""The headless CLI: output contracts and exit codes (0 ok, 2 bad input, 1 failed run)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ortbench_tui.cli import main
from ortbench_tui.samples import sample_path

FAST = ["--runs", "50", "--warmup", "2", "--set", "session.intra_op_num_threads=1"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_json_to_stdout_is_pure_json():
    """`--json -` writes JSON to stdout and nothing else, ORT's native noise included."""
    proc = subprocess.run(
        [sys.executable, "-m", "ortbench_tui", "run", "sample:tiny", *FAST, "--json", "-"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["runs"] == 50 and result["latency_ms"]["p50"] > 0


def test_run_human_output_and_files(capsys, tmp_path):
    out_json, out_npy = tmp_path / "r.json", tmp_path / "s.npy"
    code, out, _ = run_cli(
        capsys, "run", "sample:tiny", *FAST, "--json", str(out_json), "--samples", str(out_npy)
    )
    assert code == 0
    assert "p50" in out and "p99.9" in out and "percentiles:" in out
    result = json.loads(out_json.read_text())
    samples = np.load(out_npy)
    assert samples.size == result["runs"] == 50
    assert result["latency_ms"]["p50"] == pytest.approx(np.median(samples) / 1e6)
    assert Path(result["history_path"]).exists()


def test_run_with_profile_file(capsys, tmp_path):
    prof = tmp_path / "p.toml"
    prof.write_text('name = "mine"\n[run]\ntimed_runs = 40\nwarmup_runs = 1\n')
    code, out, _ = run_cli(capsys, "run", "sample:tiny", "--profile", str(prof), "--json", "-")
    assert code == 0
    result = json.loads(out)
    assert result["profile"]["name"] == "mine" and result["runs"] == 40


def test_run_by_duration(capsys):
    code, out, _ = run_cli(
        capsys, "run", "sample:tiny", "--duration", "0.3", "--warmup", "1", "--json", "-"
    )
    assert code == 0 and json.loads(out)["runs"] > 10


def not_onnx(tmp_path: Path) -> str:
    p = tmp_path / "notes.onnx"
    p.write_text("this is not a model\n")
    return str(p)


def truncated(tmp_path: Path) -> str:
    data = sample_path("mlp").read_bytes()
    p = tmp_path / "half.onnx"
    p.write_bytes(data[: len(data) // 2])
    return str(p)


def bad_profile(tmp_path: Path, text: str) -> str:
    p = tmp_path / "bad.toml"
    p.write_text(text)
    return str(p)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make_argv", "needle"),
    [
        (lambda t: ["run", str(t / "missing.onnx")], "not found"),
        (lambda t: ["run", not_onnx(t)], "not a valid ONNX model"),
        (lambda t: ["run", truncated(t)], "not a valid ONNX model"),
        (lambda t: ["run", "sample:encoder", "--runs", "5"], "symbolic dim 'batch'"),
        (lambda t: ["run", "sample:nope"], "unknown sample"),
        (
            lambda t: ["run", "sample:tiny", "--profile", bad_profile(t, "[run]\nfoo = 1\n")],
            "unknown key 'run.foo'",
        ),
        (
            lambda t: [
                "run",
                "sample:tiny",
                "--profile",
                bad_profile(t, '[session]\nenable_mem_pattern = "yes"\n'),
            ],
            "session.enable_mem_pattern: expected true or false",
        ),
        (
            lambda t: ["run", "sample:tiny", "--profile", str(t / "none.toml")],
            "profile file not found",
        ),
        (lambda t: ["run", "sample:tiny", "--runs", "0"], "expected a positive integer"),
        (lambda t: ["run", "sample:tiny", "--set", "run.timed_runs=lots"], "run.timed_runs"),
        (
            lambda t: ["run", "sample:tiny", "--set", "session.intra_op_num_threads=abc"],
            "session.intra_op_num_threads",
        ),
        (lambda t: ["models", not_onnx(t)], "not a valid ONNX model"),
        (lambda t: ["compare", str(t / "a.json"), str(t / "b.json")], "not found"),
    ],
    ids=[
        "missing",
        "not-onnx",
        "truncated",
        "symbolic-dim",
        "unknown-sample",
        "unknown-key",
        "wrong-type",
        "missing-profile",
        "runs-0",
        "set-non-numeric",
        "set-threads",
        "models-not-onnx",
        "compare-missing",
    ],
)
def test_bad_input_exits_2_with_a_clear_message(capsys, tmp_path, make_argv, needle):
    code = None
    try:
        code = main(make_argv(tmp_path))
    except SystemExit as exc:  # argparse rejects usage errors itself, with code 2
        code = exc.code
    _, err = capsys.readouterr()
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_unavailable_ep_exits_2(capsys):
    import onnxruntime as ort

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this ORT build does not list CUDA")
    from ortbench_tui.hardware import probe_providers

    if any(p.name == "CUDAExecutionProvider" and p.works for p in probe_providers()):
        pytest.skip("CUDA works here")
    code, _, err = run_cli(capsys, "run", "sample:tiny", "--set", "provider.name=cuda", *FAST)
    assert code == 2 and "execution provider not available" in err


def test_detect_json(capsys):
    code, out, _ = run_cli(capsys, "detect", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["physical_cores"] >= 1 and info["ort_version"]
    cpu = [p for p in info["providers"] if p["name"] == "CPUExecutionProvider"]
    assert cpu and cpu[0]["works"] is True


def test_models_json_shows_symbolic_dims(capsys):
    code, out, _ = run_cli(capsys, "models", "sample:encoder", "--json")
    assert code == 0
    (info,) = json.loads(out)
    assert info["inputs"][0]["shape"][:2] == ["batch", "sequence"]
    assert set(info["symbolic_dims"]) == {"batch", "sequence"}


def test_samples_list_and_out(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "samples")
    assert code == 0 and "sample:tiny" in out and "sample:resnet50-light" in out
    code, out, _ = run_cli(capsys, "samples", "--out", str(tmp_path / "s"))
    assert code == 0
    assert {p.name for p in (tmp_path / "s").glob("*.onnx")} >= {"tiny.onnx", "mlp.onnx"}


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "sample:tiny", "--profile", "defaults", "--profile", "defaults"],
        ["compare", "a.json", "b.json"],
        ["practices", "sample:tiny"],
    ],
)
@pytest.mark.parametrize("margin", ["-0.05", "-1"])
def test_negative_margin_is_refused_with_exit_2(capsys, argv, margin):
    code, out, err = run_cli(capsys, *argv, f"--margin={margin}")
    assert code == 2 and out == ""
    assert "--margin: expected a fraction in [0, 1)" in err and margin in err


def test_a_budget_counts_from_the_call_of_main_made_long_after_the_import(capsys):
    """In-process callers (the suite) import the CLI long before they call it: a sweep's
    budget was spent on other tests before it began ("the sweep has no winner to save")."""
    import time

    from ortbench_tui import cli

    cli.STARTED = time.perf_counter() - 100.0
    assert cli.main(["samples"]) == 0
    assert time.perf_counter() - cli.STARTED < 5.0
    capsys.readouterr()
