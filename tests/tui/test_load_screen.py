"""The load screen: live histogram, p99 and queue over time, a row per step; esc keeps what
was measured. Driven by a fake job that plays back events of the real types."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from textual.app import App
from textual.widgets import DataTable, Static
from tui_fakes import settle, wait_for, wait_for_screen

from ortbench_tui.bench.load import (
    LoadFinished,
    LoadLive,
    LoadRequest,
    LoadStepDone,
    StepSummary,
    parse_slo,
)
from ortbench_tui.bench.load.messages import StepLive
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile
from ortbench_tui.tui.screens.load import LoadScreen, bars, parse_load_text, rate_chart
from ortbench_tui.tui.widgets.histogram import LatencyHistogram


class Host(App[None]):
    def __init__(self, screen: Any) -> None:
        super().__init__()
        self._screen = screen

    def on_mount(self) -> None:
        self.push_screen(self._screen)


def step(i: int, rate: float, kept_up: bool = True, stopped: bool = False) -> StepSummary:
    q = {"mean": 0.2, "p50": 0.1, "p90": 0.3, "p99": 0.9, "p999": 1.5, "max": 2.0}
    return StepSummary(
        index=i, rate=rate, requests=1000, served=1000, given_up=0, offered_per_s=rate,
        achieved_per_s=rate if kept_up else rate * 0.5, response_ms=q, service_ms=q, wait_ms=q,
        issue_lag_us={"p99": 40.0}, utilisation=0.5, kept_up=kept_up, stopped=stopped,
        max_queue=3,
    )  # fmt: skip


class FakeLoadJob:
    """Two live ticks and a step per rate; with `hold`, waits after the first step's ticks
    until cancelled, then closes that step as stopped."""

    def __init__(self, req: LoadRequest, hold: bool = False) -> None:
        self.request = req
        self.hold = hold
        self._stop = threading.Event()
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._stop.set()

    def events(self):
        rng = np.random.default_rng(0)
        for i, rate in enumerate(self.request.rates):
            for tick in range(2):
                resp = (rng.exponential(200_000, 300) + 50_000).astype(np.int64)
                live = StepLive(i, 300 * (tick + 1), 290 * (tick + 1), 290 * (tick + 1), 1000,
                                0.1 * (tick + 1), resp)  # fmt: skip
                yield LoadLive("quick", i, rate, live)
            if self.hold:
                self._stop.wait(10)
                yield LoadStepDone("quick", step(i, rate, stopped=True))
                break
            yield LoadStepDone("quick", step(i, rate, kept_up=rate < 2000))
        result = {"load": {"slo": None}, "profiles": [], "comparisons": []}
        yield LoadFinished(result, [], None, self.cancelled)


def request(rates: list[float]) -> LoadRequest:
    return LoadRequest("sample:tiny", [Profile(name="quick")], rates=rates)


def rows(screen: LoadScreen) -> list[list[str]]:
    table = screen.query_one("#load-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_prompt_text_parses_and_bad_text_is_caught():
    got = parse_load_text("rate=500,1000; workers=2; duration=5; arrivals=constant")
    assert got == {"rates": [500, 1000], "workers": 2, "duration_s": 5.0, "arrivals": "constant"}
    assert parse_load_text("slo=p99=1ms")["slo"] == parse_slo("p99=1ms")
    for bad, needle in [("workers=2", "give rate=R"), ("rate=1; speed=3", "not a load setting"),
                        ("rate=1; arrivals=bursty", "poisson, constant"),
                        ("rate=1; workers=0", "too small")]:  # fmt: skip
        with pytest.raises(OrtbenchError, match=needle):
            parse_load_text(bad)


def test_bars_scale_to_their_maximum_and_keep_the_newest():
    assert bars([0, 4, 8], 3) == " ▄█"
    assert bars([8, 0, 1, 2], 2) == "▄█"
    assert bars([0, 0], 5) == "  "


def test_rate_chart_draws_p99_against_rate_and_marks_overload():
    slow = step(1, 4000, kept_up=False)
    slow.response_ms = {**slow.response_ms, "p99": 1.8}
    lines = rate_chart([("quick", step(0, 1000)), ("quick", slow)], 41)  # 20 cells of bar
    assert lines[0] == "p99 response against offered rate (top 1.8 ms)"
    assert lines[1].startswith("1,000/s ") and lines[1].endswith("900 µs")
    assert lines[2].startswith("4,000/s ") and lines[2].endswith("1.8 ms ✗")
    assert lines[1].count("█") == 10 and lines[2].count("█") == 20  # one linear scale


@pytest.mark.asyncio
async def test_load_screen_draws_live_and_fills_a_row_per_step(tmp_path: Path):
    screen = LoadScreen(request([1000, 4000]), start=FakeLoadJob, save_dir=tmp_path)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        got = rows(screen)
        assert [r[1] for r in got] == ["1,000", "4,000"]
        assert [r[6] for r in got] == ["yes", "NO"]
        assert screen.query_one(LatencyHistogram)._samples.size == 600  # the last step's ticks
        assert "against offered rate" in str(screen.query_one("#load-bars", Static).render())
        assert "done" in str(screen.query_one("#load-title", Static).render())
        await pilot.press("m")
        await pilot.pause()
        assert list(tmp_path.glob("ortbench-load-*.md"))


@pytest.mark.asyncio
async def test_escape_stops_and_keeps_the_step_measured():
    jobs: list[FakeLoadJob] = []

    def start(req: LoadRequest) -> FakeLoadJob:
        jobs.append(FakeLoadJob(req, hold=True))
        return jobs[-1]

    screen = LoadScreen(request([1000, 4000]), start=start)
    async with Host(screen).run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "offered" in str(screen.query_one("#load-rates").render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen.result is not None)
        await settle(pilot)
        assert jobs[0].cancelled
        assert [r[6] for r in rows(screen)] == ["stopped"]
        assert "stopped" in str(screen.query_one("#load-title", Static).render())


QUICK_TOML = """\
name = "quick"

[session]
intra_op_num_threads = 1

[run]
warmup_runs = 2
"""


@pytest.mark.slow
@pytest.mark.asyncio
async def test_o_on_the_main_screen_prompts_then_measures_real_load(app_factory, workdir):
    from ortbench_tui.tui.screens.dialogs import PromptDialog

    (workdir / "profiles" / "quick.toml").write_text(QUICK_TOML)
    app = app_factory(initial_profile="quick")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("o")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        box = app.screen.query_one("#prompt-input")
        assert box.value.startswith("rate=")
        box.value = "rate=200; duration=1"
        await pilot.press("enter")
        await wait_for_screen(pilot, LoadScreen, timeout=5)
        screen = app.screen
        await wait_for(pilot, lambda: screen.result is not None, timeout=90)
        await settle(pilot)
        got = rows(screen)
        assert len(got) == 1 and got[0][1] != "0"
        assert screen.result.path is not None  # kept in the history folder
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.id == "main"
