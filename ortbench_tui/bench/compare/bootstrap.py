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
* The interval is `level_bootstrap`'s at level 0.95, the very code `--until-decided` and
  `--until-ci` use at their own levels: the exact log estimate (from all samples) plus or
  minus Student's t times the bootstrap's standard deviation, split into a rounds part (t
  with rounds - 1 degrees of freedom) and a sessions part (t with the sessions' degrees of
  freedom), each corrected for the bootstrap's n / (n - 1) shrinkage. Percentiles of the
  resamples were used before; with few rounds the t quantile makes the interval a little
  wider than they did (10 rounds: 2.26 in place of 1.96).
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

import numpy as np

from ..level_bootstrap import (
    BOOTSTRAP_REPS,
    LOOK_REPS,
    MIN_CI_ROUNDS,
    median_spread,
    ratio_spread,
    sketch_block,
    t_quantile,
)
from ..level_bootstrap import SKETCH_POINTS as SKETCH_POINTS
from ..verdict import Verdict, judge

DEFAULT_MARGIN = 0.01
LEVEL = 0.95
CHUNKS_PER_RUN = 20
"""Contiguous chunks a sequential run is cut into for the bootstrap."""
MIN_UNITS = MIN_CI_ROUNDS
VERDICTS = tuple(v.value for v in (Verdict.FASTER, Verdict.SLOWER, Verdict.NO_CLEAR, Verdict.EQUAL))
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
    calls_alternated: bool = False
    """Interleaved call by call: session i of every profile took turns with the others' i-th
    sessions, call by call, so the i-th sessions are resampled together."""

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


def _sketches(s: SampleSet, rounds: int, points: int) -> np.ndarray:
    """(sessions, rounds, points): the first `rounds` blocks of each session, each block as
    `points` quantiles (`level_bootstrap.sketch_block`)."""
    return np.stack(
        [np.stack([sketch_block(block, points) for block in x[:rounds]]) for x in s.sessions]
    )


def t_975(df: int) -> float:
    """Student's t, 97.5th percentile (the quantile a 95% CI uses for `df` degrees of freedom)."""
    return t_quantile(0.975, df)


@dataclass
class Interval:
    low: float
    high: float
    method: str


def _points(*sets: SampleSet) -> int:
    return min(SKETCH_POINTS, *(int(x.shape[1]) for s in sets for x in s.sessions))


def bootstrap_ratio(
    a: SampleSet, b: SampleSet, reps: int = BOOTSTRAP_REPS, seed: int = 0
) -> Interval | None:
    """95% CI of median(b) / median(a); None when there is too little to resample."""
    if not a.sessions or not b.sessions:
        return None
    paired = a.paired and b.paired and a.run_id == b.run_id and a.run_id != ""
    units = min(a.rounds, b.rounds)
    if units < MIN_CI_ROUNDS:
        return None
    q = _points(a, b)
    exact = math.log(np.median(b.flat()) / np.median(a.flat()))
    together = (
        paired and a.calls_alternated and b.calls_alternated and len(a.sessions) == len(b.sessions)
    )
    spread = ratio_spread(
        _sketches(a, units, q),
        _sketches(b, units, q),
        exact,
        reps,
        np.random.default_rng(seed),
        paired=paired,
        paired_sessions=together,
    )
    low, high = spread.interval(LEVEL)
    method = describe_method(
        paired, min(len(a.sessions), len(b.sessions)), units, reps, sessions_paired=together
    )
    return Interval(low, high, method)


def bootstrap_median(s: SampleSet, reps: int = LOOK_REPS, seed: int = 0) -> Interval | None:
    """95% CI of one profile's median (ms), with the same resampling (sessions, then blocks)."""
    if not s.sessions or s.rounds < MIN_CI_ROUNDS:
        return None
    q = _points(s)
    spread = median_spread(
        _sketches(s, s.rounds, q),
        math.log(np.median(s.flat())),
        reps,
        np.random.default_rng(seed),
        paired=s.paired,
    )
    low, high = spread.interval(LEVEL)
    return Interval(
        low / 1e6, high / 1e6, describe_method(s.paired, len(s.sessions), s.rounds, reps)
    )


def describe_method(
    paired: bool,
    sessions: int,
    units: int,
    reps: int,
    units_text: str | None = None,
    sessions_paired: bool = False,
) -> str:
    """The CI's method in words, for every output that shows a CI. `units_text` replaces the
    count of rounds or chunks where it differs from one CI to the next (a sweep's rounds);
    `sessions_paired`: the profiles' i-th sessions took turns call by call and are drawn
    together."""
    count = units_text or str(units)
    unit = (
        f"{count} interleaved rounds resampled as pairs"
        if paired
        else f"{count} contiguous chunks per run resampled"
    )
    if sessions > 1 and sessions_paired:
        sess = (
            f"{sessions} sessions per profile resampled in pairs (one of each profile, "
            "their calls alternated)"
        )
        parts = "rounds and sessions parts"
    elif sessions > 1:
        sess = f"{sessions} sessions per profile resampled"
        parts = "rounds and sessions parts"
    else:
        sess = "1 session per profile (session-to-session differences are not in the CI)"
        parts = "rounds"
    return (
        f"hierarchical bootstrap, {reps} resamples: {sess}, {unit}; 95% CI = estimate "
        f"± Student t × the bootstrap's spread ({parts}, each with its own degrees of "
        "freedom), the same rule --until-decided and --until-ci use"
    )


def verdict(low: float, high: float, margin: float = DEFAULT_MARGIN) -> Verdict:
    """faster / slower / no clear difference, for a fixed-length 95% CI of B / A
    (`verdict.judge`; equal within margin is not a verdict a single unplanned CI gives)."""
    return judge(low, high, margin)
