"""A model with 10,000 inputs opens its inputs form at once and Esc closes it (issue 20 item
11: the form froze the app for over 2 minutes at 2.25 GB and ignored esc)."""

from __future__ import annotations

import pytest
from textual.widgets import Input
from tui_fakes import settle, wait_for

from ortbench_tui.inputs.spec import InputSpec
from ortbench_tui.models import TensorInfo
from ortbench_tui.tui.screens.inputs_form import FORM_ROWS, InputsScreen

pytestmark = pytest.mark.asyncio


@pytest.mark.slow
@pytest.mark.timeout(240)  # the old form never finished mounting on a busy 2-core machine
async def test_ten_thousand_inputs_show_a_bounded_form(app_factory, runner):
    inputs = [TensorInfo(f"in{i}", "float32", [1, 4]) for i in range(10_000)]
    saved = []
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        form = InputsScreen("wide.onnx", inputs, InputSpec(), {}, save=lambda m, s: saved.append(s))
        app.push_screen(form)
        await wait_for(pilot, lambda: app.screen is form and form.is_mounted, timeout=60)
        assert len(form.query(Input)) == 2 * FORM_ROWS
        status = str(form.query_one("#inputs-status").render())
        assert f"the first {FORM_ROWS} of 10,000 inputs shown" in status
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not form, timeout=30)
