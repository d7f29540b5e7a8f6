"""Measurements by count end in bounded time whatever the model (run.max_duration_s caps a
run's timed runs, each profile's in a comparison and each point's in a curve, and the result
says so), and every one has an ETA that knows the cap (bench.run_eta)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from ortbench_tui.bench.curve import load_curve_samples
from ortbench_tui.bench.interleave import plan_schedule
from ortbench_tui.bench.job import fraction_from_eta
from ortbench_tui.bench.level_bootstrap import MIN_CI_ROUNDS
from ortbench_tui.bench.run_eta import capped_eta, count_cap_s, eta_text, run_eta
from ortbench_tui.cli import main
from ortbench_tui.profile import Profile


def _run(**values: float):
    run = Profile().run
    for key, value in values.items():
        setattr(run, key, value)
    return run


def test_a_run_by_count_far_longer_than_its_cap_stops_at_the_cap_and_says_so(capsys, tmp_path):
    out = tmp_path / "r.json"
    planned = 10_000_000  # sample:tiny takes microseconds a run: hours of runs
    argv = ["run", "sample:tiny", "--runs", str(planned), "--warmup", "1", "--max-duration", "0.5"]
    assert main([*argv, "--no-history", "-q", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["status"] == "ok" and 0 < result["runs"] < planned
    (warning,) = [w for w in result["warnings"] if w.startswith("stopped at the time cap")]
    assert f"of {planned} timed runs in 0.5 s" in warning
    assert "stopped at the time cap" in capsys.readouterr().out


def test_the_default_profile_caps_runs_by_count_and_nothing_else():
    assert count_cap_s(Profile().run) == 60.0  # the documented default
    assert count_cap_s(_run(duration_s=5.0)) == 0.0
    assert count_cap_s(_run(until_ci_pct=2.0)) == 0.0
    assert count_cap_s(_run(max_duration_s=0.0)) == 0.0


def test_eta_by_count_by_time_and_capped():
    # 100 of 1000 runs in 1 s: 9 s more, unless the cap comes first
    assert run_eta(_run(max_duration_s=0.0), 100, 1000, 1.0) == 9.0
    assert run_eta(_run(max_duration_s=5.0), 100, 1000, 1.0) == 4.0
    # a 300 ms model: 10 of 1000 runs in 3 s would take 297 s more; the 60 s cap says 57 s
    assert run_eta(Profile().run, 10, 1000, 3.0) == 57.0
    assert run_eta(_run(duration_s=10.0), 5, None, 4.0) == 6.0
    assert run_eta(_run(max_duration_s=0.0), 1, 1000, 0.01) is None  # too early to tell
    assert eta_text(57.0) == "ETA 57 s" and eta_text(185.0) == "ETA 3 min 5 s"
    assert eta_text(None) == ""


# -- compare and curve: the same cap, per profile and per point ------------------------------


def slow_model(path: Path, size: int = 384, matmuls: int = 6) -> str:
    """A fixed-shape MatMul chain: ~20 ms a run on one thread of a 2-core VM (13 ms measured
    for 4 of them), so 100 000 runs would take over half an hour without the cap."""
    w = numpy_helper.from_array(np.full((size, size), 1.0 / size, np.float32), "w")
    nodes, prev = [], "x"
    for i in range(matmuls):
        nodes.append(helper.make_node("MatMul", [prev, "w"], [f"h{i}"]))
        prev = f"h{i}"
    nodes.append(helper.make_node("Identity", [prev], ["y"]))
    graph = helper.make_graph(
        nodes,
        "slow",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [size, size])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [size, size])],
        [w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, path)
    return str(path)


PLANNED = 100_000
ONE = "defaults+session.intra_op_num_threads=1"
CAPPED_LINE = f"of {PLANNED} timed runs in 1 s (run.max_duration_s"


def compare_argv(model: str, out: Path, *extra: str) -> list[str]:
    return ["compare", model, "--profile", ONE, "--profile", ONE + "+run.io_binding=true",
            "--runs", str(PLANNED), "--max-duration", "1", "--warmup", "1", "--no-history",
            "-q", "--json", str(out), *extra]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("mode", [["--interleave", "--sessions", "1"], ["--sessions", "2"]])
def test_a_compare_by_count_stops_at_each_profiles_time_cap_and_says_so(capsys, tmp_path, mode):
    """Interleaved (one child, its rounds planned to fit the cap) and sequential (each
    session stops at its share of the cap): each profile's timed runs take about 1 s, not
    the half hour 100 000 runs would, and the runs reported are the samples kept."""
    out = tmp_path / "c.json"
    model = slow_model(tmp_path / "slow.onnx")
    started = time.perf_counter()
    assert main([*compare_argv(model, out), *mode]) == 0
    # the timed part is 2 x 1 s; sessions, warm-up and the 4 rounds a CI needs come on top
    assert time.perf_counter() - started < 60
    data = json.loads(out.read_text())
    for result in data["results"]:
        assert 0 < result["runs"] < PLANNED
        assert result["runs"] == sum(result["comparison"]["session_runs"])
        assert result["wall_s"] < 5  # the timed runs of the profile, all its sessions
        (line,) = [w for w in result["warnings"] if w.startswith("stopped at the time cap")]
        assert line.startswith(f"stopped at the time cap: {result['runs']} {CAPPED_LINE}")
    said = [w for w in data["comparison"]["warnings"] if CAPPED_LINE in w]
    assert said and "stopped at the time cap" in capsys.readouterr().out


@pytest.mark.slow
def test_a_curve_by_count_stops_every_point_at_its_time_cap_and_says_so(
    capsys, tmp_path, monkeypatch
):
    monkeypatch.setenv("ORTBENCH_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "curve.json"
    model = slow_model(tmp_path / "slow.onnx")
    argv = ["curve", model, "--concurrency", "1,2", "--runs", str(PLANNED), "--warmup", "1",
            "--max-duration", "1", "--set", "session.intra_op_num_threads=1", "-q",
            "--json", str(out)]  # fmt: skip
    started = time.perf_counter()
    assert main(argv) == 0
    assert time.perf_counter() - started < 60
    data = json.loads(out.read_text())
    assert data["per_point"]["max_duration_s"] == 1.0
    samples = load_curve_samples(data["saved"])
    for point in data["points"]:
        assert point["status"] == "ok" and 0 < point["requests"] < PLANNED
        assert point["wall_s"] < 3
        assert samples[f"point_{point['index']}"].size == point["requests"]
        label = f"C={point['concurrency']}: stopped at the time cap"
        (line,) = [w for w in data["warnings"] if w.startswith(label)]
        assert f"cap: {point['requests']} {CAPPED_LINE}" in line
    assert "C=2: stopped at the time cap" in capsys.readouterr().out


def test_an_interleaved_plan_by_count_fits_its_rounds_within_the_cap():
    """A 300 ms model, 2 profiles x 3 sessions, the default 1000 runs: 20 rounds of 17 runs
    a block would take 10 minutes; within the 120 s cap (60 s a profile) the blocks shrink
    so the 10 rounds a CI wants fit, and only the rounds that fit are planned."""
    slow = [300_000_000] * 6
    rounds, runs = plan_schedule(slow, timed_runs=334, duration_s=0)
    assert rounds * runs[0] * 1.8 > 600  # uncapped: over 10 minutes of timed runs
    rounds, runs = plan_schedule(slow, timed_runs=334, duration_s=0, cap_s=120.0)
    assert rounds >= 10 and rounds * runs[0] * 1.8 <= 120
    # a 10 s model: not even 1-run blocks fit 10 rounds; the 4 rounds a CI needs are kept
    rounds, runs = plan_schedule([10**10] * 6, timed_runs=334, duration_s=0, cap_s=120.0)
    assert (rounds, runs[0]) == (MIN_CI_ROUNDS, 1)
    # a count that fits is planned as before
    fast = [1_000_000, 2_000_000]
    assert plan_schedule(fast, 1000, 0, cap_s=120.0) == plan_schedule(fast, 1000, 0)


def test_capped_etas_of_compare_and_curve_steps():
    assert capped_eta(297.0, 60.0, 3.0) == 57.0 and capped_eta(5.0, 60.0, 3.0) == 5.0
    assert capped_eta(None, 60.0, 3.0) == 57.0 and capped_eta(None, 0.0, 3.0) is None
    # a step 3 s in with 57 s left (the cap's) is 5% done, not 1% (its count)
    assert fraction_from_eta(3.0, 57.0) == pytest.approx(0.05)
    assert fraction_from_eta(3.0, None) is None
