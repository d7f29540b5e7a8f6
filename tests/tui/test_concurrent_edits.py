"""A profile edited on disk while the workbench holds it is never silently overwritten, and
neither is a second workbench's save (issue 20 item 5). The edit on disk is made by another
process, as a text editor or a second ortbench would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tui_fakes import settle

from ortbench_tui.profile import load_profile
from ortbench_tui.tui.screens.dialogs import ChoiceDialog

pytestmark = pytest.mark.asyncio


def edit_elsewhere(path: Path, old: str, new: str) -> None:
    script = (
        "import sys, pathlib; p = pathlib.Path(sys.argv[1]); "
        "p.write_text(p.read_text().replace(sys.argv[2], sys.argv[3]))"
    )
    subprocess.run([sys.executable, "-c", script, str(path), old, new], check=True)


async def _edited_here_and_there(pilot, app, path: Path) -> None:
    await settle(pilot)
    entry = app.screen.current_profile
    assert entry.path.resolve() == path.resolve()
    entry.profile.run.warmup_runs = 3  # the edit made here (the editor's working copy)
    edit_elsewhere(path, 'description = "', 'description = "edited by hand: ')
    await pilot.press("s")
    await pilot.pause()


@pytest.mark.slow
@pytest.mark.parametrize("choice", ["reload", "overwrite", "save-as", "cancel"])
async def test_a_save_over_a_file_edited_elsewhere_asks(app_factory, runner, workdir, choice):
    path = workdir / "profiles" / "cpu-latency.toml"
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await _edited_here_and_there(pilot, app, path)
        assert isinstance(app.screen, ChoiceDialog), "the save went through without asking"
        assert "edited by hand" in path.read_text()  # nothing written yet
        if choice == "cancel":
            await pilot.press("escape")
        else:
            app.screen.dismiss(choice)
        await pilot.pause()
        if choice == "save-as":
            await pilot.press("end", "ctrl+u", *"mine", "enter")
            await pilot.pause()
        on_disk = load_profile(path)
        if choice == "overwrite":
            assert on_disk.run.warmup_runs == 3
        else:  # the hand edit stays on disk
            assert "edited by hand" in on_disk.description
        if choice == "reload":
            assert app.screen.current_profile.profile.description.startswith("edited by hand")
        if choice == "save-as":
            assert load_profile(workdir / "profiles" / "mine.toml").run.warmup_runs == 3


@pytest.mark.slow
async def test_the_second_of_two_workbenches_saving_one_file_is_asked(app_factory, runner, workdir):
    """Two TUIs saving the same file both said "Saved"; the second undid the first."""
    path = workdir / "profiles" / "cpu-latency.toml"
    first, second = app_factory(start_run=runner), app_factory(start_run=runner)
    async with first.run_test(size=(120, 40)) as one, second.run_test(size=(120, 40)) as two:
        await settle(one)
        await settle(two)
        first.screen.current_profile.profile.run.warmup_runs = 3
        second.screen.current_profile.profile.run.warmup_runs = 7
        await one.press("s")
        await one.pause()
        assert load_profile(path).run.warmup_runs == 3
        await two.press("s")
        await two.pause()
        assert isinstance(second.screen, ChoiceDialog)
        assert load_profile(path).run.warmup_runs == 3
