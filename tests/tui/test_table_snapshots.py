"""80x24 (the SSH baseline) snapshots of every table screen, with realistic long names.

Fixed data only (ortbench_tui.tui.demo and the fakes of test_compare_screens): saved results
are written under fixed file names in a relative data folder, so no clock, path or machine
value reaches the pictures. Update the baselines with `pytest --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_compare_screens import FakePracticesRun, FakeSweepRun, Host, prof
from tui_fakes import fixed_result, fixed_samples, settle, wait_for

from ortbench_tui.bench.practices import PracticesRequest
from ortbench_tui.bench.result_record import TraceSummary
from ortbench_tui.bench.results import save_samples, write_job_json
from ortbench_tui.bench.sweep import GridAxis, SweepRequest
from ortbench_tui.bench.trace import summarize_trace
from ortbench_tui.tui.screens.practices import PracticesScreen
from ortbench_tui.tui.screens.sweep import SweepScreen
from ortbench_tui.tui.screens.trace import TraceScreen

SIZE = (80, 24)
MODEL = "squeezenet1.1-7-quantized-static-int8.onnx"
PROFILES = ("cpu-latency-threads-1-io-binding", "cpu-latency-threads-4-io-binding")
DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def seeded_history(workdir, monkeypatch):
    """Three saved runs of a long-named model; the data folder is relative (a stable text)."""
    monkeypatch.setenv("ORTBENCH_DATA_DIR", "data")
    folder = workdir / "data" / "results"
    for i, (scale, profile, precision) in enumerate(
        [(1.0, PROFILES[0], "fp32"), (0.82, PROFILES[1], "fp32"), (0.64, PROFILES[0], "int8")]
    ):
        samples = (fixed_samples(3000, seed=i) * scale).astype(np.int64)
        result = fixed_result(samples)
        result["model"]["name"] = MODEL
        result["created"] = f"2026-01-0{i + 2}T10:0{i}:00+00:00"
        result["profile"]["name"] = profile
        result["profile"]["run"] = {"precision": precision}
        result["inputs"] = [
            {"name": "data", "dtype": "float32", "shape": [1, 3, 224, 224], "source": {}}
        ]
        path = folder / f"2026010{i + 2}-100{i}00-run-{i}.json"
        write_job_json(result, path, overwrite=False, make_parents=True)
        save_samples(samples, path.with_suffix(".npy"))
    return folder


async def open_history(pilot) -> None:
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    await pilot.press("space", "down", "space")
    await pilot.pause()


@pytest.mark.slow
def test_history(snap_compare, app_factory, runner, seeded_history):
    app = app_factory(start_run=runner)
    assert snap_compare(app, terminal_size=SIZE, run_before=open_history)


@pytest.mark.slow
def test_compare_from_history(snap_compare, app_factory, runner, seeded_history):
    async def compare(pilot) -> None:
        await open_history(pilot)
        await pilot.press("c")
        await settle(pilot)
        await wait_for(pilot, lambda: pilot.app.screen.comparison is not None)
        await settle(pilot)

    app = app_factory(start_run=runner)
    assert snap_compare(app, terminal_size=SIZE, run_before=compare)


@pytest.mark.slow
def test_side_by_side(snap_compare, app_factory, runner, seeded_history):
    async def side_by_side(pilot) -> None:
        await open_history(pilot)
        await pilot.press("v")
        await settle(pilot)

    app = app_factory(start_run=runner)
    assert snap_compare(app, terminal_size=SIZE, run_before=side_by_side)


def test_sweep(snap_compare, tmp_path):
    request = SweepRequest(
        f"models/{MODEL}",
        prof(PROFILES[0]),
        [
            GridAxis("session.intra_op_num_threads", ["1", "2"]),
            GridAxis("run.io_binding", ["false", "true"]),
        ],
        budget_s=60.0,
        working_providers=["CPUExecutionProvider"],
    )
    screen = SweepScreen(request, start=FakeSweepRun, save_dir=tmp_path)

    async def done(pilot) -> None:
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)

    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=done)


def test_practices(snap_compare, tmp_path):
    request = PracticesRequest(f"models/{MODEL}", prof(PROFILES[0]))
    screen = PracticesScreen(request, start=FakePracticesRun, export_dir=tmp_path)

    async def done(pilot) -> None:
        await wait_for(pilot, lambda: screen.report is not None)
        await settle(pilot)

    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=done)


def test_trace(snap_compare):
    summary = summarize_trace(DATA / "ort_trace_cpu_conv.json", skip_runs=3)
    screen = TraceScreen(summary, f"{MODEL} × {PROFILES[0]}")

    async def shown(pilot) -> None:
        await settle(pilot)

    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=shown)


def control_flow_summary() -> TraceSummary:
    """An If whose then-branch holds long, real-looking node names (as exported models
    name them), with exclusive times: the If's own time is what its subgraph leaves."""
    names = [
        ("/model/decoder/layers.11/self_attn/q_proj/MatMul", "MatMul", 40),
        ("/model/decoder/layers.11/self_attn/k_proj/MatMul", "MatMul", 38),
        ("/model/decoder/layers.11/self_attn/Softmax", "Softmax", 12),
    ]
    events = [{"cat": "Session", "name": "model_run", "ts": 0, "dur": 200, "pid": 1, "tid": 1}]
    ts = 20
    for name, op, dur in names:
        events.append(
            {"cat": "Node", "name": f"{name}_kernel_time", "ts": ts, "dur": dur, "pid": 1,
             "tid": 1, "args": {"op_name": op, "provider": "CPUExecutionProvider"}}
        )  # fmt: skip
        ts += dur + 2
    events.append(
        {"cat": "Node", "name": "/model/decoder/use_cache_branch/If_kernel_time", "ts": 10,
         "dur": ts - 5, "pid": 1, "tid": 1,
         "args": {"op_name": "If", "provider": "CPUExecutionProvider"}}
    )  # fmt: skip
    events.append(
        {"cat": "Node", "name": "/model/decoder/final_layer_norm/LayerNormalization_kernel_time",
         "ts": ts + 10, "dur": 30, "pid": 1, "tid": 1,
         "args": {"op_name": "LayerNormalization", "provider": "CPUExecutionProvider"}}
    )  # fmt: skip
    return summarize_trace(events)


def test_trace_of_a_control_flow_model(snap_compare):
    """Subgraph nodes under their If; long names shortened so mean, total and share stay."""
    screen = TraceScreen(control_flow_summary(), "decoder_model_merged.onnx × cpu-latency")

    async def shown(pilot) -> None:
        await settle(pilot)

    assert snap_compare(Host(screen), terminal_size=SIZE, run_before=shown)
