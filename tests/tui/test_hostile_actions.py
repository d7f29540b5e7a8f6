"""Keys and names that once crashed the app (issue 20 items 6 and 7)."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input
from tui_fakes import settle, wait_for, wait_for_screen

from ortbench_tui.tui.screens.dialogs import PromptDialog
from ortbench_tui.tui.screens.help import HelpScreen

pytestmark = pytest.mark.asyncio


@pytest.mark.slow
async def test_a_300_character_name_in_save_as_is_refused_not_a_crash(app_factory, runner, workdir):
    """`OSError [Errno 36]` once ended the app with a traceback and lost the edits."""
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        app.screen.query_one(Input).value = "a" * 300
        await pilot.press("enter")
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, PromptDialog)  # the prompt says why and stays
        assert "at most 100 characters" in str(app.screen.query_one("#prompt-error").render())
        assert not list((workdir / "profiles").glob("a" * 50 + "*"))


@pytest.mark.slow
async def test_enter_enter_in_the_command_palette_does_not_crash(app_factory, runner):
    """ctrl+p, a pause, enter, enter: `ScreenStackError: Can't pop screen` (3 of 3 tries)."""
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        # Narrowed to the help entry, so the first enter opens it whatever the palette's order.
        await pilot.press(*"every key")
        await wait_for(pilot, lambda: app.screen.query_one("CommandList").option_count > 0)
        # Both keys queued at once, as a terminal delivers them (pilot.press waits between).
        for _ in range(2):
            app.post_message(events.Key("enter", "\r"))
        await wait_for_screen(pilot, HelpScreen)
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert [type(s).__name__ for s in app.screen_stack] == ["MainScreen", "HelpScreen"]
