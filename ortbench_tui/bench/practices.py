"""The seed article's eight practices, measured on the user's model and machine.

Each practice is toggled alone on the base profile (ORT defaults unless the user gives
one): the reference has the practice off, the variant has it on, everything else equal.
All the fp32 profiles needed are measured together in one interleaved child (see
`bench.compare`), so every row meets the same machine weather; FP16/INT8 go through the
normal runner (a derived model per precision), as runs made one after the other.

Rows that cannot be measured here say why: "not applicable here" (no working GPU EP for
the GPU-only practices) or "not yet available" (no precision module).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..profile import Profile, profile_to_dict
from ..text import format_ms, format_ratio
from .compare import (
    DEFAULT_MARGIN,
    CompareFinished,
    CompareProgress,
    CompareRequest,
    CompareRun,
    SampleSet,
    bootstrap_ratio,
    verdict,
)
from .runner import Failed, drain

NOT_APPLICABLE = "not applicable here"
NOT_YET = "not yet available"
GPU_EPS = ("CUDAExecutionProvider",)


@dataclass
class Practice:
    """One row: how to turn the practice off and on, starting from the base profile."""

    key: str
    number: str
    title: str
    compared: str
    off: Callable[[Profile], Profile]
    on: Callable[[Profile], Profile]
    gpu: bool = False
    precision: str = ""


def _with(**changes: Any) -> Callable[[Profile], Profile]:
    """A profile transform setting `section__key=value` pairs on a copy."""

    def apply(profile: Profile) -> Profile:
        p = profile.copy()
        for name, value in changes.items():
            section, key = name.split("__", 1)
            setattr(getattr(p, section), key, value)
        return p

    return apply


def _on_gpu(transform: Callable[[Profile], Profile]) -> Callable[[Profile], Profile]:
    def apply(profile: Profile) -> Profile:
        p = transform(profile)
        if p.provider_ep not in GPU_EPS:
            p.provider.name = "cuda"
            p.provider.options = {}
        return p

    return apply


def _cuda_graph(on: bool) -> Callable[[Profile], Profile]:
    def apply(profile: Profile) -> Profile:
        p = _on_gpu(_with(run__io_binding=True, session__execution_mode="sequential"))(profile)
        p.provider.options = {**p.provider.options, "enable_cuda_graph": on}
        return p

    return apply


def _inter_op(threads: int | str) -> Callable[[Profile], Profile]:
    def apply(profile: Profile) -> Profile:
        from ..hardware import physical_cores

        p = _on_gpu(_with(session__execution_mode="parallel"))(profile)
        p.session.inter_op_num_threads = physical_cores() if threads == "physical" else threads
        return p

    return apply


PRACTICES: list[Practice] = [
    Practice(
        "opt_extended",
        "1a",
        "graph optimization EXTENDED",
        "extended vs basic",
        _with(session__graph_optimization_level="basic"),
        _with(session__graph_optimization_level="extended"),
    ),
    Practice(
        "opt_all",
        "1b",
        "graph optimization ALL",
        "all vs basic",
        _with(session__graph_optimization_level="basic"),
        _with(session__graph_optimization_level="all"),
    ),
    Practice(
        "intra_physical",
        "2",
        "intra-op threads = physical cores",
        "physical vs ORT default (0)",
        _with(session__intra_op_num_threads=0),
        _with(session__intra_op_num_threads="physical"),
    ),
    Practice(
        "inter_op_zero",
        "3",
        "inter-op threads 0 on GPU",
        "0 vs physical cores (CUDA, parallel)",
        _inter_op("physical"),
        _inter_op(0),
        gpu=True,
    ),
    Practice(
        "cuda_graph",
        "4",
        "CUDA graphs",
        "on vs off (CUDA, IO binding)",
        _cuda_graph(False),
        _cuda_graph(True),
        gpu=True,
    ),
    Practice(
        "io_binding",
        "5",
        "IO binding",
        "on vs off",
        _with(run__io_binding=False),
        _with(run__io_binding=True),
    ),
    Practice(
        "arena_mem_pattern",
        "6",
        "CPU arena + memory pattern",
        "both on vs both off",
        _with(session__enable_cpu_mem_arena=False, session__enable_mem_pattern=False),
        _with(session__enable_cpu_mem_arena=True, session__enable_mem_pattern=True),
    ),
    Practice(
        "fp16",
        "7a",
        "FP16",
        "fp16 vs fp32",
        _with(run__precision="fp32"),
        _with(run__precision="fp16"),
        precision="fp16",
    ),
    Practice(
        "int8",
        "7b",
        "INT8",
        "int8 vs fp32",
        _with(run__precision="fp32"),
        _with(run__precision="int8"),
        precision="int8",
    ),
]


def all_together(base: Profile, gpu: bool) -> Profile:
    """Every applicable fp32 practice on at once."""
    p = base.copy()
    p.session.graph_optimization_level = "all"
    p.session.intra_op_num_threads = "physical"
    p.session.enable_cpu_mem_arena = True
    p.session.enable_mem_pattern = True
    p.run.io_binding = True
    p.run.precision = "fp32"
    if gpu:
        p = _cuda_graph(True)(p)
    return p


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

    def ratio_text(self) -> str:
        return format_ratio(self.ratio, self.ci_low, self.ci_high)

    def verdict_text(self) -> str:
        if self.status != "measured":
            return f"{self.status}: {self.reason}" if self.reason else self.status
        return self.verdict or "no verdict"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PracticesRequest:
    model: str
    base: Profile
    sessions: int = 3
    margin: float = DEFAULT_MARGIN
    working_providers: list[str] | None = None
    """EPs that load here (None: probe them)."""
    precision_available: bool | None = None
    """None: import ortbench_tui.precision to find out."""
    precision_reason: str = ""
    """Why the precision rows are left out, when `precision_available` is False."""
    gpu_detail: str = ""
    """Why the CUDA EP does not work, when `working_providers` is given (the TUI knows it
    from `detect_isolated`; probing here would redirect fd 2 under the UI)."""


@dataclass
class PracticesProgress:
    phase: str
    done: int
    total: int | None
    elapsed_s: float
    detail: str = ""


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


def precision_status() -> tuple[bool, str]:
    """Whether `ortbench_tui.precision.derive_model` can be used, and why not."""
    try:
        from .. import precision
    except Exception as exc:  # the module may be missing or broken while it is written
        return False, f"the precision module is not there yet ({type(exc).__name__})"
    if not callable(getattr(precision, "derive_model", None)):
        return False, "the precision module has no derive_model yet"
    return True, ""


def _gpu_reason(working: list[str], probe: bool) -> tuple[str | None, str]:
    """(None when a GPU EP works here, else the row's short reason; the probe's own words)."""
    if any(ep in working for ep in GPU_EPS):
        return None, ""
    why = ""
    if probe:
        from ..hardware import probe_providers

        why = next(
            (p.reason for p in probe_providers() if p.name == "CUDAExecutionProvider"),
            "not listed",
        )
    return "no working CUDA EP here (see `ortbench detect`)", why


def _key(profile: Profile) -> str:
    import json

    d = profile_to_dict(profile)
    d.pop("name", None)
    d.pop("description", None)
    return json.dumps(d, sort_keys=True, default=str)


class PracticesRun:
    """Iterate `events()`: PracticesProgress ..., then PracticesReport or Failed."""

    def __init__(self, request: PracticesRequest, **targets: Any) -> None:
        from ..samples import resolve_model

        resolve_model(request.model)  # a bad path fails here, before any process starts
        self.request = request
        self.targets = targets
        working = request.working_providers
        if working is None:
            from ..hardware import probe_providers

            working = [p.name for p in probe_providers() if p.works]
        self.working = working
        self.gpu_reason, self.gpu_detail = _gpu_reason(working, request.working_providers is None)
        self.gpu_detail = self.gpu_detail or request.gpu_detail
        self.precision_word = NOT_YET
        if request.precision_available is False and request.precision_reason:
            self.precision_word = "left out"
        if request.precision_available is None:
            self.precision_ok, self.precision_reason = precision_status()
        else:
            self.precision_ok = request.precision_available
            self.precision_reason = (
                "" if self.precision_ok else request.precision_reason or "precision rows off"
            )
        self._current: CompareRun | None = None
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()

    def _measure(
        self, profiles: list[Profile], interleave: bool, label: str
    ) -> Iterator[PracticesProgress | Failed | CompareFinished]:
        req = self.request
        run = CompareRun(
            CompareRequest(
                req.model, profiles, interleave=interleave, sessions=req.sessions, reps=1000
            ),
            **self.targets,
        )
        self._current = run
        if self._cancelled:
            run.cancel()
        for ev in run.events():
            if isinstance(ev, CompareProgress):
                yield PracticesProgress(ev.phase, ev.done, ev.total, ev.elapsed_s, label)
            else:
                yield ev
        self._current = None

    def events(self) -> Iterator[PracticesProgress | PracticesReport | Failed]:
        req = self.request
        base = req.base.copy()
        gpu = self.gpu_reason is None
        baseline = base.copy()
        baseline.name = "base"
        # The fp32 profiles, deduplicated: many practices share the base as one side.
        profiles: list[Profile] = []
        index: dict[str, int] = {}

        def slot(p: Profile, name: str) -> int:
            k = _key(p)
            if k not in index:
                p = p.copy()
                p.name = name
                index[k] = len(profiles)
                profiles.append(p)
            return index[k]

        slot(baseline, "base")
        rows: list[PracticeRow] = []
        pairs: dict[int, tuple[int, int]] = {}
        precision_rows: list[tuple[int, Practice]] = []
        for practice in PRACTICES:
            row = PracticeRow(practice.number, practice.title, practice.compared, "measured")
            if practice.gpu and not gpu:
                row.status, row.reason = NOT_APPLICABLE, self.gpu_reason or ""
            elif practice.precision:
                if not self.precision_ok:
                    row.status, row.reason = self.precision_word, self.precision_reason
                else:
                    precision_rows.append((len(rows), practice))
            else:
                off, on = practice.off(base), practice.on(base)
                pairs[len(rows)] = (
                    slot(off, f"{practice.key}-off"),
                    slot(on, f"{practice.key}-on"),
                )
            rows.append(row)
        warm_row = len(rows)
        rows.append(PracticeRow("8", "warm-up", "steady-state median vs first run", "measured"))
        together_row = len(rows)
        rows.append(
            PracticeRow(
                "all",
                "all together",
                "every applicable practice vs the base"
                + (" (GPU practices included)" if gpu else ""),
                "measured",
            )
        )
        pairs[together_row] = (0, slot(all_together(base, gpu), "all-together"))

        finished: CompareFinished | None = None
        for ev in self._measure(profiles, True, f"{len(profiles)} profiles, interleaved"):
            if isinstance(ev, Failed):
                yield ev
                return
            if isinstance(ev, CompareFinished):
                finished = ev
            else:
                yield ev
        if finished is None:
            yield Failed("run", "the measurement stopped without a result", None)
            return
        sets = finished.sets
        method = ""
        for i, (a, b) in pairs.items():
            self._fill(rows[i], sets[a], sets[b], req.margin)
            method = method or rows[i].method
        self._warm_up(rows[warm_row], finished.results[0], sets[0])
        warnings = list(finished.comparison.warnings)
        if self.gpu_reason and self.gpu_detail:
            warnings.append(f"GPU rows: the CUDA EP does not work here: {self.gpu_detail}")
        for i, practice in precision_rows:
            ref, var = practice.off(base), practice.on(base)
            ref.name, var.name = "fp32", practice.precision
            pre: CompareFinished | None = None
            for ev in self._measure([ref, var], False, f"{practice.precision} (normal runner)"):
                if isinstance(ev, Failed):
                    rows[i].status, rows[i].reason = "failed", ev.message.splitlines()[0]
                    break
                if isinstance(ev, CompareFinished):
                    pre = ev
                else:
                    yield ev
            if pre is not None:
                self._fill(rows[i], pre.sets[0], pre.sets[1], req.margin)
                rows[i].method += "; runs made one after the other"
            if self._cancelled:
                break
        hardware = finished.results[0].get("hardware") if finished.results else {}
        yield PracticesReport(
            model=req.model,
            base_name=req.base.name,
            rows=rows,
            method=method,
            margin=req.margin,
            warnings=warnings,
            hardware=hardware or {},
        )

    @staticmethod
    def _fill(
        row: PracticeRow, ref: SampleSet | None, var: SampleSet | None, margin: float
    ) -> None:
        if ref is None or var is None or not ref.size or not var.size:
            row.status, row.reason = "failed", "no samples"
            return
        row.ref_median_ms = float(np.median(ref.flat())) / 1e6
        row.var_median_ms = float(np.median(var.flat())) / 1e6
        row.ratio = row.var_median_ms / row.ref_median_ms
        if ref is var:
            row.ci_low = row.ci_high = 1.0
            row.verdict = "no clear difference"
            row.method = "same profile on both sides"
            return
        ci = bootstrap_ratio(ref, var, reps=1000)
        if ci is None:
            row.verdict, row.reason = None, "too few blocks for a CI"
            return
        row.ci_low, row.ci_high, row.method = ci.low, ci.high, ci.method
        row.verdict = verdict(ci.low, ci.high, margin)

    @staticmethod
    def _warm_up(row: PracticeRow, result: dict[str, Any], steady: SampleSet | None) -> None:
        """First runs (one per session) against the steady-state distribution."""
        firsts = [
            f
            for f in (result.get("comparison") or {}).get("session_first_run_ms") or []
            if isinstance(f, (int, float))
        ]
        if not firsts or steady is None or not steady.size:
            row.status, row.reason = "failed", "no first run was measured"
            return
        flat = steady.flat().astype(np.float64) / 1e6
        median = float(np.median(flat))
        first = float(np.median(firsts))
        row.ref_median_ms, row.var_median_ms = first, median
        row.ratio = median / first
        row.ci_low, row.ci_high = median / max(firsts), median / min(firsts)
        # Were the first runs ordinary runs, all of them would lie above the steady p95 with
        # probability 0.05 ** sessions (0.0025 for two sessions).
        p95, p5 = float(np.percentile(flat, 95)), float(np.percentile(flat, 5))
        if len(firsts) >= 2 and min(firsts) > p95:
            row.verdict = "faster"
        elif len(firsts) >= 2 and max(firsts) < p5:
            row.verdict = "slower"
        else:
            row.verdict = "no clear difference"
        row.method = (
            f"first run of {len(firsts)} sessions ({', '.join(f'{f:.3g}' for f in firsts)} ms) "
            f"against the steady state (p95 {p95:.3g} ms); the interval spans those first "
            "runs; 'faster' when every first run is slower than the steady p95"
        )


def run_practices(
    request: PracticesRequest, on_event: Callable[[Any], None] | None = None
) -> PracticesReport:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drain(PracticesRun(request).events(), PracticesReport, on_event, "practices check")


# --- tables ----------------------------------------------------------------------------------

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
    out = []
    for r in rows:
        out.append("  ".join([*(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)), r[-1]]))
    out.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * 7)
    out += [
        "",
        f"model {report.model} · base profile {report.base_name} · ratio = with / without "
        "(below 1: the practice helps)",
        f"CI: {report.method}; verdict needs the whole CI beyond ±{report.margin:.0%}",
    ]
    out += [f"warning: {w}" for w in report.warnings]
    return "\n".join(x.rstrip() for x in out)


def report_markdown(report: PracticesReport) -> str:
    head = "| " + " | ".join(HEADER) + " |"
    sep = "|" + "|".join(["---"] * len(HEADER)) + "|"
    body = ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in report_rows(report)]
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
        head,
        sep,
        *body,
        "",
        "Ratio = median with the practice / median without (below 1: the practice helps).",
        f"CI: {report.method}; verdict needs the whole CI beyond ±{report.margin:.0%}.",
    ]
    lines += [f"- ⚠ {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"
