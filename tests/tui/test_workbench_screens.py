"""Pilot tests of the workbench screens as the user reaches them from the main app.

`t` trace, `c` compare, `p` practices, `w` sweep, and `c` in history: each key opens its
screen, and the screen shows real data from the real engine (sample:tiny, a profile with
few runs, so the whole file stays within about a minute on two cores). An EP that does not
load here becomes a notification, and the app goes on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable
from tui_fakes import fixed_result, fixed_samples, settle, wait_for, wait_for_screen

from ortbench_tui.bench.result_record import run_record
from ortbench_tui.bench.results import list_history, save_to_history
from ortbench_tui.tui.palette import WorkbenchCommands
from ortbench_tui.tui.screens import job_start
from ortbench_tui.tui.screens import main as main_screen
from ortbench_tui.tui.screens.compare import ComparisonScreen
from ortbench_tui.tui.screens.dialogs import ChoiceDialog, PromptDialog
from ortbench_tui.tui.screens.job_start import parse_sweep_text
from ortbench_tui.tui.screens.main import MainScreen
from ortbench_tui.tui.screens.practices import PracticesScreen
from ortbench_tui.tui.screens.sweep import SweepScreen
from ortbench_tui.tui.screens.trace import TraceScreen
from ortbench_tui.tui.widgets.run_panel import RunPanel

pytestmark = pytest.mark.asyncio

QUICK_TOML = """\
name = "quick"
description = "a few runs, for tests"

[run]
warmup_runs = 2
timed_runs = 60
"""


@pytest.fixture
def quick_app(app_factory, workdir: Path):
    """The real engine (no fakes) with a profile of few runs selected."""
    (workdir / "profiles" / "quick.toml").write_text(QUICK_TOML)
    return app_factory(initial_profile="quick")


def rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def by_title(table: DataTable) -> list[dict[str, str]]:
    """Rows by column title (the columns shown depend on the width)."""
    titles = [str(c.label) for c in table.ordered_columns]
    return [dict(zip(titles, row, strict=True)) for row in rows(table)]


def errors(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications if n.severity == "error"]


@pytest.mark.slow
async def test_t_traces_the_selected_pair_and_opens_the_trace(quick_app):
    app = quick_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one(RunPanel)
        started: list[tuple[str, str] | None] = []
        original_start = panel.start

        def spy(request):  # the trace's progress goes through the run panel
            started.append((request.model, request.profile.name) if request.trace else None)
            original_start(request)

        panel.start = spy
        await pilot.press("t")
        await wait_for_screen(pilot, TraceScreen, timeout=30)
        assert started == [("sample:tiny", "quick")]
        screen = app.screen
        assert screen.summary.runs == 100
        table = screen.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count > 0, timeout=5)
        names = [r[0] for r in rows(table)]
        assert table.row_count == len(screen.summary.nodes) > 0
        assert set(names) == {n.name for n in screen.summary.nodes}
        assert "sample:tiny × quick" in str(screen.query_one("#trace-title").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "main"
        assert list_history() == []  # traced latency carries the profiler: not in history
        assert not errors(app)


@pytest.mark.slow
async def test_c_compares_against_ort_defaults(quick_app):
    app = quick_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        await wait_for_screen(pilot, ChoiceDialog, timeout=5)
        await pilot.press("enter")  # the first choice: ORT defaults
        await wait_for_screen(pilot, ComparisonScreen, timeout=5)
        screen = app.screen
        assert [p.name for p in screen.request.profiles] == ["ort-defaults", "quick"]
        assert screen.request.interleave
        await wait_for(pilot, lambda: screen.comparison is not None, timeout=40)
        table = by_title(screen.query_one(DataTable))
        assert len(table) == 2
        assert table[1]["profile"].endswith("quick")
        assert table[1]["verdict"] in ("faster", "slower", "no clear difference")
        assert "x [" in table[1]["vs A (95% CI)"]  # ratio with its CI
        assert not errors(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_c_picks_another_profile(app_factory, runner, workdir: Path, monkeypatch):
    (workdir / "profiles" / "quick.toml").write_text(QUICK_TOML)
    started: list[object] = []

    class Idle:
        def events(self):
            return iter(())

        def cancel(self) -> None:
            pass

    app = app_factory(initial_profile="quick", start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        await pilot.press("c")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ChoiceDialog)
        ids = [key for key, _ in dialog._options]
        assert "cpu-latency" in ids and "quick" not in ids  # not against itself
        # The screen is started from here; keep the engine out to test only the wiring.
        monkeypatch.setattr(
            job_start,
            "open_compare",
            lambda screen, model, a, b: started.append((model, a.name, b.name)),
        )
        await pilot.press("down", "enter")
        await pilot.pause()
        assert started == [("sample:tiny", ids[1], "quick")]


@pytest.mark.slow
async def test_p_checks_the_practices_with_the_profile_as_base(quick_app, monkeypatch):
    # The check decides its rows by default; a short budget keeps this test short.
    monkeypatch.setattr("ortbench_tui.bench.practices.run.DECIDE_BUDGET_S", 8.0)
    app = quick_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PracticesScreen)
        assert screen.request.base.name == "quick"
        assert screen.request.working_providers == ["CPUExecutionProvider"]
        assert screen.request.until_decided is not None
        assert screen.request.until_decided.budget_s == 8.0
        # A real practices run: a minute when quiet, more beside other work.
        await wait_for(pilot, lambda: screen.report is not None, timeout=180)
        table = by_title(screen.query_one(DataTable))
        verdicts = {r["practice"]: r["verdict"] for r in table}
        assert verdicts["CUDA graphs"] == "n/a here"
        assert verdicts["IO binding"] in (
            "faster",
            "slower",
            "no clear difference",
            "equal within margin",
        )
        assert not errors(app)


@pytest.mark.slow
async def test_w_sweeps_a_default_grid(quick_app, monkeypatch):
    monkeypatch.setattr(main_screen, "SWEEP_BUDGET_S", 8.0)
    app = quick_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        # The fixed machine has 4 physical cores: threads 1..4 × IO binding × opt level.
        value = app.screen.query_one("#prompt-input").value
        axes, budget = parse_sweep_text(value, 0)
        assert [a.key for a in axes] == [
            "session.intra_op_num_threads",
            "run.io_binding",
            "session.graph_optimization_level",
        ]
        assert axes[0].values == ["1", "2", "3", "4"] and budget == 8.0
        await pilot.press("enter")
        await wait_for_screen(pilot, SweepScreen, timeout=5)
        screen = app.screen
        await wait_for(pilot, lambda: len(screen.rows) == 16, timeout=20)
        await wait_for(pilot, lambda: screen.result is not None, timeout=40)
        statuses = [r[-1] for r in screen.rows]
        if "winner" not in statuses:  # the 8 s budget bounds wall time: on a loaded machine
            # creating 16 sessions can take it all, which the result says, nothing left running
            assert any("budget ran out" in w for w in screen.result.warnings)
            assert "measuring" not in statuses
        assert screen.query_one(DataTable).row_count == 16
        assert not errors(app)


@pytest.mark.slow
async def test_sweep_prompt_flags_a_bad_grid(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await pilot.pause()
        box = app.screen.query_one("#prompt-input")
        for text, reason in (
            ("session.intra_op_num_threads ; budget=20", "KEY=V1,V2"),
            ("run.io_binding=false,true ; budget=ten", "budget=ten: expected seconds"),
        ):
            box.value = text
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, PromptDialog)  # still asking, with the reason
            assert reason in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_history_c_opens_the_comparison_with_a_verdict(app_factory, runner):
    fast = fixed_samples(1000, seed=1)
    slow = (fast * 1.2).astype("int64")
    save_to_history(run_record(fixed_result(fast)), fast)
    save_to_history(run_record(fixed_result(slow)), slow)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.id == "history"
        await pilot.press("space", "down", "space", "c")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ComparisonScreen) and screen.result_paths is not None
        await wait_for(pilot, lambda: screen.comparison is not None, timeout=20)
        table = by_title(screen.query_one(DataTable))
        assert len(table) == 2
        assert table[1]["verdict"] in ("faster", "slower")  # 20% apart: a clear verdict
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "history"


@pytest.mark.slow
async def test_an_ep_that_does_not_load_is_a_notification(app_factory):
    app = app_factory(initial_profile="cuda")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: errors(app), timeout=30)
        await wait_for(pilot, lambda: not app.screen.query_one(RunPanel).running, timeout=10)
        assert app.screen.id == "main"
        assert "CUDA" in " ".join(errors(app))
        # The app goes on: the next key still works.
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.id == "history"


@pytest.mark.slow
async def test_keys_are_in_the_palette_and_hidden_while_a_run_goes(app_factory):
    from tui_fakes import fake_runner

    app = app_factory(start_run=fake_runner(hold=True))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        provider = WorkbenchCommands(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        for expected in (
            "Trace operators (t)",
            "Compare profiles (c)",
            "Check practices (p)",
            "Sweep settings (w)",
        ):
            assert expected in titles
        await pilot.press("r")
        await wait_for(pilot, lambda: app.screen.query_one(RunPanel).live.version > 0, timeout=10)
        titles = [hit.text async for hit in provider.discover()]
        assert not any(t.startswith(("Trace", "Compare", "Check", "Sweep")) for t in titles)
        # The footer greys what does nothing during a run (check_action), keeps stop and quit.
        enabled = {k: b.enabled for k, b in app.screen.active_bindings.items()}
        assert not any(enabled.get(k, False) for k in ("e", "t", "c", "p", "w", "r"))
        assert enabled["escape"] and enabled["q"]
        await pilot.press("t", "c", "p", "w")  # disabled: nothing opens
        await pilot.pause()
        assert app.screen.id == "main"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not app.screen.query_one(RunPanel).running, timeout=10)


async def test_a_reduced_precision_run_shows_its_accuracy():
    from ortbench_tui.bench.result_record import run_record
    from ortbench_tui.tui.formatting import result_lines

    result = fixed_result(fixed_samples(200))
    result["profile"]["run"] = {"precision": "fp16"}
    result["accuracy"] = {
        "y": {"cosine": 0.99999, "max_abs_err": 1e-3, "mean_abs_err": 4e-4, "ref_max_abs": 3.1}
    }
    lines = [text for _, text in result_lines(run_record(result))]
    assert lines[1].startswith("accuracy of fp16 vs fp32 · y: cosine 0.99999000")
    assert not any(
        "accuracy" in t for _, t in result_lines(run_record(fixed_result(fixed_samples(200))))
    )
