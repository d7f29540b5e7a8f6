"""A load curve as text: p50 and p99 latency, and throughput, against the swept value.

Two bar panels over the same x axis, one slot per point in grid order: latency (p50 and
p99 side by side, one scale) on top, throughput (items/s) below, the points' swept values
under them. Linear scales from zero, so a doubling looks like one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from ortbench_tui.text import format_ms

from ..charts import EIGHTHS

if TYPE_CHECKING:
    from ortbench_tui.bench.curve import PointResult


@dataclass(frozen=True)
class ChartPoint:
    x: str
    """The swept value(s) that name the point on the axis."""
    p50_ms: float | None
    p99_ms: float | None
    throughput: float | None


def x_labels(points: Sequence[PointResult]) -> list[str]:
    """What varies between the points: `4`, `C=2`, `4/C=2`; '?' when nothing does."""
    varying = (
        [k for k in points[0].dims if len({p.dims.get(k) for p in points}) > 1] if points else []
    )
    by_c = len({p.concurrency for p in points}) > 1
    out = []
    for p in points:
        parts = [str(p.dims[k]) for k in varying] + ([f"C={p.concurrency}"] if by_c else [])
        out.append("/".join(parts) or str(p.index + 1))
    return out


def chart_points(points: Sequence[PointResult]) -> list[ChartPoint]:
    """PointResults (measured or failed) as the chart's points."""
    return [
        ChartPoint(
            x,
            p.latency_ms.get("p50") if p.ok else None,
            p.latency_ms.get("p99") if p.ok else None,
            p.items_per_s if p.ok else None,
        )
        for x, p in zip(x_labels(points), points, strict=True)
    ]


def _column(value: float | None, top: float, rows: int) -> list[str]:
    """One bar, top row first, in eighths of a cell; '×' at the foot for a missing value."""
    if value is None or top <= 0:
        return [" "] * (rows - 1) + ["×"]
    eighths = max(1, round(value / top * rows * 8))
    return [EIGHTHS[min(max(eighths - (rows - 1 - r) * 8, 0), 8)] for r in range(rows)]


def curve_picture(points: Sequence[ChartPoint], width: int, height: int) -> list[str]:
    """The chart as `height` lines of at most `width` characters."""
    if not points or width < 12 or height < 6:
        return ["waiting for the first point…"[: max(width, 0)]]
    slot = max(4, min(10, width // len(points)))
    shown = points[: max(width // slot, 1)]
    rows_lat = max((height - 3) // 2, 1)
    rows_thr = max(height - 3 - rows_lat, 1)
    lat_top = max((v for p in shown for v in (p.p50_ms, p.p99_ms) if v), default=0.0)
    thr_top = max((p.throughput for p in shown if p.throughput), default=0.0)
    lat_cols = [(_column(p.p50_ms, lat_top, rows_lat), _column(p.p99_ms, lat_top, rows_lat))
                for p in shown]  # fmt: skip
    thr_cols = [_column(p.throughput, thr_top, rows_thr) for p in shown]
    thr_text = "-" if not thr_top else f"{thr_top:,.0f}".replace(",", " ")
    lines = [f"latency p50|p99 (top {format_ms(lat_top or None)})"[:width]]
    for r in range(rows_lat):
        lines.append("".join((a[r] + b[r]).center(slot) for a, b in lat_cols))
    lines.append(f"throughput items/s (top {thr_text})"[:width])
    for r in range(rows_thr):
        lines.append("".join((c[r] * 2).center(slot) for c in thr_cols))
    lines.append("".join(p.x[: slot - 1].center(slot) for p in shown))
    return [line.rstrip()[:width] for line in lines]


class CurveChart(Widget):
    """The curve's chart, redrawn when a point arrives or the size changes."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"curve-chart--bar"}
    DEFAULT_CSS = """
    CurveChart { height: 10; }
    CurveChart > .curve-chart--bar { color: $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.points: list[ChartPoint] = []

    def show(self, points: Sequence[PointResult]) -> None:
        self.points = chart_points(points)
        self.refresh()

    def render(self) -> RenderResult:
        size = self.content_size
        lines = curve_picture(self.points, size.width, size.height)
        style = self.get_component_rich_style("curve-chart--bar")
        text = Text(no_wrap=True, overflow="crop")
        for i, line in enumerate(lines):
            heading = line.startswith(("latency", "throughput")) or i == len(lines) - 1
            text.append(line, style="" if heading else style)
            if i < len(lines) - 1:
                text.append("\n")
        return text
