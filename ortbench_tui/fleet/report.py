"""The fleet report: every (model, profile) x node, the fastest node per row and each node's
ratio of medians to it; for load jobs (`--load`), each node's response-time percentile at
every offered rate with the rate it achieved, and with --find-max each node's highest rate
meeting the SLO. Text for terminals, Markdown, CSV (one line per job, or per load step) and
JSON.

What the report writes is typed: `FleetReportFile` (msgspec Structs, as the result records
of `bench/result_record.py` and `bench/job_records.py`, so the one declaration both writes the
JSON and checks a file read back, `read_fleet_report`). Its fields are in the order the JSON
has always had them; `percentile_method` of a job (how its node computed the percentiles) is
UNSET, so not written, when the node's result did not name it, so a report of such jobs is
the same bytes as before it was typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from .. import __version__
from ..bench.load.summary import LOAD_PERCENTILES
from ..errors import OrtbenchError
from ..fileio import RESULT_LIMIT, read_regular
from ..text import aligned_table, csv_number, format_ms, md_table
from .cluster import NodeInfo
from .driver import JobOutcome


@dataclass(frozen=True)
class RunFigures:
    """What the report takes from a node's run result: its p50 and p99, its timed runs, and
    how its percentiles were computed (None where the result does not say)."""

    p50_ms: float | None = None
    p99_ms: float | None = None
    runs: int | None = None
    percentile_method: str | None = None


def run_figures(result: dict[str, Any] | None) -> RunFigures:
    """The report's figures of one node's run result (the local run's JSON object)."""
    if not result:
        return RunFigures()
    latency = result.get("latency_ms") or {}
    method = result.get("percentile_method")
    return RunFigures(
        latency.get("p50"),
        latency.get("p99"),
        result.get("runs"),
        method if isinstance(method, str) else None,
    )


@dataclass
class Cell:
    outcome: JobOutcome

    @property
    def figures(self) -> RunFigures:
        """The run's figures when it finished (none for a failed or cancelled job)."""
        return run_figures(self.outcome.result) if self.ok else RunFigures()

    @property
    def p50_ms(self) -> float | None:
        return self.figures.p50_ms

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


class LoadStepRow(msgspec.Struct, frozen=True, kw_only=True):
    """One step of a node's load job at one offered rate (a JSON `steps` item, in order)."""

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


class LoadRow(msgspec.Struct, frozen=True, kw_only=True):
    """One (model, profile) load job on one node: its steps, and with --find-max its answer
    (a JSON `load` item: its fields in the order written, `steps` last)."""

    model: str
    profile: str
    host: str
    node_id: str
    status: str
    """ok, input, run or cancelled (as a run job's)."""
    percentile: str
    """The percentile the steps report, `p99` unless the SLO names another."""
    slo: str | None
    find_max: bool
    max_rate: float | None
    """--find-max: the highest rate shown to meet the SLO (None: none did)."""
    lowest_not_met: float | None
    search_note: str
    result: str | None
    """Where the history kept it."""
    message: str
    steps: list[LoadStepRow]

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


def _number(value: object) -> float | None:
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
    )


@dataclass
class FleetReport:
    nodes: list[NodeInfo]
    rows: list[Row]
    node_messages: dict[str, list[str]] = field(default_factory=dict)
    """By node label: why a node was skipped or lost, its warnings."""
    load: list[LoadRow] = field(default_factory=list)
    """Load jobs (`--load`), by job then node."""
    load_outcomes: list[JobOutcome] = field(default_factory=list)
    """The outcome of each of `load`, in its order."""

    @property
    def outcomes(self) -> list[JobOutcome]:
        runs = [c.outcome for r in self.rows for c in r.cells.values()]
        return runs + self.load_outcomes


def build_report(
    nodes: list[NodeInfo], outcomes: list[JobOutcome], node_messages: dict[str, list[str]]
) -> FleetReport:
    rows: dict[tuple[int, str, str], Row] = {}
    load: list[JobOutcome] = []
    for o in sorted(outcomes, key=lambda o: o.job.index):
        if o.job.load is not None:
            load.append(o)
            continue
        name = str(o.job.profile.get("name", "?"))
        row = rows.setdefault((o.job.index, o.job.model_name, name), Row(o.job.model_name, name))
        row.cells[o.node.label] = Cell(o)
    load_rows = [load_row(o) for o in load]
    return FleetReport(nodes, list(rows.values()), node_messages, load_rows, load)


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


def _load_title(report: FleetReport) -> str:
    title = f"response time {report.load[0].percentile} per node at each offered rate (requests/s)"
    load = report.load_outcomes[0].job.load
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
        out.append((_load_title(report), *_load_grid(report.load)))
        answer = _max_rate_grid(report.load)
        if answer is not None:
            out.append(answer)
    return out


def percentile_methods(report: FleetReport) -> list[str]:
    """How the runs' percentiles were computed, as a local run prints it (`percentiles: ...`):
    one line when every finished run says the same, else one per method with the runs it
    names (a run past the exact limit on one node, within it on another)."""
    by_method: dict[str, list[str]] = {}
    for row in report.rows:
        for label, cell in row.cells.items():
            method = cell.figures.percentile_method
            if method:
                by_method.setdefault(method, []).append(f"{row.model} · {row.profile} on {label}")
    if len(by_method) == 1:
        return [f"percentiles: {next(iter(by_method))}"]
    return [f"percentiles: {m} ({', '.join(runs)})" for m, runs in by_method.items()]


def format_report(report: FleetReport) -> str:
    """Runs: p50 and the ratio to the row's fastest node (marked *), per node. Load jobs: the
    percentile at each offered rate per node, and each node's highest rate with --find-max."""
    lines: list[str] = []
    for title, header, body in _sections(report):
        right = {i for i, h in enumerate(header) if h not in ("model", "profile", "node",
                 "fastest", "kept up", "SLO", "note")}  # fmt: skip
        lines += ([""] if lines else []) + [title, ""]
        lines += aligned_table([header, *body], right)
    methods = percentile_methods(report)
    if methods:
        lines += ["", *methods]
    problems = _problems(report)
    if problems:
        lines += ["", *(f"note: {p}" for p in problems)]
    return "\n".join(lines)


def report_markdown(report: FleetReport) -> str:
    lines: list[str] = []
    for title, header, body in _sections(report):
        lines += ([""] if lines else []) + [title, ""]
        lines += md_table(header, body)
    methods = percentile_methods(report)
    if methods:
        lines += ["", *methods]
    problems = _problems(report)
    if problems:
        lines += ["", *(f"- {p}" for p in problems)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "model", "profile", "host", "node_id", "status", "p50_ms", "p99_ms", "runs",
    "ratio_to_fastest", "fastest", "result", "message",
)  # fmt: skip


class JobLine(msgspec.Struct, frozen=True, kw_only=True):
    """One (model, profile, node) run job: a CSV line, and a JSON `jobs` item (in order)."""

    model: str
    profile: str
    host: str
    node_id: str
    status: str
    p50_ms: float | None
    p99_ms: float | None
    runs: int | None
    ratio_to_fastest: float | None
    fastest: bool
    result: str | None
    """Where the history kept it."""
    message: str
    percentile_method: str | UnsetType = UNSET
    """How the node computed the percentiles (exact, or from its log histogram past the
    exact limit); UNSET when its result does not say (a failed job, a report read back from
    before it was written)."""


def job_rows(report: FleetReport) -> list[JobLine]:
    """One record per (model, profile, node): the CSV lines and the JSON `jobs`."""
    out = []
    for row in report.rows:
        for label, cell in row.cells.items():
            o, figures = cell.outcome, cell.figures
            out.append(
                JobLine(
                    model=row.model,
                    profile=row.profile,
                    host=label,
                    node_id=o.node.node_id,
                    status=o.status,
                    p50_ms=figures.p50_ms,
                    p99_ms=figures.p99_ms,
                    runs=figures.runs,
                    ratio_to_fastest=row.ratio(label),
                    fastest=label == row.fastest,
                    result=o.history_path,
                    message=o.message,
                    percentile_method=figures.percentile_method or UNSET,
                )
            )
    return out


LOAD_CSV_COLUMNS = (
    "model", "profile", "host", "node_id", "status", "rate", "offered_per_s",
    "achieved_per_s", "percentile", "response_ms", "kept_up", "stopped", "slo", "slo_outcome",
    "max_rate", "result", "message",
)  # fmt: skip
STEP_COLUMNS = frozenset(LoadStepRow.__struct_fields__)
"""The load CSV's columns a step gives; the others are its job's."""


def load_csv_rows(report: FleetReport) -> list[tuple[LoadRow, LoadStepRow | None]]:
    """One line per (load job, node, step): the job and the step; a job without a step gets
    one line with no step's figures. `max_rate` (--find-max) repeats on each of the node's
    lines."""
    out: list[tuple[LoadRow, LoadStepRow | None]] = []
    for r in report.load:
        out += [(r, s) for s in r.steps] or [(r, None)]
    return out


def _load_cell(row: LoadRow, step: LoadStepRow | None, column: str) -> object:
    if column in STEP_COLUMNS:
        return getattr(step, column) if step is not None else None
    return getattr(row, column)


def _csv(columns: Sequence[str], lines: list[list[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for line in lines:
        writer.writerow(
            csv_number(v) if isinstance(v, float) else ("" if v is None else v) for v in line
        )
    return buf.getvalue()


def report_csv(report: FleetReport) -> str:
    """One line per run job, or per load step when the fleet ran load jobs."""
    if report.load and not report.rows:
        lines = [[_load_cell(r, s, c) for c in LOAD_CSV_COLUMNS] for r, s in load_csv_rows(report)]
        return _csv(LOAD_CSV_COLUMNS, lines)
    return _csv(CSV_COLUMNS, [[getattr(j, c) for c in CSV_COLUMNS] for j in job_rows(report)])


class NodeLine(msgspec.Struct, frozen=True, kw_only=True):
    """A JSON `nodes` item: a node of the run and what was said of it."""

    label: str
    hostname: str
    node_id: str
    ip: str
    labels: dict[str, str]
    messages: list[str]


class RowLine(msgspec.Struct, frozen=True, kw_only=True):
    """A JSON `rows` item: one (model, profile) and its fastest node (None: none finished)."""

    model: str
    profile: str
    fastest: str | None


class FleetReportFile(msgspec.Struct, frozen=True, kw_only=True):
    """The fleet report as `--json` writes it."""

    ortbench_version: str
    nodes: list[NodeLine]
    rows: list[RowLine]
    jobs: list[JobLine]
    load: list[LoadRow]


def report_record(report: FleetReport) -> FleetReportFile:
    return FleetReportFile(
        ortbench_version=__version__,
        nodes=[
            NodeLine(
                label=n.label,
                hostname=n.hostname,
                node_id=n.node_id,
                ip=n.ip,
                labels=n.labels,
                messages=report.node_messages.get(n.label, []),
            )
            for n in report.nodes
        ],
        rows=[RowLine(model=r.model, profile=r.profile, fastest=r.fastest) for r in report.rows],
        jobs=job_rows(report),
        load=list(report.load),
    )


def report_dict(report: FleetReport) -> dict[str, object]:
    """The report's record as JSON values (what `--json` writes)."""
    out: dict[str, object] = msgspec.to_builtins(report_record(report))
    return out


def read_fleet_report(path: str | Path) -> FleetReportFile:
    """A fleet report file (`ortbench fleet --json`), checked against its record; an
    OrtbenchError naming the file and what is wrong otherwise."""
    raw = read_regular(path, RESULT_LIMIT, "fleet report")
    try:
        return msgspec.json.decode(raw, type=FleetReportFile)
    except msgspec.DecodeError as exc:  # a ValidationError names the field ($.jobs[0].runs)
        raise OrtbenchError(f"{path}: not a readable fleet report: {exc}") from None


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
