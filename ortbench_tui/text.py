"""Text for people: durations, bytes, counts, ratios, plain tables, Markdown and CSV cells.

The one home of formatting, below bench, so the engine, bench, the CLI and the TUI all
print a number the same way. Pure functions of their arguments; no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence

BLOCKS = " ▏▎▍▌▋▊▉█"
"""Eighths of a cell, for bars drawn with text."""


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_ms(ms: float | None) -> str:
    """Latency with a unit that keeps three significant digits: 4.21 µs, 71.2 µs, 2.63 ms."""
    if ms is None or _missing(ms):
        return "-"
    if ms < 1.0:
        return f"{ms * 1e3:.3g} µs"
    if ms < 1000:
        return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{ms / 1e3:.3g} s"


def format_us(us: float | None) -> str:
    """Microseconds with three significant digits and a unit: 4.21 µs, 71.2 µs, 2.63 ms."""
    if us is None or _missing(us):
        return "-"
    if us < 1000:
        return f"{us:.3g} µs" if us >= 1 else f"{us:.2f} µs"
    if us < 1e6:
        ms = us / 1e3
        return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"
    return f"{us / 1e6:.3g} s"


def format_ratio(ratio: float | None, low: float | None, high: float | None) -> str:
    """ "0.559x [0.556, 0.562]", or the ratio alone without a CI, or "-" without a ratio."""
    if ratio is None:
        return "-"
    if low is None or high is None:
        return f"{ratio:.3f}x"
    return f"{ratio:.3f}x [{low:.3f}, {high:.3f}]"


def human_bytes(n: int) -> str:
    """1023 B, 1.5 KiB, 2.0 MiB, 3.1 GiB, 3.6 PiB (binary units, one decimal above bytes)."""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"


def human_count(n: int) -> str:
    """999, 12 k, 1.2 M: counts that fit a narrow column."""
    if n >= 1_000_000:
        return f"{n / 1e6:.1f} M"
    if n >= 10_000:
        return f"{n / 1e3:.0f} k"
    return str(n)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ANY = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(value: object, one_line: bool = False) -> str:
    """`value` with control characters shown escaped (ESC as \\x1b), so a file name holding an
    escape sequence cannot clear or recolour the terminal; `one_line` escapes newlines and
    tabs too (a name must not split a row)."""
    pattern = _CONTROL_ANY if one_line else _CONTROL
    return pattern.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def first_line(value: object) -> str:
    """The first line of a message (an exception, a tool's output), stripped; "" if empty."""
    text = str(value).strip()
    return text.splitlines()[0].strip() if text else ""


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def share_bar(share: float, width: int) -> str:
    """A left-aligned bar of `width` cells for a share in [0, 1], in eighths of a cell."""
    share = min(max(share, 0.0), 1.0)
    eighths = round(share * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (BLOCKS[part] if part else "")
    return bar.ljust(width)


def aligned_table(rows: Sequence[Sequence[str]], right: set[int], indent: str = "  ") -> list[str]:
    """Rows padded into columns (right-aligned where `right` says), one string a row."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        out.append(indent + "  ".join(cells).rstrip())
    return out


def md_cell(text: str) -> str:
    """A Markdown table cell: a `|` in the text would end the cell."""
    return text.replace("|", "\\|")


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table (header, separator, rows) as lines."""
    head = "| " + " | ".join(md_cell(h) for h in header) + " |"
    sep = "|" + "|".join(["---"] * len(header)) + "|"
    return [head, sep, *("| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows)]


def csv_number(value: float | None) -> str:
    """A number for a CSV cell: empty when missing, six significant digits."""
    return "" if value is None or _missing(value) else f"{value:.6g}"


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: object) -> str:
    """A value as it is written in a profile: `true`, `"all"`, `[0, 1]`, `{ batch = 1 }`.

    What a user reads in a diff is what they would type in the TOML (never Python's `True` or
    `{'batch': 1}`). None has no TOML form: `(unset)`.
    """
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(
            f"{k if _BARE_KEY.match(str(k)) else json.dumps(str(k))} = {toml_value(v)}"
            for k, v in value.items()
        )
        return "{ " + items + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value))
