"""A curve as terminal text, Markdown and CSV: one row per point, the knee under the table."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import NamedTuple

from ...text import aligned_table, csv_number, first_line, format_ms, md_table
from ..job_records import CurveResult
from ..result_record import given
from .points import PointResult

HEADER = ("point", "p50", "p50 95% CI", "p90", "p99", "mean", "CV", "req/s", "items/s", "status")
CSV_HEADER = (
    "point", "concurrency", "dims", "status", "requests", "wall_s", "items_per_request",
    "p50_ms", "p50_ci_low_ms", "p50_ci_high_ms", "p90_ms", "p99_ms", "mean_ms", "cv",
    "requests_per_s", "items_per_s", "error",
)  # fmt: skip


def _rate(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}".replace(",", " ")


class PointRow(NamedTuple):
    """One point's cells, in the text table's order (HEADER); faces pick by name."""

    point: str
    p50: str
    p50_ci: str
    p90: str
    p99: str
    mean: str
    cv: str
    requests_per_s: str
    items_per_s: str
    status: str


def point_row(p: PointResult) -> PointRow:
    """The table's cells for one point (the TUI's live table uses the same)."""
    lat = p.latency_ms
    ci = f"{format_ms(p.p50_ci[0])} – {format_ms(p.p50_ci[1])}" if p.p50_ci else "-"
    status = p.status if p.ok else f"{p.status}: {first_line(p.error)}"
    return PointRow(
        p.label,
        format_ms(lat.get("p50")),
        ci,
        format_ms(lat.get("p90")),
        format_ms(lat.get("p99")),
        format_ms(lat.get("mean")),
        "-" if p.cv is None else f"{p.cv:.1%}",
        _rate(p.requests_per_s),
        _rate(p.items_per_s),
        status,
    )


def point_summary(p: PointResult) -> str:
    """One line for a point just measured: `b=4: p50 1.2 ms p99 1.9 ms 812 req/s 3.2k items/s`,
    or why it failed."""
    if not p.ok:
        return f"{p.label}: {p.status}: {first_line(p.error)}"
    lat = p.latency_ms
    return (
        f"{p.label}: p50 {format_ms(lat.get('p50'))} p99 {format_ms(lat.get('p99'))} "
        f"{_rate(p.requests_per_s)} req/s {_rate(p.items_per_s)} items/s"
    )


def footer_lines(points: Sequence[PointResult], knee: Sequence[str]) -> list[str]:
    failed = [p for p in points if p.status == "failed"]
    lines = list(knee)
    if failed:
        lines.append(f"failed: {len(failed)} of {len(points)} points:")
        lines += [f"  {p.label}: {first_line(p.error)}" for p in failed]
    return lines


def format_curve(result: CurveResult, points: Sequence[PointResult]) -> str:
    head = f"curve · {result.model_name()} · profile {result.profile_name()} · {len(points)} points"
    rows = [list(HEADER), *(point_row(p) for p in points)]
    table = aligned_table(rows, right=set(range(1, 9)), indent="")
    lines = [head, *table, *footer_lines(points, result.knee_lines())]
    lines += [f"warning: {w}" for w in result.warning_texts()]
    lines.append(f"percentiles: {given(result.percentile_method, '')}")
    return "\n".join(lines)


def _inputs_line(points: Sequence[PointResult]) -> str:
    """The input shapes of each point (the swept dims change them)."""
    seen: list[str] = []
    for p in points:
        text = ", ".join(f"`{n}` {'x'.join(map(str, s)) or '()'}" for n, s in p.shapes.items())
        if text and text not in seen:
            seen.append(text)
    if not seen:
        return "Inputs: unrecorded."
    return "Inputs: " + "; ".join(seen) + "."


def curve_markdown(result: CurveResult, points: Sequence[PointResult]) -> str:
    lines = [
        f"## Load curve: {result.model_name()} · {result.profile_name()}",
        "",
        _inputs_line(points),
        "",
        *md_table(HEADER, [point_row(p) for p in points]),
        "",
    ]
    lines += [f"- {line.strip()}" for line in footer_lines(points, result.knee_lines())]
    return "\n".join(lines) + "\n"


def curve_csv(points: Sequence[PointResult]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for p in points:
        lat = p.latency_ms
        ci = p.p50_ci or (None, None)
        w.writerow(
            [
                p.index, p.concurrency, " ".join(f"{k}={v}" for k, v in p.dims.items()), p.status,
                p.requests, csv_number(p.wall_s), p.items_per_request,
                csv_number(lat.get("p50")), csv_number(ci[0]), csv_number(ci[1]),
                csv_number(lat.get("p90")), csv_number(lat.get("p99")),
                csv_number(lat.get("mean")), csv_number(p.cv),
                csv_number(p.requests_per_s), csv_number(p.items_per_s), p.error,
            ]
        )  # fmt: skip
    return buf.getvalue()
