"""SVG snapshots of the main screens at 80x24 and 120x40, from fixed data only.

Hardware, profiles, samples and results are injected (tui_fakes), so no clock, path or
machine value reaches the pictures. Update the baselines with `pytest --snapshot-update`.
"""

from __future__ import annotations

import pytest
from tui_fakes import fake_runner, settle, wait_for

from ortbench_tui.tui.widgets.run_panel import RunPanel

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


def saved_name(result, samples):
    from pathlib import Path

    return Path("20260102-030405-sample-tiny-cpu-latency.json")


async def ready(pilot) -> None:
    await settle(pilot)


async def run_to_the_end(pilot) -> None:
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    panel = pilot.app.screen.query_one(RunPanel)
    await wait_for(pilot, lambda: not panel.running)
    await pilot.pause()


async def open_editor(pilot) -> None:
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_main_screen(snap_compare, app_factory, size):
    app = app_factory(start_run=fake_runner(), save_result=saved_name)
    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_editor(snap_compare, app_factory, size):
    app = app_factory(start_run=fake_runner(), save_result=saved_name)
    assert snap_compare(app, terminal_size=size, run_before=open_editor)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_finished_run(snap_compare, app_factory, size):
    runner = fake_runner(
        warnings=[
            "shared cores: the worker shares this machine's 2 logical "
            "cores with everything else (the UI included); expect noise"
        ]
    )
    app = app_factory(start_run=runner, save_result=saved_name)
    assert snap_compare(app, terminal_size=size, run_before=run_to_the_end)


@pytest.mark.slow
@pytest.mark.parametrize("size", SIZES)
def test_crashed_run(snap_compare, app_factory, size):
    runner = fake_runner(failure=("run", "the worker process died (killed by SIGSEGV)"))
    app = app_factory(start_run=runner, save_result=saved_name)
    assert snap_compare(app, terminal_size=size, run_before=run_to_the_end)


async def open_inputs_form(pilot) -> None:
    from ortbench_tui.tui.widgets.lists import ModelList

    await settle(pilot)
    pilot.app.screen.query_one(ModelList).focus()
    await pilot.press("r")  # sample:encoder has an unset dim: the form opens prefilled
    await pilot.pause()
    await pilot.pause()


def test_inputs_form(snap_compare, app_factory):
    app = app_factory(start_run=fake_runner(), initial_model="sample:encoder")
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_inputs_form)
