"""Practices: the seed article's eight practices, each toggled alone on the user's model.

A self-contained screen over a `PracticesRequest`: the measurement runs in a thread worker
(one interleaved child for the fp32 rows, the normal runner for FP16/INT8); the table shows
every practice from the start, then its verdict with the 95% CI of the ratio, or why it is
not applicable here.

Keys: escape stops (rows measured so far are kept) or goes back; m saves the report as
Markdown (and copies it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from ..keys import bindings
from ..literal import literal, literal_cells
from .job_screen import JobScreen, export_name

COLUMNS = ("#", "practice", "verdict", "ratio (95% CI)", "without", "with")
VERDICT_STYLE = {
    "faster": "bold green",
    "slower": "bold red",
    "equal within margin": "bold cyan",
}


class PracticesScreen(JobScreen):
    """The practices table of one model."""

    WORKER_GROUP = "practices"
    TITLE_ID = "#pr-title"
    STATUS_ID = "#pr-status"
    FAILED_TITLE = "Practices check failed"

    BINDINGS = bindings("practices")

    DEFAULT_CSS = """
    PracticesScreen #pr-title { height: 1; background: $panel; padding: 0 1; }
    PracticesScreen #pr-table { height: 1fr; }
    PracticesScreen #pr-row { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    PracticesScreen #pr-status { height: auto; max-height: 4; padding: 0 1; }
    """

    class Progressed(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PracticesScreen.Progressed)

    class Done(Message):
        def __init__(self, report: Any = None, error: str | None = None) -> None:
            super().__init__()
            self.report, self.error = report, error

    def __init__(
        self,
        request: Any,
        *,
        start: Callable[[Any], Any] | None = None,
        export_dir: Path | None = None,
    ) -> None:
        """`request`: a PracticesRequest. `start` makes the run (default
        `bench.practices.PracticesRun`); `export_dir` is where m writes (default: .)."""
        super().__init__(request, start)
        self.export_dir = Path(export_dir) if export_dir else Path.cwd()
        self.report: Any = None
        self.exported: Path | None = None

    def compose(self) -> ComposeResult:
        yield Static(literal(self._title("starting…")), id="pr-title")
        yield DataTable(cursor_type="row", id="pr-table")
        yield Static("", id="pr-row")
        yield Static("", id="pr-status")
        yield Footer()

    def _title(self, status: str) -> str:
        return f"Practices · {self.request.model} · base {self.request.base.name} · {status}"

    def on_mount(self) -> None:
        from ortbench_tui.bench.practices import PRACTICES

        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        for p in PRACTICES:
            table.add_row(
                *literal_cells([p.number, p.title, Text("waiting", style="dim"), "", "", ""])
            )
        table.add_row("8", "warm-up", Text("waiting", style="dim"), "", "", "")
        table.add_row("all", "all together", Text("waiting", style="dim"), "", "", "")
        table.focus()
        self.running = True
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP)
    def _run(self) -> None:
        from ortbench_tui.bench.practices import PracticesRun

        self._pump(
            lambda: self._start_with_providers(PracticesRun),
            self._event,
            "the check stopped without a report",
        )

    def _event(self, ev: Any) -> bool:
        """One event of the check (in the worker); True when it is the report."""
        from ortbench_tui.bench.practices import PracticesProgress, PracticesReport

        if isinstance(ev, PracticesProgress):
            total = f"/{ev.total}" if ev.total else ""
            self.post_message(
                self.Progressed(f"{ev.detail}: {ev.phase} {ev.done}{total} · {ev.elapsed_s:.1f} s")
            )
        elif isinstance(ev, PracticesReport):
            self.post_message(self.Done(ev))
            return True
        return False

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        self._set_title(event.text)

    @on(Done)
    def _done(self, event: Done) -> None:
        from ortbench_tui.bench.practices import report_rows

        if self._finished(event.error):
            return
        self.report = event.report
        table = self.query_one(DataTable)
        table.clear()
        for row, data in zip(report_rows(event.report), event.report.rows, strict=True):
            number, practice, _compared, without, with_, ratio, _word = row
            word = data.verdict or "no verdict" if data.status == "measured" else data.status
            style = VERDICT_STYLE.get(data.verdict or "", "")
            if data.status != "measured":
                style = "dim"
            table.add_row(
                *literal_cells([number, practice, Text(word, style=style), ratio, without, with_])
            )
        table.move_cursor(row=0)
        status = Text()
        status.append(f"CI: {event.report.method}\n", style="dim")
        for w in event.report.warnings[:3]:
            status.append(f"⚠ {w}\n", style="yellow")
        self.query_one("#pr-status", Static).update(status)
        self._set_title("done · m saves Markdown")

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Under the table, the highlighted practice in full: what is compared, and why not."""
        if self.report is None or not 0 <= event.cursor_row < len(self.report.rows):
            return
        r = self.report.rows[event.cursor_row]
        detail = f"{r.number} {r.practice}: {r.compared}"
        if r.status != "measured":
            detail += f" · {r.status}: {r.reason}"
        elif r.method and r.number == "8":
            detail += f" · {r.method}"
        self.query_one("#pr-row", Static).update(literal(detail))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return True if self.report is not None else None
        return True

    def action_export(self) -> None:
        from ortbench_tui.bench.practices import report_markdown

        if self.report is None:
            return
        text = report_markdown(self.report)
        path = self.export_dir / export_name("practices", "md")
        if self._write_export(path, text, title="Saved"):
            self.exported = path
