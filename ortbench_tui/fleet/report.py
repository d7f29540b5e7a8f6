"""The fleet report: every (model, profile) x node, the fastest node per row and each node's
ratio of medians to it; for load jobs (`--load`), each node's response-time percentile at
every offered rate with the rate it achieved, and with --find-max each node's highest rate
meeting the SLO. Text for terminals, Markdown, CSV (one line per job, or per load step) and
JSON."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from .. import __version__
from ..bench.load.summary import LOAD_PERCENTILES
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


@dataclass(frozen=True)
class LoadStepRow:
    """One step of a node's load job at one offered rate."""

    rate: float
    """Requests/s asked for."""
    offered_per_s: float
    """Requests scheduled / the schedule's length (the arrival draw, not the rate asked)."""
    achieved_per_s: float
    response_ms: float | None
    """The response time at the job's percentile (the SLO's, else p99)."""
    kept_up: bool
    stopped: bool
    """Cut short by a cancel (what was measured stands)."""
    slo_outcome: str | None
    """With an SLO: met, not met or undecided."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LoadRow:
    """One (model, profile) load job on one node: its steps, and with --find-max its answer."""

    model: str
    profile: str
    host: str
    node_id: str
    status: str
    """ok, input, run or cancelled (as a run job's)."""
    percentile: str
    """The percentile the steps report, `p99` unless the SLO names another."""
    slo: str | None
    steps: list[LoadStepRow]
    find_max: bool
    max_rate: float | None
    """--find-max: the highest rate shown to meet the SLO (None: none did)."""
    lowest_not_met: float | None
    search_note: str
    result: str | None
    """Where the history kept it."""
    message: str
    outcome: JobOutcome = field(compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("outcome", "steps")}
        out["steps"] = [s.to_dict() for s in self.steps]
        return out

    def summary(self) -> str:
        """One line: the answer of the search, or the percentile at each rate."""
        if self.find_max:
            if self.max_rate is None:
                return f"no rate tried meets {self.slo}"
            return f"highest rate meeting {self.slo}: {_rate(self.max_rate)}/s"
        return ", ".join(
            f"{_rate(s.rate)}/s: {self.percentile} {_ms(s.response_ms)} "
            f"(achieved {s.achieved_per_s:,.0f}/s)"
            for s in self.steps
        )


def _ms(value: float | None) -> str:
    return format_ms(value) if value is not None else "-"


def _rate(value: float) -> str:
    """Requests/s: whole above 10 (a searched rate has decimals no one reads), else 3 digits."""
    return f"{value:,.0f}" if value >= 10 else f"{value:.3g}"


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def load_row(outcome: JobOutcome) -> LoadRow:
    """A load job's outcome as its report row (its steps from the result, partial or not)."""
    load = outcome.job.load
    slo = load.slo if load is not None else None
    pct = slo.percentile if slo else 99.0
    key = next((k for k, v in LOAD_PERCENTILES.items() if v == pct), None)
    parts = (outcome.result or {}).get("profiles") or [{}]
    steps = []
    for step in parts[0].get("steps") or []:
        decision = step.get("decision") or {}
        at = step["response_ms"].get(key) if key else decision.get("percentile_ms")
        steps.append(
            LoadStepRow(
                rate=float(step["rate"]),
                offered_per_s=float(step["offered_per_s"]),
                achieved_per_s=float(step["achieved_per_s"]),
                response_ms=_number(at),
                kept_up=bool(step["kept_up"]),
                stopped=bool(step["stopped"]),
                slo_outcome=decision.get("outcome"),
            )
        )
    answer = parts[0].get("find_max") or {}
    return LoadRow(
        model=outcome.job.model_name,
        profile=str(outcome.job.profile.get("name", "?")),
        host=outcome.node.label,
        node_id=outcome.node.node_id,
        status=outcome.status,
        percentile=f"p{pct:g}",
        slo=slo.text if slo else None,
        steps=steps,
        find_max=bool(load and load.find_max),
        max_rate=_number(answer.get("max_rate")),
        lowest_not_met=_number(answer.get("lowest_not_met")),
        search_note=str(answer.get("note") or ""),
        result=outcome.history_path,
        message=outcome.message,
        outcome=outcome,
    )


@dataclass
class FleetReport:
    nodes: list[NodeInfo]
    rows: list[Row]
    node_messages: dict[str, list[str]] = field(default_factory=dict)
    """By node label: why a node was skipped or lost, its warnings."""
    load: list[LoadRow] = field(default_factory=list)
    """Load jobs (`--load`), by job then node."""

    @property
    def outcomes(self) -> list[JobOutcome]:
        runs = [c.outcome for r in self.rows for c in r.cells.values()]
        return runs + [r.outcome for r in self.load]


def build_report(
    nodes: list[NodeInfo], outcomes: list[JobOutcome], node_messages: dict[str, list[str]]
) -> FleetReport:
    rows: dict[tuple[int, str, str], Row] = {}
    load: list[LoadRow] = []
    for o in sorted(outcomes, key=lambda o: o.job.index):
        if o.job.load is not None:
            load.append(load_row(o))
            continue
        name = str(o.job.profile.get("name", "?"))
        row = rows.setdefault((o.job.index, o.job.model_name, name), Row(o.job.model_name, name))
        row.cells[o.node.label] = Cell(o)
    return FleetReport(nodes, list(rows.values()), node_messages, load)


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


RUN_TITLE = "p50 per node, and its ratio to the fastest node of the row (*)"
_STATUS_WORDS = {"input": "bad input", "run": "FAILED", "cancelled": "cancelled"}


def _load_title(rows: list[LoadRow]) -> str:
    title = f"response time {rows[0].percentile} per node at each offered rate (requests/s)"
    load = rows[0].outcome.job.load
    if load is None:
        return title
    return f"{title} · {load.arrivals} arrivals, seed {load.seed}, {load.workers} thread(s)"


def _load_grid(rows: list[LoadRow]) -> tuple[list[str], list[list[str]]]:
    pct = rows[0].percentile
    header = ["model", "profile", "node", "rate", "offered", "achieved", pct, "kept up", "SLO"]
    body = []
    for r in rows:
        if not r.steps:
            word = _STATUS_WORDS.get(r.status, r.status)
            body.append([r.model, r.profile, r.host, word, "-", "-", "-", "-", "-"])
        for s in r.steps:
            kept = "stopped" if s.stopped else "yes" if s.kept_up else "NO"
            body.append([
                r.model, r.profile, r.host, _rate(s.rate), f"{s.offered_per_s:,.0f}",
                f"{s.achieved_per_s:,.0f}", _ms(s.response_ms), kept, s.slo_outcome or "-",
            ])  # fmt: skip
    return header, body


def _max_rate_grid(rows: list[LoadRow]) -> tuple[str, list[str], list[list[str]]] | None:
    """--find-max: each node's highest rate meeting the SLO; the highest of a job marked *."""
    found = [r for r in rows if r.find_max]
    if not found:
        return None
    best: dict[tuple[str, str], float] = {}
    for r in found:
        if r.max_rate is not None:
            key = (r.model, r.profile)
            best[key] = max(best.get(key, 0.0), r.max_rate)
    body = []
    for r in found:
        top = r.max_rate is not None and r.max_rate == best.get((r.model, r.profile))
        if r.max_rate is not None:
            rate = _rate(r.max_rate) + (" *" if top else "")
        else:  # a job that ran and met the SLO at no rate, or one that did not run
            rate = "none" if r.steps else _STATUS_WORDS.get(r.status, r.status)
        hi = _rate(r.lowest_not_met) if r.lowest_not_met is not None else "-"
        body.append([r.model, r.profile, r.host, rate, hi, str(len(r.steps)), r.search_note])
    title = f"highest rate meeting {found[0].slo} per node (requests/s; the highest marked *)"
    header = ["model", "profile", "node", "max rate", "lowest not met", "steps", "note"]
    return title, header, body


def _sections(report: FleetReport) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, body) of each table the report holds."""
    out = []
    if report.rows:
        out.append((RUN_TITLE, *_grid(report)))
    if report.load:
        out.append((_load_title(report.load), *_load_grid(report.load)))
        answer = _max_rate_grid(report.load)
        if answer is not None:
            out.append(answer)
    return out


def format_report(report: FleetReport) -> str:
    """Runs: p50 and the ratio to the row's fastest node (marked *), per node. Load jobs: the
    percentile at each offered rate per node, and each node's highest rate with --find-max."""
    lines: list[str] = []
    for title, header, body in _sections(report):
        right = {i for i, h in enumerate(header) if h not in ("model", "profile", "node",
                 "fastest", "kept up", "SLO", "note")}  # fmt: skip
        lines += ([""] if lines else []) + [title, ""]
        lines += aligned_table([header, *body], right)
    problems = _problems(report)
    if problems:
        lines += ["", *(f"note: {p}" for p in problems)]
    return "\n".join(lines)


def report_markdown(report: FleetReport) -> str:
    lines: list[str] = []
    for title, header, body in _sections(report):
        lines += ([""] if lines else []) + [title, ""]
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


LOAD_CSV_COLUMNS = (
    "model", "profile", "host", "node_id", "status", "rate", "offered_per_s",
    "achieved_per_s", "percentile", "response_ms", "kept_up", "stopped", "slo", "slo_outcome",
    "max_rate", "result", "message",
)  # fmt: skip


def load_csv_rows(report: FleetReport) -> list[dict[str, Any]]:
    """One record per (load job, node, step); a job without a step gets one with no step's
    figures. `max_rate` (--find-max) repeats on each of the node's lines."""
    out = []
    for r in report.load:
        job = {
            "model": r.model, "profile": r.profile, "host": r.host, "node_id": r.node_id,
            "status": r.status, "percentile": r.percentile, "slo": r.slo,
            "max_rate": r.max_rate, "result": r.result, "message": r.message,
        }  # fmt: skip
        out += [{**job, **s.to_dict()} for s in r.steps] or [job]
    return out


def _csv(columns: tuple[str, ...], records: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow(
            csv_number(v) if isinstance(v, float) else ("" if v is None else v)
            for v in (rec.get(c) for c in columns)
        )
    return buf.getvalue()


def report_csv(report: FleetReport) -> str:
    """One line per run job, or per load step when the fleet ran load jobs."""
    if report.load and not report.rows:
        return _csv(LOAD_CSV_COLUMNS, load_csv_rows(report))
    return _csv(CSV_COLUMNS, job_rows(report))


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
        "load": [r.to_dict() for r in report.load],
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
