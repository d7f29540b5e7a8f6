"""Trace: where a run's time went, node by node, and which EP ran each node.

A self-contained screen over a trace summary (the `trace` section of a result, as built by
`ortbench_tui.bench.trace.summarize_trace`): the EP placement summary on top, then every node
(or every op type) in a sortable table with its share of the run time, drawn as a bar
scaled to the largest share shown. Nodes that
fell back to CPU while a GPU EP was requested, and Memcpy nodes, are marked.

Keys: s cycles the sort column, r reverses it, clicking a column header sorts by it,
o switches between nodes and op types, escape goes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ortbench_tui.bench.result_record import (
    TraceNode,
    TraceOpType,
    TraceSummary,
    UnreadableTrace,
)
from ortbench_tui.bench.trace import indented_name, nested_order, short_ep
from ortbench_tui.text import format_us, share_bar

from ..keys import bindings
from ..literal import Cell, literal, literal_cells

BAR_WIDTH = 16
NARROW_BAR_WIDTH = 6
"""Below NARROW columns the bars shrink, so the time columns stay on screen."""
NARROW = 110
MIN_NAME_WIDTH = 10

NODE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "node"),
    ("op_type", "op type"),
    ("provider", "EP"),
    ("calls", "calls"),
    ("mean_us", "mean"),
    ("total_us", "total"),
    ("share", "share of run"),
    ("flag", ""),
)
OP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("op_type", "op type"),
    ("nodes", "nodes"),
    ("providers", "EPs"),
    ("calls", "calls"),
    ("mean_us", "mean"),
    ("total_us", "total"),
    ("share", "share of run"),
)
# What `s` cycles through, per view; numbers sort largest first, text A to Z.
SORT_KEYS = {
    "nodes": ("total_us", "mean_us", "calls", "name", "op_type", "provider"),
    "ops": ("total_us", "mean_us", "calls", "nodes", "op_type"),
}
TEXT_KEYS = {"name", "op_type", "provider", "providers"}
SORT_LABELS = {
    "total_us": "total time",
    "mean_us": "mean time",
    "calls": "calls",
    "nodes": "node count",
    "name": "name",
    "op_type": "op type",
    "provider": "EP",
    "providers": "EPs",
    "share": "total time",
}


def _n(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def placement_text(summary: TraceSummary) -> Text:
    """The EP placement summary: time per EP, Memcpy nodes, fallback nodes."""
    out = Text()
    if not summary.providers:
        out.append("no node events in this trace", style="dim")
    for i, (ep, p) in enumerate(summary.providers.items()):
        if i:
            out.append("  │  ")
        out.append(short_ep(ep), style="bold")
        out.append(f" {_n(p.nodes, 'node')} · {format_us(p.per_run_us)}/run · {p.share:.1%}")
    memcpy = summary.memcpy
    out.append("\n")
    if memcpy.nodes:
        out.append("memcpy ", style="bold yellow")
        out.append(
            f"{_n(memcpy.nodes, 'node')} · {_n(memcpy.calls, 'call')} · "
            f"{format_us(memcpy.per_run_us)}/run · {memcpy.share:.1%} of run"
        )
    else:
        out.append("memcpy ", style="bold")
        out.append("none", style="dim")
    out.append("  │  ")
    fallback = summary.fallback_nodes
    if not summary.gpu_requested:
        out.append("fallback ", style="bold")
        out.append(f"n/a ({short_ep(summary.requested_ep or '?')} requested)", style="dim")
    elif fallback:
        out.append("fallback ", style="bold red")
        names = ", ".join(fallback[:6]) + (" …" if len(fallback) > 6 else "")
        out.append(
            f"{_n(len(fallback), 'node')} on CPU while {short_ep(summary.requested_ep)} was "
            f"requested: {names}",
            style="red",
        )
    else:
        out.append("fallback ", style="bold")
        out.append(f"none: every node ran on {short_ep(summary.requested_ep)}")
    return out


def header_text(summary: TraceSummary | UnreadableTrace, title: str) -> str:
    parts = [f"Trace · {title}" if title else "Trace"]
    if isinstance(summary, UnreadableTrace):
        return " · ".join([*parts, "0 runs"])
    parts.append(f"{summary.runs} runs")
    if summary.run_mean_us is not None:
        parts.append(f"{format_us(summary.run_mean_us)} per run")
        parts.append(f"nodes {summary.nodes_share:.1%}")
        parts.append(f"overhead {summary.overhead_share or 0.0:.1%}")
    return " · ".join(parts)


def _bar_cell(share: float, peak: float, style: str = "", width: int = BAR_WIDTH) -> Text:
    """The share as a bar scaled to the largest one shown (it fills the column), then as %."""
    text = Text(share_bar(share / peak if peak > 0 else 0.0, width), style=style or "green")
    text.append(f" {share:6.1%}", style="")
    return text


Row = TypeVar("Row", TraceNode, TraceOpType)


def _column(row: TraceNode | TraceOpType, key: str) -> object:
    """A row's value in a column: the record's field of that name (a column key is one)."""
    return getattr(row, key, "")


def sort_rows(rows: Sequence[Row], key: str, reverse: bool) -> list[Row]:
    """Numbers largest first, text A to Z; `reverse` flips either. Ties keep their order."""
    if key in TEXT_KEYS:

        def text_of(row: Row) -> str:
            value = _column(row, key)
            return ", ".join(value) if isinstance(value, list) else str(value).lower()

        return sorted(rows, key=text_of, reverse=reverse)

    def number_of(row: Row) -> float:
        value = _column(row, key)
        return value if isinstance(value, int | float) else 0

    return sorted(rows, key=number_of, reverse=not reverse)


class TraceScreen(Screen[None]):
    """Per-node time and EP placement of one traced run."""

    BINDINGS = bindings("trace")

    DEFAULT_CSS = """
    TraceScreen #trace-title { height: 1; background: $panel; padding: 0 1; text-style: bold; }
    TraceScreen #trace-placement { height: auto; padding: 0 1; border-bottom: solid $panel; }
    TraceScreen DataTable { height: 1fr; }
    TraceScreen #trace-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(
        self, summary: TraceSummary | UnreadableTrace, title: str = "", *, id: str = "trace"
    ) -> None:
        super().__init__(id=id)
        self.summary = summary
        self.title_text = title
        self.view = "nodes"
        self.sort_key = "total_us"
        self.reverse = False

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(literal(header_text(self.summary, self.title_text)), id="trace-title")
        if isinstance(self.summary, UnreadableTrace):
            yield Static(Text(self.summary.error, style="red"), id="trace-placement")
        else:
            yield Static(placement_text(self.summary), id="trace-placement")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="trace-table")
        yield Static("", id="trace-status")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_table()
        self.query_one(DataTable).focus()

    # -- table ----------------------------------------------------------------------------------

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return NODE_COLUMNS if self.view == "nodes" else OP_COLUMNS

    def node_rows(self) -> list[tuple[TraceNode, int]]:
        """The nodes in the chosen order, a subgraph's nodes under their If/Loop/Scan (each
        with its depth), whatever the order."""
        if isinstance(self.summary, UnreadableTrace):
            return []
        return nested_order(sort_rows(self.summary.nodes, self.sort_key, self.reverse))

    def op_rows(self) -> list[TraceOpType]:
        """The op types in the chosen order."""
        if isinstance(self.summary, UnreadableTrace):
            return []
        return sort_rows(self.summary.op_types, self.sort_key, self.reverse)

    def _op_cells(self, row: TraceOpType, peak: float) -> list[Cell]:
        return [
            row.op_type,
            Text(str(row.nodes), justify="right"),
            ", ".join(short_ep(p) for p in row.providers),
            Text(str(row.calls), justify="right"),
            Text(format_us(row.mean_us), justify="right"),
            Text(format_us(row.total_us), justify="right"),
            _bar_cell(row.share, peak, width=self.bar_width),
        ]

    def _node_cells(self, row: TraceNode, depth: int, peak: float) -> list[Cell]:
        if row.fallback:
            flag, style = Text("CPU fallback", style="bold red"), "red"
        elif row.memcpy:
            flag, style = Text("memcpy", style="yellow"), "yellow"
        else:
            flag, style = Text(""), ""
        return [
            indented_name(row.name, depth),
            row.op_type,
            short_ep(row.provider),
            Text(str(row.calls), justify="right"),
            Text(format_us(row.mean_us), justify="right"),
            Text(format_us(row.total_us), justify="right"),
            _bar_cell(row.share, peak, style, self.bar_width),
            flag,
        ]

    def refresh_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key, label in self.columns:
            arrow = ""
            if key == self.sort_key or (key == "share" and self.sort_key == "total_us"):
                # numbers run largest first (▼), text A to Z (▲); reverse flips either
                descending = (key not in TEXT_KEYS) != self.reverse
                arrow = " ▼" if descending else " ▲"
            table.add_column(label + arrow, key=key)
        if self.view == "nodes":
            nodes = self.node_rows()
            peak = max((n.share for n, _ in nodes), default=0.0)
            cells = [self._node_cells(n, depth, peak) for n, depth in nodes]
            if cells:
                self._fit_names(cells)
        else:
            ops = self.op_rows()
            peak = max((o.share for o in ops), default=0.0)
            cells = [self._op_cells(o, peak) for o in ops]
        for i, row_cells in enumerate(cells):
            table.add_row(*literal_cells(row_cells), key=f"{self.view}-{i}")
        what = "nodes" if self.view == "nodes" else "op types"
        order = SORT_LABELS.get(self.sort_key, self.sort_key)
        direction = " (reversed)" if self.reverse else ""
        self.query_one("#trace-status", Static).update(
            f"{table.row_count} {what} by {order}{direction} · s sort · r reverse · "
            "o nodes/op types · click a header to sort by it"
        )

    @property
    def bar_width(self) -> int:
        return BAR_WIDTH if (self.size.width or 80) >= NARROW else NARROW_BAR_WIDTH

    def _fit_names(self, cells: list[list[Cell]]) -> None:
        """Node names shortened (around the part that tells them apart) to the room the other
        columns leave, so mean, total and share stay on screen at 80 columns."""
        from ..columns import CELL_PADDING, SCROLLBAR, shorten_apart

        def plain(cell: Cell) -> str:
            return cell.plain if isinstance(cell, Text) else str(cell)

        others = sum(
            max(len(label) + 2, *(len(plain(row[j])) for row in cells)) + CELL_PADDING
            for j, (_, label) in enumerate(self.columns)
            if j > 0
        )
        room = max(MIN_NAME_WIDTH, (self.size.width or 80) - SCROLLBAR - CELL_PADDING - others)
        names = [plain(row[0]) for row in cells]
        if all(len(n) <= room for n in names):
            return
        # Keep the ↳ indent of subgraph nodes in front; shorten the names themselves.
        heads = [n[: len(n) - len(n.lstrip(" ↳"))] for n in names]
        bodies = [n[len(h) :] for n, h in zip(names, heads, strict=True)]
        # Shortened level by level: siblings share their parent's prefix, which says least.
        for head in set(heads):
            rows = [i for i, h in enumerate(heads) if h == head]
            short = shorten_apart([bodies[i] for i in rows], max(room - len(head), 4))
            for i, body in zip(rows, short, strict=True):
                cells[i][0] = head + body

    # -- actions --------------------------------------------------------------------------------

    def action_cycle_sort(self) -> None:
        keys = SORT_KEYS[self.view]
        i = keys.index(self.sort_key) if self.sort_key in keys else -1
        self.sort_key = keys[(i + 1) % len(keys)]
        self.reverse = False
        self.refresh_table()

    def action_reverse_sort(self) -> None:
        self.reverse = not self.reverse
        self.refresh_table()

    def action_toggle_view(self) -> None:
        self.view = "ops" if self.view == "nodes" else "nodes"
        if self.sort_key not in SORT_KEYS[self.view]:
            self.sort_key = "total_us"
        self.reverse = False
        self.refresh_table()

    @on(DataTable.HeaderSelected)
    def _header(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == "flag":
            return
        if key == "share":
            key = "total_us"
        if key == self.sort_key:
            self.reverse = not self.reverse
        else:
            self.sort_key, self.reverse = key, False
        self.refresh_table()

    def action_close(self) -> None:
        self.dismiss(None)


__all__ = ["TraceScreen", "header_text", "placement_text", "sort_rows"]
