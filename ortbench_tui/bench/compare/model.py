"""The comparison itself: each profile's figures, each pair against the first, the verdicts.

Built from sample sets (live runs, or saved results with their samples) or, without raw
samples, from the summary figures a result file keeps (then without a CI).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...text import format_ratio, toml_value
from ..level_bootstrap import BOOTSTRAP_REPS
from ..stats import PERCENTILE_METHOD, summarize
from .bootstrap import (
    DEFAULT_MARGIN,
    SampleSet,
    bootstrap_median,
    bootstrap_ratio,
    verdict,
)

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass
class ProfileRow:
    """One profile's figures in a comparison."""

    label: str
    name: str
    runs: int
    sessions: int
    median_ms: float | None
    p99_ms: float | None
    cv: float | None = None
    first_run_ms: float | None = None
    status: str = "ok"
    median_ci: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["median_ci"] = list(self.median_ci) if self.median_ci else None
        return d


@dataclass
class PairResult:
    """B against A: medians, p99s, the ratio of medians with its CI, and the verdict."""

    a: str
    b: str
    a_name: str
    b_name: str
    a_median_ms: float | None
    b_median_ms: float | None
    a_p99_ms: float | None
    b_p99_ms: float | None
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: str | None
    """faster / slower / no clear difference, or (`--until-decided`) equal within margin;
    None when the CI cannot be computed."""
    note: str = ""
    stop_note: str = ""
    """`--until-decided`: how this pair stopped (decided after n rounds, or budget spent)."""
    differs: list[str] = field(default_factory=list)
    """Profile keys that differ, 'key: A -> B'."""

    @property
    def p99_ratio(self) -> float | None:
        if self.a_p99_ms and self.b_p99_ms:
            return self.b_p99_ms / self.a_p99_ms
        return None

    def ratio_text(self) -> str:
        return format_ratio(self.ratio, self.ci_low, self.ci_high)

    def verdict_text(self) -> str:
        return self.verdict or "no verdict (no CI)"

    def sentence(self) -> str:
        if self.ratio is None:
            return f"{self.b} ({self.b_name}) vs {self.a} ({self.a_name}): {self.note or 'no data'}"
        if self.verdict in ("faster", "slower"):
            factor = self.ratio if self.verdict == "slower" else 1 / self.ratio
            how = f"{self.verdict}: {factor:.2f}x"
        else:
            how = self.verdict_text()
        stop = f" ({self.stop_note})" if self.stop_note else ""
        return (
            f"{self.b} ({self.b_name}) vs {self.a} ({self.a_name}): ratio of medians "
            f"{self.ratio_text()} -> {how}{stop}"
        )

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["p99_ratio"] = self.p99_ratio
        return d


@dataclass
class Comparison:
    mode: str
    """interleaved | sequential | offline"""
    method: str
    margin: float
    profiles: list[ProfileRow]
    pairs: list[PairResult]
    warnings: list[str] = field(default_factory=list)
    model: str = ""
    stopping: dict[str, Any] | None = None
    """`--until-decided`: the rule, its budget and alpha, and how each pair stopped."""
    inputs: list[str] = field(default_factory=list)
    """Per profile, the input shapes measured (``tokens 1x128``), as run_inputs.shapes_text."""
    hardware: dict[str, Any] = field(default_factory=dict)
    """The machine of the first result (`detect`'s fields), for reports that travel."""

    def to_dict(self) -> dict[str, Any]:
        extra = {"stopping": self.stopping} if self.stopping else {}
        return {
            **extra,
            "mode": self.mode,
            "model": self.model,
            "inputs": list(self.inputs),
            "method": self.method,
            "margin": self.margin,
            "percentile_method": PERCENTILE_METHOD,
            "profiles": [p.to_dict() for p in self.profiles],
            "pairs": [p.to_dict() for p in self.pairs],
            "warnings": list(self.warnings),
        }


def profile_diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """'section.key: A -> B' for each profile key that differs (name and description aside),
    values as TOML writes them (`false -> true`, `{ batch = 1 }`)."""
    out = []
    for section in ("session", "provider", "run"):
        sa, sb = a.get(section) or {}, b.get(section) or {}
        for key in sorted(set(sa) | set(sb)):
            if sa.get(key) != sb.get(key):
                out.append(
                    f"{section}.{key}: {toml_value(sa.get(key))} -> {toml_value(sb.get(key))}"
                )
    return out


def build_comparison(
    *,
    mode: str,
    names: list[str],
    sets: list[SampleSet | None],
    summaries: list[dict[str, Any]],
    profiles: list[dict[str, Any]] | None = None,
    margin: float = DEFAULT_MARGIN,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
    warnings: list[str] | None = None,
    hardware: dict[str, Any] | None = None,
    model: str = "",
) -> Comparison:
    """Each profile against the first. `summaries[i]` holds figures used when `sets[i]` is
    None (offline, no raw samples): median_ms, p99_ms, runs, cv, first_run_ms, status."""
    rows = []
    for i, (name, s, summ) in enumerate(zip(names, sets, summaries, strict=True)):
        med: float | None
        p99: float | None
        cv: float | None
        if s is not None and s.size:
            st = summarize(s.flat())
            med, p99, cv = st["p50"], st["p99"], st["cv"]
            ci = bootstrap_median(s, seed=seed)
            med_ci = (ci.low, ci.high) if ci else None
        else:
            med, p99, cv = summ.get("median_ms"), summ.get("p99_ms"), summ.get("cv")
            med_ci = None
        rows.append(
            ProfileRow(
                label=LETTERS[i % 26],
                name=name,
                runs=int(s.size if s is not None else summ.get("runs") or 0),
                sessions=len(s.sessions) if s is not None else int(summ.get("sessions") or 1),
                median_ms=med,
                p99_ms=p99,
                cv=cv,
                first_run_ms=summ.get("first_run_ms"),
                status=summ.get("status", "ok"),
                median_ci=med_ci,
            )
        )
    pairs = []
    methods = []
    base = rows[0]
    for i in range(1, len(rows)):
        row = rows[i]
        ratio = (
            row.median_ms / base.median_ms
            if base.median_ms and row.median_ms and base.median_ms == base.median_ms
            else None
        )
        interval = None
        note = ""
        sa, sb = sets[0], sets[i]
        if ratio is None:
            note = "no samples on one side"
        elif sa is None or sb is None:
            note = "no raw samples: the CI cannot be computed; summary figures only"
        else:
            interval = bootstrap_ratio(sa, sb, reps=reps, seed=seed + i)
            if interval is None:
                note = "too few samples or blocks for a CI"
            else:
                methods.append(interval.method)
        pairs.append(
            PairResult(
                a=base.label,
                b=row.label,
                a_name=base.name,
                b_name=row.name,
                a_median_ms=base.median_ms,
                b_median_ms=row.median_ms,
                a_p99_ms=base.p99_ms,
                b_p99_ms=row.p99_ms,
                ratio=ratio,
                ci_low=interval.low if interval else None,
                ci_high=interval.high if interval else None,
                verdict=verdict(interval.low, interval.high, margin) if interval else None,
                note=note,
                differs=profile_diff(profiles[0], profiles[i]) if profiles else [],
            )
        )
    if methods:
        method = methods[0] + f"; verdict needs the whole CI beyond ±{margin:.0%}"
    else:
        method = "no CI (summary figures only)"
    return Comparison(
        mode=mode,
        method=method,
        margin=margin,
        profiles=rows,
        pairs=pairs,
        warnings=list(warnings or []),
        model=model,
        hardware=dict(hardware or {}),
    )
