"""Table columns chosen by the terminal's width: the most important columns first, long names
shortened in the middle, so 80x24 over SSH shows what decides without scrolling sideways."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable

from .literal import Cell, literal_cells

CELL_PADDING = 2
"""A DataTable cell has one column of padding on each side."""
SCROLLBAR = 2
"""Room kept for the vertical scrollbar."""


@dataclass(frozen=True)
class Column:
    """One column: `rank` orders what is kept when space runs out (0 = always)."""

    title: str
    rank: int
    min_width: int = 0
    """A name column (shortened in the middle) never gets less than this."""
    flex: bool = False
    """Takes the room left over (up to its longest cell), e.g. model and profile names."""


def middle_ellipsis(text: str, width: int) -> str:
    """`squeezenet-light` in 11 columns -> `squee…light`: both ends of a name tell it apart."""
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    if width == 1:
        return "…"
    head = (width - 1 + 1) // 2
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def shorten_apart(names: Sequence[str], width: int) -> list[str]:
    """Shorten names that share a long prefix and suffix so the part that tells them apart
    stays: `cpu-latency-threads-1-io-binding` and `…-4-…` in 20 columns ->
    `…cy-threads-1-io-bi…` and `…cy-threads-4-io-bi…`, not `cpu-late…-binding` twice."""
    distinct = sorted(set(names))
    if len(distinct) < 2 or all(len(n) <= width for n in names):
        return [middle_ellipsis(n, width) for n in names]
    shortest = min(len(n) for n in distinct)
    prefix = 0
    while prefix < shortest and len({n[prefix] for n in distinct}) == 1:
        prefix += 1
    suffix = 0
    while suffix < shortest - prefix and len({n[-1 - suffix] for n in distinct}) == 1:
        suffix += 1
    return [_window(n, width, prefix, len(n) - suffix) for n in names]


def _window(name: str, width: int, core_start: int, core_end: int) -> str:
    """`name` in `width` columns, keeping name[core_start:core_end] (an ellipsis per cut)."""
    if len(name) <= width:
        return name
    inner = width - 2
    core = core_end - core_start
    if core > inner:
        # The difference starts at core_start: show from there (middle cut if at 0).
        if core_start == 0 or width < 4:
            return middle_ellipsis(name, width)
        return "…" + name[core_start : core_start + inner] + "…"
    start = max(0, core_start - (inner - core) // 2)
    end = start + inner
    if start == 0:
        return name[: width - 1] + "…"
    if end >= len(name):
        return "…" + name[len(name) - (width - 1) :]
    return "…" + name[start:end] + "…"


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def fit_widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int
) -> list[int | None]:
    """The width of each column (None: left out) for a table `width` cells wide."""
    natural = []
    for i, col in enumerate(columns):
        longest = max((len(_plain(r[i])) for r in rows), default=0)
        natural.append(max(len(col.title), longest, 1))
    need = [
        min(n, c.min_width) if c.flex and c.min_width else n
        for n, c in zip(natural, columns, strict=True)
    ]
    chosen: set[int] = set()
    used = 0
    for i in sorted(range(len(columns)), key=lambda i: columns[i].rank):
        cost = need[i] + CELL_PADDING
        if used + cost <= width or columns[i].rank == 0:
            chosen.add(i)
            used += cost
    widths: list[int | None] = [need[i] if i in chosen else None for i in range(len(columns))]
    # What is left goes to the name columns, shared out one cell at a time (fair to both).
    spare = width - used
    flex = [i for i in chosen if columns[i].flex]
    while spare > 0 and flex:
        grown = False
        for i in sorted(flex):
            current = widths[i] or 0
            if spare > 0 and current < natural[i]:
                widths[i] = current + 1
                spare -= 1
                grown = True
        if not grown:
            break
    return widths


def fill_table(
    table: DataTable[Text],
    columns: Sequence[Column],
    rows: Sequence[Sequence[Cell]],
    width: int,
    keys: Sequence[str] | None = None,
) -> list[int]:
    """Rebuild `table` with the columns that fit `width` (the table's own width); returns the
    indexes of the columns shown. Name columns are shortened in the middle to fit."""
    cursor = table.cursor_row
    widths = fit_widths(columns, rows, max(width - SCROLLBAR, 10))
    shown = [i for i, w in enumerate(widths) if w is not None]
    table.clear(columns=True)
    for i in shown:
        table.add_column(columns[i].title, width=widths[i], key=f"c{i}")
    short: dict[int, list[str]] = {}
    for i in shown:
        if columns[i].flex:
            short[i] = shorten_apart([_plain(r[i]) for r in rows], widths[i] or 0)
    for n, row in enumerate(rows):
        cells = []
        for i in shown:
            cell = row[i]
            if i in short and not isinstance(cell, Text):
                cell = short[i][n]
            cells.append(cell)
        table.add_row(*literal_cells(cells), key=keys[n] if keys else None)
    if cursor is not None and 0 <= cursor < table.row_count:
        table.move_cursor(row=cursor)
    return shown
