"""Pilot tests of the inputs form: opened by its key, edited, saved per model and reopened
with the same inputs; opened prefilled before a run that has unset dims, run by one key."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_fakes import fake_runner, settle, wait_for, wait_for_screen

from ortbench_tui.inputs.spec import InputSpec
from ortbench_tui.inputs.store import load_saved_spec, save_spec
from ortbench_tui.tui.screens.inputs_form import InputsScreen
from ortbench_tui.tui.widgets.lists import ModelList

pytestmark = pytest.mark.asyncio

ENCODER = "sample:encoder"  # tokens float32 [batch, sequence, 64]; cpu-latency fixes batch = 1


async def open_form(pilot) -> InputsScreen:
    await settle(pilot)
    pilot.app.screen.query_one(ModelList).focus()
    await pilot.press("I")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, InputsScreen))
    return pilot.app.screen


@pytest.mark.slow
async def test_edit_a_dim_save_and_reopen_with_the_same_inputs(app_factory):
    runner = fake_runner()
    app = app_factory(start_run=runner, initial_model=ENCODER)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        shape = form.query_one("#shape-0", Input)
        assert shape.value == ""  # nothing saved yet, nothing guessed
        shape.value = "1x32x64"
        form.query_one("#values-0", Input).value = "uniform:-1..1"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, InputsScreen))
        saved = load_saved_spec(ENCODER)
        assert saved is not None and saved.shapes == {"tokens": (1, 32, 64)}
        assert saved.values["tokens"].text == "uniform:-1..1"
        assert runner.started == []  # saving alone does not run

        form = await open_form(pilot)
        assert form.query_one("#shape-0", Input).value == "1x32x64"
        assert form.query_one("#values-0", Input).value == "uniform:-1..1"
        await pilot.press("escape")
        await pilot.press("r")
        await wait_for(pilot, lambda: runner.started)
        assert runner.started[0].request.inputs.shapes == {"tokens": (1, 32, 64)}


@pytest.mark.slow
async def test_a_bad_value_is_shown_and_not_saved(app_factory):
    app = app_factory(start_run=fake_runner(), initial_model=ENCODER)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        form.query_one("#shape-0", Input).value = "1x32"
        await pilot.pause()
        status = str(form.query_one("#inputs-status").render())
        assert "rank 3" in status and "'tokens'" in status
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, InputsScreen) and load_saved_spec(ENCODER) is None


@pytest.mark.slow
async def test_run_with_unset_dims_opens_the_form_prefilled_and_one_key_runs(app_factory):
    runner = fake_runner()
    app = app_factory(start_run=runner, initial_model=ENCODER)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await wait_for_screen(pilot, InputsScreen)
        assert runner.started == []  # never run on a guessed size
        assert app.screen.query_one("#shape-0", Input).value == "1x1x64"
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: runner.started)
        assert runner.started[0].request.inputs.shapes == {"tokens": (1, 1, 64)}
        assert load_saved_spec(ENCODER).shapes == {"tokens": (1, 1, 64)}


async def test_typed_text_in_an_error_is_shown_as_text_not_markup(app_factory):
    save_spec(ENCODER, InputSpec(shapes={"tokens": (1, 4, 64)}))
    app = app_factory(start_run=fake_runner(), initial_model=ENCODER)
    async with app.run_test(size=(120, 40)) as pilot:
        form = await open_form(pilot)
        assert form.query_one("#shape-0", Input).value == "1x4x64"
        form.query_one("#values-0", Input).value = "[bold]x"
        await pilot.pause()
        status = str(form.query_one("#inputs-status").render())
        assert "'[bold]x'" in status and "unknown value spec" in status


@pytest.mark.slow
async def test_escape_with_edits_asks_before_they_are_lost(app_factory):
    from ortbench_tui.tui.screens.dialogs import ConfirmDialog

    app = app_factory(start_run=fake_runner(), initial_model=ENCODER)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pilot.press("escape")  # nothing typed: closes at once
        await wait_for(pilot, lambda: not isinstance(app.screen, InputsScreen))
        form = await open_form(pilot)
        form.query_one("#shape-0", Input).value = "1x32x64"
        await pilot.pause()
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")  # keep editing
        await wait_for(pilot, lambda: app.screen is form)
        assert form.query_one("#shape-0", Input).value == "1x32x64"
        await pilot.press("escape")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")  # discard
        await wait_for(pilot, lambda: not isinstance(app.screen, (InputsScreen, ConfirmDialog)))
        assert load_saved_spec(ENCODER) is None
