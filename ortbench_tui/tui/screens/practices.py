"""Practices: the seed article's eight practices, each toggled alone on the user's model.

A self-contained screen over a `PracticesRequest`: the measurement runs in a thread worker
(one interleaved child for the fp32 rows, the normal runner for FP16/INT8); the table shows
every practice from the start, then its verdict with the 95% CI of the ratio, or why it is
not applicable here.

Keys: escape stops (rows measured so far are kept) or goes back; s saves the base profile
with every practice measured faster; m saves the report as Markdown (and copies it).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from ..columns import Column, fill_table, middle_ellipsis
from ..keys import bindings
from ..literal import Cell, literal

if TYPE_CHECKING:
    from ortbench_tui.bench.practices import PracticesReport, PracticesRequest

from .job_screen import JobScreen, Start, export_name
from .profile_files import default_profile_name, profile_folder, save_new_profile

COLUMNS = (
    Column("#", 0),
    Column("practice", 2, min_width=12, flex=True),
    Column("verdict", 1),
    Column("ratio (95% CI)", 3),
    Column("without", 4),
    Column("with", 4),
)
SHORT_STATUS = {"not applicable here": "n/a here", "not yet available": "not yet"}
"""Row statuses in the table (in full under it for the highlighted row)."""
"""Chosen by the width: the verdict, its ratio and both medians before the practice's full
title (shortened in the middle; the highlighted row is described in full under the table)."""
VERDICT_STYLE = {
    "faster": "bold green",
    "slower": "bold red",
    "equal within margin": "bold cyan",
}
MEASURING = Text("measuring…", style="bold yellow")


class PracticesScreen(JobScreen["PracticesRequest"]):
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
        def __init__(self, text: str, detail: str = "") -> None:
            super().__init__()
            self.text, self.detail = text, detail

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PracticesScreen.Progressed)

    def __init__(
        self,
        request: PracticesRequest,
        *,
        start: Start[PracticesRequest] | None = None,
        export_dir: Path | None = None,
    ) -> None:
        """`request`: a PracticesRequest. `start` makes the run (default
        `bench.practices.PracticesRun`); `export_dir` is where m offers to write (default:
        the data dir's exports)."""
        super().__init__(request, start)
        self.export_dir = Path(export_dir) if export_dir else None
        self.report: PracticesReport | None = None
        self.exported: Path | None = None
        self.saved: Path | None = None
        self.rows: list[list[Cell]] = []

    def compose(self) -> ComposeResult:
        yield Static(literal(self._title("starting…")), id="pr-title")
        yield DataTable(cursor_type="row", id="pr-table")
        yield Static("", id="pr-row")
        yield Static("", id="pr-status")
        yield Footer()

    def _title(self, status: str) -> str:
        model = middle_ellipsis(self.request.model, 24)
        base = middle_ellipsis(self.request.base.name, 20)
        return f"Practices · {model} · base {base} · {status}"

    def on_mount(self) -> None:
        from ortbench_tui.bench.practices import PRACTICES

        table = self.query_one(DataTable)
        names = [(p.number, p.title) for p in PRACTICES]
        names += [("8", "warm-up"), ("all", "all together")]
        self.rows = [[n, t, Text("waiting", style="dim"), "", "", ""] for n, t in names]
        self._fill()
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

    def _event(self, ev: object) -> bool:
        """One event of the check (in the worker); True when it is the report."""
        from ortbench_tui.bench.practices import PracticesProgress, PracticesReport

        if isinstance(ev, PracticesProgress):
            self.post_message(self.Progressed(ev.line(), ev.detail))
        elif isinstance(ev, PracticesReport):
            self.post_message(self.Done(ev))
            return True
        return False

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        self._set_title(event.text)
        self._mark_running(event.detail)

    def _mark_running(self, detail: str) -> None:
        """`measuring…` on the rows the current measurement is for: every fp32 row during
        the interleaved run, then one precision row at a time (its detail names it)."""
        from ortbench_tui.bench.practices import PRACTICES

        if self.report is not None or not detail:
            return
        precision = {p.number: p.precision for p in PRACTICES}
        word = detail.split()[0]
        interleaved = "interleaved" in detail
        changed = False
        for row in self.rows:
            kind = precision.get(str(row[0]), "")
            if interleaved:
                now = MEASURING if not kind else Text("waiting", style="dim")
            elif kind:
                now = MEASURING if kind == word else Text("waiting", style="dim")
            else:
                now = Text("measured", style="dim")
            if str(row[2]) != str(now):
                row[2], changed = now, True
        if changed:
            self._fill()

    def _fill(self) -> None:
        keys = [str(i) for i in range(len(self.rows))]
        fill_table(self.query_one(DataTable), COLUMNS, self.rows, self.size.width, keys)

    def on_resize(self) -> None:
        if self.rows:
            self._fill()

    @on(JobScreen.Done)
    def _done(self, event: JobScreen.Done) -> None:
        from ortbench_tui.bench.practices import PracticesReport, report_rows

        if self._finished(event.error):
            return
        report = event.result
        assert isinstance(report, PracticesReport)
        self.report = report
        table = self.query_one(DataTable)
        self.rows = []
        for row, data in zip(report_rows(report), report.rows, strict=True):
            number, practice, _compared, without, with_, ratio, _word = row[:7]
            word = data.verdict or "no verdict" if data.status == "measured" else data.status
            word = SHORT_STATUS.get(word, word)
            style = VERDICT_STYLE.get(data.verdict or "", "")
            if data.status != "measured":
                style = "dim"
            self.rows.append([number, practice, Text(word, style=style), ratio, without, with_])
        self._fill()
        table.move_cursor(row=0)
        status = Text()
        status.append(f"CI: {report.method}\n", style="dim")
        for w in report.warnings[:3]:
            status.append(f"⚠ {w}\n", style="yellow")
        self.query_one("#pr-status", Static).update(status)
        self._set_title("done")

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
        if action in ("export", "save_best"):
            return True if self.report is not None else None
        return True

    def action_save_best(self) -> None:
        """The base profile with every practice that won applied (the engine's choice, as
        `practices --save-best`), with a header saying why."""
        from ortbench_tui.bench.practices import best_profile, choose_practices
        from ortbench_tui.profile import save_profile

        report = self.report
        if report is None:
            return
        if not choose_practices(report)[0]:
            self.notify("no practice was measured faster: nothing to save", severity="warning")
            return

        def write(target: Path) -> Path:
            profile, header = best_profile(report, self.request.base, target.stem)
            return save_profile(profile, target, header=header)

        def saved(target: Path) -> None:
            self.saved = target
            self.notify(f"saved {target} (listed under Profiles)", title="Profile saved")

        folder = profile_folder(self, None)
        save_new_profile(self, folder, default_profile_name(self.request.model), write, saved)

    def action_export(self) -> None:
        from ortbench_tui.bench.practices import report_markdown

        if self.report is None:
            return
        text = report_markdown(self.report)

        def written(path: Path) -> None:
            self.exported = path

        self._export(self.export_dir, export_name("practices", "md"), text, written, "Saved")
