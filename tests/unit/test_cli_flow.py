"""The CLI's daily loop: saved results that compare with a verdict, runs named after their
overrides, listings as JSON, and messages that say what happened and what to do."""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest

from ortbench_tui.bench.results import list_history
from ortbench_tui.cli import main

FAST = ["--runs", "300", "--warmup", "5", "--no-history", "-q"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_saved_results_compare_with_a_verdict_and_a_ci(capsys, tmp_path):
    """`run --json a.json` writes a.npy beside it, so the two files are enough for a verdict."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert run_cli(capsys, "run", "sample:tiny", *FAST, "--json", str(a))[0] == 0
    assert run_cli(capsys, "run", "sample:tiny", *FAST, "--json", str(b))[0] == 0
    assert np.load(tmp_path / "a.npy").size == json.loads(a.read_text())["runs"] == 300
    code, out, _ = run_cli(capsys, "compare", str(a), str(b), "--json", "-")
    assert code == 0
    pair = json.loads(out)["comparison"]["pairs"][0]
    assert pair["ci_low"] is not None and pair["ci_high"] is not None
    assert pair["verdict"] in ("faster", "slower", "no clear difference")
    code, out, _ = run_cli(capsys, "compare", str(a), str(b))
    assert "no verdict (no CI)" not in out and "no raw samples" not in out


@pytest.mark.slow
def test_a_run_with_set_is_named_after_its_overrides(capsys, tmp_path):
    argv = ["run", "sample:tiny", "--runs", "50", "--warmup", "2", "-q"]
    code, out, _ = run_cli(capsys, *argv, "--set", "session.intra_op_num_threads=1")
    assert code == 0 and "profile  ort-defaults+intra_op_num_threads=1" in out
    code, out, _ = run_cli(
        capsys, *argv, "--profile", "cpu-latency", "--set", "run.io_binding=false"
    )
    assert code == 0 and "profile  cpu-latency+io_binding=false" in out
    # --runs/--warmup are not part of the name; a plain run keeps its profile's name.
    code, out, _ = run_cli(capsys, *argv)
    assert "profile  ort-defaults  ·" in out
    names = sorted(e.profile for e in list_history())
    assert names == [
        "cpu-latency+io_binding=false",
        "ort-defaults",
        "ort-defaults+intra_op_num_threads=1",
    ]


def test_the_cli_does_not_blame_a_ui_for_shared_cores():
    from ortbench_tui.bench import results
    from ortbench_tui.bench.parent import parent_process_name, set_parent_process

    hw = {"logical_cores": 2}
    before = parent_process_name()
    set_parent_process("")
    try:
        (cli,) = results.environment_warnings(hw, [])
        assert "UI" not in cli and "everything else running here" in cli
        set_parent_process("the ortbench UI")
        (tui,) = results.environment_warnings(hw, [])
        assert "(the ortbench UI included)" in tui
    finally:
        set_parent_process(before)


def test_static_int8_is_flagged_as_measured_on_calibration_data():
    from ortbench_tui.bench.result_record import RunResult, run_record
    from ortbench_tui.commands.run import format_result
    from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict

    def result(*sets: str) -> RunResult:
        profile = apply_overrides(Profile(name="p"), list(sets))
        lat = dict.fromkeys(("p50", "p90", "p95", "p99", "p999", "mean", "std", "min", "max"), 1.0)
        return run_record(
            {
                "schema": 1,
                "model": {"name": "m", "path": "m.onnx"},
                "profile": profile_to_dict(profile),
                "providers": {"active": ["CPUExecutionProvider"]},
                "runs": 10,
                "warmup_runs": 1,
                "wall_s": 1.0,
                "status": "ok",
                "latency_ms": lat,
                "cv": 0.01,
                "throughput_per_s": 10.0,
                "session_create_ms": 1.0,
                "first_run_ms": 1.0,
                "rss_peak_mb": 1.0,
                "percentile_method": "exact",
                "accuracy": {
                    "y": {
                        "cosine": 0.99,
                        "max_abs_err": 0.1,
                        "mean_abs_err": 0.01,
                        "ref_max_abs": 1.0,
                    }
                },
                "warnings": [],
            }
        )

    static = format_result(result("run.precision=int8", "run.int8_mode=static"))
    assert "measured on its calibration data" in static
    dynamic = format_result(result("run.precision=int8"))
    assert "calibration" not in dynamic


def test_an_ep_that_does_not_load_says_why_and_the_flag_to_allow_fallback(capsys):
    import onnxruntime as ort

    from ortbench_tui.hardware import probe_providers

    if "CUDAExecutionProvider" not in ort.get_available_providers():
        pytest.skip("this ORT build does not list CUDA")
    if any(p.name == "CUDAExecutionProvider" and p.works for p in probe_providers()):
        pytest.skip("CUDA works here")
    code, _, err = run_cli(capsys, "run", "sample:tiny", "--profile", "cuda", *FAST)
    assert code == 2
    assert "CUDAExecutionProvider did not load here (profile 'cuda' asks for it)" in err
    reason = next(p.reason for p in probe_providers() if p.name == "CUDAExecutionProvider")
    assert reason in err  # the cause `ortbench detect` shows
    flag = err.split("to run on CPUExecutionProvider anyway, add: ", 1)[1].splitlines()[0]
    assert flag == "--set 'provider.fallback=[\"cpu\"]'"
    # Pasted into a shell, the flag is accepted and the run goes through on CPU.
    code, out, _ = run_cli(
        capsys, "run", "sample:tiny", "--profile", "cuda", *FAST, *shlex.split(flag)
    )
    assert code == 0 and "(FALLBACK)" in out


def test_samples_json_lists_every_sample(capsys):
    code, out, _ = run_cli(capsys, "samples", "--json")
    assert code == 0
    rows = json.loads(out)
    tiny = next(r for r in rows if r["spec"] == "sample:tiny")
    assert tiny["name"] == "tiny" and tiny["kind"] == "generated" and tiny["description"]
    assert all(set(r) == {"name", "spec", "kind", "description"} for r in rows)


def test_compare_markdown_and_csv_say_where_and_what_differs_in_toml():
    from ortbench_tui.bench.compare import build_comparison, comparison_csv, comparison_markdown
    from ortbench_tui.bench.compare import format_comparison as text_of
    from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict

    a = Profile(name="a")
    b = apply_overrides(
        Profile(name="b"), ["run.io_binding=true", "session.free_dimensions.batch=1"]
    )
    comp = build_comparison(
        mode="offline",
        names=["a", "b"],
        sets=[None, None],
        summaries=[{}, {}],
        profiles=[profile_to_dict(a), profile_to_dict(b)],
        hardware={
            "cpu_model": "Xeon Test",
            "physical_cores": 4,
            "logical_cores": 8,
            "ort_version": "1.31.0",
            "gpus": [{"name": "H100"}],
        },
    )
    want = ["session.free_dimensions: {} -> { batch = 1 }", "run.io_binding: false -> true"]
    md = comparison_markdown(comp)
    assert "Machine: Xeon Test, 4 physical / 8 logical cores, H100, ORT 1.31.0." in md
    assert "- B (b) differs from A: " + "; ".join(f"`{d}`" for d in want) in md
    assert "; ".join(want) in text_of(comp)
    rows = comparison_csv(comp).splitlines()
    assert rows[0].endswith(",differs_from_A") and "; ".join(want) in rows[2]
    assert "True" not in md + rows[2] and "{'batch'" not in md + rows[2]
