"""The fleet report: every (model, profile) x node, the fastest node per row and each node's
ratio of medians to it. Text for terminals, Markdown, CSV (one line per job) and JSON."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..text import aligned_table, csv_number, format_ms, md_table
from .cluster import NodeInfo
from .driver import JobOutcome


@dataclass
class Cell:
    outcome: JobOutcome

    @property
    def p50_ms(self) -> float | None:
        result = self.outcome.result
        return (result or {}).get("latency_ms", {}).get("p50") if self.ok else None

    @property
    def ok(self) -> bool:
        return self.outcome.status == "ok"


@dataclass
class Row:
    model: str
    profile: str
    cells: dict[str, Cell] = field(default_factory=dict)
    """By node label."""

    @property
    def fastest(self) -> str | None:
        timed = {label: c.p50_ms for label, c in self.cells.items() if c.p50_ms}
        return min(timed, key=lambda label: timed[label]) if timed else None

    def ratio(self, label: str) -> float | None:
        """This node's p50 over the fastest node's p50 (1.0 for the fastest)."""
        fastest = self.fastest
        p50 = self.cells[label].p50_ms if label in self.cells else None
        if fastest is None or not p50:
            return None
        best = self.cells[fastest].p50_ms
        return p50 / best if best else None


@dataclass
class FleetReport:
    nodes: list[NodeInfo]
    rows: list[Row]
    node_messages: dict[str, list[str]] = field(default_factory=dict)
    """By node label: why a node was skipped or lost, its warnings."""

    @property
    def outcomes(self) -> list[JobOutcome]:
        return [c.outcome for r in self.rows for c in r.cells.values()]


def build_report(
    nodes: list[NodeInfo], outcomes: list[JobOutcome], node_messages: dict[str, list[str]]
) -> FleetReport:
    rows: dict[tuple[int, str, str], Row] = {}
    for o in sorted(outcomes, key=lambda o: o.job.index):
        name = str(o.job.profile.get("name", "?"))
        row = rows.setdefault((o.job.index, o.job.model_name, name), Row(o.job.model_name, name))
        row.cells[o.node.label] = Cell(o)
    return FleetReport(nodes, list(rows.values()), node_messages)


def _cell_text(row: Row, label: str) -> str:
    cell = row.cells.get(label)
    if cell is None:
        return "-"
    if not cell.ok:
        return {"input": "bad input", "run": "FAILED"}.get(cell.outcome.status, "cancelled")
    ratio = row.ratio(label)
    mark = " *" if label == row.fastest else ""
    return f"{format_ms(cell.p50_ms)} {ratio:.2f}x{mark}" if ratio else format_ms(cell.p50_ms)


def _grid(report: FleetReport) -> tuple[list[str], list[list[str]]]:
    labels = [n.label for n in report.nodes]
    header = ["model", "profile", *labels, "fastest"]
    body = [
        [r.model, r.profile, *(_cell_text(r, lb) for lb in labels), r.fastest or "-"]
        for r in report.rows
    ]
    return header, body


def _problems(report: FleetReport) -> list[str]:
    lines = [f"{label}: {m}" for label, msgs in report.node_messages.items() for m in msgs]
    seen = set(lines)
    for o in report.outcomes:
        if o.status != "ok" and o.message and o.message not in seen:
            seen.add(o.message)
            lines.append(f"{o.job.model_name} · {o.job.profile.get('name')}: {o.message}")
    return lines


def format_report(report: FleetReport) -> str:
    """p50 and the ratio to the row's fastest node (marked *), per node."""
    header, body = _grid(report)
    right = set(range(2, len(header) - 1))
    lines = ["p50 per node, and its ratio to the fastest node of the row (*)", ""]
    lines += aligned_table([header, *body], right)
    problems = _problems(report)
    if problems:
        lines += ["", *(f"note: {p}" for p in problems)]
    return "\n".join(lines)


def report_markdown(report: FleetReport) -> str:
    header, body = _grid(report)
    lines = ["p50 per node, and its ratio to the fastest node of the row (*)", ""]
    lines += md_table(header, body)
    problems = _problems(report)
    if problems:
        lines += ["", *(f"- {p}" for p in problems)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "model", "profile", "host", "node_id", "status", "p50_ms", "p99_ms", "runs",
    "ratio_to_fastest", "fastest", "result", "message",
)  # fmt: skip


def job_rows(report: FleetReport) -> list[dict[str, Any]]:
    """One record per (model, profile, node): the CSV lines and the JSON `jobs`."""
    out = []
    for row in report.rows:
        for label, cell in row.cells.items():
            o = cell.outcome
            lat = (o.result or {}).get("latency_ms") or {}
            out.append(
                {
                    "model": row.model,
                    "profile": row.profile,
                    "host": label,
                    "node_id": o.node.node_id,
                    "status": o.status,
                    "p50_ms": lat.get("p50") if cell.ok else None,
                    "p99_ms": lat.get("p99") if cell.ok else None,
                    "runs": (o.result or {}).get("runs") if cell.ok else None,
                    "ratio_to_fastest": row.ratio(label),
                    "fastest": label == row.fastest,
                    "result": o.history_path,
                    "message": o.message,
                }
            )
    return out


def report_csv(report: FleetReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for rec in job_rows(report):
        writer.writerow(
            csv_number(v) if isinstance(v, float) else ("" if v is None else v)
            for v in (rec[c] for c in CSV_COLUMNS)
        )
    return buf.getvalue()


def report_dict(report: FleetReport) -> dict[str, Any]:
    return {
        "ortbench_version": __version__,
        "nodes": [
            {**n.to_dict(), "messages": report.node_messages.get(n.label, [])} for n in report.nodes
        ],
        "rows": [
            {"model": r.model, "profile": r.profile, "fastest": r.fastest} for r in report.rows
        ],
        "jobs": job_rows(report),
    }


def exit_code(report: FleetReport) -> int:
    """0 all ok; 1 any run failed (or nothing ran); 2 only bad input (or cancelled)."""
    statuses = {o.status for o in report.outcomes}
    if not statuses:
        return 1
    if "run" in statuses:
        return 1
    if statuses - {"ok"}:
        return 2
    return 0
