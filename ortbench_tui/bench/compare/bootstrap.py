"""The statistics of a comparison: the ratio of medians, its bootstrap CI, and the verdict.

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

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_MARGIN = 0.01
DEFAULT_REPS = 2000
SKETCH_POINTS = 32
"""Each block enters the bootstrap as this many of its quantiles (the exact medians are
computed from all samples; the sketch only keeps the resampling fast)."""
CHUNKS_PER_RUN = 20
"""Contiguous chunks a sequential run is cut into for the bootstrap."""
MIN_UNITS = 4
VERDICTS = ("faster", "slower", "no clear difference", "equal within margin")
"""The last only from `--until-decided` (a fixed-length CI wholly inside the margin is still
reported as "no clear difference": its 95% was not planned for that question)."""


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
        medians: np.ndarray = np.median(picked.reshape(reps, -1), axis=1)
        return medians
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


def describe_method(
    paired: bool, sessions: int, units: int, reps: int, units_text: str | None = None
) -> str:
    """The CI's method in words, for every output that shows a CI. `units_text` replaces the
    count of rounds or chunks where it differs from one CI to the next (a sweep's rounds)."""
    count = units_text or str(units)
    unit = (
        f"{count} interleaved rounds resampled as pairs"
        if paired
        else f"{count} contiguous chunks per run resampled"
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
