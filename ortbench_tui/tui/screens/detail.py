"""A past run again (its histogram and details), and two runs side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import msgspec
from msgspec import UnsetType
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ortbench_tui.bench.run_inputs import shapes_of, shapes_text
from ortbench_tui.errors import OrtbenchError

from ..columns import Column, fill_table
from ..formatting import active_eps, short_ep, when
from ..keys import bindings
from ..literal import literal
from ..widgets.footer import WorkbenchFooter
from ..widgets.notes import Notes
from ..widgets.run_panel import RunPanel

if TYPE_CHECKING:
    from ortbench_tui.bench.result_record import RunResult
    from ortbench_tui.bench.runner import RunRequest


def _no_runs(_request: RunRequest) -> NoReturn:
    raise OrtbenchError("this panel only shows saved results")


class RunDetailScreen(Screen[None]):
    """One saved result: statistics, histogram, run-index chart, EPs and warnings."""

    BINDINGS = bindings("detail")

    DEFAULT_CSS = """
    RunDetailScreen #detail-title { height: 1; background: $panel; padding: 0 1; }
    RunDetailScreen RunPanel { border: round $primary; }
    RunDetailScreen RunPanel #run-position { display: none; }
    RunDetailScreen RunPanel #run-notes-scroll { max-height: 12; }
    """

    def __init__(self, path: Path) -> None:
        super().__init__(id="detail")
        self.path = Path(path)

    def compose(self) -> ComposeResult:
        yield Static(literal(f"Run · {self.path.name}"), id="detail-title")
        yield RunPanel(_no_runs, id="detail-run")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        from ortbench_tui.bench.results import load_result, read_samples

        panel = self.query_one(RunPanel)
        try:
            result = load_result(self.path)
        except (OrtbenchError, OSError, ValueError) as exc:
            panel.show_notes([("error", f"✗ {exc}")])
            self.notify(str(exc), title="Cannot open this run", severity="error")
            return
        # An unreadable .npy loses only the histogram: the figures in the JSON still stand.
        samples, why = read_samples(self.path)
        samples_error = f"raw samples could not be read: {why}" if why else ""
        model = _given(result.model.name) or "?"
        profile = result.profile.get("name", "?")
        panel.border_title = literal(f"{model} × {profile} · {when(_given(result.created))}")
        panel.show_result(result, samples)
        if samples is None:
            notes = panel.query_one(Notes)
            note = ("warning", f"⚠ {samples_error}") if samples_error else None
            note = note or ("muted", "no raw samples were saved with this run")
            notes.show([*notes.lines, note])

    def action_close(self) -> None:
        self.dismiss(None)


def _fmt_ms(value: object) -> str:
    from ortbench_tui.text import format_ms

    return format_ms(value) if isinstance(value, (int, float)) else "-"


def _given(text: str | UnsetType) -> str:
    """A text field of a result, "" when the file lacks it."""
    return "" if isinstance(text, UnsetType) else text


def compare_rows(a: RunResult, b: RunResult) -> list[tuple[str, str, str, str]]:
    """(what, A, B, B vs A) rows; latency ratios are B/A (below 1 = B is faster)."""
    rows: list[tuple[str, str, str, str]] = []

    def text(value: object) -> str:
        return "-" if value is None or isinstance(value, UnsetType) else str(value)

    for label, (va, vb) in (
        ("model", (a.model.name, b.model.name)),
        ("profile", (a.profile.get("name"), b.profile.get("name"))),
        ("status", (a.status, b.status)),
        ("runs", (a.runs, b.runs)),
    ):
        rows.append((label, text(va), text(vb), ""))
    rows.append(("when", when(_given(a.created)), when(_given(b.created)), ""))
    pa, pb = ((r.profile.get("run") or {}).get("precision", "fp32") for r in (a, b))
    rows.append(("precision", str(pa), str(pb), ""))
    la, lb = (msgspec.to_builtins(r.latency_ms) for r in (a, b))
    for key, label in (
        ("p50", "p50"),
        ("p90", "p90"),
        ("p99", "p99"),
        ("p999", "p99.9"),
        ("mean", "mean"),
        ("min", "min"),
        ("max", "max"),
    ):
        va, vb = la.get(key), lb.get(key)
        ratio = (
            f"{vb / va:.2f}x"
            if isinstance(va, (int, float)) and va and isinstance(vb, (int, float))
            else ""
        )
        rows.append((label, _fmt_ms(va), _fmt_ms(vb), ratio))
    cva, cvb = a.cv, b.cv
    rows.append(
        (
            "CV",
            f"{cva:.1%}" if isinstance(cva, float) else "-",
            f"{cvb:.1%}" if isinstance(cvb, float) else "-",
            "",
        )
    )
    ta, tb = (r.throughput_per_s if isinstance(r.throughput_per_s, float) else None for r in (a, b))
    rows.append(
        (
            "inf/s",
            f"{ta:,.0f}" if ta else "-",
            f"{tb:,.0f}" if tb else "-",
            f"{tb / ta:.2f}x" if ta and tb else "",
        )
    )
    rows.append(("create", _fmt_ms(a.session_create_ms), _fmt_ms(b.session_create_ms), ""))
    rows.append(("first run", _fmt_ms(a.first_run_ms), _fmt_ms(b.first_run_ms), ""))

    def eps(r: RunResult) -> str:
        return ", ".join(short_ep(x) for x in active_eps(r)) or "-"

    rows.append(("EPs", eps(a), eps(b), ""))
    sa, sb = shapes_of(a), shapes_of(b)
    differ = "different!" if sa is not None and sb is not None and sa != sb else ""
    rows.append(("inputs", shapes_text(sa), shapes_text(sb), differ))
    return rows


SIDE_BY_SIDE = (
    Column("", 0),
    Column("A", 0, min_width=12, flex=True),
    Column("B", 0, min_width=12, flex=True),
    Column("B/A", 0),
)
"""Every column always: long names and input shapes are shortened in the middle."""


class CompareScreen(Screen[None]):
    """Two saved runs side by side (the comparison issue replaces this with verdicts)."""

    BINDINGS = bindings("detail")

    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; background: $panel; padding: 0 1; }
    CompareScreen DataTable { height: 1fr; }
    CompareScreen #compare-note { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, a: Path, b: Path) -> None:
        super().__init__(id="compare")
        self.paths = (Path(a), Path(b))
        self.rows: list[tuple[str, str, str, str]] = []

    def compose(self) -> ComposeResult:
        yield Static("Compare · A vs B", id="compare-title")
        yield DataTable(cursor_type="row", id="compare-table")
        yield Static(
            "ratios are B/A: below 1.00x B is faster (no noise estimate here)", id="compare-note"
        )
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        from ortbench_tui.bench.results import load_result

        table = self.query_one(DataTable)
        try:
            a, b = (load_result(p) for p in self.paths)
        except OrtbenchError as exc:
            fill_table(table, SIDE_BY_SIDE, [], self.size.width)
            self.notify(str(exc), title="Cannot compare", severity="error")
            return
        self.rows = compare_rows(a, b)
        fill_table(table, SIDE_BY_SIDE, self.rows, self.size.width)
        table.focus()

    def on_resize(self) -> None:
        if self.rows:
            fill_table(self.query_one(DataTable), SIDE_BY_SIDE, self.rows, self.size.width)

    def action_close(self) -> None:
        self.dismiss(None)
