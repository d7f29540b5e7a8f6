"""The practices check's report: one row per practice, as text, Markdown and CSV-ready rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...text import aligned_table, format_ms, format_ratio, md_table


@dataclass
class PracticeRow:
    number: str
    practice: str
    compared: str
    status: str
    """measured | not applicable here | not yet available | left out | failed"""
    reason: str = ""
    ref_median_ms: float | None = None
    var_median_ms: float | None = None
    ratio: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    verdict: str | None = None
    method: str = ""
    rounds: int | None = None
    """Until decided: the interleaved rounds this row's pair took (decided rows stop early)."""
    stop_note: str = ""
    """Until decided: how the row's pair stopped, in words."""

    def ratio_text(self) -> str:
        return format_ratio(self.ratio, self.ci_low, self.ci_high)

    def verdict_text(self) -> str:
        if self.status != "measured":
            return f"{self.status}: {self.reason}" if self.reason else self.status
        return self.verdict or "no verdict"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PracticesReport:
    model: str
    base_name: str
    rows: list[PracticeRow]
    method: str
    margin: float
    warnings: list[str] = field(default_factory=list)
    hardware: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "base": self.base_name,
            "method": self.method,
            "margin": self.margin,
            "rows": [r.to_dict() for r in self.rows],
            "warnings": list(self.warnings),
        }


HEADER = ("#", "practice", "compared", "without", "with", "ratio (95% CI)", "verdict")


def report_rows(report: PracticesReport) -> list[tuple[str, ...]]:
    return [
        (
            r.number,
            r.practice,
            r.compared,
            format_ms(r.ref_median_ms),
            format_ms(r.var_median_ms),
            r.ratio_text(),
            r.verdict_text(),
        )
        for r in report.rows
    ]


def format_report(report: PracticesReport) -> str:
    rows = [HEADER, *report_rows(report)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(HEADER) - 1)]
    out = aligned_table(rows, set(), indent="")
    out.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    out += [
        "",
        f"model {report.model} · base profile {report.base_name} · ratio = with / without "
        "(below 1: the practice helps)",
        f"CI: {report.method}; verdict needs the whole CI beyond ±{report.margin:.0%}",
    ]
    out += [f"#{r.number}: {r.stop_note}" for r in report.rows if r.stop_note]
    out += [f"warning: {w}" for w in report.warnings]
    return "\n".join(x.rstrip() for x in out)


def report_markdown(report: PracticesReport) -> str:
    hw = report.hardware
    machine = (
        f"{hw.get('cpu_model')}, {hw.get('physical_cores')} physical / "
        f"{hw.get('logical_cores')} logical cores, ORT {hw.get('ort_version')}"
        if hw
        else "this machine"
    )
    lines = [
        f"### ortbench practices · {report.model}",
        "",
        f"Base profile: {report.base_name}. Machine: {machine}.",
        "",
        *md_table(HEADER, report_rows(report)),
        "",
        "Ratio = median with the practice / median without (below 1: the practice helps).",
        f"CI: {report.method}; verdict needs the whole CI beyond ±{report.margin:.0%}.",
    ]
    lines += [f"- #{r.number}: {r.stop_note}" for r in report.rows if r.stop_note]
    lines += [f"- ⚠ {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"
