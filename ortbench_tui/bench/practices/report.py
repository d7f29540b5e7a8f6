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
    key: str = ""
    """The catalogue's key of the practice (`io_binding`); empty for warm-up and all together."""
    toggles: list[str] = field(default_factory=list)
    """The profile keys the practice sets, e.g. ["run.io_binding"]."""
    cosine: float | None = None
    """Precision rows: the lowest cosine similarity of any output against fp32."""
    max_abs_err: float | None = None
    """Precision rows: the largest absolute error of any output against fp32."""
    accuracy_note: str = ""
    """Precision rows: what the accuracy figures mean (static int8: calibration data)."""
    quantized_nodes: int | None = None
    """The INT8 row: how many nodes the quantizer changed (0: it ran the fp32 model again)."""

    def toggles_text(self) -> str:
        return ", ".join(self.toggles) or "-"

    def accuracy_text(self) -> str:
        """`cos 0.99998 · max err 0.0012` for a precision row that measured it, else ''."""
        if self.cosine is None:
            return ""
        err = f" · max err {self.max_abs_err:.3g}" if self.max_abs_err is not None else ""
        calib = " (calibration data)" if self.accuracy_note else ""
        quantized = ""
        if self.quantized_nodes == 0:
            quantized = " · NO node quantized"
        elif self.quantized_nodes is not None:
            quantized = f" · {self.quantized_nodes} nodes int8"
        return f"cos {self.cosine:.5f}{err}{calib}{quantized}"

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
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """The inputs measured (feeds.InputRecord dicts)."""
    status: str = "ok"
    """ok, or cancelled: interrupted, with the rows measured so far."""
    model_sha256: str = ""
    inputs_spec: dict[str, Any] = field(default_factory=dict)
    """The input spec the check was given (`InputSpec.to_dict`), for the saved profile's
    provenance."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "model": self.model,
            "base": self.base_name,
            "method": self.method,
            "margin": self.margin,
            "rows": [r.to_dict() for r in self.rows],
            "inputs": list(self.inputs),
            "warnings": list(self.warnings),
        }


ARTICLE = '"Optimizing ONNX Runtime Inference Latency: 8 Best Practices"'

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


# The full report (CLI text and Markdown): which keys each row sets, and the precision rows'
# accuracy next to their speed-up (a fast int8 with a poor cosine is no win).
FULL_HEADER = (
    "#",
    "practice",
    "compared",
    "toggles",
    "without",
    "with",
    "ratio (95% CI)",
    "accuracy vs fp32",
    "verdict",
)


def full_rows(report: PracticesReport) -> list[tuple[str, ...]]:
    return [
        (*short[:3], row.toggles_text(), *short[3:6], row.accuracy_text(), short[6])
        for short, row in zip(report_rows(report), report.rows, strict=True)
    ]


def format_report(report: PracticesReport) -> str:
    rows = [FULL_HEADER, *full_rows(report)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(FULL_HEADER) - 1)]
    out = aligned_table(rows, set(), indent="")
    out.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    out += [
        "",
        f"model {report.model} · base profile {report.base_name} · ratio = with / without "
        "(below 1: the practice helps)",
        f"CI: {report.method}; verdict needs the whole CI beyond ±{report.margin:.0%}",
    ]
    out += [f"note: {n}" for n in accuracy_notes(report)]
    out += [f"#{r.number}: {r.stop_note}" for r in report.rows if r.stop_note]
    out += [f"warning: {w}" for w in report.warnings]
    return "\n".join(x.rstrip() for x in out)


def accuracy_notes(report: PracticesReport) -> list[str]:
    notes = [f"{r.number} {r.practice}: {r.accuracy_note}" for r in report.rows if r.accuracy_note]
    notes += [
        f"{r.number} {r.practice}: the quantizer changed no node; the row measured the fp32 "
        "model again (cos 1, no error), not INT8"
        for r in report.rows
        if r.quantized_nodes == 0
    ]
    return notes


def report_markdown(report: PracticesReport) -> str:
    from ..run_inputs import inputs_markdown

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
        f"Base profile: {report.base_name}. Machine: {machine}. Practices from {ARTICLE}.",
        "",
        inputs_markdown(report.inputs),
        "",
        *md_table(FULL_HEADER, full_rows(report)),
        "",
        "Ratio = median with the practice / median without (below 1: the practice helps).",
        f"CI: {report.method}; verdict needs the whole CI beyond ±{report.margin:.0%}.",
    ]
    lines += [f"- {n}" for n in accuracy_notes(report)]
    lines += [f"- #{r.number}: {r.stop_note}" for r in report.rows if r.stop_note]
    lines += [f"- ⚠ {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"
