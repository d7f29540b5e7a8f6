"""Comparisons that survive noise: live (interleaved or sequential) and offline, with verdicts.

The figure compared is the ratio of medians, B / A (below 1: B is faster). Its 95% confidence
interval comes from a hierarchical bootstrap, computed with numpy only:

* A profile's samples are kept as *sessions* (each its own ORT session; `sessions` per
  profile, 3 by default) of *blocks* (runs made back to back). Two sessions of the very same
  profile differ by a few per cent on a busy machine (memory placement, a neighbour's load):
  measured here, two identical sessions of sample:mlp were 6.5% apart, consistently, with a
  tight within-run interval. An interval from one session per profile calls such a pair
  "different", so sessions are the outer unit of the resampling. With only a few sessions
  the bootstrap understates that part of the spread, so it is split off (a second bootstrap
  with the sessions held fixed) and widened: n / (n - 1), and Student's t in place of 1.96
  (simulated A against A with 3% session effects: 90% coverage before, 96% after).
* Interleaved runs keep each profile's blocks in *rounds* made at the same time, so the
  rounds are resampled as pairs across profiles: drift between rounds hits both sides of a
  resample alike, as it hit both sides of the measurement. Runs made one after the other
  are cut into contiguous chunks, resampled independently (drift between the runs is then
  part of the difference, which is why interleaving is preferred).
* An iid bootstrap over single samples is not used: it ignores both of the above and calls
  A against A "faster" on a noisy 2-core VM.

Verdict: "slower" when the whole interval lies above 1 + margin, "faster" when it lies below
1 / (1 + margin), else "no clear difference" (the margin, 1% by default, is the smallest
difference worth a verdict: two sessions of one profile are rarely that far apart once
sessions are resampled).
"""

from __future__ import annotations

import csv
import io
import math
import multiprocessing as mp
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OrtbenchError
from ..profile import Profile, profile_to_dict
from ..text import csv_number, format_ms, format_ratio, md_cell
from .runner import (
    Failed,
    Finished,
    Progress,
    RunHandle,
    RunRequest,
    close_worker,
    death_message,
    drain,
    send_stop,
)
from .runner import worker_main as _worker_main
from .stats import PERCENTILE_METHOD, summarize

DEFAULT_MARGIN = 0.01
DEFAULT_SESSIONS = 3
DEFAULT_REPS = 2000
SKETCH_POINTS = 32
"""Each block enters the bootstrap as this many of its quantiles (the exact medians are
computed from all samples; the sketch only keeps the resampling fast)."""
CHUNKS_PER_RUN = 20
"""Contiguous chunks a sequential run is cut into for the bootstrap."""
MIN_UNITS = 4
VERDICTS = ("faster", "slower", "no clear difference")
MACHINE_WARNINGS = ("shared cores", "busy machine", "CPU frequency")
"""Result warnings about the machine: said once for a comparison, not once per profile."""
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --- statistics --------------------------------------------------------------------------


@dataclass
class SampleSet:
    """One profile's timed samples (ns), as sessions of equal blocks, in time order."""

    sessions: list[np.ndarray]
    """One (blocks, runs per block) int64 array per session."""
    paired: bool = False
    """Rows are interleaved rounds, shared (same index, same time) with the other profiles."""
    run_id: str = ""
    raw: list[np.ndarray] | None = None
    """Every sample of each session when the blocks drop a remainder (chunked runs): the
    figures (medians, p99s) come from all samples, the blocks only feed the resampling."""

    @property
    def size(self) -> int:
        parts = self.raw if self.raw is not None else self.sessions
        return int(sum(x.size for x in parts))

    def flat(self) -> np.ndarray:
        parts = self.raw if self.raw is not None else [s.ravel() for s in self.sessions]
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.concatenate(parts)

    @property
    def rounds(self) -> int:
        return min((s.shape[0] for s in self.sessions), default=0)


def chunked(samples_ns: np.ndarray, chunks: int = CHUNKS_PER_RUN) -> np.ndarray:
    """A run's samples as (chunks, m) contiguous pieces (a remainder at the end is dropped)."""
    samples_ns = np.asarray(samples_ns, dtype=np.int64)
    k = min(chunks, samples_ns.size // 2)
    if k < 1:
        return samples_ns.reshape(1, -1) if samples_ns.size else np.empty((0, 0), np.int64)
    m = samples_ns.size // k
    return samples_ns[: k * m].reshape(k, m)


def sequential_set(runs: list[np.ndarray]) -> SampleSet:
    """Runs made one after the other (one session each), for the unpaired bootstrap."""
    kept = [np.asarray(r, dtype=np.int64) for r in runs if r.size]
    return SampleSet([chunked(r) for r in kept], paired=False, raw=kept)


def _sketch(session: np.ndarray, q: int) -> np.ndarray:
    """(blocks, m) -> (blocks, q): each block's evenly spaced quantiles."""
    if session.shape[1] == q:
        return np.sort(session, axis=1).astype(np.float64)
    probs = (np.arange(q) + 0.5) / q
    return np.quantile(session.astype(np.float64), probs, axis=1).T


def _sketches(s: SampleSet, rounds: int | None) -> np.ndarray | list[np.ndarray]:
    q = min(SKETCH_POINTS, min(x.shape[1] for x in s.sessions))
    if rounds is not None:
        return np.stack([_sketch(x[:rounds], q) for x in s.sessions])
    return [_sketch(x, q) for x in s.sessions]


def _draw_medians(
    sketch: np.ndarray | list[np.ndarray],
    sess_idx: np.ndarray,
    round_idx: np.ndarray | None,
    rng: np.random.Generator,
) -> np.ndarray:
    """Median of each resample: sessions `sess_idx` (R, S); rounds shared (R, K) or drawn
    independently per session when `round_idx` is None."""
    reps = sess_idx.shape[0]
    if round_idx is not None:
        arr = np.asarray(sketch)  # (S, K, Q)
        picked = arr[sess_idx[:, :, None], round_idx[:, None, :]]  # (R, S, K, Q)
        return np.median(picked.reshape(reps, -1), axis=1)
    # Unpaired: sessions may differ in block count; resample each drawn session's own chunks.
    out = np.empty(reps)
    for r in range(reps):
        parts = []
        for s in sess_idx[r]:
            x = sketch[s]
            parts.append(x[rng.integers(0, x.shape[0], x.shape[0])].ravel())
        out[r] = np.median(np.concatenate(parts))
    return out


T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
)  # fmt: skip
"""Student's t, 97.5th percentile, for 1 to 20 degrees of freedom."""


def t_975(df: int) -> float:
    if df < 1:
        return float("inf")
    return T_975[df - 1] if df <= len(T_975) else 1.96 + 2.4 / df


def _bootstrap_medians(
    sketches: list[Any],
    rounds: int | None,
    reps: int,
    rng: np.random.Generator,
    resample_sessions: bool,
) -> list[np.ndarray]:
    """Medians of `reps` resamples of each profile. Paired (`rounds` given): one draw of
    rounds per resample, shared by every profile and session; else chunks drawn per session.
    Sessions are drawn with replacement, or kept as they are."""
    out = [np.empty(reps) for _ in sketches]
    sizes = [len(sk) for sk in sketches]
    q = max(np.asarray(sk[0]).shape[-1] for sk in sketches)
    step = max(1, min(reps, 4_000_000 // (max(sizes) * (rounds or 20) * q)))
    for start in range(0, reps, step):
        n = min(step, reps - start)
        k = rng.integers(0, rounds, (n, rounds)) if rounds else None
        for j, sk in enumerate(sketches):
            ns = sizes[j]
            if resample_sessions:
                idx = rng.integers(0, ns, (n, ns))
            else:
                idx = np.broadcast_to(np.arange(ns), (n, ns))
            out[j][start : start + n] = _draw_medians(sk, idx, k, rng)
    return out


def _scale(total: np.ndarray, rounds_only: np.ndarray, sessions: int, df: int, units: int) -> float:
    """Widen the bootstrap spread for what few clusters hide.

    The spread splits into a rounds (blocks) part, seen when only rounds are resampled,
    and a sessions part, the rest. Each is corrected for the bootstrap's n/(n-1) shrinkage,
    and the sessions part, estimated from a handful of sessions, gets Student's t with
    `df` degrees of freedom instead of the normal 1.96 (with three sessions per profile the
    plain bootstrap covered A against A only ~90% of the time in simulation).
    """
    v_tot = float(np.var(total))
    if v_tot <= 0:
        return 1.0
    v_rounds = min(float(np.var(rounds_only)), v_tot)
    v_sess = v_tot - v_rounds
    target = v_rounds * units / max(units - 1, 1)
    if sessions > 1:
        target += v_sess * sessions / (sessions - 1) * (t_975(df) / 1.96) ** 2
    else:
        target += v_sess
    return math.sqrt(target / v_tot)


@dataclass
class Interval:
    low: float
    high: float
    method: str


def _flat(sk: Any) -> np.ndarray:
    return np.concatenate([np.asarray(x).ravel() for x in sk])


def bootstrap_ratio(
    a: SampleSet, b: SampleSet, reps: int = DEFAULT_REPS, seed: int = 0
) -> Interval | None:
    """95% CI of median(b) / median(a); None when there is too little to resample."""
    if not a.sessions or not b.sessions:
        return None
    paired = a.paired and b.paired and a.run_id == b.run_id and a.run_id != ""
    rounds = min(a.rounds, b.rounds) if paired else None
    units = rounds if paired else min(a.rounds, b.rounds)
    if units is None or units < MIN_UNITS:
        return None
    rng = np.random.default_rng(seed)
    sa, sb = _sketches(a, rounds), _sketches(b, rounds)
    na, nb = len(a.sessions), len(b.sessions)
    ma, mb = _bootstrap_medians([sa, sb], rounds, reps, rng, True)
    fa, fb = _bootstrap_medians([sa, sb], rounds, max(200, reps // 2), rng, False)
    # Centre on the sketch's own estimate, widen for few clusters, move onto the exact ratio.
    centre = math.log(np.median(_flat(sb)) / np.median(_flat(sa)))
    exact = math.log(np.median(b.flat()) / np.median(a.flat()))
    dev = np.log(mb / ma) - centre
    f = _scale(dev, np.log(fb / fa) - centre, min(na, nb), na + nb - 2, units)
    lo, hi = np.percentile(dev * f, [2.5, 97.5])
    method = describe_method(paired, min(na, nb), units, reps)
    return Interval(math.exp(exact + lo), math.exp(exact + hi), method)


def bootstrap_median(s: SampleSet, reps: int = 1000, seed: int = 0) -> Interval | None:
    """95% CI of one profile's median, with the same resampling (sessions, then blocks)."""
    if not s.sessions or s.rounds < MIN_UNITS:
        return None
    rng = np.random.default_rng(seed)
    rounds = s.rounds if s.paired else None
    sk = _sketches(s, rounds)
    n = len(s.sessions)
    (meds,) = _bootstrap_medians([sk], rounds, reps, rng, True)
    (fixed,) = _bootstrap_medians([sk], rounds, max(200, reps // 2), rng, False)
    centre = math.log(np.median(_flat(sk)))
    exact = math.log(np.median(s.flat()))
    dev = np.log(meds) - centre
    f = _scale(dev, np.log(fixed) - centre, n, n - 1, s.rounds)
    lo, hi = np.percentile(dev * f, [2.5, 97.5])
    return Interval(
        math.exp(exact + lo) / 1e6,
        math.exp(exact + hi) / 1e6,
        describe_method(s.paired, n, s.rounds, reps),
    )


def describe_method(paired: bool, sessions: int, units: int, reps: int) -> str:
    """The CI's method in words, for every output that shows a CI."""
    unit = (
        f"{units} interleaved rounds resampled as pairs"
        if paired
        else f"{units} contiguous chunks per run resampled"
    )
    if sessions > 1:
        sess = f"{sessions} sessions per profile resampled"
        widen = ", spread widened for few sessions (Student t)"
    else:
        sess = "1 session per profile (session-to-session differences are not in the CI)"
        widen = ""
    return f"hierarchical bootstrap, {reps} resamples: {sess}, {unit}; percentile 95% CI{widen}"


def verdict(low: float, high: float, margin: float = DEFAULT_MARGIN) -> str:
    """faster / slower / no clear difference, for an interval of B / A."""
    if low > 1.0 + margin:
        return "slower"
    if high < 1.0 / (1.0 + margin):
        return "faster"
    return "no clear difference"


# --- the comparison ------------------------------------------------------------------------


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
    """faster / slower / no clear difference; None when the CI cannot be computed."""
    note: str = ""
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
        return (
            f"{self.b} ({self.b_name}) vs {self.a} ({self.a_name}): ratio of medians "
            f"{self.ratio_text()} -> {how}"
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "model": self.model,
            "method": self.method,
            "margin": self.margin,
            "percentile_method": PERCENTILE_METHOD,
            "profiles": [p.to_dict() for p in self.profiles],
            "pairs": [p.to_dict() for p in self.pairs],
            "warnings": list(self.warnings),
        }


def profile_diff(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """'section.key: A -> B' for each profile key that differs (name and description aside)."""
    out = []
    for section in ("session", "provider", "run"):
        sa, sb = a.get(section) or {}, b.get(section) or {}
        for key in sorted(set(sa) | set(sb)):
            if sa.get(key) != sb.get(key):
                out.append(f"{section}.{key}: {sa.get(key)!r} -> {sb.get(key)!r}")
    return out


def build_comparison(
    *,
    mode: str,
    names: list[str],
    sets: list[SampleSet | None],
    summaries: list[dict[str, Any]],
    profiles: list[dict[str, Any]] | None = None,
    margin: float = DEFAULT_MARGIN,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
    warnings: list[str] | None = None,
    model: str = "",
) -> Comparison:
    """Each profile against the first. `summaries[i]` holds figures used when `sets[i]` is
    None (offline, no raw samples): median_ms, p99_ms, runs, cv, first_run_ms, status."""
    rows = []
    for i, (name, s, summ) in enumerate(zip(names, sets, summaries, strict=True)):
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
    )


# --- text, Markdown and CSV ----------------------------------------------------------------

TABLE_HEADER = ("#", "profile", "runs", "median", "p99", "vs A (95% CI)", "verdict")


def table_rows(comp: Comparison) -> list[tuple[str, ...]]:
    """One row per profile; rows after the first carry that profile's pair against A."""
    out = []
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
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    for pair in comp.pairs:
        lines.append(pair.sentence())
        if pair.differs:
            lines.append("    differs: " + "; ".join(pair.differs[:6]))
    lines.append("")
    lines.append(f"mode: {comp.mode}; ratio = median B / median A (below 1: B is faster)")
    lines.append(f"CI: {comp.method}")
    lines.append(f"percentiles: {PERCENTILE_METHOD}")
    lines += [f"warning: {w}" for w in comp.warnings]
    return "\n".join(lines)


def comparison_markdown(comp: Comparison) -> str:
    """A table ready to paste into a pull request."""
    title = f"### ortbench compare{f' · {comp.model}' if comp.model else ''} ({comp.mode})"
    head = "| " + " | ".join(TABLE_HEADER) + " |"
    sep = "|" + "|".join(["---"] * len(TABLE_HEADER)) + "|"
    body = ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in table_rows(comp)]
    notes = [
        "",
        f"Ratio = median B / median A (below 1: B is faster). CI: {comp.method}.",
        f"Percentiles: {PERCENTILE_METHOD}.",
    ]
    notes += [f"- ⚠ {w}" for w in comp.warnings]
    return "\n".join([title, "", head, sep, *body, *notes]) + "\n"


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
            ]
        )
    return buf.getvalue()


# --- live comparisons ----------------------------------------------------------------------


@dataclass
class CompareRequest:
    """Two or more profiles on one model."""

    model: str
    profiles: list[Profile]
    interleave: bool = True
    sessions: int = DEFAULT_SESSIONS
    """Sessions per profile: the unit the CI resamples (see the module docstring)."""
    margin: float = DEFAULT_MARGIN
    reps: int = DEFAULT_REPS
    seed: int = 0
    save_history: bool = False
    min_rounds: int = 10
    """Interleaved: rounds made at least (the bootstrap wants 10 or more)."""
    block_s: float = 0.05
    """Interleaved, by time: seconds of timed runs per block."""


@dataclass
class CompareProgress:
    """Where the comparison is. `profile` is the index of the profile the samples belong to."""

    phase: str
    """setup | first_run | warmup | timed"""
    done: int
    total: int | None
    elapsed_s: float
    profile: int | None = None
    new_samples_ns: np.ndarray | None = None
    detail: str = ""


@dataclass
class CompareFinished:
    comparison: Comparison
    results: list[dict[str, Any]]
    samples: list[np.ndarray]
    """Flat samples per profile (ns), sessions one after the other."""
    history_paths: list[str] = field(default_factory=list)
    sets: list[SampleSet | None] = field(default_factory=list)
    """The samples as the bootstrap sees them (sessions of blocks), per profile."""


CompareEvent = CompareProgress | CompareFinished | Failed


def unique_names(profiles: list[Profile]) -> list[str]:
    """Profile names, made distinct ('x', 'x (2)') so A against A reads clearly."""
    seen: dict[str, int] = {}
    out = []
    for p in profiles:
        seen[p.name] = seen.get(p.name, 0) + 1
        out.append(p.name if seen[p.name] == 1 else f"{p.name} ({seen[p.name]})")
    return out


def _split_count(profile: Profile, sessions: int, index: int) -> Profile:
    """Session `index`'s share: timed runs (1000 over 3: 334, 333, 333) or duration."""
    p = profile.copy()
    if p.run.duration_s > 0:
        p.run.duration_s = p.run.duration_s / sessions
    else:
        n = p.run.timed_runs
        p.run.timed_runs = max(1, n // sessions + (1 if index < n % sessions else 0))
    return p


class _CapturingRunHandle(RunHandle):
    """A normal run that keeps the worker's final figures, to merge sessions afterwards."""

    final: dict[str, Any] | None = None

    def _build(self, final: dict[str, Any]) -> dict[str, Any]:
        self.final = final
        return super()._build(final)


class _InterleavedProcess:
    """The child of `interleave.interleave_main`: started, read, cancelled, reaped.

    Mirrors `RunHandle` (same stop grace, same death message) without depending on its
    private state, which belongs to single runs."""

    def __init__(self, child_request: dict[str, Any], target: Callable[..., None]) -> None:
        import os

        fd, self.log_path = tempfile.mkstemp(prefix="ortbench-interleave-", suffix=".log")
        os.close(fd)
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=target, args=(child_conn, child_request, self.log_path), daemon=True
        )
        self._cancel_at: float | None = None
        self.process.start()
        child_conn.close()

    def cancel(self) -> None:
        """Ask the child to stop at the end of its current round; complete rounds are kept."""
        if self._cancel_at is None:
            self._cancel_at = time.perf_counter()
            send_stop(self._conn)

    def _death_message(self) -> str:
        return death_message(self.process.exitcode, self.log_path)

    def messages(self, poll_s: float = 0.05) -> Iterator[tuple[Any, ...]]:
        """Raw pipe messages; ("died", message) when the child is gone without a word."""
        from .runner import STOP_GRACE_S

        try:
            while True:
                if self._cancel_at and time.perf_counter() - self._cancel_at > STOP_GRACE_S:
                    self.process.kill()
                if not self._conn.poll(poll_s):
                    if not self.process.is_alive() and not self._conn.poll(0):
                        yield ("died", self._death_message())
                        return
                    continue
                try:
                    msg = self._conn.recv()
                except (EOFError, OSError):
                    self.process.join(1.0)
                    yield ("died", self._death_message())
                    return
                yield msg
                if msg[0] in ("done", "error"):
                    return
        finally:
            self.close()

    def close(self) -> None:
        close_worker(self.process, self._conn, self.log_path, self._cancel_at is not None)


class CompareRun:
    """A live comparison. Iterate `events()` (in a thread for the TUI); `cancel()` from any
    thread stops it within a round and keeps what was measured."""

    def __init__(
        self,
        request: CompareRequest,
        interleave_target: Callable[..., None] | None = None,
        run_target: Callable[..., None] | None = None,
    ) -> None:
        """Bad model paths and impossible profiles fail here, before any process starts.
        The targets are the child entry points; tests swap in ones that crash on purpose."""
        from ..models import file_sha256
        from ..samples import resolve_model
        from ..session import profile_problems

        if len(request.profiles) < 2:
            raise OrtbenchError("compare needs at least two profiles")
        if request.sessions < 1:
            raise OrtbenchError("sessions per profile must be at least 1")
        for p in request.profiles:
            for problem in profile_problems(p):
                raise OrtbenchError(f"profile '{p.name}': {problem}")
        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        self.names = unique_names(request.profiles)
        self.run_id = uuid.uuid4().hex[:12]
        self._cancelled = False
        self._current: RunHandle | _InterleavedProcess | None = None
        if interleave_target is None:
            from .interleave import interleave_main

            interleave_target = interleave_main
        self._interleave_target = interleave_target
        self._run_target = run_target or _worker_main
        self.started = time.perf_counter()

    @property
    def mode(self) -> str:
        return "interleaved" if self.request.interleave else "sequential"

    def cancel(self) -> None:
        self._cancelled = True
        current = self._current
        if current is not None:
            current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _elapsed(self) -> float:
        return time.perf_counter() - self.started

    def events(self) -> Iterator[CompareEvent]:
        if self.request.interleave:
            yield from self._interleaved()
        else:
            yield from self._sequential()

    # -- interleaved: one child, every session -----------------------------------------------

    def _interleaved(self) -> Iterator[CompareEvent]:
        req = self.request
        n_prof, n_sess = len(req.profiles), req.sessions
        units = [(s, p) for s in range(n_sess) for p in range(n_prof)]
        first = req.profiles[0]
        by_time = first.run.duration_s > 0
        schedule = {
            # Each profile gets the timed runs (or seconds) of the first profile, split
            # among its sessions; by time the child's clock covers all profiles.
            "timed_runs": math.ceil(first.run.timed_runs / n_sess),
            "duration_s": first.run.duration_s * n_prof if by_time else 0.0,
            "min_rounds": req.min_rounds,
            "block_s": req.block_s,
        }
        child_request = {
            "model_path": str(self.model_path),
            "profiles": [profile_to_dict(req.profiles[p]) for _, p in units],
            "schedule": schedule,
        }
        warnings = []
        pins = {tuple(p.run.pin_cpus) for p in req.profiles}
        if len(pins) > 1:
            warnings.append(
                "profiles ask for different run.pin_cpus; one process runs them all, pinned "
                f"as the first asks ({list(first.run.pin_cpus) or 'not pinned'})"
            )
        if any(p.run.timed_runs != first.run.timed_runs for p in req.profiles) or any(
            p.run.duration_s != first.run.duration_s for p in req.profiles
        ):
            warnings.append("run lengths differ between profiles; the first profile's is used")
        proc = _InterleavedProcess(child_request, self._interleave_target)
        self._current = proc
        if self._cancelled:
            proc.cancel()
        metas: list[dict[str, Any]] = [{} for _ in units]
        blocks: list[list[np.ndarray]] = [[] for _ in units]
        planned: int | None = None
        rounds_seen = 0
        for msg in proc.messages():
            kind = msg[0]
            elapsed = self._elapsed()
            if kind == "meta":
                metas[msg[1]] = msg[2]
                ready = sum(1 for m in metas if m)
                yield CompareProgress("setup", ready, len(units), elapsed)
            elif kind == "progress":
                yield CompareProgress(msg[1], msg[2], msg[3], elapsed)
            elif kind == "schedule":
                planned = msg[1]["rounds"]
            elif kind == "block":
                r, u, arr = msg[1], msg[2], msg[3]
                blocks[u].append(arr)
                rounds_seen = max(rounds_seen, r + 1)
                yield CompareProgress(
                    "timed", rounds_seen, planned, elapsed, profile=units[u][1], new_samples_ns=arr
                )
            elif kind == "done":
                yield self._finish_interleaved(units, metas, blocks, msg[1], warnings)
                return
            elif kind == "error":
                yield Failed(msg[1], msg[2], None)
                return
            elif kind == "died":
                done = min((len(b) for b in blocks), default=0)
                yield Failed("run", f"{msg[1]} (after {done} complete rounds)", None)
                return

    def _finish_interleaved(
        self,
        units: list[tuple[int, int]],
        metas: list[dict[str, Any]],
        blocks: list[list[np.ndarray]],
        done: dict[str, Any],
        warnings: list[str],
    ) -> CompareFinished:
        from .results import build_result

        req = self.request
        complete = min(len(b) for b in blocks)
        finals = done["finals"]
        sets: list[SampleSet | None] = []
        results, flats = [], []
        for p, profile in enumerate(req.profiles):
            mine = [u for u, (_, q) in enumerate(units) if q == p]
            sessions = [
                np.stack(blocks[u][:complete]) if complete else np.empty((0, 0), np.int64)
                for u in mine
            ]
            s = SampleSet(sessions, paired=True, run_id=self.run_id) if complete else None
            flat = s.flat() if s else np.empty(0, dtype=np.int64)
            unit_finals = [finals[u] for u in mine]
            final = _merge_finals(unit_finals)
            final["warnings"].append(
                f"interleaved: {len(units)} sessions in one process ({len(mine)} of this "
                "profile); rss_peak_mb covers all of them"
            )
            result = build_result(
                model_spec=req.model,
                model_path=self.model_path,
                model_sha256=self.model_sha256,
                profile=profile,
                meta=metas[mine[0]],  # carries the worker's hardware view
                final=final,
                samples_ns=flat,
            )
            result["comparison"] = {
                "mode": "interleaved",
                "run_id": self.run_id,
                "profile_index": p,
                "sessions": len(mine),
                "session_runs": [int(x.size) for x in sessions],
                "rounds": complete,
                "block_runs": int(sessions[0].shape[1]) if complete else 0,
                "session_first_run_ms": [f.get("first_run_ms") for f in unit_finals],
                "session_create_ms": [metas[u].get("session_create_ms") for u in mine],
            }
            sets.append(s)
            results.append(result)
            flats.append(flat)
        if done.get("cancelled") or any(f.get("cancelled") for f in finals):
            warnings.append(f"cancelled: compared on the {complete} complete rounds")
        if complete and complete < 10:
            warnings.append(f"only {complete} rounds: the CI rests on few blocks; run longer")
        return self._finished(results, flats, sets, warnings)

    # -- sequential: normal runs, A B A B ... -------------------------------------------------

    def _sequential(self) -> Iterator[CompareEvent]:
        req = self.request
        n_prof = len(req.profiles)
        per_profile: list[list[tuple[RunHandle, Finished]]] = [[] for _ in range(n_prof)]
        total = n_prof * req.sessions
        step = 0
        for s in range(req.sessions):
            for p, profile in enumerate(req.profiles):
                if self._cancelled:
                    break
                handle = _CapturingRunHandle(
                    RunRequest(req.model, _split_count(profile, req.sessions, s)),
                    target=self._run_target,
                )
                self._current = handle
                if self._cancelled:
                    handle.cancel()
                step += 1
                detail = f"run {step}/{total}: {self.names[p]} (session {s + 1})"
                for ev in handle.events():
                    if isinstance(ev, Progress):
                        yield CompareProgress(
                            ev.phase,
                            ev.done,
                            ev.total,
                            self._elapsed(),
                            profile=p,
                            new_samples_ns=ev.new_samples_ns,
                            detail=detail,
                        )
                    elif isinstance(ev, Finished):
                        if ev.samples_ns.size:
                            per_profile[p].append((handle, ev))
                    elif isinstance(ev, Failed):
                        yield Failed(ev.kind, f"{self.names[p]}: {ev.message}", ev.partial)
                        return
        yield self._finish_sequential(per_profile)

    def _finish_sequential(
        self, per_profile: list[list[tuple[RunHandle, Finished]]]
    ) -> CompareFinished:
        from .results import build_result

        req = self.request
        warnings = [
            "sequential runs: drift between the runs is part of the difference; "
            "--interleave makes the verdict robust to it"
        ]
        if self._cancelled:
            warnings.append("cancelled: compared on the runs that were made")
        results, flats, sets = [], [], []
        for p, profile in enumerate(req.profiles):
            runs = per_profile[p]
            if not runs:
                results.append({})
                flats.append(np.empty(0, dtype=np.int64))
                sets.append(None)
                continue
            samples = [f.samples_ns for _, f in runs]
            flat = np.concatenate(samples)
            finals = [h.final or {} for h, _ in runs]  # type: ignore[attr-defined]
            final = _merge_finals(finals)
            result = build_result(
                model_spec=req.model,
                model_path=self.model_path,
                model_sha256=self.model_sha256,
                profile=profile,
                meta=runs[0][0].meta,
                final=final,
                samples_ns=flat,
                hardware=runs[0][1].result.get("hardware"),
            )
            result["comparison"] = {
                "mode": "sequential",
                "run_id": self.run_id,
                "profile_index": p,
                "sessions": len(runs),
                "session_runs": [int(x.size) for x in samples],
                "session_first_run_ms": [f.get("first_run_ms") for f in finals],
                "session_create_ms": [h.meta.get("session_create_ms") for h, _ in runs],
            }
            results.append(result)
            flats.append(flat)
            sets.append(sequential_set(samples))
        return self._finished(results, flats, sets, warnings)

    # -- both ---------------------------------------------------------------------------------

    def _finished(
        self,
        results: list[dict[str, Any]],
        flats: list[np.ndarray],
        sets: list[SampleSet | None],
        warnings: list[str],
    ) -> CompareFinished:
        req = self.request
        summaries = [
            {
                "first_run_ms": r.get("first_run_ms"),
                "status": r.get("status", "missing"),
                "sessions": req.sessions,
            }
            for r in results
        ]
        warnings = warnings + summarize_warnings(results, self.names)
        comp = build_comparison(
            mode=self.mode,
            names=self.names,
            sets=sets,
            summaries=summaries,
            profiles=[profile_to_dict(p) for p in req.profiles],
            margin=req.margin,
            reps=req.reps,
            seed=req.seed,
            warnings=warnings,
            model=req.model,
        )
        paths: list[str] = []
        if req.save_history:
            from .results import save_to_history

            for r, flat in zip(results, flats, strict=True):
                if r and flat.size:
                    path = save_to_history(r, flat)
                    r["history_path"] = str(path)
                    paths.append(str(path))
        return CompareFinished(comp, results, flats, paths, sets)


def summarize_warnings(results: list[dict[str, Any]], names: list[str]) -> list[str]:
    """The results' warnings for a comparison: machine ones once, instability in one line."""
    out: list[str] = []
    unstable = []
    for r, name in zip(results, names, strict=True):
        for w in r.get("warnings", []):
            if w.startswith(MACHINE_WARNINGS):
                text = w
            elif w.startswith("unstable"):
                unstable.append(f"{name} {r.get('cv', 0):.0%}")
                continue
            elif w.startswith(("FALLBACK", "failed")):
                text = f"{name}: {w}"
            else:
                continue
            if text not in out:
                out.append(text)
    if unstable:
        out.insert(
            0,
            "unstable: coefficient of variation above 10% ("
            + ", ".join(unstable)
            + "); close other work, pin the worker (run.pin_cpus) or run longer",
        )
    return out


def _merge_finals(finals: list[dict[str, Any]]) -> dict[str, Any]:
    """The worker figures of several sessions of one profile, as one run's."""
    warnings: list[str] = []
    for f in finals:
        for w in f.get("warnings") or []:
            if w not in warnings:
                warnings.append(w)
    rss = [f.get("rss_peak_mb") for f in finals if f.get("rss_peak_mb") is not None]
    gpu = [f.get("gpu_mem_peak_mb") for f in finals if f.get("gpu_mem_peak_mb") is not None]
    return {
        "first_run_ms": finals[0].get("first_run_ms") if finals else None,
        "wall_s": float(sum(f.get("wall_s") or 0.0 for f in finals)),
        "cancelled": any(f.get("cancelled") for f in finals),
        "rss_peak_mb": max(rss) if rss else None,
        "gpu_mem_peak_mb": max(gpu) if gpu else None,
        "warnings": warnings,
    }


def start_compare(request: CompareRequest, **targets: Any) -> CompareRun:
    return CompareRun(request, **targets)


def run_compare(
    request: CompareRequest, on_event: Callable[[CompareEvent], None] | None = None
) -> CompareFinished:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drain(start_compare(request).events(), CompareFinished, on_event, "comparison")


# --- offline: from result files ------------------------------------------------------------

HARDWARE_KEYS = ("cpu_model", "physical_cores", "logical_cores", "ort_version")


def _gpu_names(hw: dict[str, Any]) -> list[str]:
    return sorted(str(g.get("name")) for g in hw.get("gpus") or [])


def environment_warnings(results: list[dict[str, Any]], labels: list[str]) -> list[str]:
    """Different models or machines make a comparison mean something else: say so."""
    out = []
    base = results[0]
    sha0 = (base.get("model") or {}).get("sha256")
    hw0 = base.get("hardware") or {}
    for label, r in zip(labels[1:], results[1:], strict=True):
        sha = (r.get("model") or {}).get("sha256")
        if sha0 and sha and sha != sha0:
            out.append(
                f"different models: {labels[0]} ran {base['model'].get('name')} "
                f"(sha256 {sha0[:12]}), {label} ran {r['model'].get('name')} "
                f"(sha256 {sha[:12]})"
            )
        hw = r.get("hardware") or {}
        diffs = [
            f"{k} {hw0.get(k)!r} vs {hw.get(k)!r}" for k in HARDWARE_KEYS if hw0.get(k) != hw.get(k)
        ]
        if _gpu_names(hw0) != _gpu_names(hw):
            diffs.append(f"GPUs {_gpu_names(hw0)} vs {_gpu_names(hw)}")
        if diffs:
            out.append(f"different hardware ({labels[0]} vs {label}): " + "; ".join(diffs))
    return out


def sample_set_from_result(result: dict[str, Any], samples: np.ndarray) -> SampleSet:
    """Rebuild sessions and rounds from what a compare run recorded, else chunk the run."""
    info = result.get("comparison") or {}
    runs = [int(n) for n in info.get("session_runs") or []]
    if runs and sum(runs) == samples.size:
        parts = np.split(samples, np.cumsum(runs)[:-1])
        if info.get("mode") == "interleaved" and info.get("block_runs"):
            m = int(info["block_runs"])
            if all(p.size % m == 0 for p in parts):
                return SampleSet(
                    [p.reshape(-1, m) for p in parts],
                    paired=True,
                    run_id=str(info.get("run_id", "")),
                )
        return sequential_set(parts)
    return sequential_set([samples])


def compare_files(
    paths: list[str | Path],
    margin: float = DEFAULT_MARGIN,
    reps: int = DEFAULT_REPS,
    seed: int = 0,
) -> tuple[Comparison, list[dict[str, Any]]]:
    """Compare saved results (each against the first), from their .npy samples if saved."""
    from .results import load_result, load_samples

    if len(paths) < 2:
        raise OrtbenchError("compare needs at least two result files")
    results = [load_result(p) for p in paths]
    labels = [LETTERS[i % 26] for i in range(len(results))]
    warnings = environment_warnings(results, labels)
    sets: list[SampleSet | None] = []
    summaries = []
    for path, r in zip(paths, results, strict=True):
        lat = r.get("latency_ms") or {}
        summaries.append(
            {
                "median_ms": lat.get("p50"),
                "p99_ms": lat.get("p99"),
                "runs": r.get("runs"),
                "cv": r.get("cv"),
                "first_run_ms": r.get("first_run_ms"),
                "status": r.get("status", "ok"),
                "sessions": (r.get("comparison") or {}).get("sessions", 1),
            }
        )
        try:
            samples = load_samples(path)
        except (OSError, ValueError) as exc:
            warnings.append(f"{Path(path).name}: cannot read its samples ({exc})")
            samples = None
        if samples is None:
            warnings.append(
                f"no raw samples beside {Path(path).name}: the CI cannot be computed; "
                "summary figures only"
            )
            sets.append(None)
            continue
        samples = np.asarray(samples, dtype=np.int64).ravel()
        if samples.size != r.get("runs"):
            warnings.append(
                f"{Path(path).name}: {samples.size} samples beside a result of {r.get('runs')} runs"
            )
        sets.append(sample_set_from_result(r, samples))
    if any(s is not None for s in sets) and not all(
        s is not None and s.paired and s.run_id == sets[0].run_id  # type: ignore[union-attr]
        for s in sets
    ):
        warnings.append(
            "these results were not measured in one interleaved run: drift between them is "
            "part of the difference"
        )
    names = [str((r.get("profile") or {}).get("name", "?")) for r in results]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n} ({seen[n]})"
    model = str((results[0].get("model") or {}).get("name", ""))
    comp = build_comparison(
        mode="offline",
        names=names,
        sets=sets,
        summaries=summaries,
        profiles=[r.get("profile") or {} for r in results],
        margin=margin,
        reps=reps,
        seed=seed,
        warnings=warnings,
        model=model,
    )
    return comp, results
