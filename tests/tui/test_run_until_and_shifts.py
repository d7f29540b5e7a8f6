"""Pilot tests of an "until ±x%" run and of latency shifts in the run panel: the live CI
width in the phase label, the stop reason after, the shift marker in the run chart and the
shift warnings under the run; and the editor's hints for run.until_ci_pct."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from tui_fakes import fixed_result, fixed_samples, settle, wait_for

from ortbench_tui.bench.ci_stop import CiWidthState
from ortbench_tui.bench.result_record import result_view
from ortbench_tui.bench.run_watch import ci_width_record
from ortbench_tui.bench.runner import Finished, RunProgress
from ortbench_tui.tui.widgets.notes import Notes
from ortbench_tui.tui.widgets.profile_form import FormRow, ProfileForm
from ortbench_tui.tui.widgets.run_chart import RunIndexChart
from ortbench_tui.tui.widgets.run_panel import RunPanel
from ortbench_tui.tui.widgets.run_position import RunPosition

pytestmark = pytest.mark.asyncio

SHIFT = "latency shifted +40% at 0.1 s: another process may have taken the core"


def state(half: float | None, reason: str = "") -> CiWidthState:
    p50 = 420_000.0
    low = None if half is None else p50 * (1 - half)
    high = None if half is None else p50 * (1 + half)
    return CiWidthState(1000, 12, 0.95, p50, low, high, half, 0.02, reason, None)


class PrecisionHandle:
    """An until-±2% run: one timed batch with a 3.1% CI (held until released), then one that
    reaches 1.8%, then the result with its stop record and a shift at run 1000."""

    def __init__(self, request: Any) -> None:
        request.profile.run.until_ci_pct = 2.0
        request.profile.run.max_duration_s = 30.0
        self.request = request
        self.release = threading.Event()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def events(self) -> Iterator[Any]:
        samples = fixed_samples()[:2000].copy()
        samples[1000:] = (samples[1000:] * 1.4).astype(np.int64)
        yield RunProgress("first_run", 0, 1, 0.01, None)
        yield RunProgress(
            "timed",
            1000,
            None,
            1.5,
            None,
            new_samples_ns=samples[:1000],
            precision=state(0.031),
            shifts=[],
        )
        self.release.wait(20)
        yield RunProgress(
            "timed",
            2000,
            None,
            3.0,
            None,
            new_samples_ns=samples[1000:],
            precision=state(0.018, "precision"),
            shifts=[1000],
        )
        result = fixed_result(samples, self.request, warnings=[SHIFT])
        result["stopping"] = ci_width_record(state(0.018, "precision"), 0.02, 30.0)
        result["shifts"] = [{"run": 1000, "at_s": 0.1, "ratio": 1.4}]
        yield Finished(result_view(result), samples)


@pytest.mark.slow
async def test_until_run_shows_the_ci_width_live_then_why_it_stopped(app_factory):
    handles: list[PrecisionHandle] = []

    def start(request: Any) -> PrecisionHandle:
        handles.append(PrecisionHandle(request))
        return handles[-1]

    app = app_factory(start_run=start)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: handles and panel.redraws > 0)
        phase = app.screen.query_one(RunPosition).text
        assert phase.startswith("until ±2%: ±3.1%"), phase
        assert panel.precision.half_width == pytest.approx(0.031)
        handles[0].release.set()
        await settle(pilot)
        assert not panel.running
        notes = app.screen.query_one("#run-notes", Notes).plain
        assert "stopped: precision reached, p50 95% CI ±1.8%" in notes and "(target ±2%)" in notes
        assert f"⚠ {SHIFT}" in notes
        chart = app.screen.query_one(RunIndexChart)
        width = chart.content_size.width - len("run→ ")
        # The shift at run 1000 of 2000 is marked in the middle of the chart.
        (col,) = chart.shift_columns(width)
        assert abs(col - width // 2) <= 1
        assert "▼" in chart.plain


@pytest.mark.slow
async def test_a_live_shift_is_marked_while_the_run_goes(app_factory):
    handles: list[PrecisionHandle] = []

    class LiveShift(PrecisionHandle):
        def events(self) -> Iterator[Any]:
            samples = fixed_samples()[:2000].copy()
            yield RunProgress("first_run", 0, 1, 0.01, None)
            # In batches, as the worker sends them: the live chart is drawn from per-batch
            # summaries, so a shift is placed to its batch.
            for start in range(0, 2000, 100):
                yield RunProgress(
                    "timed",
                    start + 100,
                    None,
                    1.5 * (start + 100) / 2000,
                    None,
                    new_samples_ns=samples[start : start + 100],
                    precision=state(0.031),
                    shifts=[1500],
                )
            self.release.wait(20)
            yield Finished(result_view(fixed_result(samples, self.request)), samples)

    def start(request: Any) -> PrecisionHandle:
        handles.append(LiveShift(request))
        return handles[-1]

    app = app_factory(start_run=start)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        chart = app.screen.query_one(RunIndexChart)
        width = chart.content_size.width - len("run→ ")
        # Drawn once all 20 batches are in (the 10 Hz redraw).
        await wait_for(pilot, lambda: bool(chart.shift_columns(width)) and chart.runs == 2000)
        # One column per batch while they fit: the shift at run 1500 of 2000 sits 3/4 along.
        used = min(width, 20)
        (col,) = chart.shift_columns(width)
        assert abs(col - used * 3 // 4) <= 1
        handles[0].release.set()
        await settle(pilot)
        # No shift in the result: the finished chart has no marker.
        assert chart.shift_columns(width) == set()


@pytest.mark.slow
async def test_the_editor_offers_until_next_to_runs_and_duration(app_factory, runner):
    from test_editor import open_editor, row, type_into

    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot)
        ids = [r.id for r in editor.query(FormRow)]
        at = ids.index("row-f-run-timed-runs")
        assert ids[at : at + 4] == [
            "row-f-run-timed-runs",
            "row-f-run-duration-s",
            "row-f-run-until-ci-pct",
            "row-f-run-max-duration-s",
        ]
        assert "0 = off" in row(editor, "#f-run-until-ci-pct").hint
        assert "with until ±%" in row(editor, "#f-run-max-duration-s").hint
        await type_into(pilot, "#f-run-until-ci-pct", "2")
        assert row(editor, "#f-run-until-ci-pct").hint.startswith("until p50 is known to ±2%")
        form = editor.query_one(ProfileForm)
        assert form.snapshot()[0].run.until_ci_pct == 2.0


async def test_until_hint_says_what_the_value_does():
    from ortbench_tui.tui.profile_fields import until_hint

    assert until_hint(0.0) == "until ±x% (p50's 95% CI); 0 = off"
    assert until_hint(2.0) == "until p50 is known to ±2% (runs/duration ignored)"
    assert until_hint("x") == "until ±x% (p50's 95% CI); 0 = off"
