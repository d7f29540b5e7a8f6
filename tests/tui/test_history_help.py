"""Pilot tests of history (open a run, two side by side), help, the palette, and the layouts."""

from __future__ import annotations

import json

import pytest
from textual.widgets import DataTable
from tui_fakes import fixed_result, fixed_samples, settle, wait_for, wait_for_screen

from ortbench_tui.bench.result_record import run_record
from ortbench_tui.bench.results import results_dir, save_to_history
from ortbench_tui.tui.keys import COMMANDS, key_label
from ortbench_tui.tui.palette import WorkbenchCommands
from ortbench_tui.tui.screens.help import HelpScreen, help_rows
from ortbench_tui.tui.widgets.histogram import LatencyHistogram
from ortbench_tui.tui.widgets.lists import ModelList, ProfileList
from ortbench_tui.tui.widgets.notes import Notes

pytestmark = pytest.mark.asyncio


def two_saved_runs() -> None:
    fast = fixed_samples(1000, seed=1)
    slow = (fast * 1.2).astype("int64")
    save_to_history(run_record(fixed_result(fast)), fast)
    save_to_history(run_record(fixed_result(slow)), slow)


@pytest.mark.slow
async def test_history_lists_opens_and_compares(app_factory, runner):
    two_saved_runs()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.id == "history"
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        row = table.get_row_at(0)
        row = [str(cell) for cell in row]  # user text is shown as rich Text, never as markup
        assert row[1] == "sample:tiny" and row[2] == "cpu-latency" and row[3].endswith("µs")
        assert row[-1] == "2026-01-02 03:04"
        # Open one: its histogram is drawn again from the saved samples.
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.id == "detail"
        hist = app.screen.query_one(LatencyHistogram)
        assert hist.picture.p50_col is not None and any(r.strip() for r in hist.picture.rows)
        assert "EPs: CPU (as requested)" in app.screen.query_one("#run-notes", Notes).plain
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "history"
        # Pick two, compare.
        await pilot.press("c")
        await pilot.pause()
        assert app.screen.id == "history"  # not yet: two runs must be picked
        await pilot.press("space", "down", "space")
        await pilot.pause()
        assert [table.get_row_at(i)[0] for i in range(2)] == ["A", "B"]
        await pilot.press("v")  # side by side (c opens the comparison with a verdict)
        await pilot.pause()
        assert app.screen.id == "compare"
        rows = {
            r[0]: r
            for r in (
                [str(c) for c in app.screen.query_one(DataTable).get_row_at(i)]
                for i in range(app.screen.query_one(DataTable).row_count)
            )
        }
        ratio = float(rows["p50"][3].rstrip("x"))
        assert ratio == pytest.approx(1 / 1.2, abs=0.02) or ratio == pytest.approx(1.2, abs=0.02)
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_empty_history_says_so(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert "no saved runs yet" in str(app.screen.query_one("#history-status").render())


@pytest.mark.slow
async def test_help_lists_every_key(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        await wait_for_screen(pilot, HelpScreen, timeout=5)
        listed = " ".join(keys for _, keys, _ in help_rows())
        for command in COMMANDS:
            assert key_label(command.key) in listed, command
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "main"


async def test_every_main_action_has_a_binding_with_a_tooltip_and_a_palette_command(
    app_factory, runner
):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for command in COMMANDS:
            assert command.help, command
        provider = WorkbenchCommands(app.screen)
        titles = [hit.text for hit in [h async for h in provider.discover()]]
        for expected in (
            "Run benchmark (r)",
            "Edit profile (e)",
            "Save profile (s)",
            "Save profile as (S)",
            "History (h)",
            "Add model (a)",
            "Duplicate profile (d)",
            "Rename profile (n)",
            "Delete profile (x)",
            "Help (?)",
            "Quit (q)",
        ):
            assert expected in titles
        assert "Stop the run (esc)" not in titles  # only what makes sense now
        hits = [h async for h in provider.search("run bench")]
        assert hits and "Run benchmark" in str(hits[0].text)


@pytest.mark.slow
async def test_palette_runs_a_command(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"history", "enter")
        await wait_for(pilot, lambda: app.screen.id == "history", timeout=10)


@pytest.mark.slow
async def test_narrow_layout_switches_lists(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-narrow") and screen.has_class("-short")
        models, profiles = screen.query_one(ModelList), screen.query_one(ProfileList)
        assert models.display and not profiles.display
        assert not screen.query_one("#details").display
        assert screen.query_one(LatencyHistogram).size.height >= 8
        await pilot.press("l")
        await pilot.pause()
        assert profiles.display and not models.display and profiles.has_focus
        await pilot.press("l")
        await pilot.pause()
        assert models.display and models.has_focus


async def test_wide_layout_shows_both_lists_and_details(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.has_class("-wide") and screen.has_class("-tall")
        assert screen.query_one(ModelList).display and screen.query_one(ProfileList).display
        assert screen.query_one("#details").display


@pytest.mark.slow
async def test_model_info_and_add_model_by_path(app_factory, runner, workdir):
    import shutil

    from ortbench_tui.samples import resolve_model

    extra = workdir / "elsewhere" / "mine.onnx"
    extra.parent.mkdir()
    shutil.copy(resolve_model("sample:tiny"), extra)
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert "in  x: float32 [1, 16]" in app.screen.query_one("#message-lines", Notes).plain
        await pilot.press("escape")
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"nope.onnx", "enter")
        await pilot.pause()
        assert "not found" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("end", "ctrl+u", *"elsewhere/mine.onnx", "enter")
        await settle(pilot)
        models = app.screen.query_one(ModelList)
        assert models.current.spec == str(extra.resolve())
        assert "opset 17" in app.screen.query_one("#model-details", Notes).plain
        await pilot.press("r")
        await settle(pilot)
        assert runner.started[0].request.model == str(extra.resolve())


@pytest.mark.slow
async def test_no_color_still_reads(app_factory, runner, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.no_color
        await pilot.press("r")
        await settle(pilot)
        text = app.screen.query_one("#run-notes", Notes).plain
        assert "EPs: CPU (as requested)" in text
        assert "^p50" in app.screen.query_one(LatencyHistogram).picture.axis


@pytest.mark.slow
async def test_bad_history_files_are_named_once_and_the_good_runs_open(app_factory, runner):
    two_saved_runs()
    folder = results_dir()
    (folder / "broken.json").write_text('{"schema": 1, "model": "x", "profile": {}')
    saved = sorted(folder.glob("2*.json"))  # the two runs, oldest first
    good = json.loads(saved[0].read_text())
    (folder / "null-latency.json").write_text(json.dumps({**good, "latency_ms": None}))
    # A readable result whose samples file is empty: it opens, without its histogram.
    newest = saved[-1]
    newest.with_suffix(".npy").write_bytes(b"")
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.id == "history"
        assert app.screen.query_one(DataTable).row_count == 2
        said = str(app.screen.query_one("#history-skipped").render())
        assert said.startswith("⚠ 2 history files could not be read: ")
        assert said.count("broken.json") == 1 and said.count("null-latency.json") == 1
        assert "2 runs in" in str(app.screen.query_one("#history-status").render())
        await pilot.press("enter")  # the newest: its samples file is empty
        await settle(pilot)
        assert app.screen.id == "detail"
        notes = app.screen.query_one("#run-notes", Notes).plain
        assert "raw samples could not be read" in notes and "EPs: CPU" in notes
        assert not app.query("MessageDialog")


@pytest.mark.slow
async def test_a_curve_lists_in_history_and_opens_as_a_curve(app_factory, runner):
    """ortbench's own curve results used to be "history files that could not be read:
    ... missing latency_ms, runs"."""
    from ortbench_tui.bench.curve import CurveRequest, run_curve
    from ortbench_tui.bench.results import scan_history
    from ortbench_tui.profile import Profile, apply_overrides
    from ortbench_tui.tui.screens.curve import CurveScreen

    quick = apply_overrides(
        Profile(name="quick"),
        ["run.timed_runs=40", "run.warmup_runs=2", "session.intra_op_num_threads=1"],
    )
    done = run_curve(CurveRequest("sample:mlp", quick, concurrency=[1, 2]))
    assert done.path is not None and done.path.parent == results_dir()
    two_saved_runs()
    scan = scan_history()
    assert scan.skipped == []
    (curve,) = [e for e in scan.entries if e.kind == "curve"]
    assert curve.path == done.path and curve.status == "curve 2/2" and curve.runs == 80
    assert curve.p50_ms == done.points[0].latency_ms["p50"]
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 3
        assert "could not be read" not in str(app.screen.query_one("#history-skipped").render())
        row = next(r for r in range(3) if app.screen.entries[r].kind == "curve")
        table.move_cursor(row=row)
        await pilot.press("space")  # a curve is not picked for a run comparison
        await pilot.pause()
        assert app.screen.picked == []
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CurveScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        rows = [str(screen.query_one(DataTable).get_row_at(i)[0]) for i in range(2)]
        assert rows == ["C=1", "C=2"]
        assert "done" in str(screen.query_one("#curve-title").render())


@pytest.mark.slow
async def test_a_load_result_lists_in_history_and_opens_in_the_load_screen(app_factory, runner):
    """Load results (`ortbench load`, `o`) used to be passed over by the history."""
    from textual.widgets import Static

    from ortbench_tui.bench.load import LoadRequest, run_load
    from ortbench_tui.profile import Profile, apply_overrides
    from ortbench_tui.tui.screens.load import LoadScreen

    quick = apply_overrides(
        Profile(name="quick"), ["session.intra_op_num_threads=1", "run.warmup_runs=2"]
    )
    done = run_load(LoadRequest("sample:tiny", [quick], rates=[200, 300], duration_s=0.4))
    assert done.path is not None and done.path.parent == results_dir()
    steps = done.result["profiles"][0]["steps"]
    two_saved_runs()
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        history = app.screen
        table = history.query_one(DataTable)
        assert table.row_count == 3
        assert "could not be read" not in str(history.query_one("#history-skipped").render())
        row = next(r for r in range(3) if history.entries[r].kind == "load")
        entry = history.entries[row]
        assert entry.status == "load 2 rates" and entry.profile == "quick"
        table.move_cursor(row=row)
        await pilot.pause()
        assert "poisson arrivals at 200/s, 300/s" in str(history.query_one("#history-row").render())
        await pilot.press("space")  # a load result is not picked for a run comparison
        await pilot.press("t")  # nor followed in a trend
        await pilot.pause()
        assert history.picked == [] and app.screen is history
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LoadScreen)
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        load_table = screen.query_one("#load-table", DataTable)
        rows = [[str(c) for c in load_table.get_row_at(i)] for i in range(load_table.row_count)]
        assert [r[0] for r in rows] == ["quick", "quick"]
        assert [r[1] for r in rows] == [f"{s['offered_per_s']:,.0f}" for s in steps]
        title = str(screen.query_one("#load-title", Static).render())
        assert "sample:tiny" in title and "200/s, 300/s" in title and "done" in title
        assert "against offered rate" in str(screen.query_one("#load-bars", Static).render())
        assert f"saved {done.path}" in str(screen.query_one("#load-status", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is history
