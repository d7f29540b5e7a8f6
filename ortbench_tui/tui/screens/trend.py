"""The trend of one group of runs (model + profile settings + input shapes) over time: p50 and
p99 per run as bars, the points where ORT, the model file or the machine changed, and the step
the trend rule names (`bench.trend`)."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from ..keys import bindings
from ..literal import literal
from ..widgets.footer import WorkbenchFooter
from ..worker_errors import WorkerErrors


class TrendLoaded(Message):
    def __init__(self, lines: list[str], step: str) -> None:
        super().__init__()
        self.lines, self.step = lines, step


class TrendScreen(WorkerErrors, Screen[None]):
    """The group of the run at `path`, read from the history in a thread."""

    BINDINGS = bindings("trend")

    DEFAULT_CSS = """
    TrendScreen #trend-title { height: 1; background: $panel; padding: 0 1; }
    TrendScreen #trend-step { height: auto; padding: 0 1; text-style: bold; }
    TrendScreen VerticalScroll { height: 1fr; }
    TrendScreen #trend-chart { padding: 0 1; }
    """

    def __init__(self, path: Path) -> None:
        super().__init__(id="trend")
        self.path = path

    def compose(self) -> ComposeResult:
        yield Static("Trend · p50 per run over time · esc back", id="trend-title")
        yield Static("reading the history…", id="trend-step", markup=False)
        with VerticalScroll():
            yield Static("", id="trend-chart", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="trend", exit_on_error=False)
    def _load(self) -> None:
        from ortbench_tui.bench.results import load_result, scan_history
        from ortbench_tui.bench.trend import trend_lines, trends
        from ortbench_tui.errors import OrtbenchError

        results = []
        for entry in scan_history().entries:
            try:
                results.append((entry.path, load_result(entry.path)))
            except OrtbenchError:
                continue
        group = next(
            (t for t in trends(results) if any(p.path == self.path for p in t.points)), None
        )
        if group is None:
            self.post_message(
                TrendLoaded([], "no trend: this run is not a finished run of a kept profile")
            )
            return
        step = group.step()
        self.post_message(
            TrendLoaded(
                trend_lines(group),
                f"step: {step.sentence()}" if step else "no step: the trend rule names none",
            )
        )

    @on(TrendLoaded)
    def _loaded(self, event: TrendLoaded) -> None:
        self.query_one("#trend-step", Static).update(literal(event.step))
        self.query_one("#trend-chart", Static).update(literal("\n".join(event.lines)))

    def action_close(self) -> None:
        self.dismiss(None)
