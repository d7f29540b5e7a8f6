"""Confidence intervals of a response-time percentile, the SLO decision, and profile verdicts.

Response times in a queue are correlated: a slow request makes the ones behind it slow too.
So the resampling unit is a contiguous chunk of requests (in arrival order), as `compare`
cuts a sequential run (`compare.bootstrap.CHUNKS_PER_RUN` chunks), and the interval is the
project's rule (`level_bootstrap.Spread`): the exact log estimate (from all requests) plus or
minus Student's t (chunks - 1 degrees of freedom) times the bootstrap's spread, corrected for
its n / (n - 1) shrinkage. A chunk must be longer than the queue's busy periods for the
chunks to be near independent; at a step of 10 s and 20 chunks a chunk is half a second,
hundreds of service times at any rate the queue sustains.

Two profiles measured under the same schedule see the same requests at the same times, so
their chunks are resampled as pairs (the same arrival bursts hit both sides of a resample):
the ratio B / A of their percentiles gets a CI and the comparisons' verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..compare.bootstrap import CHUNKS_PER_RUN, DEFAULT_MARGIN, verdict
from ..level_bootstrap import MIN_CI_ROUNDS, Spread

REPS = 400
LEVEL = 0.95


def _tails(values: np.ndarray, pct: float, chunks: int) -> tuple[np.ndarray, int] | None:
    """Each chunk's largest values, as many as the pooled percentile can need, descending;
    and the percentile's rank from the top in a pool of all chunks."""
    x = np.asarray(values, dtype=np.float64)
    k = min(chunks, x.size // 20)
    if k < MIN_CI_ROUNDS:
        return None
    m = x.size // k
    blocks = x[: k * m].reshape(k, m)
    n = k * m
    rank_top = max(1, n - (math.ceil(pct / 100.0 * n) - 1))
    keep = min(m, rank_top)
    tails = -np.sort(-blocks, axis=1)[:, :keep]
    return tails, rank_top


def _pooled(tails: np.ndarray, rank_top: int, sel: np.ndarray) -> float:
    pool = tails[sel].ravel()
    at = pool.size - rank_top
    return float(np.partition(pool, at)[at])


def percentile_spread(
    values_ns: np.ndarray, pct: float, chunks: int = CHUNKS_PER_RUN, reps: int = REPS, seed: int = 0
) -> Spread | None:
    """The spread of one percentile of a step's response times (in request order)."""
    t = _tails(values_ns, pct, chunks)
    if t is None:
        return None
    tails, rank_top = t
    k = tails.shape[0]
    rng = np.random.default_rng(seed)
    exact = float(np.percentile(np.asarray(values_ns, dtype=np.float64), pct))
    if exact <= 0:
        return None
    logs = np.log(
        [_pooled(tails, rank_top, np.asarray(rng.integers(0, k, size=k))) for _ in range(reps)]
    )
    sd = float(np.std(logs, ddof=1)) * math.sqrt(k / (k - 1))
    return Spread(math.log(exact), sd, 0.0, k, 0)


def ratio_spread(
    a_ns: np.ndarray, b_ns: np.ndarray, pct: float, chunks: int = CHUNKS_PER_RUN,
    reps: int = REPS, seed: int = 0,
) -> Spread | None:  # fmt: skip
    """The spread of percentile(b) / percentile(a), chunks paired by request index (both
    measured under the same schedule)."""
    n = min(a_ns.size, b_ns.size)
    ta, tb = _tails(a_ns[:n], pct, chunks), _tails(b_ns[:n], pct, chunks)
    if ta is None or tb is None:
        return None
    k = ta[0].shape[0]
    rng = np.random.default_rng(seed)
    pa = float(np.percentile(np.asarray(a_ns, dtype=np.float64), pct))
    pb = float(np.percentile(np.asarray(b_ns, dtype=np.float64), pct))
    if pa <= 0 or pb <= 0:
        return None
    logs = []
    for _ in range(reps):
        sel = np.asarray(rng.integers(0, k, size=k))
        logs.append(math.log(_pooled(*tb, sel) / _pooled(*ta, sel)))
    sd = float(np.std(logs, ddof=1)) * math.sqrt(k / (k - 1))
    return Spread(math.log(pb / pa), sd, 0.0, k, 0)


@dataclass(frozen=True)
class SloDecision:
    """One step against the SLO: the percentile, its 95% CI, and what it says."""

    percentile_ms: float | None
    ci_ms: tuple[float, float] | None
    outcome: str
    """met | not met | undecided"""
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "percentile_ms": self.percentile_ms,
            "ci_ms": list(self.ci_ms) if self.ci_ms else None,
            "outcome": self.outcome,
            "reason": self.reason,
        }


def judge_step(
    response_ns: np.ndarray, pct: float, bound_ms: float, kept_up: bool, seed: int = 0
) -> SloDecision:
    """met when the whole CI lies at or under the bound, not met when it lies above it or the
    queue grew (the rate is above capacity: its percentiles only grow with the step's length),
    else undecided."""
    if response_ns.size == 0:
        return SloDecision(None, None, "not met", "no request was served")
    exact = float(np.percentile(response_ns.astype(np.float64), pct)) / 1e6
    if not kept_up:
        return SloDecision(exact, None, "not met", "could not keep up (the queue grew)")
    spread = percentile_spread(response_ns, pct, seed=seed)
    if spread is None:
        return SloDecision(exact, None, "undecided", "too few requests for a CI")
    lo, hi = spread.interval(LEVEL)
    ci = (lo / 1e6, hi / 1e6)
    if ci[1] <= bound_ms:
        return SloDecision(exact, ci, "met", "the 95% CI lies under the bound")
    if ci[0] > bound_ms:
        return SloDecision(exact, ci, "not met", "the 95% CI lies above the bound")
    return SloDecision(exact, ci, "undecided", "the 95% CI straddles the bound")


@dataclass(frozen=True)
class RatioVerdict:
    rate: float
    a_ms: float
    b_ms: float
    ratio: float
    ci: tuple[float, float] | None
    verdict: str

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["ci"] = list(self.ci) if self.ci else None
        return d


def compare_percentile(
    rate: float, a_ns: np.ndarray, b_ns: np.ndarray, pct: float, margin: float = DEFAULT_MARGIN
) -> RatioVerdict:
    """B against A at one rate: the ratio of their response-time percentiles and a verdict."""
    pa = float(np.percentile(a_ns.astype(np.float64), pct)) / 1e6 if a_ns.size else math.nan
    pb = float(np.percentile(b_ns.astype(np.float64), pct)) / 1e6 if b_ns.size else math.nan
    spread = ratio_spread(a_ns, b_ns, pct)
    if spread is None:
        return RatioVerdict(rate, pa, pb, pb / pa, None, "too few requests for a CI")
    lo, hi = spread.interval(LEVEL)
    return RatioVerdict(rate, pa, pb, pb / pa, (lo, hi), verdict(lo, hi, margin))
