"""Sweep: a grid of profile settings searched by successive halving, ranked live.

A self-contained screen over a `SweepRequest`: the search runs in a thread worker (each
round in its own interleaved child process) and the ranked table (median, its 95% CI, the
ratio to the round's best with its CI, status, skip reasons) updates as blocks stream in.

Keys: escape stops the search (the rounds done so far still give a winner) or goes back;
s saves the winner as a TOML profile whose header says how it was found; m writes the
table as Markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from ..columns import Column, fill_table
from ..keys import bindings
from ..literal import literal

if TYPE_CHECKING:
    from ortbench_tui.bench.sweep import SweepRequest, SweepResult
    from ortbench_tui.bench.sweep.report import SweepRow

from .job_screen import JobScreen, Start, export_name
from .profile_files import default_profile_name, profile_folder, save_new_profile

COLUMNS = (
    Column("rank", 0),
    Column("#", 1),
    Column("median", 1),
    Column("vs round best", 2),
    Column("status", 2),
    Column("settings", 3, min_width=16, flex=True),
    Column("95% CI", 5),
    Column("runs", 4),
)
"""The sweep's columns as shown here, chosen by the width (`_fill` picks them from a
`SweepRow`): what decides first; long settings and skip reasons are also shown in
full under the table for the highlighted row."""
VS_BEST_LEGEND = (
    "vs round best: median / the fastest median of the same round (each round is its own "
    "interleaved run, so ratios compare within a round only)"
)


def short_status(status: str) -> str:
    return "skipped" if status.startswith("skipped") else status


class SweepScreen(JobScreen["SweepRequest"]):
    """The live ranked table of a sweep."""

    WORKER_GROUP = "sweep"
    TITLE_ID = "#sweep-title"
    STATUS_ID = "#sweep-status"
    FAILED_TITLE = "Sweep failed"

    BINDINGS = bindings("sweep")

    DEFAULT_CSS = """
    SweepScreen #sweep-title { height: 1; background: $panel; padding: 0 1; }
    SweepScreen #sweep-table { height: 1fr; }
    SweepScreen #sweep-row { height: auto; max-height: 2; padding: 0 1; color: $text-muted; }
    SweepScreen #sweep-status { height: auto; max-height: 6; padding: 0 1; }
    """

    class Updated(Message):
        """New table rows (coalesced: the newest replaces a waiting one)."""

        def __init__(self, rows: list[SweepRow], status: str, final: bool) -> None:
            super().__init__()
            self.rows, self.status, self.final = rows, status, final

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, SweepScreen.Updated) and not message.final

    def __init__(
        self,
        request: SweepRequest,
        *,
        start: Start[SweepRequest] | None = None,
        save_dir: Path | None = None,
    ) -> None:
        """`request`: a SweepRequest. `start` makes the run (default `bench.sweep.SweepRun`);
        `save_dir` is where s and m write (default: ./profiles for s, . for m)."""
        super().__init__(request, start)
        self.save_dir = Path(save_dir) if save_dir else None
        self.result: SweepResult | None = None
        self.saved: Path | None = None
        self.rows: list[SweepRow] = []

    def compose(self) -> ComposeResult:
        yield Static(literal(self._title("starting…")), id="sweep-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="sweep-table")
        yield Static("", id="sweep-row")
        yield Static("", id="sweep-status")
        yield Footer()

    def _title(self, status: str) -> str:
        return f"Sweep · {self.request.model} · budget {self.request.budget_s:g} s · {status}"

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._fill()
        table.focus()
        self.running = True
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP)
    def _run(self) -> None:
        from ortbench_tui.bench.sweep import SweepRun

        self._pump(
            lambda: self._start_with_providers(SweepRun),
            self._event,
            "the sweep stopped without a result",
        )

    def _event(self, ev: object) -> bool:
        """One event of the sweep (in the worker); True when it is the result."""
        from ortbench_tui.bench.job import format_eta
        from ortbench_tui.bench.sweep import SweepResult, SweepUpdate, sweep_rows

        if isinstance(ev, SweepUpdate):
            status = f"{ev.message} · {ev.elapsed_s:.1f} s · ETA {format_eta(ev.eta_s)}"
            self.post_message(self.Updated(sweep_rows(ev.candidates), status, False))
        elif isinstance(ev, SweepResult):
            done = "stopped" if ev.cancelled else "done"
            self.post_message(
                self.Updated(sweep_rows(ev.candidates), f"{done} · {ev.elapsed_s:.1f} s", True)
            )
            self.post_message(self.Done(ev))
            return True
        return False

    @on(Updated)
    def _updated(self, event: Updated) -> None:
        self.rows = event.rows
        self._fill()
        self._set_title(event.status)

    def _fill(self) -> None:
        cells_of_rows = []
        for row in self.rows:
            status: str | Text = short_status(row.status)
            if row.status == "winner":
                status = Text("winner", style="bold green")
            elif row.status == "tie":
                status = Text("tie", style="bold yellow")
            cells: list[str | Text] = [row.rank, row.number, row.median, row.vs_best, status]
            cells += [row.settings, row.ci, row.runs]
            if row.status.startswith("skipped"):
                cells = [Text(str(c), style="dim") for c in cells]
            cells_of_rows.append(cells)
        keys = [str(i) for i in range(len(self.rows))]
        fill_table(self.query_one(DataTable), COLUMNS, cells_of_rows, self.size.width, keys)

    def on_resize(self) -> None:
        self._fill()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.rows):
            r = self.rows[row]
            self.query_one("#sweep-row", Static).update(
                literal(f"#{r.number} {r.settings} · {r.status}")
            )

    @on(JobScreen.Done)
    def _done(self, event: JobScreen.Done) -> None:
        from ortbench_tui.bench.sweep import SweepResult

        if self._finished(event.error):
            return
        result = event.result
        assert isinstance(result, SweepResult)
        self.result = result
        w = result.winner
        lines = Text()
        if w is not None and result.decided:
            lines.append(f"best: #{w.index} {w.label}\n", style="bold")
        elif w is not None:
            lines.append(result.tie_text() + "\n", style="bold yellow")
        lines.append("s saves it as a profile · m writes the table as Markdown\n", style="dim")
        lines.append(VS_BEST_LEGEND + "\n", style="dim")
        for warning in result.warnings:
            lines.append(f"⚠ {warning}\n", style="yellow")
        self.query_one("#sweep-status", Static).update(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_best":
            return True if self.result is not None and self.result.winner is not None else None
        if action == "export":
            return True if self.result is not None else None
        return True

    def action_save_best(self) -> None:
        result = self.result
        if result is None or result.winner is None:
            self.notify("no winner yet", severity="warning")
            return

        def saved(path: Path) -> None:
            self.saved = path
            self.notify(f"saved {path} (listed under Profiles)", title="Best profile saved")

        folder = profile_folder(self, self.save_dir)
        name = default_profile_name(self.request.model)
        save_new_profile(self, folder, name, result.save_best, saved)

    def action_export(self) -> None:
        from ortbench_tui.bench.sweep import sweep_markdown

        if self.result is None:
            return
        text = sweep_markdown(self.result)
        self._export(self.save_dir, export_name("sweep", "md"), text)
