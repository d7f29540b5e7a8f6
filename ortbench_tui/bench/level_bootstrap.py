"""Block-bootstrap confidence intervals of a median, or of a ratio of medians, at any level.

The resampling is the one `compare` uses (see its module docstring): each profile's samples
are kept as sessions of blocks taken in rounds, every block enters as a small quantile sketch,
rounds are resampled as pairs across profiles (drift between rounds hits both sides alike)
and sessions are resampled per profile. What differs is the last step, because adaptive
stopping needs levels such as 99.3% and not only 95%:

* The interval is the exact log estimate plus or minus a quantile times the bootstrap's
  standard deviation, not the percentiles of the resamples. Percentile tails at 99%+ would
  need tens of thousands of resamples to be stable; the spread is stable with a few hundred,
  and the log of a ratio of medians is close to normal.
* The spread is split, as in `compare`, into a rounds part (sessions held fixed) and a
  sessions part. Each is corrected for the bootstrap's n / (n - 1) shrinkage and gets
  Student's t for its own number of clusters (rounds - 1, sessions - 1 degrees of freedom)
  instead of the normal quantile: at 99%+ and ten rounds the normal quantile would cover
  far less than it claims, which would break the error guarantee of the stopping rule.

Assumption, as in `compare`: a block is longer than the stream's correlation time, so the
rounds are close to independent once drift shared by both profiles is paired away (the
interleaved runner's blocks are ~50 ms). Blocks shorter than that make every CI too narrow.

A stream with no rounds (one `run`) is the special case of one profile, one session, and
contiguous chunks of the stream as its rounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

SKETCH_POINTS = 16
"""Quantiles a block is reduced to (the exact estimate always comes from all samples)."""
MIN_CI_ROUNDS = 4
"""The fewest rounds a CI is made of: with fewer, t with rounds - 1 degrees of freedom is so wide
(t(0.975, 2) = 4.3) that no CI could say anything."""
BLOCK_SECONDS = 0.05
"""Timed runs per block: ~50 ms of them, in interleaved comparisons and `run --until-ci` alike.
Long enough that a block's median is not one scheduler tick's noise, short enough that a few
seconds give the tens of rounds a CI needs (shorter blocks make every CI too narrow, above)."""

# Bootstrap repetitions. The CI is t times the bootstrap's standard deviation, whose relative
# Monte Carlo error with B repetitions is about 1 / sqrt(2 B): 1.6% at 2000, 2.2% at 1000,
# 3.5% at 400. Each value is the cheapest that keeps that error small beside its use.
BOOTSTRAP_REPS = 2000
"""A CI that is reported as the answer (compare, offline or live): 1.6% on its width."""
LOOK_REPS = 1000
"""A CI recomputed many times in one job: every look of `--until-decided` and `--until-ci`,
every row of practices, a median's CI (2.2%; the rule's alpha spending, not this, sets the
error rate)."""
HALVING_REPS = 400
"""Sweep's halving: every candidate's CIs in every round and at every look (3.5%); a round
only has to drop clear losers, and its ranking is by the exact medians, not by the CIs."""
_CHUNK_ELEMENTS = 4_000_000
"""Resamples are drawn in slices of about this many numbers, to bound memory."""


def t_quantile(p: float, df: int) -> float:
    """Quantile p (above 0.5) of Student's t with integer `df`, by bisection on its exact CDF."""
    if df < 1:
        return math.inf
    if df > 300:
        return NormalDist().inv_cdf(p)
    target = 2.0 * p - 1.0  # P(|T| < t)
    lo, hi = 0.0, 1.0
    while _t_central(hi, df) < target:
        hi *= 2.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if _t_central(mid, df) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def _t_central(t: float, df: int) -> float:
    """P(|T| < t) for integer df: the finite sums of Abramowitz & Stegun 26.7.3-4."""
    theta = math.atan(t / math.sqrt(df))
    c2 = math.cos(theta) ** 2
    s = math.sin(theta)
    if df % 2 == 1:
        term, total = 1.0, 1.0 if df > 1 else 0.0
        for k in range(1, (df - 1) // 2):
            term *= c2 * (2 * k) / (2 * k + 1)
            total += term
        return (2.0 / math.pi) * (theta + s * math.cos(theta) * total)
    term, total = 1.0, 1.0
    for k in range(1, df // 2):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return s * total


def sketch_block(block_ns: np.ndarray, points: int = SKETCH_POINTS) -> np.ndarray:
    """A block of samples as `points` evenly spaced quantiles (interpolated if it is shorter,
    so every block of a stream has the same shape whatever its length)."""
    x = np.sort(np.asarray(block_ns, dtype=np.float64).ravel())
    if x.size == points:
        return x
    if x.size < 2:
        return np.full(points, x[0]) if x.size else np.zeros(points)
    # np.quantile's linear rule, written out: ten times faster on one small block.
    pos = (np.arange(points) + 0.5) / points * (x.size - 1)
    i = np.minimum(pos.astype(np.int64), x.size - 2)
    out: np.ndarray = x[i] + (pos - i) * (x[i + 1] - x[i])
    return out


@dataclass(frozen=True)
class Spread:
    """A bootstrap's view of one log estimate; `interval(level)` turns it into a CI."""

    log_estimate: float
    """Exact: from all samples."""
    sd_rounds: float
    """Standard deviation from resampling rounds only, corrected for n / (n - 1)."""
    sd_sessions: float
    """The rest of the spread (zero with one session per profile), corrected likewise."""
    rounds: int
    session_df: int
    """Degrees of freedom of the sessions part (0 when there is none)."""

    def log_interval(self, level: float) -> tuple[float, float]:
        p = 0.5 + level / 2.0
        half = self.sd_rounds * t_quantile(p, self.rounds - 1)
        if self.sd_sessions > 0:
            half = math.hypot(half, self.sd_sessions * t_quantile(p, self.session_df))
        return self.log_estimate - half, self.log_estimate + half

    def interval(self, level: float) -> tuple[float, float]:
        """(low, high) of the estimate on its own scale, at confidence `level`."""
        lo, hi = self.log_interval(level)
        return math.exp(lo), math.exp(hi)

    @property
    def estimate(self) -> float:
        return math.exp(self.log_estimate)


def _resampled_medians(
    sketches: list[np.ndarray],
    reps: int,
    rng: np.random.Generator,
    resample_sessions: bool,
    paired: bool = True,
    generations: int = 1,
    paired_sessions: bool = False,
) -> list[np.ndarray]:
    """Median of each of `reps` resamples, per profile. Paired: one draw of rounds is shared
    by every profile and session (blocks taken at the same time stay together); unpaired
    (runs made one after the other): each session draws its own chunks. Sessions are drawn
    per profile (`paired_sessions`: one draw for all profiles, session i with session i),
    or kept as they are. With `generations` (sessions retired and created in turn,
    generation-major along the sessions axis), each generation draws its own rounds, shared
    by the profiles' sessions of that generation (they ran at the same time)."""
    rounds = sketches[0].shape[1]
    per_rep = max(s.size for s in sketches)
    step = max(1, min(reps, _CHUNK_ELEMENTS // per_rep))
    out = [np.empty(reps) for _ in sketches]
    for start in range(0, reps, step):
        n = min(step, reps - start)
        shared = rng.integers(0, rounds, (n, generations, rounds))
        per_pair = sketches[0].shape[0] // generations
        # drawn only when used: the unpaired resamples stay what they were for a given seed
        shared_slots = (
            rng.integers(0, per_pair, (n, generations, per_pair)) if paired_sessions else None
        )
        for j, sk in enumerate(sketches):
            sessions = sk.shape[0]
            per_gen = sessions // generations
            if resample_sessions and sessions > 1:
                # Sessions are drawn within their own generation: every generation stays in
                # every resample, so drift between generations (which hit all profiles
                # alike) stays paired away.
                slots = (
                    shared_slots
                    if shared_slots is not None
                    else rng.integers(0, per_gen, (n, generations, per_gen))
                )
                s = (np.arange(generations)[None, :, None] * per_gen + slots).reshape(n, sessions)
            else:
                s = np.broadcast_to(np.arange(sessions), (n, sessions))
            by_gen = np.repeat(shared, per_gen, axis=1)
            k = by_gen if paired else rng.integers(0, rounds, (n, sessions, rounds))
            picked = sk[s[:, :, None], k]  # (n, S, K, Q)
            out[j][start : start + n] = np.median(picked.reshape(n, -1), axis=1)
    return out


def _spread(
    log_dev_total: np.ndarray, log_dev_rounds: np.ndarray, rounds: int, sessions: int
) -> tuple[float, float]:
    """(rounds part, sessions part) of the spread, each corrected for the bootstrap's
    n / (n - 1) shrinkage; `sessions`: those a session is drawn among (per generation)."""
    v_tot = float(np.var(log_dev_total))
    v_rounds = min(float(np.var(log_dev_rounds)), v_tot)
    v_sess = v_tot - v_rounds
    v_rounds *= rounds / (rounds - 1)
    if sessions > 1:
        v_sess *= sessions / (sessions - 1)
    return math.sqrt(v_rounds), math.sqrt(v_sess)


def _check(sketches: list[np.ndarray], generations: int = 1) -> int:
    rounds = sketches[0].shape[1]
    if any(s.ndim != 3 or s.shape[1] != rounds for s in sketches):
        raise ValueError("sketches must be (sessions, rounds, points) with the same rounds")
    if generations < 1 or any(s.shape[0] % generations for s in sketches):
        raise ValueError(f"sessions must come in {generations} generations of equal size")
    if rounds < MIN_CI_ROUNDS:
        raise ValueError(f"need at least {MIN_CI_ROUNDS} rounds, got {rounds}")
    return int(rounds)


def ratio_spread(
    a: np.ndarray,
    b: np.ndarray,
    exact_log_ratio: float | None = None,
    reps: int = LOOK_REPS,
    rng: np.random.Generator | None = None,
    paired: bool = True,
    generations: int = 1,
    paired_sessions: bool = False,
) -> Spread:
    """Bootstrap spread of log(median(b) / median(a)) from (sessions, rounds, points)
    sketches: paired rounds, or (`paired=False`) chunks of runs made one after the other.
    `exact_log_ratio` (from all samples) centres it; else the sketches do. `generations`:
    the sessions axis holds that many generations of sessions, one after the other in time,
    each measured for `rounds` rounds (`stopping`'s recycled sessions): every generation's
    rounds are their own, so the rounds part has generations x rounds of them.

    `paired_sessions`: a's session i and b's session i were measured together (their calls
    alternated, `interleave.alternates_calls`), so they are drawn together: what the machine
    did to that pair's stretch of each round hits both and cancels. Each pair is still an
    independent draw of both sessions' own effects, so those stay in the spread; the
    sessions part then has one degree of freedom per pair (less one per generation)."""
    per_gen = _check([a, b], generations)
    if paired_sessions and a.shape[0] != b.shape[0]:
        raise ValueError("paired sessions need as many sessions of each profile")
    rounds = per_gen * generations
    rng = rng if rng is not None else np.random.default_rng(0)
    centre = math.log(float(np.median(b)) / float(np.median(a)))
    ma, mb = _resampled_medians([a, b], reps, rng, True, paired, generations, paired_sessions)
    total = np.log(mb / ma) - centre
    sessions = min(a.shape[0], b.shape[0]) // generations
    if sessions > 1:
        fa, fb = _resampled_medians([a, b], max(200, reps // 2), rng, False, paired, generations)
        rounds_only = np.log(fb / fa) - centre
    else:
        rounds_only = total
    sd_r, sd_s = _spread(total, rounds_only, rounds, sessions)
    est = centre if exact_log_ratio is None else exact_log_ratio
    # Degrees of freedom for the sessions part: both profiles' sessions, as in `compare`,
    # less one per generation and profile (sessions are compared within their generation);
    # paired, one per pair less one per generation.
    if paired_sessions:
        df = a.shape[0] - generations
    else:
        df = a.shape[0] + b.shape[0] - 2 * generations
    return Spread(est, sd_r, sd_s, rounds, df if sessions > 1 else 0)


def median_spread(
    x: np.ndarray,
    exact_log_median: float | None = None,
    reps: int = LOOK_REPS,
    rng: np.random.Generator | None = None,
    paired: bool = True,
) -> Spread:
    """Bootstrap spread of log(median) from (sessions, rounds, points) sketches (`paired`:
    the sessions' rounds were taken together, see `ratio_spread`)."""
    rounds = _check([x])
    rng = rng if rng is not None else np.random.default_rng(0)
    centre = math.log(float(np.median(x)))
    (m,) = _resampled_medians([x], reps, rng, True, paired)
    total = np.log(m) - centre
    sessions = x.shape[0]
    if sessions > 1:
        (f,) = _resampled_medians([x], max(200, reps // 2), rng, False, paired)
        rounds_only = np.log(f) - centre
    else:
        rounds_only = total
    sd_r, sd_s = _spread(total, rounds_only, rounds, sessions)
    est = centre if exact_log_median is None else exact_log_median
    return Spread(est, sd_r, sd_s, rounds, sessions - 1)
