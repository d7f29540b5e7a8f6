"""Profiles written from the sweep and practices screens: `s` asks for the name (the model's
stem and `-best`, then `-2`…), never one starting with `-`; listed at once in the workbench;
the practices screen shows what it is measuring."""

from __future__ import annotations

import threading
import tomllib

import pytest
from test_compare_screens import FakePracticesRun, FakeSweepRun, Host, prof, sweep_request
from textual.widgets import Input
from tui_fakes import settle, wait_for, wait_for_screen

from ortbench_tui.bench.practices import PracticesProgress, PracticesRequest
from ortbench_tui.tui.screens.dialogs import PromptDialog
from ortbench_tui.tui.screens.practices import PracticesScreen
from ortbench_tui.tui.screens.sweep import VS_BEST_LEGEND, SweepScreen
from ortbench_tui.tui.widgets.lists import ProfileList

pytestmark = pytest.mark.asyncio


@pytest.mark.slow
async def test_sweep_best_is_listed_at_once_and_a_second_save_asks(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = SweepScreen(sweep_request(), start=FakeSweepRun)
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        assert VS_BEST_LEGEND in str(screen.query_one("#sweep-status").render())
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)  # asks for the name, short default
        assert app.screen.query_one(Input).value == "tiny-best"
        await pilot.press("enter")
        await settle(pilot)
        first = workdir / "profiles" / "tiny-best.toml"
        assert screen.saved == first and first.exists()
        first_text = first.read_text()
        assert app.workspace.find_profile("tiny-best") is not None  # compare picker
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one(Input).value == "tiny-best-2"
        await pilot.press("escape")  # cancelled: nothing written
        await pilot.pause()
        assert not (workdir / "profiles" / "tiny-best-2.toml").exists()
        await pilot.press("s")
        await pilot.pause()
        app.screen.query_one(Input).value = "-tmp-newcomer-best"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)  # refused, says why
        assert "cannot start with '-'" in str(app.screen.query_one("#prompt-error").render())
        app.screen.query_one(Input).value = "tiny-best"
        await pilot.press("enter")
        await pilot.pause()
        assert "exists already" in str(app.screen.query_one("#prompt-error").render())
        app.screen.query_one(Input).value = "tiny-best-2"
        await pilot.press("enter")
        await settle(pilot)
        assert (workdir / "profiles" / "tiny-best-2.toml").exists()
        assert first.read_text() == first_text  # never replaced
        await pilot.press("escape")
        await settle(pilot)
        names = [e.name for e in app.screen.query_one(ProfileList).entries]
        assert {"tiny-best", "tiny-best-2"} <= set(names)


@pytest.mark.slow
async def test_practices_save_best_applies_the_faster_rows(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        base = prof("ort-defaults", "session.graph_optimization_level=basic")
        screen = PracticesScreen(PracticesRequest("sample:mlp", base), start=FakePracticesRun)
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.report is not None)
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        path = workdir / "profiles" / "mlp-best.toml"
        assert screen.saved == path
        text = path.read_text()
        assert text.startswith("# Written by `ortbench practices --save-best`")
        assert "base profile ort-defaults, model sample:mlp" in text
        assert (
            "1a graph optimization EXTENDED (session.graph_optimization_level): "
            "0.800x [0.780, 0.820]" in text
        )
        # 1a (faster) is on; the not-applicable and not-measured rows changed nothing.
        data = tomllib.loads(text)
        assert data["name"] == "mlp-best"
        assert data["session"]["graph_optimization_level"] == "extended"
        assert app.workspace.find_profile("mlp-best") is not None
        await pilot.press("s")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        assert app.screen.query_one(Input).value == "mlp-best-2"


async def test_practices_show_the_rows_being_measured_and_totals():
    step = [threading.Event(), threading.Event()]

    class Stepping(FakePracticesRun):
        def events(self):
            yield PracticesProgress("timed", 9, 40, 0.5, None, "7 profiles, interleaved")
            step[0].wait(10)
            yield PracticesProgress("timed", 2, 10, 1.0, None, "fp16 (normal runner)")
            step[1].wait(10)
            yield from super().events()

    screen = PracticesScreen(PracticesRequest("sample:mlp", prof("ort-defaults")), start=Stepping)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        title = screen.query_one("#pr-title")
        await wait_for(pilot, lambda: "timed 9/40" in str(title.render()))
        verdicts = {str(r[0]): str(r[2]) for r in screen.rows}
        assert verdicts["1a"] == "measuring…" and verdicts["all"] == "measuring…"
        assert verdicts["7a"] == "waiting"  # the precision rows come after
        step[0].set()
        await wait_for(pilot, lambda: "timed 2/10" in str(title.render()))
        verdicts = {str(r[0]): str(r[2]) for r in screen.rows}
        assert verdicts["7a"] == "measuring…" and verdicts["7b"] == "waiting"
        assert verdicts["1a"] == "measured"
        step[1].set()
        await wait_for(pilot, lambda: screen.report is not None)
