"""A run in the TUI whose worker dies still keeps what it measured (issue 20 item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tui_fakes import settle, wait_for

from ortbench_tui.tui.widgets.notes import Notes
from ortbench_tui.tui.widgets.run_panel import RunPanel
from ortbench_tui.tui.widgets.run_position import RunPosition

pytestmark = pytest.mark.asyncio


@pytest.mark.slow
async def test_a_worker_killed_mid_run_keeps_the_partial_in_history(
    app_factory, isolated_dirs: Path
):
    """The worker is SIGKILLed (as the out-of-memory killer does) during a 30 s run: the
    runs on screen were once thrown away, the bar dropped to 0% and history got nothing."""
    app = app_factory()  # the engine's start_run and save_to_history
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.screen.current_profile.profile.run.duration_s = 30.0
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: panel.live.size > 0, timeout=60)
        await wait_for(pilot, lambda: "/30 s" in app.screen.query_one(RunPosition).text)
        panel._handle.process.kill()
        await wait_for(pilot, lambda: not panel.running, timeout=30)
        text = app.screen.query_one("#run-notes", Notes).plain
        assert "killed by SIGKILL" in text
        assert "partial result from" in text and "saved as" in text, text
        saved = [json.loads(p.read_text()) for p in (isolated_dirs / "results").glob("*.json")]
        assert len(saved) == 1
        assert saved[0]["status"] == "failed" and saved[0]["runs"] > 0
        assert saved[0]["wall_s"] > 0 and saved[0]["throughput_per_s"] > 0
        assert app.screen.query_one(RunPosition).progress > 0  # the share it measured
