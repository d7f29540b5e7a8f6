"""Trends over history: one model + profile + inputs over time, and the step in it, if any.

Runs are grouped by what was measured (model name, the profile's settings, the input shapes);
within a group, the points where the ORT version, the model file (sha256) or the machine
changed are marked. A step is named by this rule, stated once here and in the README:

* the series is the runs' log p50, oldest first; a candidate step splits it into a before and
  an after of at least MIN_SIDE runs each (one noisy run can never be a step);
* the statistic is the largest Welch t over the candidate splits; its p-value comes from
  PERMUTATIONS random orderings of the same runs (no distribution assumed, and the search over
  splits is accounted for, because each ordering is searched the same way);
* a step is named when that p-value is at most ALPHA and the change is at least MIN_STEP:
  "p50 +12% [8%, 16%] since ORT 1.31.1 (2026-11-30)", with a 95% Welch interval.

On noise alone a step is named in at most ALPHA of histories (1%), whatever their length.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..text import aligned_table, format_ms, printable
from .level_bootstrap import t_quantile
from .result_record import HardwareRecord, RunResult, given

MIN_SIDE = 3
ALPHA = 0.01
PERMUTATIONS = 999
MIN_STEP = 0.03
"""Smaller steps are real on a quiet machine but not worth a user's attention."""


@dataclass(frozen=True)
class TrendPoint:
    created: str
    p50_ms: float
    p99_ms: float
    ort_version: str
    model_sha256: str
    machine: str
    path: Path | None = None


@dataclass(frozen=True)
class Step:
    index: int
    """The first run after the step."""
    ratio: float
    low: float
    high: float
    p_value: float
    since: str
    """What changed at the step ("ORT 1.31.1", "model a1b2c3d4e5f6", "machine ..."), or ""."""
    created: str

    def sentence(self) -> str:
        pct = (self.ratio - 1.0) * 100.0
        lo, hi = (self.low - 1.0) * 100.0, (self.high - 1.0) * 100.0
        where = (
            f"since {self.since} ({self.created[:10]})"
            if self.since
            else (f"since {self.created[:10]}")
        )
        return f"p50 {pct:+.0f}% [{lo:+.0f}%, {hi:+.0f}%] {where}"


@dataclass
class Trend:
    model: str
    profile: str
    inputs: str
    profile_key: str
    """The profile's settings (name and description left out), as the group key holds them."""
    points: list[TrendPoint] = field(default_factory=list)

    def changes(self) -> list[tuple[int, str]]:
        """(index, what changed) for every point where ORT, the model file or machine changed."""
        out = []
        for i in range(1, len(self.points)):
            what = change_between(self.points[i - 1], self.points[i])
            if what:
                out.append((i, what))
        return out

    def step(self) -> Step | None:
        found = find_step([math.log(p.p50_ms) for p in self.points])
        if found is None:
            return None
        index, ratio, low, high, p_value = found
        since = change_between(self.points[index - 1], self.points[index])
        return Step(index, ratio, low, high, p_value, since, self.points[index].created)


def change_between(a: TrendPoint, b: TrendPoint) -> str:
    parts = []
    if a.ort_version != b.ort_version:
        parts.append(f"ORT {b.ort_version}")
    if a.model_sha256 != b.model_sha256:
        parts.append(f"model {b.model_sha256[:12]}")
    if a.machine != b.machine:
        parts.append(f"machine {b.machine}")
    return ", ".join(parts)


def _welch(before: np.ndarray, after: np.ndarray) -> tuple[float, float, int]:
    """(difference of means, its standard error, Welch degrees of freedom rounded down)."""
    vb, va = before.var(ddof=1) / before.size, after.var(ddof=1) / after.size
    se = math.sqrt(vb + va)
    if se == 0:
        return float(after.mean() - before.mean()), 0.0, before.size + after.size - 2
    df = (vb + va) ** 2 / (vb**2 / (before.size - 1) + va**2 / (after.size - 1))
    return float(after.mean() - before.mean()), se, max(1, math.floor(df))


def max_t(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `rows` (series), the largest Welch |t| over the candidate splits and the
    split where it is; cumulative sums make every split of every row one array operation."""
    n = rows.shape[1]
    ks = np.arange(MIN_SIDE, n - MIN_SIDE + 1)
    s1 = np.cumsum(rows, axis=1)
    s2 = np.cumsum(rows * rows, axis=1)
    tot1, tot2 = s1[:, -1:], s2[:, -1:]
    b1, b2 = s1[:, ks - 1], s2[:, ks - 1]
    a1, a2 = tot1 - b1, tot2 - b2
    nb, na = ks.astype(float), (n - ks).astype(float)
    mean_b, mean_a = b1 / nb, a1 / na
    var_b = np.maximum(b2 - b1 * mean_b, 0.0) / (nb - 1)
    var_a = np.maximum(a2 - a1 * mean_a, 0.0) / (na - 1)
    se = np.sqrt(var_b / nb + var_a / na)
    diff = np.abs(mean_a - mean_b)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, diff / se, np.where(diff > 0, np.inf, 0.0))
    where = np.argmax(t, axis=1)
    return t[np.arange(rows.shape[0]), where], ks[where]


def find_step(
    log_values: Sequence[float], permutations: int = PERMUTATIONS
) -> tuple[int, float, float, float, float] | None:
    """(index, ratio, low, high, p) of the step the rule names, or None."""
    x = np.asarray(log_values, dtype=float)
    if x.size < 2 * MIN_SIDE or not np.all(np.isfinite(x)):
        return None
    # Seeded by the data: the same history always gets the same answer.
    seed = int.from_bytes(hashlib.sha256(x.tobytes()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.broadcast_to(x, (permutations, x.size)), axis=1)
    best, where = max_t(np.vstack([x, shuffled]))
    observed, k = float(best[0]), int(where[0])
    p_value = (1 + int(np.sum(best[1:] >= observed))) / (1 + permutations)
    diff, se, df = _welch(x[:k], x[k:])
    ratio = math.exp(diff)
    if p_value > ALPHA or abs(ratio - 1.0) < MIN_STEP:
        return None
    half = t_quantile(0.975, df) * se
    return k, ratio, math.exp(diff - half), math.exp(diff + half), p_value


def profile_key(profile: dict[str, Any]) -> str:
    settings = {k: v for k, v in profile.items() if k not in ("name", "description")}
    return json.dumps(settings, sort_keys=True)


def _inputs_key(result: RunResult) -> str:
    return ", ".join(
        f"{i.name} {'x'.join(str(d) for d in given(i.shape, []))}" for i in given(result.inputs, [])
    )


def trends(results: list[tuple[Path, RunResult]]) -> list[Trend]:
    """Finished runs grouped by model + profile settings + input shapes, oldest first."""
    groups: dict[tuple[str, str, str], Trend] = {}
    for path, r in sorted(results, key=lambda pr: given(pr[1].created, "")):
        if r.run_status() != "ok":
            continue
        p50 = given(r.latency_ms.p50, None)
        if p50 is None or p50 <= 0:
            continue
        model = r.model_name()
        key = (model, profile_key(r.profile), _inputs_key(r))
        trend = groups.setdefault(key, Trend(model, r.profile_name(), key[2], key[1]))
        hw = given(r.hardware, HardwareRecord())
        trend.points.append(
            TrendPoint(
                created=given(r.created, ""),
                p50_ms=float(p50),
                p99_ms=float(given(r.latency_ms.p99, None) or math.nan),
                ort_version=given(hw.ort_version, ""),
                model_sha256=given(r.model.sha256, ""),
                machine=given(r.host, "") or given(hw.cpu_model, None) or "",
                path=path,
            )
        )
    return list(groups.values())


def trend_json(trend: Trend) -> dict[str, Any]:
    step = trend.step()
    return {
        "model": trend.model,
        "profile": trend.profile,
        "inputs": trend.inputs,
        "points": [
            {
                "created": p.created,
                "p50_ms": p.p50_ms,
                "p99_ms": p.p99_ms,
                "ort_version": p.ort_version,
                "model_sha256": p.model_sha256,
                "machine": p.machine,
                "path": str(p.path) if p.path else None,
            }
            for p in trend.points
        ],
        "changes": [{"index": i, "what": what} for i, what in trend.changes()],
        "step": None
        if step is None
        else {
            "index": step.index,
            "ratio": step.ratio,
            "ci": [step.low, step.high],
            "p_value": step.p_value,
            "since": step.since,
            "created": step.created,
            "text": step.sentence(),
        },
    }


def trend_lines(trend: Trend) -> list[str]:
    step = trend.step()
    changes = dict(trend.changes())
    top = max(p.p50_ms for p in trend.points)
    lines = [
        f"{printable(trend.model, one_line=True)}  ·  "
        f"profile {printable(trend.profile, one_line=True)}"
        + (f"  ·  inputs {printable(trend.inputs, one_line=True)}" if trend.inputs else "")
        + f"  ·  {len(trend.points)} runs"
    ]
    rows = [("created", "p50", "p99", "", "ORT", "changed")]
    for i, p in enumerate(trend.points):
        bar = "█" * max(1, round(20 * p.p50_ms / top))
        mark = changes.get(i, "")
        if step is not None and i == step.index:
            mark = f"STEP {mark}".strip()
        rows.append(
            (p.created[:19], format_ms(p.p50_ms), format_ms(p.p99_ms), bar, p.ort_version, mark)
        )
    lines += aligned_table(rows, {1, 2}, indent="  ")
    if step is not None:
        lines.append(f"step: {step.sentence()} (permutation p = {step.p_value:.3f})")
    else:
        lines.append("step: none (the trend rule names none; see README, History and trends)")
    return [line.rstrip() for line in lines]
