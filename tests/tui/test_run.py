"""Pilot tests of the main screen's run: live streaming, finish, cancel, failures, crashes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tui_fakes import exiting_worker, fake_runner, fixed_hardware, settle, wait_for

from ortbench_tui.bench.result_record import RunResult
from ortbench_tui.bench.runner import RunHandle
from ortbench_tui.tui.screens.dialogs import ConfirmDialog
from ortbench_tui.tui.widgets.histogram import LatencyHistogram
from ortbench_tui.tui.widgets.lists import ModelList, ProfileList
from ortbench_tui.tui.widgets.notes import Notes
from ortbench_tui.tui.widgets.panels import HardwareLine, ModelDetails
from ortbench_tui.tui.widgets.run_panel import RunPanel
from ortbench_tui.tui.widgets.run_position import RunPosition
from ortbench_tui.tui.widgets.stats_view import StatsView

pytestmark = pytest.mark.asyncio


def notes(app) -> str:
    return app.screen.query_one("#run-notes", Notes).plain


def stats(app) -> dict[str, str]:
    return dict(app.screen.query_one(StatsView).items)


async def test_start_shows_machine_lists_and_the_selected_model(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        line = str(app.screen.query_one(HardwareLine).render())
        assert "Test CPU 9000" in line and "4 phys / 8 log cores" in line and "EPs: CPU" in line
        models = app.screen.query_one(ModelList)
        assert models.current.spec == "sample:tiny"
        assert {"sample:mlp", "sample:encoder"} <= {e.spec for e in models.entries}
        assert any(e.spec.endswith("-light") for e in models.entries)
        profiles = app.screen.query_one(ProfileList)
        assert [e.name for e in profiles.entries] == ["cpu-latency", "cuda"]
        details = app.screen.query_one(ModelDetails).plain
        assert "in  x: float32 [1, 16]" in details and "opset 17" in details
        assert "3 nodes" in details and "params" in details


async def test_symbolic_dims_of_a_model_are_shown_and_checked(app_factory, runner):
    app = app_factory(start_run=runner, initial_model="sample:encoder")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "symbolic dims: batch, sequence" in app.screen.query_one(ModelDetails).plain
        # cpu-latency fixes batch only: the missing seq is said before r is pressed.
        assert "input dims without a size: sequence" in notes(app)


async def test_saved_inputs_size_the_dims_so_no_warning_is_left(app_factory, runner):
    """Issue 19 item 5: once the inputs form saved a shape, its dims are no longer unsized."""
    from ortbench_tui.inputs import InputSpec
    from ortbench_tui.inputs.store import save_spec

    save_spec("sample:encoder", InputSpec(shapes={"tokens": (1, 8, 64)}))
    app = app_factory(start_run=runner, initial_model="sample:encoder")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "input dims without a size" not in notes(app)
        assert "free_dimensions in the editor" not in notes(app)


@pytest.mark.slow
async def test_run_streams_then_shows_the_result(app_factory):
    runner = fake_runner(hold=True)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: runner.started and panel.live.size > 0)
        await wait_for(pilot, lambda: panel.redraws > 0)
        # Live: the first batch (500 of 2000) is drawn before the run ends.
        assert panel.running and stats(app)["runs"] == "500"
        assert app.screen.query_one(LatencyHistogram).picture.p50_col is not None
        assert "timed 500/2000" in app.screen.query_one(RunPosition).text
        runner.started[0]._cancel.set()  # let the fake run go on (it sees a cancel)
        await settle(pilot)
        assert not panel.running


async def test_finished_run_reports_eps_times_and_warnings(app_factory):
    runner = fake_runner(warnings=["shared cores: the worker shares 2 logical cores"])
    saved: list[RunResult] = []

    def save(result, samples):
        saved.append(result)
        return Path("20260102-run.json")

    app = app_factory(start_run=runner, save_result=save)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        request = runner.started[0].request
        assert request.model == "sample:tiny" and request.profile.name == "cpu-latency"
        text = notes(app)
        assert "EPs: CPU (as requested)" in text
        assert "create 12.5 ms" in text and "first run 420 µs" in text
        assert "⚠ shared cores" in text
        assert "saved to history as 20260102-run.json" in text
        assert len(saved) == 1 and saved[0].runs == 2000
        assert stats(app)["p50"].endswith("µs")
        assert app.screen.query_one(RunPosition).text == "done"


async def test_fallback_is_an_error_line(app_factory):
    runner = fake_runner(
        warnings=["FALLBACK: CUDAExecutionProvider did not load here; the session runs on CPU"],
    )
    app = app_factory(start_run=runner, initial_profile="cpu-latency")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        lines = app.screen.query_one("#run-notes", Notes).lines
        assert (
            "error",
            "✗ FALLBACK: CUDAExecutionProvider did not load here; the session runs on CPU",
        ) in lines


@pytest.mark.slow
async def test_escape_cancels_and_keeps_the_partial_result(app_factory):
    runner = fake_runner(hold=True)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: panel.live.size > 0)
        await pilot.press("escape")
        await settle(pilot)
        assert runner.started[0].cancelled
        assert not panel.running
        assert panel.last_result.status == "cancelled"
        assert panel.last_result.runs == 500
        assert "cancelled: partial result from 500 runs" in notes(app)


@pytest.mark.slow
async def test_real_tiny_run_in_the_worker_process(app_factory, isolated_dirs):
    """The engine for real: spawn child, streamed batches, result saved to history."""
    app = app_factory()  # the engine's start_run and save_to_history
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: not panel.running, timeout=60)
        result = panel.last_result
        assert result is not None and result.status == "ok", notes(app)
        assert result.runs == 200 and panel.last_samples.size == 200
        assert result.providers.active == ["CPUExecutionProvider"]
        saved = list((isolated_dirs / "results").glob("*.json"))
        assert len(saved) == 1
        assert json.loads(saved[0].read_text())["latency_ms"]["p50"] > 0
        assert float(stats(app)["p50"].split()[0]) > 0


@pytest.mark.slow
async def test_real_cancel_stops_the_child_quickly(app_factory, tmp_path):
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # A 30 s run by time, stopped after the first streamed batch.
        profile = app.screen.current_profile.profile
        profile.run.duration_s = 30.0
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: panel.live.size > 0, timeout=60)
        await wait_for(pilot, lambda: "/30 s" in app.screen.query_one(RunPosition).text)
        pressed = time.monotonic()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not panel.running, timeout=10)
        assert time.monotonic() - pressed < 2.0  # the child stops after its current batch
        assert panel.last_result.status == "cancelled"
        assert panel.last_result.runs > 0
        assert panel.last_result.wall_s < 15
        # Issue 20 item 16: a cancelled result says why (it was null from the TUI).
        assert panel.last_result.reason == "cancelled before the planned end"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("profile", "change", "needle"),
    [
        ("cpu-latency", lambda p: setattr(p.run, "pin_cpus", [9999]), "pin_cpus"),
        ("cuda", lambda p: None, "execution provider not available"),
    ],
    ids=["bad-pin-cpus", "unavailable-ep"],
)
async def test_input_error_from_the_real_child_is_reported(app_factory, profile, change, needle):
    app = app_factory(initial_profile=profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        change(app.screen.current_profile.profile)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: not panel.running, timeout=60)
        assert "✗ bad input" in notes(app) and needle in notes(app)
        # The screen hears of the failure after the panel (the message bubbles up).
        await wait_for(pilot, lambda: any(needle in str(n.message) for n in app._notifications))
        assert app.screen.id == "main"  # the app goes on


@pytest.mark.slow
async def test_crashing_worker_process_is_reported(app_factory):
    def start(request):
        return RunHandle(request, target=exiting_worker)

    app = app_factory(start_run=start)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: not panel.running, timeout=60)
        text = notes(app)
        assert "✗ run failed: the worker process died (exited with code 3)" in text
        # ... and the next run works.
        app.start_run = fake_runner()
        panel._start_run = app.start_run
        await pilot.press("r")
        await settle(pilot)
        assert panel.last_result.status == "ok"


@pytest.mark.slow
async def test_bad_model_file_is_an_error_not_a_crash(app_factory, workdir):
    bad = workdir / "models" / "broken.onnx"
    bad.parent.mkdir()
    bad.write_bytes(b"this is not a protobuf")
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        models = app.screen.query_one(ModelList)
        models.select_spec(str(bad))
        await settle(pilot)
        assert "not a valid ONNX model" in app.screen.query_one(ModelDetails).plain
        await wait_for(
            pilot, lambda: any("not a valid ONNX" in str(n.message) for n in app._notifications)
        )
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: not panel.running, timeout=60)
        assert "✗ bad input" in notes(app) or "✗ run failed" in notes(app)


async def test_unavailable_ep_is_flagged_before_the_run(app_factory, runner):
    app = app_factory(start_run=runner, initial_profile="cuda")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "✗ CUDA does not load here (working: CPU)" in notes(app)


@pytest.mark.slow
async def test_history_save_refused_by_the_disk(app_factory, monkeypatch, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the results folder should be")
    monkeypatch.setenv("ORTBENCH_DATA_DIR", str(blocker))
    app = app_factory(start_run=fake_runner())  # the engine's save_to_history
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "✗ not saved to history" in notes(app)
        await wait_for(
            pilot, lambda: any(n.title == "Not saved to history" for n in app._notifications)
        )
        assert app.screen.query_one(RunPanel).last_result.status == "ok"


@pytest.mark.slow
async def test_unexpected_worker_error_becomes_a_modal(app_factory):
    def start(request):
        raise RuntimeError("boom in start_run")

    app = app_factory(start_run=start)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "MessageDialog"
        assert "boom in start_run" in app.screen.query_one("#message-lines", Notes).plain
        await pilot.press("escape")
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_redraws_are_coalesced(app_factory):
    """Many small batches, few redraws: the panel never draws more than ~10 times a second."""
    samples = np.full(5000, 70_000, dtype=np.int64)
    runner = fake_runner(samples=samples, batches=500)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        panel = app.screen.query_one(RunPanel)
        assert panel.last_result.runs == 5000
        assert panel.redraws < 50


@pytest.mark.slow
async def test_the_outcome_stays_until_the_selection_changes(app_factory):
    from ortbench_tui.tui.messages import ModelInspected

    runner = fake_runner(failure=("input", "bad value in the profile"))
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert "✗ bad input: bad value in the profile" in notes(app)
        # Late background news (a model read again, the machine detected) keeps it.
        info = app.model_infos["sample:tiny"]
        app.screen.post_message(ModelInspected("sample:tiny", info, None))
        app.hardware = fixed_hardware()
        await pilot.pause()
        assert "✗ bad input: bad value in the profile" in notes(app)
        # Another model: the checks for the new pair replace it.
        await pilot.press("down")
        await settle(pilot)
        assert notes(app).startswith("ready: r runs sample:mlp")


@pytest.mark.slow
async def test_quit_during_a_run_stops_it(app_factory):
    runner = fake_runner(hold=True)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: panel.live.size > 0)
        await pilot.press("q")
        await pilot.pause()
        # Issue 20 item 17: q asked nothing; the dialog says the partial result is kept.
        assert isinstance(app.screen, ConfirmDialog), app.screen
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "kept in history" in shown
        assert not runner.started[0].cancelled
        await pilot.press("y")
        await pilot.pause()
    assert runner.started[0].cancelled
    assert app.return_code == 0


class BuildingHandle:
    """A run whose worker sits in TensorRT's engine build until it is stopped."""

    def __init__(self, request: Any) -> None:
        self.request = request
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def events(self) -> Iterator[Any]:
        from ortbench_tui.bench.job import JobFailed
        from ortbench_tui.bench.runner import RunProgress
        from ortbench_tui.session_gpu import BUILD_PHASE

        yield RunProgress(BUILD_PHASE, 0, None, 0.5, None)
        yield RunProgress(BUILD_PHASE, 7, None, 7.5, None)
        self._cancel.wait(20)
        yield JobFailed("run", "cancelled while building TensorRT engine: nothing measured")


async def test_the_tensorrt_build_shows_as_its_own_phase_and_esc_stops_it(app_factory):
    started: list[BuildingHandle] = []

    def start(request: Any) -> BuildingHandle:
        started.append(BuildingHandle(request))
        return started[-1]

    app = app_factory(start_run=start)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        phase = app.screen.query_one(RunPosition)
        await wait_for(pilot, lambda: "building TensorRT engine… 7 s" in phase.text)
        await pilot.press("escape")
        await wait_for(pilot, lambda: started[0].cancelled)
        await wait_for(pilot, lambda: not app.screen.query_one(RunPanel).running)


async def test_the_run_panel_shows_peak_rss_at_80_columns(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = str(app.screen.query_one(HardwareLine).render())
        assert line.startswith("ortbench · EPs: CPU")  # the EPs before the long CPU name
        await pilot.press("r")
        await wait_for(pilot, lambda: "peak RSS" in notes(app), timeout=15)
        assert "peak RSS 80 MiB" in notes(app)


async def test_the_live_charts_take_a_new_theme_s_colours(app_factory):
    """The charts look their styles up once per style change: a theme switch must reach them."""
    from ortbench_tui.tui.widgets.run_chart import RunIndexChart

    app = app_factory(start_run=fake_runner())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        widgets = [app.screen.query_one(w) for w in (LatencyHistogram, RunIndexChart, StatsView)]
        before = [w.part_styles() for w in widgets]
        drawn = [w.render_line(0) for w in widgets]
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await pilot.pause()
        after = [w.part_styles() for w in widgets]
        assert all(a != b for a, b in zip(after, before, strict=True))
        redrawn = [w.render_line(0) for w in widgets]
        assert all(
            {s.style for s in new} != {s.style for s in old}
            for new, old in zip(redrawn, drawn, strict=True)
        )
