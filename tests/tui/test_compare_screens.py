"""Pilot tests of the compare, sweep and practices screens on a minimal app.

Most tests drive the screens with fake engine runs (synthetic samples, no processes), so they
are fast and exact; one test per screen kind runs the real engine on sample:tiny.
"""

from __future__ import annotations

import threading
import time
import tomllib
from typing import Any

import numpy as np
import pytest
from textual.app import App
from textual.widgets import DataTable, Input, Static
from tui_fakes import settle, wait_for

from ortbench_tui.bench.compare import (
    CompareFinished,
    CompareProgress,
    CompareRequest,
    SampleSet,
    build_comparison,
)
from ortbench_tui.bench.practices import PracticeRow, PracticesProgress, PracticesReport
from ortbench_tui.bench.sweep import (
    GridAxis,
    SweepRequest,
    SweepResult,
    SweepUpdate,
    build_candidates,
)
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.tui.screens.compare import ComparisonScreen
from ortbench_tui.tui.screens.dialogs import PromptDialog
from ortbench_tui.tui.screens.practices import PracticesScreen
from ortbench_tui.tui.screens.sweep import SweepScreen
from ortbench_tui.tui.widgets.overlay_histogram import OverlayHistogram, overlay_columns


class Host(App[None]):
    """The smallest app that can show one of the screens."""

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


def prof(name: str, *sets: str) -> Profile:
    return apply_overrides(Profile(name=name), list(sets))


def blocks(median_us: float, rounds: int = 12, m: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (median_us * 1e3 * (1 + 0.02 * rng.standard_normal((rounds, m)))).astype(np.int64)


class FakeCompareRun:
    """Streams a few blocks, then finishes; with `hold`, waits for cancel() first."""

    def __init__(self, request: CompareRequest, medians: list[float], hold: bool = False) -> None:
        self.request = request
        self.medians = medians
        self.hold = hold
        self.cancelled = threading.Event()

    def cancel(self) -> None:
        self.cancelled.set()

    def events(self):
        sets = [
            SampleSet([blocks(m, seed=i * 10 + s) for s in range(3)], paired=True, run_id="x")
            for i, m in enumerate(self.medians)
        ]
        for r in range(3):
            for i, s in enumerate(sets):
                yield CompareProgress(
                    "timed", r + 1, 12, 0.1 * r, None, profile=i, new_samples_ns=s.sessions[0][r]
                )
        if self.hold:
            while not self.cancelled.wait(0.02):
                pass
        comp = build_comparison(
            mode="interleaved",
            names=[p.name for p in self.request.profiles],
            sets=sets,
            summaries=[{} for _ in sets],
            reps=300,
            model=self.request.model,
            warnings=["cancelled: compared on the 12 complete rounds"] if self.hold else [],
        )
        yield CompareFinished(comp, [None for _ in sets], [s.flat() for s in sets], [], sets)


def compare_request() -> CompareRequest:
    return CompareRequest("sample:conv", [prof("one-thread"), prof("two-threads")])


def table_text(screen: Any, selector: str) -> list[list[str]]:
    table = screen.query_one(selector, DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def table_dicts(screen: Any, selector: str) -> list[dict[str, str]]:
    """Rows by column title (the columns shown depend on the width)."""
    table = screen.query_one(selector, DataTable)
    titles = [str(c.label) for c in table.ordered_columns]
    return [dict(zip(titles, row, strict=True)) for row in table_text(screen, selector)]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_compare_screen_shows_verdicts_histograms_and_exports(tmp_path):
    screen = ComparisonScreen(
        compare_request(),
        start=lambda req: FakeCompareRun(req, [1150.0, 600.0]),
        export_dir=tmp_path,
    )
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.comparison is not None)
        await settle(pilot)
        rows = table_dicts(screen, "#cmp-table")
        assert rows[0]["#"] == "A" and rows[0]["profile"] == "one-thread"
        assert rows[0]["vs A (95% CI)"] == "reference"
        assert rows[1]["profile"] == "two-threads" and rows[1]["verdict"] == "faster"
        assert rows[1]["vs A (95% CI)"].startswith("0.52")
        notes = str(screen.query_one("#cmp-notes", Static).render())
        assert "ratio of medians" in notes and "hierarchical bootstrap" in notes
        hist = str(screen.query_one(OverlayHistogram).render())
        assert "A one-thread" in hist and "B two-threads" in hist and "█" in hist
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, PromptDialog)  # says where, lets another path be typed
        assert app.screen.query_one(Input).value.startswith(f"{tmp_path}/ortbench-compare-")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        md = next(tmp_path.glob("*.md")).read_text()
        csv = next(tmp_path.glob("*.csv")).read_text()
        assert "| B | two-threads |" in md and "faster" in md
        assert csv.splitlines()[0].startswith("label,profile,runs") and ",faster," in csv
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen


@pytest.mark.asyncio
async def test_compare_screen_escape_stops_and_keeps_what_was_measured(tmp_path):
    runs: list[FakeCompareRun] = []

    def start(req):
        runs.append(FakeCompareRun(req, [100.0, 100.0], hold=True))
        return runs[-1]

    screen = ComparisonScreen(compare_request(), start=start, export_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: runs and screen.query_one("#cmp-table", DataTable).row_count)
        await pilot.pause(0.2)  # the live table redraws from the streamed blocks
        assert table_dicts(screen, "#cmp-table")[0]["verdict"] == "measuring"
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.comparison is not None)
        assert runs[0].cancelled.is_set()
        assert app.screen is screen  # the first escape stops, it does not leave
        assert table_dicts(screen, "#cmp-table")[1]["verdict"] == "no clear difference"
        assert "cancelled" in str(screen.query_one("#cmp-title", Static).render())
        await pilot.press("r")  # run it again
        await wait_for(pilot, lambda: len(runs) == 2)
        runs[1].cancel()
        await wait_for(pilot, lambda: screen.comparison is not None)


@pytest.mark.asyncio
async def test_compare_screen_reports_bad_input_without_crashing(tmp_path):
    request = CompareRequest(str(tmp_path / "missing.onnx"), [prof("a"), prof("b")])
    screen = ComparisonScreen(request, export_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: not screen.running)
        await settle(pilot)
        assert "model file not found" in str(screen.query_one("#cmp-notes", Static).render())
        assert screen.comparison is None


@pytest.mark.asyncio
async def test_compare_screen_offline_from_saved_results(tmp_path):
    from ortbench_tui.bench.protocol import RunFinal
    from ortbench_tui.bench.results import build_result, save_samples, write_result_json

    paths = []
    for i, scale in enumerate((1.0, 1.3)):
        samples = (blocks(100.0, rounds=40, seed=i).ravel() * scale).astype(np.int64)
        result = build_result(
            model_spec="sample:tiny",
            model_path=tmp_path / "tiny.onnx",
            model_sha256="a" * 64,
            profile=prof(f"run{i}"),
            meta={},
            final=RunFinal(None, 1.0, False),
            samples_ns=samples,
            hardware={"cpu_model": "Test CPU", "logical_cores": 8},
        )
        path = tmp_path / f"r{i}.json"
        write_result_json(result, path)
        save_samples(samples, path.with_suffix(".npy"))
        paths.append(path)
    screen = ComparisonScreen(result_paths=paths, export_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.comparison is not None)
        await settle(pilot)
        rows = table_dicts(screen, "#cmp-table")
        assert rows[1]["profile"] == "run1" and rows[1]["verdict"] == "slower"
        assert "1.30" in rows[1]["vs A (95% CI)"]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_compare_screen_live_on_the_real_engine(tmp_path):
    request = CompareRequest(
        "sample:tiny",
        [
            prof("a", "session.intra_op_num_threads=1", "run.duration_s=0.2"),
            prof("b", "session.intra_op_num_threads=1", "run.duration_s=0.2"),
        ],
        sessions=2,
        reps=300,
    )
    screen = ComparisonScreen(request, export_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        await settle(pilot)
        assert screen.comparison is not None, str(screen.query_one("#cmp-notes", Static).render())
        assert screen.comparison.mode == "interleaved"
        assert screen.comparison.pairs[0].ratio is not None


def test_overlay_columns_groups_bars_per_bin():
    a = np.full(100, 1_000_000, np.int64)
    b = np.full(100, 2_000_000, np.int64)
    rows, lo, hi = overlay_columns([a, b], width=20, height=4)
    assert len(rows) == 4 and all(len(r) == 20 for r in rows)
    bottom = rows[-1]
    # A's bar is in the first bin's first column, B's in the last bin's second column.
    # A is solid, B shaded: they differ without colour (NO_COLOR).
    assert bottom[0] == ("█", 0) and bottom[-1] == ("▒", 1)
    assert lo == pytest.approx(1.0) and hi == pytest.approx(2.0)


def test_without_colour_a_and_b_have_their_own_glyphs_and_legend():
    """NO_COLOR: the histogram's text alone tells A from B (fills and the legend)."""
    a = np.full(100, 1_000_000, np.int64)
    b = np.full(100, 2_000_000, np.int64)
    rows, _, _ = overlay_columns([a, b], width=20, height=4)
    glyphs = {who: {g for r in rows for g, w in r if w == who} for who in (0, 1)}
    assert glyphs[0] and glyphs[1] and not glyphs[0] & glyphs[1]
    hist = OverlayHistogram()
    hist._samples, hist._labels = [a, b], ["A one", "B two"]
    legend = hist.render().plain.splitlines()[-1]
    assert "██ A one" in legend and "▒▒ B two" in legend


# --- sweep -------------------------------------------------------------------------------------


def sweep_request() -> SweepRequest:
    return SweepRequest(
        "sample:tiny",
        prof("base"),
        [
            GridAxis("session.intra_op_num_threads", ["1", "2"]),
            GridAxis("run.io_binding", ["false", "true"]),
        ],
        # Wall time, set-up and session creation included: on a loaded 2-core machine the
        # worker's start alone can take a few seconds, and a budget spent before the first
        # round ranks nothing.
        budget_s=10.0,
        working_providers=["CPUExecutionProvider"],
    )


class FakeSweepRun:
    def __init__(self, request: SweepRequest) -> None:
        self.request = request
        self.cands = build_candidates(request.base, request.axes, ["CPUExecutionProvider"], 2)
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def events(self):
        for i, c in enumerate(self.cands):
            c.median_ms, c.runs, c.rounds = 0.01 * (i + 1), 100, 1
            c.median_ci = (c.median_ms * 0.99, c.median_ms * 1.01)
            c.vs_best = (i + 1.0, i + 0.9, i + 1.1) if i else (1.0, 1.0, 1.0)
            c.status = "kept" if i < 2 else "out"
            c.out_round = None if i < 2 else 1
        yield SweepUpdate(
            "round",
            1,
            2,
            0.5,
            None,
            candidates=list(self.cands),
            stage="round_done",
            message="round 1 done: 2 kept",
        )
        winner = self.cands[0]
        winner.status = "winner"
        yield SweepResult(
            model=self.request.model,
            model_sha256="0" * 64,
            grid=self.request.axes,
            budget_s=self.request.budget_s,
            eta=2,
            elapsed_s=1.0,
            plan=[4, 2],
            rounds_done=2,
            candidates=self.cands,
            winner=winner,
            runner_up=self.cands[1],
            created="2026-01-01T00:00:00+00:00",
            method="test method",
        )


@pytest.mark.asyncio
async def test_sweep_screen_ranks_live_and_saves_the_best(tmp_path):
    screen = SweepScreen(sweep_request(), start=FakeSweepRun, save_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        rows = table_dicts(screen, "#sweep-table")
        assert rows[0]["rank"] == "1" and rows[0]["status"] == "winner"
        # Shortened in the middle at 80 columns; in full under the table.
        full = "intra_op_num_threads=1 io_binding=false"
        shown = rows[0]["settings"]
        assert shown == full or ("…" in shown and all(p in full for p in shown.split("…")))
        assert any(r["status"] == "out in round 1" for r in rows)
        row_line = str(screen.query_one("#sweep-row", Static).render())
        assert row_line == "#1 intra_op_num_threads=1 io_binding=false · winner"
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("enter")  # the name asked: tiny-best
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        saved = screen.saved
        assert saved == tmp_path / "tiny-best.toml"
        text = saved.read_text()
        assert text.startswith("# Found by `ortbench sweep` on sample:tiny")
        assert "successive halving" in text and "winner: #1" in text
        data = tomllib.loads(text)
        assert data["session"]["intra_op_num_threads"] == 1
        assert list(tmp_path.glob("ortbench-sweep-*.md"))


@pytest.mark.slow
@pytest.mark.asyncio
async def test_sweep_screen_real_search_on_tiny(tmp_path):
    screen = SweepScreen(sweep_request(), save_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: not screen.running, timeout=60)
        await settle(pilot)
        assert screen.result is not None and screen.result.winner is not None
        rows = table_dicts(screen, "#sweep-table")
        # "winner" only when the last round decided it; a tie is the other right answer.
        assert rows[0]["status"] == ("winner" if screen.result.decided else "tie")
        # a 2 x 2 grid: every point is measured (nothing to skip on the CPU EP)
        assert len(rows) == 4


# --- practices ---------------------------------------------------------------------------------


class FakePracticesRun:
    def __init__(self, request: Any) -> None:
        self.request = request

    def cancel(self) -> None:
        pass

    def events(self):
        yield PracticesProgress("timed", 3, 10, 0.5, None, "7 profiles, interleaved")
        time.sleep(0.05)
        rows = [
            PracticeRow(
                "1a",
                "graph optimization EXTENDED",
                "extended vs basic",
                "measured",
                ref_median_ms=0.1,
                var_median_ms=0.08,
                ratio=0.8,
                ci_low=0.78,
                ci_high=0.82,
                verdict="faster",
                key="opt_extended",
                toggles=["session.graph_optimization_level"],
            ),
            PracticeRow(
                "4",
                "CUDA graphs",
                "on vs off",
                "not applicable here",
                reason="no working CUDA EP here",
            ),
            PracticeRow(
                "7a",
                "FP16",
                "fp16 vs fp32",
                "not yet available",
                reason="the precision module is not there yet",
            ),
        ]
        yield PracticesReport("sample:mlp", "ort-defaults", rows, "test method", 0.01)


@pytest.mark.asyncio
async def test_practices_screen_table_and_markdown(tmp_path):
    from ortbench_tui.bench.practices import PracticesRequest

    request = PracticesRequest("sample:mlp", prof("ort-defaults"))
    screen = PracticesScreen(request, start=FakePracticesRun, export_dir=tmp_path)
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.report is not None)
        await settle(pilot)
        rows = table_dicts(screen, "#pr-table")
        assert (
            rows[0]["verdict"] == "faster" and rows[0]["ratio (95% CI)"] == "0.800x [0.780, 0.820]"
        )
        assert rows[1]["verdict"] == "n/a here"  # in full under the table
        assert rows[2]["verdict"] == "not yet"
        assert {"without", "with"} <= set(rows[0])  # both medians fit at 80 columns
        await pilot.press("down")
        await settle(pilot)
        detail = str(screen.query_one("#pr-row", Static).render())
        assert detail == "4 CUDA graphs: on vs off · not applicable here: no working CUDA EP here"
        await pilot.press("m")
        await pilot.pause()
        typed = tmp_path / "sub" / "mine.md"
        app.screen.query_one(Input).value = str(typed)
        await pilot.press("enter")
        await pilot.pause()
        assert "does not exist" in str(app.screen.query_one("#prompt-error").render())
        typed.parent.mkdir()
        await pilot.press("enter")
        await settle(pilot)
        assert screen.exported == typed
        md = screen.exported.read_text()
        assert "Inputs: unrecorded." in md or "Inputs: `" in md
        assert md.startswith("### ortbench practices · sample:mlp")
        assert "| 4 | CUDA graphs |" in md
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen


@pytest.mark.asyncio
async def test_practices_screen_lists_every_practice_before_results(tmp_path):
    from ortbench_tui.bench.practices import PracticesRequest

    started = threading.Event()

    class Slow(FakePracticesRun):
        def events(self):
            started.set()
            time.sleep(0.5)
            yield from super().events()

    screen = PracticesScreen(
        PracticesRequest("sample:mlp", prof("ort-defaults")), start=Slow, export_dir=tmp_path
    )
    app = Host(screen)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, started.is_set)
        rows = table_text(screen, "#pr-table")
        assert [r[0] for r in rows] == ["1a", "1b", "2", "3", "4", "5", "6", "7a", "7b", "8", "all"]
        assert all(r[2] == "waiting" for r in rows)
        await wait_for(pilot, lambda: screen.report is not None)
