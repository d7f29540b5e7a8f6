"""History: past runs (model, profile, p50, p99, host, when); open one; pick two to compare;
show only the runs of some hosts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ..columns import Column, fill_table
from ..formatting import when
from ..keys import bindings
from ..literal import literal
from ..messages import HistoryLoaded
from ..widgets.footer import WorkbenchFooter
from ..workbench import workbench
from ..worker_errors import WorkerErrors

if TYPE_CHECKING:
    from ortbench_tui.bench.results import HistoryEntry

COLUMNS = (
    Column("", 0),
    Column("model", 5, min_width=10, flex=True),
    Column("profile", 6, min_width=10, flex=True),
    Column("p50", 1),
    Column("p99", 2),
    Column("runs", 3),
    Column("status", 4),
    Column("host", 7),
    Column("prec", 8),
    Column("when", 9),
)
"""What decides first (p50, p99, runs, status); names shortened in the middle; the rest
(the host first: `(local)` for this machine's own runs) when there is room. The highlighted
run is described in full under the table."""


NOT_RUNS = {"curve": "a curve", "load": "a load result"}
"""History entries that are not runs: they open in their own screen, never in a run's
comparison or trend."""
PICK_REFUSALS = {
    "curve": "a curve compares with another curve: ortbench compare A-curve.json B-curve.json",
    "load": "a load result is not a run to compare: profiles compare under load in one job, "
    "on one schedule (o on the main screen, or ortbench load MODEL --profile A --profile B)",
}


def skipped_sentence(skipped: list[tuple[Path, str]]) -> str:
    """One sentence for every history file that could not be read (empty when none)."""
    if not skipped:
        return ""
    from ortbench_tui.text import plural

    files = "; ".join(f"{Path(path).name} ({reason})" for path, reason in skipped)
    return f"⚠ {plural(len(skipped), 'history file')} could not be read: {files}"


class HistoryScreen(WorkerErrors, Screen[None]):
    """Saved results from the history folder, newest first."""

    BINDINGS = bindings("history")

    DEFAULT_CSS = """
    HistoryScreen #history-title { height: 1; background: $panel; padding: 0 1; }
    HistoryScreen DataTable { height: 1fr; }
    HistoryScreen #history-row { height: auto; max-height: 3; padding: 0 1; }
    HistoryScreen #history-status { height: 1; padding: 0 1; color: $text-muted; }
    HistoryScreen #history-skipped {
        height: auto; max-height: 4; padding: 0 1; color: $text-warning; display: none;
    }
    HistoryScreen #history-skipped.-shown { display: block; }
    """

    def __init__(self) -> None:
        super().__init__(id="history")
        self.all_entries: list[HistoryEntry] = []
        self.entries: list[HistoryEntry] = []
        """The runs shown: those of `all_entries` on the hosts matching `host_glob`."""
        self.host_glob = ""
        self.picked: list[int] = []
        self._folder_note = ""

    def compose(self) -> ComposeResult:
        yield Static(
            "History · enter opens a run · space picks · c compares two · v side by side · t trend",
            id="history-title",
        )
        yield DataTable(cursor_type="row", zebra_stripes=True, id="history-table")
        yield Static("", id="history-row", markup=False)
        yield Static("reading the history…", id="history-status", markup=False)
        yield Static("", id="history-skipped")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self._load()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self) -> None:
        from ortbench_tui.bench.results import scan_history

        listing = scan_history()
        self.post_message(HistoryLoaded(listing.entries, listing.skipped))

    @on(HistoryLoaded)
    def _loaded(self, event: HistoryLoaded) -> None:
        from ortbench_tui.bench.results import results_dir

        self.all_entries = event.entries
        self._folder_note = (
            f"no readable runs in {results_dir()}"
            if event.skipped
            else f"no saved runs yet in {results_dir()}: press r on the main screen"
        )
        skipped = self.query_one("#history-skipped", Static)
        skipped.update(literal(skipped_sentence(event.skipped)))
        skipped.set_class(bool(event.skipped), "-shown")
        self._apply_filter()

    def _apply_filter(self) -> None:
        """Show the runs on the hosts matching the glob; picks that stay in view are kept."""
        from ortbench_tui.bench.hosts import entries_on_hosts

        picked = [self.entries[i].path for i in self.picked]
        self.entries = entries_on_hosts(self.all_entries, self.host_glob)
        paths = [e.path for e in self.entries]
        self.picked = [paths.index(p) for p in picked if p in paths]
        self._fill()
        self.query_one("#history-status", Static).update(literal(self._status()))
        self._describe(self._row())
        self.refresh_bindings()

    def _status(self) -> str:
        from ortbench_tui.bench.results import results_dir
        from ortbench_tui.text import plural

        if not self.all_entries:
            return self._folder_note
        if not self.host_glob:
            return f"{plural(len(self.entries), 'run')} in {results_dir()}"
        return (
            f"host {self.host_glob}: {len(self.entries)} of "
            f"{plural(len(self.all_entries), 'run')} in {results_dir()} · f: another host"
        )

    def action_filter_host(self) -> None:
        """Ask for a host glob (empty: every host) and show only the runs that match it."""
        from .dialogs import PromptDialog

        def done(glob: str | None) -> None:
            if glob is not None:
                self.host_glob = glob
                self._apply_filter()

        self.app.push_screen(
            PromptDialog(
                "Filter history by host",
                "Host glob (alpha*, (local) for this machine's runs; empty: every host):",
                self.host_glob,
                cursor_blink=workbench(self).cursor_blink,
            ),
            done,
        )

    def _rows(self) -> list[tuple[str, ...]]:
        from ortbench_tui.bench.hosts import host_label
        from ortbench_tui.text import format_ms

        return [
            (
                self._mark(i),
                e.model,
                e.profile,
                format_ms(e.p50_ms),
                format_ms(e.p99_ms),
                str(e.runs),
                e.status,
                host_label(e.host),
                e.precision,
                when(e.created),
            )
            for i, e in enumerate(self.entries)
        ]

    def _mark(self, i: int) -> str:
        return "AB"[self.picked.index(i)] if i in self.picked else " "

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        keys = [str(i) for i in range(len(self.entries))]
        fill_table(table, COLUMNS, self._rows(), self.size.width, keys)

    def on_resize(self) -> None:
        if self.entries:
            self._fill()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._describe(event.cursor_row)

    def _describe(self, row: int | None) -> None:
        """The highlighted run in full: names, when, precision, input shapes, file."""
        from ortbench_tui.bench.hosts import host_label

        if row is None or not 0 <= row < len(self.entries):
            self.query_one("#history-row", Static).update("")
            return
        e = self.entries[row]
        parts = [f"{e.model} × {e.profile}", f"on {host_label(e.host)}", when(e.created)]
        parts.append(e.precision)
        if e.inputs:
            parts.append(e.inputs)
        parts.append(e.path.name)
        self.query_one("#history-row", Static).update(" · ".join(parts))

    def _row(self) -> int | None:
        table = self.query_one(DataTable)
        if not self.entries or table.cursor_row is None:
            return None
        return table.cursor_row if 0 <= table.cursor_row < len(self.entries) else None

    def action_open(self) -> None:
        """A run opens in its detail, a curve in the curve screen, a load result in the load
        screen (each as it was measured)."""
        from ortbench_tui.errors import OrtbenchError

        from .curve import saved_curve_screen
        from .detail import RunDetailScreen
        from .load import saved_load_screen

        row = self._row()
        if row is None:
            return
        entry = self.entries[row]
        openers: dict[str, Callable[[Path], Screen[None]]] = {
            "curve": saved_curve_screen,
            "load": saved_load_screen,
        }
        opener = openers.get(entry.kind)
        if opener is None:
            self.app.push_screen(RunDetailScreen(entry.path))
            return
        try:
            self.app.push_screen(opener(entry.path))
        except OrtbenchError as exc:
            what = "curve" if entry.kind == "curve" else "load result"
            self.notify(str(exc), title=f"Cannot open the {what}", severity="error")

    def action_trend(self) -> None:
        """The highlighted run's group (model + profile + inputs) over time."""
        from .trend import TrendScreen

        row = self._row()
        if row is None:
            return
        entry = self.entries[row]
        if entry.kind in NOT_RUNS:
            self.notify(
                f"{NOT_RUNS[entry.kind]} has no trend: a trend follows the runs of one model "
                "and profile (enter opens it)",
                severity="warning",
            )
            return
        self.app.push_screen(TrendScreen(entry.path))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_pick(self) -> None:
        row = self._row()
        if row is None:
            return
        kind = self.entries[row].kind
        if kind in PICK_REFUSALS and row not in self.picked:
            self.notify(PICK_REFUSALS[kind], severity="warning")
            return
        if row in self.picked:
            self.picked.remove(row)
        else:
            self.picked.append(row)
            if len(self.picked) > 2:
                self.picked.pop(0)
        table = self.query_one(DataTable)
        for i in range(len(self.entries)):
            table.update_cell(str(i), table.ordered_columns[0].key, self._mark(i))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("compare", "side_by_side"):
            return True if len(self.picked) == 2 else None
        return True

    def _picked_paths(self) -> tuple[Path, Path] | None:
        if len(self.picked) != 2:
            self.notify("pick two runs with space first", severity="warning")
            return None
        a, b = (self.entries[i].path for i in self.picked)
        return a, b

    def action_compare(self) -> None:
        """The comparison with a verdict: ratio of medians, its bootstrap CI, warnings."""
        from .compare import ComparisonScreen

        paths = self._picked_paths()
        if paths is not None:
            self.app.push_screen(ComparisonScreen(result_paths=list(paths)))

    def action_side_by_side(self) -> None:
        """Every statistic of the two runs in two columns (no noise estimate)."""
        from .detail import CompareScreen

        paths = self._picked_paths()
        if paths is not None:
            self.app.push_screen(CompareScreen(*paths))

    def action_close(self) -> None:
        self.dismiss(None)
