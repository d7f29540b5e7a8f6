"""Pilot test of the trend screen: `t` on a history run shows its group over time, the ORT
upgrade marked and the step named."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.widgets import Static
from tui_fakes import fixed_result, fixed_samples, settle, wait_for

from ortbench_tui.bench.results import results_dir, save_samples, write_job_json

pytestmark = pytest.mark.asyncio


def saved_series() -> None:
    """Twelve runs of one profile, the last five 20% slower under a newer ORT."""
    rng = np.random.default_rng(11)
    for i in range(12):
        slower = i >= 7
        scale = (1.2 if slower else 1.0) * math.exp(rng.normal(0.0, 0.01))
        samples = (fixed_samples(400, seed=i) * scale).astype(np.int64)
        result = fixed_result(samples)
        result["created"] = f"2026-11-{i + 1:02d}T10:00:00+00:00"
        result["hardware"] = {**result["hardware"], "ort_version": "1.32.0" if slower else "1.31.1"}
        path = results_dir() / f"202611{i + 1:02d}-100000-run-{i}.json"
        write_job_json(result, path, overwrite=False, make_parents=True)
        save_samples(samples, path.with_suffix(".npy"))


@pytest.mark.slow
async def test_t_shows_the_trend_with_the_step_since_the_ort_upgrade(app_factory, runner):
    saved_series()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen.id == "trend")

        def step_text() -> str:
            return str(app.screen.query_one("#trend-step", Static).render())

        await wait_for(pilot, lambda: step_text().startswith(("step", "no step")))
        assert "since ORT 1.32.0 (2026-11-08)" in step_text()
        chart = str(app.screen.query_one("#trend-chart", Static).render())
        assert "STEP ORT 1.32.0" in chart and chart.count("█") >= 12
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "history"
