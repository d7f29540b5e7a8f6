"""Pilot tests of the history's host column and host filter (fleet results beside local ones)."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import DataTable, Input, Static
from tui_fakes import fixed_result, fixed_samples, settle, wait_for, wait_for_screen

from ortbench_tui.bench.results import results_dir, save_samples, write_job_json
from ortbench_tui.tui.screens.compare import ComparisonScreen

pytestmark = pytest.mark.asyncio

HOSTILE = "beta[/]"
"""A hostname read from a file, with markup in it: shown as typed."""
SAVED = [  # newest first, as the history lists them
    ("alpha-1", 1.0),
    (HOSTILE, 1.1),
    ("alpha-2", 1.3),
    ("", 1.2),  # a run on this machine: its result names no host
]


def saved_from_hosts() -> dict[str, str]:
    """One saved run per host, under fixed names; the file name of each host's run."""
    folder = results_dir()
    names = {}
    for i, (host, scale) in enumerate(SAVED):
        samples = (fixed_samples(800, seed=i) * scale).astype(np.int64)
        result = fixed_result(samples)
        result["created"] = f"2026-01-0{9 - i}T10:00:00+00:00"
        if host:
            result["host"] = host
            result["fleet"] = {"run_id": "fleet-1"}
        path = folder / f"2026010{9 - i}-100000-run-{i}.json"
        write_job_json(result, path, overwrite=False, make_parents=True)
        save_samples(samples, path.with_suffix(".npy"))
        names[host] = path.name
    return names


def column(table: DataTable, title: str) -> list[str]:
    titles = [str(c.label) for c in table.ordered_columns]
    at = titles.index(title)
    return [str(table.get_row_at(r)[at]) for r in range(table.row_count)]


def status(app) -> str:
    return str(app.screen.query_one("#history-status", Static).render())


async def filter_hosts(pilot, glob: str) -> None:
    await pilot.press("f")
    await settle(pilot)
    box = pilot.app.screen.query_one(Input)
    box.value = glob
    await pilot.press("enter")
    await settle(pilot)


@pytest.mark.slow
async def test_host_column_filter_clear_and_compare_on_the_filtered_list(app_factory, runner):
    files = saved_from_hosts()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert column(table, "host") == ["alpha-1", HOSTILE, "alpha-2", "(local)"]
        line = str(app.screen.query_one("#history-row", Static).render())
        assert "on alpha-1 ·" in line
        await pilot.press("down")
        await pilot.pause()
        assert f"on {HOSTILE} ·" in str(app.screen.query_one("#history-row", Static).render())
        assert status(app).startswith("4 runs in ")
        # Pick the hostile host's run; it leaves the view with the filter, and its pick too.
        await pilot.press("space")
        await filter_hosts(pilot, "alpha*")
        assert app.screen.id == "history"
        assert column(table, "host") == ["alpha-1", "alpha-2"]
        assert status(app).startswith("host alpha*: 2 of 4 runs in ")
        assert column(table, "") == [" ", " "]
        # Picking and comparing work on the rows shown.
        await pilot.press("up", "space", "down", "space")
        await pilot.pause()
        assert column(table, "") == ["A", "B"]
        await pilot.press("c")
        await wait_for(pilot, lambda: getattr(app.screen, "comparison", None) is not None)
        await settle(pilot)
        await wait_for_screen(pilot, ComparisonScreen, timeout=5)
        assert [p.name for p in app.screen.result_paths] == [files["alpha-1"], files["alpha-2"]]
        await pilot.press("escape")
        await settle(pilot)
        # An empty glob: every run again, the picks where they were.
        await filter_hosts(pilot, "")
        assert column(table, "host") == ["alpha-1", HOSTILE, "alpha-2", "(local)"]
        assert column(table, "") == ["A", " ", "B", " "]
        # The local run alone: the picks out of view are dropped, not compared unseen.
        await filter_hosts(pilot, "(local)")
        assert column(table, "host") == ["(local)"] and column(table, "") == [" "]
        assert status(app).startswith("host (local): 1 of 4 runs in ")
        await filter_hosts(pilot, "")
        assert column(table, "") == [" "] * 4
        assert status(app).startswith("4 runs in ")


@pytest.mark.slow
async def test_no_host_matches_says_so_and_the_prompt_offers_the_glob(app_factory, runner):
    saved_from_hosts()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await filter_hosts(pilot, "gamma*")
        assert app.screen.query_one(DataTable).row_count == 0
        assert status(app).startswith("host gamma*: 0 of 4 runs")
        assert str(app.screen.query_one("#history-row", Static).render()) == ""
        await pilot.press("f")
        await settle(pilot)
        assert app.screen.query_one(Input).value == "gamma*"  # the filter in force, to edit
        await pilot.press("escape")  # cancel keeps it
        await settle(pilot)
        assert status(app).startswith("host gamma*: 0 of 4 runs")


async def test_80x24_keeps_the_deciding_columns_and_shows_the_host(app_factory, runner):
    saved_from_hosts()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        titles = [str(c.label) for c in app.screen.query_one(DataTable).ordered_columns]
        for title in ("p50", "p99", "runs", "status", "host"):
            assert title in titles
