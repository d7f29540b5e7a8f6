"""Pilot tests of the profile list: select, duplicate, rename, delete (with confirmation),
shipped profiles being read-only, and broken profile files."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_fakes import settle, wait_for_screen

from ortbench_tui.profile import load_profile
from ortbench_tui.tui.screens.dialogs import ConfirmDialog, PromptDialog
from ortbench_tui.tui.widgets.lists import ProfileList
from ortbench_tui.tui.widgets.panels import ProfileSummary

pytestmark = pytest.mark.asyncio


async def focus_profiles(pilot):
    await settle(pilot)
    plist = pilot.app.screen.query_one(ProfileList)
    plist.focus()
    await pilot.pause()
    return plist


async def answer_prompt(pilot, text: str) -> None:
    assert isinstance(pilot.app.screen, PromptDialog)
    box = pilot.app.screen.query_one(Input)
    await pilot.press("end", "ctrl+u", *list(text), "enter")
    await pilot.pause()
    assert box.value == text


@pytest.mark.slow
async def test_selecting_a_profile_updates_summary_and_run_title(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        plist = await focus_profiles(pilot)
        assert plist.current.name == "cpu-latency"
        await pilot.press("down")
        await pilot.pause()
        assert app.screen.current_profile.name == "cuda"
        assert app.screen.query_one(ProfileSummary).border_title == "Profile: cuda"
        assert "× cuda" in app.screen.query_one("#run").border_title
        await pilot.press("r")
        await settle(pilot)
        assert runner.started[0].request.profile.name == "cuda"


@pytest.mark.slow
async def test_duplicate_writes_a_copy(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        plist = await focus_profiles(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert pilot.app.screen.query_one(Input).value == "cpu-latency-copy"
        await answer_prompt(pilot, "mine")
        copy = workdir / "profiles" / "mine.toml"
        assert copy.exists() and load_profile(copy).name == "mine"
        assert load_profile(copy).run.timed_runs == 200
        assert [e.name for e in plist.entries] == ["cpu-latency", "mine", "cuda"]
        assert plist.current.name == "mine"


@pytest.mark.slow
async def test_duplicate_refuses_a_taken_name_inline(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_profiles(pilot)
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("end", "ctrl+u", *"cuda", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, PromptDialog)
        assert "exists already" in str(dialog.query_one("#prompt-error").render())
        await pilot.press("escape")
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_rename_moves_the_file(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        plist = await focus_profiles(pilot)
        await pilot.press("n")
        await pilot.pause()
        await answer_prompt(pilot, "latency")
        assert not (workdir / "profiles" / "cpu-latency.toml").exists()
        assert load_profile(workdir / "profiles" / "latency.toml").name == "latency"
        assert plist.current.name == "latency"


@pytest.mark.slow
async def test_delete_asks_first(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    path = workdir / "profiles" / "cpu-latency.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        plist = await focus_profiles(pilot)
        await pilot.press("x")
        await pilot.pause()
        await wait_for_screen(pilot, ConfirmDialog, timeout=5)
        await pilot.press("n")
        await pilot.pause()
        assert path.exists()
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not path.exists()
        assert [e.name for e in plist.entries] == ["cuda"]
        assert app.screen.current_profile.name == "cuda"


@pytest.mark.slow
async def test_shipped_profiles_are_read_only_and_saved_as_copies(app_factory, runner, workdir):
    app = app_factory(start_run=runner, include_shipped=True, initial_profile="cpu-throughput")
    async with app.run_test(size=(120, 40)) as pilot:
        plist = await focus_profiles(pilot)
        entry = plist.current
        assert entry.name == "cpu-throughput" and not entry.writable
        shipped = entry.path.read_text()
        await pilot.press("x")
        await pilot.pause()
        assert app.screen.id == "main" and entry.path.exists()
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.id == "main"
        entry.profile.run.warmup_runs = 3
        await pilot.press("s")
        await pilot.pause()
        copy = workdir / "profiles" / "cpu-throughput.toml"
        assert load_profile(copy).run.warmup_runs == 3
        assert entry.path == copy and entry.writable
        assert (app.workspace.profile_dirs[-1][0] / "cpu-throughput.toml").read_text() == shipped


@pytest.mark.slow
async def test_broken_profile_file_is_reported_and_unusable(app_factory, runner, workdir):
    (workdir / "profiles" / "broken.toml").write_text("[session]\nbogus_key = 1\n")
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        plist = await focus_profiles(pilot)
        assert any("bogus_key" in str(n.message) for n in app._notifications)
        labels = [e.label for e in plist.entries]
        assert "✗ broken.toml" in labels
        plist.highlighted = labels.index("✗ broken.toml")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert runner.started == []
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_save_refused_by_the_disk_is_a_notification(
    app_factory, runner, workdir, monkeypatch
):
    import errno
    import os

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    app = app_factory(start_run=runner)
    path = workdir / "profiles" / "cpu-latency.toml"
    before = path.read_text()
    async with app.run_test(size=(120, 40)) as pilot:
        await focus_profiles(pilot)
        monkeypatch.setattr(os, "replace", full_disk)
        app.screen.current_profile.profile.run.warmup_runs = 9
        await pilot.press("s")
        await pilot.pause()
        monkeypatch.undo()
        failed = [n for n in app._notifications if n.title == "Not saved"]
        assert failed and "No space left on device" in str(failed[0].message)
        assert app.screen.current_profile.dirty
        assert path.read_text() == before
        assert not list(path.parent.glob(".*.tmp"))  # no half-written temp file left
