"""The load-curve screen with a fake curve run (fixed points, no processes), its prompt from
the main screen, its chart picture, and one snapshot at 80x24."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.widgets import DataTable, Static
from tui_fakes import settle, wait_for, wait_for_screen

from ortbench_tui.bench.curve import (
    CurveFinished,
    CurvePointDone,
    CurveProgress,
    CurveRequest,
    PointResult,
    knee_lines,
)
from ortbench_tui.bench.job_records import CurveResult
from ortbench_tui.bench.result_record import ModelRecord
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile
from ortbench_tui.tui.screens.curve import (
    CurveScreen,
    curve_request,
    default_curve_text,
    parse_curve_text,
)
from ortbench_tui.tui.widgets.curve_chart import CurveChart, chart_points, curve_picture


class Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


def request() -> CurveRequest:
    return CurveRequest(
        "sample:encoder", Profile(name="quick"), {"batch": [1, 4, 16]}, concurrency=[1]
    )


def point(i: int, batch: int, p50: float, rps: float, status: str = "ok") -> PointResult:
    if status != "ok":
        return PointResult(i, {"batch": batch}, 1, status, "Reshape: cannot reshape")
    return PointResult(
        i, {"batch": batch}, 1, requests=500, wall_s=1.0, items_per_request=batch,
        latency_ms={"p50": p50, "p90": p50 * 1.2, "p99": p50 * 1.5, "mean": p50 * 1.05},
        cv=0.04, requests_per_s=rps, items_per_s=rps * batch, p50_ci=(p50 * 0.98, p50 * 1.02),
    )  # fmt: skip


FIXED = [point(0, 1, 0.08, 9000), point(1, 4, 0.2, 4000), point(2, 16, 0.7, 1100, "failed")]


def curve_result(
    points: list[PointResult], model: str, profile: str, knee: list[str]
) -> CurveResult:
    """The record a finished curve carries, with what the screen shows of it."""
    return CurveResult(
        schema=1,
        kind="curve",
        model=ModelRecord(name=model),
        profile={"name": profile},
        points=[p.record() for p in points],
        knee=knee,
    )


class FakeCurveRun:
    """Plays three points back; with `hold`, waits after the first until cancelled."""

    def __init__(self, req: CurveRequest, hold: bool = False) -> None:
        self.request = req
        self.hold = hold
        self._stop = threading.Event()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._stop.set()

    def events(self):
        pts = self.request.points()
        done: list[PointResult] = []
        for p, res in zip(pts, FIXED, strict=True):
            yield CurveProgress(
                "timed", 250, 500, 0.5, None, f"[1/{len(pts)}] {p.label}", p, len(pts)
            )
            done.append(res)
            yield CurvePointDone(res, list(done), None, 1.0)
            if self.hold:
                self._stop.wait(10)
                break
        rest = [PointResult(p.index, p.dims, 1, "not run", "stopped") for p in pts[len(done) :]]
        points = done + rest
        result = curve_result(points, "sample:encoder", "quick", knee_lines(points, "batch"))
        failed = [p for p in points if p.status == "failed"]
        yield CurveFinished(result, {}, points, None, self.cancelled, failed)


def cells(screen: CurveScreen) -> list[list[str]]:
    table = screen.query_one("#curve-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_prompt_text_parses_and_bad_text_is_caught():
    assert default_curve_text(["batch", "sequence"]) == (
        "batch=1,4,16; sequence=16; concurrency=1,2,4"
    )
    assert parse_curve_text("batch=1,4; concurrency=1,2") == ({"batch": [1, 4]}, [1, 2])
    assert parse_curve_text("C=2") == ({}, [2])
    with pytest.raises(OrtbenchError, match="below 1"):
        parse_curve_text("batch=0")


def test_the_curve_runs_on_the_inputs_saved_for_the_model():
    """Issue 19 item 6: the TUI's curve took no inputs, so a saved `zeros` was ignored."""
    from ortbench_tui.inputs import spec_from_flags
    from ortbench_tui.inputs.store import save_spec

    saved = spec_from_flags(shapes=["tokens=1x8x64"], values=["tokens=zeros"])
    save_spec("sample:encoder", saved)
    request = curve_request("sample:encoder", Profile(), "batch=1,2; concurrency=1", None)
    assert request.inputs == saved


def test_chart_picture_draws_p50_p99_and_throughput_per_point():
    pic = curve_picture(chart_points(FIXED), 40, 9)
    assert pic[0] == "latency p50|p99 (top 300 µs)"
    assert any(line.startswith("throughput items/s (top 16 000)") for line in pic)
    assert pic[-1].split() == ["1", "4", "16"]
    assert "×" in "".join(pic)  # the failed point has no bars


@pytest.mark.asyncio
async def test_curve_screen_fills_point_by_point_and_states_the_knee(tmp_path: Path):
    screen = CurveScreen(request(), start=FakeCurveRun, save_dir=tmp_path)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        rows = cells(screen)
        assert [r[0] for r in rows] == ["batch=1 C=1", "batch=4 C=1", "batch=16 C=1"]
        assert rows[1][1:5] == ["200 µs", "300 µs", "4 000", "16 000"]
        assert rows[2][-1] == "failed"
        status = str(screen.query_one("#curve-status", Static).render())
        assert "knee: batch=4 gives the best items/s (16 000)" in status
        assert "✗ batch=16 C=1: Reshape: cannot reshape" in status
        assert len(screen.query_one(CurveChart).points) == 3
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        (md,) = tmp_path.glob("ortbench-curve-*.md")
        assert "Inputs: " in md.read_text()  # the fake points record no shapes


@pytest.mark.asyncio
async def test_a_point_stopped_at_the_time_cap_is_said_under_the_table():
    """The curve's warnings (the time cap of a point by count among them) show under the
    table as the CLI prints them."""
    capped = "batch=4 C=1: stopped at the time cap: 84 of 1000 timed runs in 60 s (run.max"

    class Capped(FakeCurveRun):
        def events(self):
            for ev in super().events():
                if isinstance(ev, CurveFinished):
                    ev.result.warnings = [capped + "_duration_s; ...)"]
                yield ev

    screen = CurveScreen(request(), start=Capped)
    async with Host(screen).run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        assert f"⚠ {capped}" in str(screen.query_one("#curve-status", Static).render())


@pytest.mark.asyncio
async def test_escape_stops_and_keeps_the_points_measured():
    runs: list[FakeCurveRun] = []

    def start(req: CurveRequest) -> FakeCurveRun:
        runs.append(FakeCurveRun(req, hold=True))
        return runs[-1]

    screen = CurveScreen(request(), start=start)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: len(screen.points) == 1)
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        assert runs[0].cancelled
        rows = cells(screen)
        assert rows[0][1] == "80 µs" and rows[1][-1] == "not run"
        assert "stopped" in str(screen.query_one("#curve-title", Static).render())


@pytest.mark.asyncio
async def test_the_title_shows_the_jobs_progress_line_with_its_eta():
    """Every job screen shows the generic JobProgress line, ETA included."""

    class Paused(FakeCurveRun):
        def events(self):
            p = self.request.points()[0]
            yield CurveProgress("timed", 250, 500, 0.5, 3.0, f"[1/3] {p.label}", p, 3)
            self._stop.wait(10)
            yield from super().events()

    screen = CurveScreen(request(), start=Paused)
    async with Host(screen).run_test(size=(100, 24)) as pilot:
        title = screen.query_one("#curve-title", Static)
        await wait_for(pilot, lambda: "ETA 3.0 s" in str(title.render()))
        assert "timed 250/500" in str(title.render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.result is not None)


def test_curve_screen_snapshot(snap_compare):
    async def done(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.result is not None)
        await settle(pilot)

    app = Host(CurveScreen(request(), start=FakeCurveRun))
    assert snap_compare(app, terminal_size=(80, 24), run_before=done)


QUICK_TOML = """\
name = "quick"

[run]
warmup_runs = 2
timed_runs = 60
"""


@pytest.mark.slow
@pytest.mark.asyncio
async def test_v_on_the_main_screen_prompts_then_measures_a_real_curve(app_factory, workdir):
    from ortbench_tui.tui.screens.dialogs import PromptDialog

    (workdir / "profiles" / "quick.toml").write_text(QUICK_TOML)
    app = app_factory(initial_profile="quick")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        box = app.screen.query_one("#prompt-input")
        assert box.value.endswith("concurrency=1,2,4")
        box.value = "concurrency=1,2"
        await pilot.press("enter")
        await wait_for_screen(pilot, CurveScreen, timeout=5)
        screen = app.screen
        await wait_for(pilot, lambda: screen.result is not None, timeout=60)
        await settle(pilot)
        rows = cells(screen)
        assert [r[0] for r in rows] == ["C=1", "C=2"]
        assert all(r[-1] == "ok" for r in rows)
        assert "knee: " in str(screen.query_one("#curve-status", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "main"


def test_long_dim_names_get_short_distinct_aliases():
    from ortbench_tui.tui.screens.curve import alias_legend, dim_aliases

    names = ["batch_size", "beam_width", "encoder_sequence_length", "C2"]
    aliases = dim_aliases(names)
    assert aliases == {"batch_size": "ba", "beam_width": "be", "encoder_sequence_length": "e"}
    assert (
        alias_legend(aliases) == "ba = batch_size · be = beam_width · e = encoder_sequence_length"
    )
    assert dim_aliases(["batch", "seq"]) == {}  # short names stay as they are


@pytest.mark.asyncio
async def test_at_80x24_long_dims_show_by_alias_with_a_legend(tmp_path: Path):
    """`encoder_sequence_length=512 batch_size=16 C=4` would push the numbers off screen."""
    long_dims = [
        PointResult(
            i,
            {"encoder_sequence_length": seq, "batch_size": 16},
            4,
            requests=100,
            wall_s=1.0,
            items_per_request=16,
            latency_ms={"p50": 1.0 + i, "p99": 2.0 + i},
            cv=0.05,
            requests_per_s=100.0,
            items_per_s=1600.0,
        )  # fmt: skip
        for i, seq in enumerate((128, 512))
    ]

    class LongDims(FakeCurveRun):
        def events(self):
            result = curve_result(long_dims, "m", "p", [])
            yield CurveFinished(result, {}, long_dims, None, False, [])

    req = CurveRequest("sample:encoder", Profile(name="quick"), {"batch": [1, 2]}, concurrency=[1])
    screen = CurveScreen(req, start=LongDims, save_dir=tmp_path)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        rows = cells(screen)
        assert [r[0] for r in rows] == ["e=128 b=16 C=4", "e=512 b=16 C=4"]
        status = str(screen.query_one("#curve-status", Static).render())
        assert "e = encoder_sequence_length · b = batch_size" in status
