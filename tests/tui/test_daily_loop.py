"""The daily loop: unsaved edits are asked about, the run panel shows what its title says,
the workbench's features are in the footer."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from textual.widgets._footer import FooterKey
from tui_fakes import fake_runner, settle, wait_for, wait_for_screen

from ortbench_tui.profile import load_profile
from ortbench_tui.tui.screens.profile_files import UnsavedDialog
from ortbench_tui.tui.widgets.lists import ModelList
from ortbench_tui.tui.widgets.run_panel import RunPanel
from ortbench_tui.tui.widgets.run_position import RunPosition
from ortbench_tui.tui.widgets.stats_view import StatsView

pytestmark = pytest.mark.asyncio


async def edit_timed_runs(pilot, value: str) -> None:
    """Open the editor on the selected profile and change run.timed_runs."""
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    box = pilot.app.screen.query_one("#f-run-timed-runs", Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *value)
    await pilot.pause()


@pytest.mark.slow
async def test_quit_from_the_editor_asks_and_cancel_stays(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await edit_timed_runs(pilot, "321")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await wait_for_screen(pilot, UnsavedDialog, timeout=5)
        assert "cpu-latency" in str(app.screen.query_one("#unsaved-question").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "editor" and app.is_running
        assert app.screen.entry.profile.run.timed_runs == 321


@pytest.mark.slow
async def test_esc_then_q_asks_and_save_writes_then_quits(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await edit_timed_runs(pilot, "321")
        await pilot.press("escape")  # leaving the editor asks too
        await pilot.pause()
        await wait_for_screen(pilot, UnsavedDialog, timeout=5)
        await pilot.press("k")  # keep: back, marked *
        await pilot.pause()
        assert app.screen.id == "main"
        await pilot.press("q")
        await pilot.pause()
        await wait_for_screen(pilot, UnsavedDialog, timeout=5)
        await pilot.press("s")
        await pilot.pause()
    assert load_profile(workdir / "profiles" / "cpu-latency.toml").run.timed_runs == 321
    assert app.return_code == 0


@pytest.mark.slow
async def test_discard_on_quit_leaves_the_file_alone(app_factory, runner, workdir):
    before = (workdir / "profiles" / "cpu-latency.toml").read_text()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await edit_timed_runs(pilot, "321")
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert not app.is_running
    assert (workdir / "profiles" / "cpu-latency.toml").read_text() == before


@pytest.mark.slow
async def test_closing_the_editor_with_discard_restores_the_file_values(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await edit_timed_runs(pilot, "321")
        entry = app.screen.entry
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.id == "main"
        assert entry.profile.run.timed_runs == 200 and not entry.dirty
        await pilot.press("q")  # nothing unsaved: quits at once
        await pilot.pause()
        assert not app.is_running


async def test_quit_without_edits_does_not_ask(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.slow
async def test_a_model_switch_never_shows_the_previous_models_figures(app_factory):
    """The reported defect: a cancelled run on one model, then another model selected."""
    runner = fake_runner(hold=True)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        models = app.screen.query_one(ModelList)
        first = models.current.spec
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: panel.live.size > 0)
        await pilot.press("escape")
        await settle(pilot)
        assert panel.last_result.status == "cancelled"
        assert dict(panel.query_one(StatsView).items)  # the partial figures are shown
        # The bar of a stopped run shows how far it got, not 100%.
        bar = panel.query_one(RunPosition)
        assert 0 < bar.fraction < 1.0
        models.focus()
        await pilot.press("down")
        await settle(pilot)
        second = models.current.spec
        assert second != first
        assert second in panel.border_title
        assert dict(panel.query_one(StatsView).items) == {}
        assert panel.last_result is None
        # Back to the first model: its last result comes back, under its own name.
        await pilot.press("up")
        await settle(pilot)
        assert first in panel.border_title
        assert panel.last_result.status == "cancelled"
        assert dict(panel.query_one(StatsView).items)


@pytest.mark.slow
@pytest.mark.parametrize("width", [120, 80])
async def test_footer_shows_the_workbench_features(app_factory, runner, width):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        footer_keys = [k for k in app.screen.query(FooterKey) if k.region.width]
        visible = {k.key for k in footer_keys if k.region.right <= width and k.region.x >= 0}
        assert {"r", "e", "h", "t", "c", "p", "w", "v"} <= visible, visible
        assert {"q", "question_mark"} <= visible, visible  # at 80 columns too
