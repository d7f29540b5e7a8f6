"""A comparison as terminal text, Markdown for a pull request, and CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from ...text import aligned_table, csv_number, format_ms, md_table
from ..stats import PERCENTILE_METHOD
from .model import Comparison

TABLE_HEADER = ("#", "profile", "runs", "median", "p99", "vs A (95% CI)", "verdict")


def table_rows(comp: Comparison) -> list[tuple[str, ...]]:
    """One row per profile; rows after the first carry that profile's pair against A."""
    out: list[tuple[str, ...]] = []
    for i, row in enumerate(comp.profiles):
        med = format_ms(row.median_ms)
        if i == 0:
            vs, word = "reference", ""
        else:
            pair = comp.pairs[i - 1]
            vs, word = pair.ratio_text(), pair.verdict_text() if pair.ratio else pair.note
        out.append((row.label, row.name, str(row.runs), med, format_ms(row.p99_ms), vs, word))
    return out


def format_comparison(comp: Comparison) -> str:
    """The comparison as terminal text: the table, one sentence per pair, method, warnings."""
    rows = [TABLE_HEADER, *table_rows(comp)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(TABLE_HEADER))]
    lines = aligned_table(rows, right=set(), indent="")
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    for pair in comp.pairs:
        lines.append(pair.sentence())
        if pair.differs:
            lines.append("    differs: " + "; ".join(pair.differs[:6]))
    lines.append("")
    lines += inputs_lines(comp)
    lines.append(f"mode: {comp.mode}; ratio = median B / median A (below 1: B is faster)")
    lines.append(f"CI: {comp.method}")
    lines.append(f"percentiles: {PERCENTILE_METHOD}")
    lines += [f"warning: {w}" for w in comp.warnings]
    return "\n".join(lines)


def inputs_lines(comp: Comparison) -> list[str]:
    """``inputs: tokens 1x128`` once when every profile ran the same shapes, else per label."""
    if not comp.inputs:
        return []
    if len(set(comp.inputs)) == 1:
        return [f"inputs: {comp.inputs[0]}"]
    pairs = zip(comp.profiles, comp.inputs, strict=False)
    return [f"inputs {p.label}: {text}" for p, text in pairs]


def machine_text(hardware: dict[str, Any]) -> str:
    """'CPU, 4 physical / 8 logical cores, GPU ..., ORT 1.31.0' from a result's hardware."""
    if not hardware:
        return "unknown machine"
    parts = [
        f"{hardware.get('cpu_model') or 'unknown CPU'}, {hardware.get('physical_cores')} "
        f"physical / {hardware.get('logical_cores')} logical cores"
    ]
    gpus = [str(g.get("name")) for g in hardware.get("gpus") or [] if isinstance(g, dict)]
    if gpus:
        parts.append(", ".join(gpus))
    parts.append(f"ORT {hardware.get('ort_version') or '?'}")
    return ", ".join(parts)


def _inputs_line(comp: Comparison) -> str:
    """The input shapes measured: one line when every profile ran the same, else per label."""
    shapes = list(comp.inputs)
    if not shapes or all(s == "unrecorded" for s in shapes):
        return "Inputs: unrecorded."
    if all(s == shapes[0] for s in shapes):
        return f"Inputs: {shapes[0]}."
    labels = [p.label for p in comp.profiles]
    return "Inputs: " + "; ".join(f"{lb}: {s}" for lb, s in zip(labels, shapes, strict=False)) + "."


def comparison_markdown(comp: Comparison) -> str:
    """A table ready to paste into a pull request: where it was measured, what differs."""
    title = f"### ortbench compare{f' · {comp.model}' if comp.model else ''} ({comp.mode})"
    table = md_table(TABLE_HEADER, table_rows(comp))
    notes = [
        "",
        f"Machine: {machine_text(comp.hardware)}.",
        "",
        _inputs_line(comp),
        "",
    ]
    notes += [
        f"- {pair.b} ({pair.b_name}) differs from {pair.a}: "
        + "; ".join(f"`{d}`" for d in pair.differs)
        for pair in comp.pairs
        if pair.differs
    ]
    notes += [
        "",
        f"Ratio = median B / median A (below 1: B is faster). CI: {comp.method}.",
        f"Percentiles: {PERCENTILE_METHOD}.",
    ]
    notes += [f"- ⚠ {w}" for w in comp.warnings]
    return "\n".join([title, "", *table, *notes]) + "\n"


def comparison_csv(comp: Comparison) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "label",
            "profile",
            "runs",
            "sessions",
            "median_ms",
            "p99_ms",
            "ratio_vs_A",
            "ci_low",
            "ci_high",
            "verdict",
            "mode",
            "differs_from_A",
        ]
    )
    for i, row in enumerate(comp.profiles):
        pair = comp.pairs[i - 1] if i else None

        w.writerow(
            [
                row.label,
                row.name,
                row.runs,
                row.sessions,
                csv_number(row.median_ms),
                csv_number(row.p99_ms),
                csv_number(pair.ratio) if pair else "1",
                csv_number(pair.ci_low) if pair else "",
                csv_number(pair.ci_high) if pair else "",
                (pair.verdict or "") if pair else "reference",
                comp.mode,
                "; ".join(pair.differs) if pair else "",
            ]
        )
    return buf.getvalue()
