"""Stop measuring when the answer is known, without letting the repeated looks lie.

Comparison (`compare --until-decided`, and per row in sweep and practices)
--------------------------------------------------------------------------
The rounds of an interleaved comparison are looked at on a geometric schedule fixed before
the first round: after `first` rounds, then each time the round count has doubled, and at
the budget's last round (`plan_looks`). At look k the CI of B / A is computed at level
1 - alpha / K, K being the number of looks the budget allows (Bonferroni's alpha spending,
the same share at every look, as Pocock's design). The comparison stops at the first look
where the verdict is decided (`decide`):

* "slower" / "faster": the CI lies wholly beyond +-margin;
* "equal within margin": the CI lies wholly inside it;
* otherwise it goes on, and when the budget runs out the verdict is "no clear difference",
  with the CI reached and the rounds deciding would likely take (`eta_to_decide`).

Guarantee: whatever the true ratio, the probability that *any* look's CI misses it is at
most the sum of the looks' shares, alpha (union bound; it holds however strongly the looks
are correlated, given that each CI has its stated coverage). Every wrong verdict needs a CI
that misses the truth (a "faster" for a true ratio inside the margin, an "equal" for one
outside it), so the family-wise error over all looks is at most alpha = 5%: A against A
says "faster" or "slower" at most 5% of the time, however long it runs. The price: each
look's CI is wider than a plain 95% CI (99.2% for six looks), so a decision needs ~1.8x the
rounds a single look at a fixed sample size would; the geometric schedule keeps K small
(a budget 32 times the first look gives 6 looks) and the overshoot past the decisive round
below 2x. Looking at a plain 95% CI after every round instead, and stopping when it looks
good, calls A against A "different" several times as often (see the tests).

A budget given in seconds is turned into rounds up front (`max_rounds_for`); if time runs
out first, `finish` makes one last look, spending the share of a look that will not happen.

Sessions sampled (`generation_rounds`): `compare --until-decided` retires its sessions every
few rounds and creates fresh ones (`interleave`), because one ORT session of a profile is
faster than another for its whole life. Each complete generation's sessions then enter the
bootstrap as sessions of their own, each generation with its own rounds
(`level_bootstrap.ratio_spread(generations=)`), so the sessions part of the CI rests on every
session measured so far; the first look comes after one generation.

One core (`SequentialRule`)
---------------------------
Every sequential rule is built on `SequentialRule`: the blocks of each stream (a sketch and
the raw samples of each block, one block per session), the look schedule (`LookPlan`:
`plan_looks`'s fixed looks, or `open_looks`' open-ended ones), each look's level, the
bootstrap's generator and the ETA's pace. The comparison here, the CI width of `run
--until-ci` (`ci_stop`) and a sweep's halving round (`sweep.decide`) each say only what
their look computes and what stops them; every verdict comes from `verdict.judge`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from .block_median import BlockMedian
from .level_bootstrap import (
    LOOK_REPS,
    MIN_CI_ROUNDS,
    SKETCH_POINTS,
    Spread,
    ratio_spread,
    sketch_block,
)
from .undecided import Undecided, why_undecided
from .verdict import Verdict, judge

DEFAULT_ALPHA = 0.05
DEFAULT_MARGIN = 0.01
"""The smallest difference worth a verdict; the same as `compare.DEFAULT_MARGIN`."""
FIRST_LOOK_ROUNDS = 10
"""The first look: fewer rounds give a t quantile so wide no verdict could come of it."""
LOOK_GROWTH = 2.0
DEFAULT_DECIDE_BUDGET_S = 120.0
"""`compare --until-decided` without `--max-duration`."""

FASTER, SLOWER, EQUAL = Verdict.FASTER, Verdict.SLOWER, Verdict.EQUAL
UNDECIDED, NO_CLEAR = Verdict.UNDECIDED, Verdict.NO_CLEAR
DECIDED = (FASTER, SLOWER, EQUAL)


# --- the rule --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookPlan:
    """Block counts at which the CI is looked at, fixed before the first block: `rounds`, and
    with `growth` an open-ended schedule that goes on after them, each time the count has
    grown by that factor. A fixed plan spends alpha / looks per look (Bonferroni); an open
    one spends nothing per look (a rule that stops on the CI's width): every look at 1 - alpha.
    """

    rounds: tuple[int, ...]
    alpha: float = DEFAULT_ALPHA
    growth: float | None = None

    @property
    def looks(self) -> int:
        """The fixed plan's looks (an open-ended plan has no last one)."""
        return len(self.rounds)

    def level(self, k: int) -> float:
        """Confidence level of look k (1-based)."""
        return 1.0 - self.alpha if self.growth else level_at_look(k, self.looks, self.alpha)

    def is_look(self, n: int) -> bool:
        """Whether the CI is looked at when the n-th block has come."""
        if not self.growth or n <= self.rounds[-1]:
            return n in self.rounds
        at = self.rounds[-1]
        while at < n:
            at = grown(at, self.growth)
        return at == n


def grown(n: int, growth: float) -> int:
    """The look after one at n blocks: n times growth, at least one block on."""
    return max(n + 1, math.ceil(n * growth))


def plan_looks(
    max_rounds: int,
    first: int = FIRST_LOOK_ROUNDS,
    growth: float = LOOK_GROWTH,
    alpha: float = DEFAULT_ALPHA,
) -> LookPlan:
    """Looks at `first`, `first * growth`, ... and at `max_rounds`, the budget's end."""
    first = max(first, MIN_CI_ROUNDS)
    if max_rounds < first:
        return LookPlan((max(max_rounds, MIN_CI_ROUNDS),), alpha)
    looks: list[int] = []
    n = first
    while n < max_rounds:
        looks.append(n)
        n = grown(n, growth)
    # A last scheduled look just short of the budget's end would spend alpha for nothing.
    if looks and max_rounds < looks[-1] * math.sqrt(growth):
        looks.pop()
    looks.append(max_rounds)
    return LookPlan(tuple(looks), alpha)


def open_looks(first: int, growth: float, level: float) -> LookPlan:
    """Looks at `first` blocks and then each time the count has grown by `growth`, for ever,
    each at `level` (no alpha spent per look)."""
    return LookPlan((max(first, MIN_CI_ROUNDS),), 1.0 - level, growth)


def level_at_look(k: int, looks: int, alpha: float = DEFAULT_ALPHA) -> float:
    """Bonferroni: each of `looks` looks spends alpha / looks, so all together spend alpha."""
    if not 1 <= k <= looks:
        raise ValueError(f"look {k} is not one of 1..{looks}")
    return 1.0 - alpha / looks


def max_rounds_for(budget_s: float, round_s: float, first: int = FIRST_LOOK_ROUNDS) -> int:
    """Rounds a time budget allows, for `plan_looks` (`round_s`: one round, all sessions)."""
    return max(first, int(budget_s // max(round_s, 1e-9)))


def decide(low: float, high: float, margin: float = DEFAULT_MARGIN) -> Verdict:
    """A look's verdict on a CI of B / A (`verdict.judge`, equal within margin allowed: the
    rule's alpha covers it); UNDECIDED where the judge finds no clear difference yet."""
    v = judge(low, high, margin, equal_allowed=True)
    return UNDECIDED if v is Verdict.NO_CLEAR else v


def eta_to_decide(history: Sequence[tuple[int, float, float]], margin: float) -> float | None:
    """Rounds (in all) after which the CI would likely be decided, from (rounds, low, high)
    of the looks so far. The half-width shrinks as 1/sqrt(rounds); its constant is the median
    over the last three looks, the centre is the latest one's. math.inf when the estimate
    sits on the margin's edge; None without a look."""
    if not history:
        return None
    n, low, high = history[-1]
    if decide(low, high, margin) in DECIDED:
        return float(n)
    scale = float(
        np.median([(math.log(h) - math.log(lo)) / 2 * math.sqrt(k) for k, lo, h in history[-3:]])
    )
    centre = (math.log(low) + math.log(high)) / 2
    gap = abs(abs(centre) - math.log1p(margin))
    if gap < 1e-9:
        return math.inf
    return max(float(n), (scale / gap) ** 2)


# --- the core of every sequential rule ------------------------------------------------------


class SequentialRule:
    """What every sequential rule shares: per stream, each block's sketch (one block per
    session) and the blocks' samples for the median (`block_median`: bounded), the look
    schedule and each look's level, the bootstrap's generator and the pace for the ETA. A
    rule built on it (`SequentialComparison`,
    `ci_stop.SequentialCiWidth`, `sweep.decide.RoundDecider`) says only what its look
    computes and what stopping means; its verdicts all come from `verdict.judge`."""

    def __init__(
        self, streams: int, plan: LookPlan, seed: int = 0, points: int = SKETCH_POINTS
    ) -> None:
        self.plan = plan
        self.looks_done = 0
        self.elapsed_s: float | None = None
        """Seconds measured so far, for the ETA (None: not known)."""
        self.rng = np.random.default_rng(seed)
        self._points = points
        self._sketches: list[list[np.ndarray]] = [[] for _ in range(streams)]
        self._medians = [BlockMedian() for _ in range(streams)]

    def take_block(self, stream: int, block: np.ndarray | Sequence[np.ndarray]) -> int:
        """Take a stream's next block: a 1-D array (one session) or one array per session;
        returns how many sessions it held."""
        if isinstance(block, np.ndarray) and block.ndim == 1:
            sessions = [block]
        else:
            sessions = [np.asarray(b) for b in block]
        self._sketches[stream].append(np.stack([sketch_block(s, self._points) for s in sessions]))
        self._medians[stream].add(np.concatenate([s.ravel() for s in sessions]))
        return len(sessions)

    def blocks(self, stream: int = 0) -> int:
        return len(self._sketches[stream])

    def block_samples(self, stream: int = 0) -> int:
        """Samples in the stream's blocks."""
        return self._medians[stream].samples

    def sketches(self, stream: int, n: int, generation: int = 0) -> np.ndarray:
        """The first n blocks' sketches, (sessions, n, points). With `generation` (the
        sessions were renewed every this many blocks, n a multiple of it), each generation's
        sessions are sessions of their own: (generations x sessions, generation, points)."""
        g = generation or n
        s = self._sketches[stream]
        return np.concatenate([np.stack(s[k * g : (k + 1) * g], axis=1) for k in range(n // g)])

    def median(self, stream: int, n: int) -> float:
        """The median of the first n blocks' samples (exact up to a million samples a stream,
        then to 3 significant digits: `block_median`)."""
        return self._medians[stream].median(n)

    def next_level(self) -> float:
        """Count a look (a fixed plan's look past its last spends the last one's share);
        the level its CI is taken at."""
        if self.plan.growth or self.looks_done < self.plan.looks:
            self.looks_done += 1
        return self.plan.level(self.looks_done)

    def eta_s(self, rounds: float | None) -> float | None:
        """Seconds more until `rounds` blocks (in all) at the pace so far (of stream 0)."""
        done = self.blocks(0)
        if rounds is None or self.elapsed_s is None or done <= 0:
            return None
        return math.inf if math.isinf(rounds) else max(rounds - done, 0.0) * self.elapsed_s / done


# --- a comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ComparisonState:
    rounds: int
    looks_done: int
    looks_planned: int
    level: float
    """Of the CI below: the last look's per-look level (the family-wise level is 1 - alpha)."""
    ratio: float | None
    low: float | None
    high: float | None
    verdict: str
    """faster / slower / equal within margin; undecided while running; no clear difference
    when the budget ran out first."""
    stop_reason: str
    """"" while running; "decided"; "budget" (rounds or time ran out)."""
    eta_rounds: float | None
    eta_s: float | None
    """Seconds more the ETA would take at the pace so far (known when add_round got times)."""
    why: Undecided | None = None
    """When it stopped with no clear difference: which part of the spread blocked it."""
    interrupted: float | None = None
    """Share of the blocks so far in which the worker lost its core (None: not measured)."""

    @property
    def stopped(self) -> bool:
        return bool(self.stop_reason)


class SequentialComparison(SequentialRule):
    """B against A, fed interleaved rounds until the verdict is decided or the budget spent.

    Wiring: `add_round(a_blocks, b_blocks, elapsed_s)` for every complete round (a block, or
    one block per session, of each profile), then `should_stop()`; `finish(elapsed_s)` when
    time runs out or the run is cancelled; `state()` at any time for the display."""

    def __init__(
        self,
        max_rounds: int,
        margin: float = DEFAULT_MARGIN,
        alpha: float = DEFAULT_ALPHA,
        first_look: int = FIRST_LOOK_ROUNDS,
        reps: int = LOOK_REPS,
        points: int = SKETCH_POINTS,
        seed: int = 0,
        generation_rounds: int = 0,
        paired_sessions: bool = False,
    ) -> None:
        """`generation_rounds`: the sessions are retired and created afresh every this many
        rounds (0: the same sessions throughout); each generation of sessions is then a
        sample of the session's effect (see `spread`). `paired_sessions`: A's i-th and B's
        i-th block of a round were measured together, call by call (`ratio_spread`)."""
        super().__init__(2, plan_looks(max_rounds, first_look, LOOK_GROWTH, alpha), seed, points)
        self.margin = margin
        if generation_rounds and not MIN_CI_ROUNDS <= generation_rounds <= self.plan.rounds[0]:
            raise ValueError(
                f"a generation needs {MIN_CI_ROUNDS} to {self.plan.rounds[0]} rounds "
                "(the first look)"
            )
        self.generation_rounds = generation_rounds
        self.paired_sessions = paired_sessions
        for medians in self._medians:  # a look leaves out an incomplete generation
            medians.recent = max(medians.recent, generation_rounds)
        self._reps = reps
        self.history: list[tuple[int, float, float]] = []
        """(rounds, low, high) of every look, for the ETA and the live plot."""
        self.spreads: list[Spread] = []
        """Every look's bootstrap spread: its CI at any level."""
        self._interrupted = 0
        self._blocks_watched = 0
        self._state = ComparisonState(
            0, 0, self.plan.looks, self.plan.level(1), None, None, None, UNDECIDED, "", None, None
        )

    @property
    def rounds(self) -> int:
        return self.blocks(0)

    def add_round(
        self,
        a: np.ndarray | Sequence[np.ndarray],
        b: np.ndarray | Sequence[np.ndarray],
        elapsed_s: float | None = None,
        interrupted: int | None = None,
    ) -> ComparisonState | None:
        """Take one round; the new state when this round was a look, else None.
        `interrupted`: how many of the round's blocks lost their core (None: not measured)."""
        if self._state.stopped:
            raise RuntimeError("the comparison has stopped; start a new one")
        sessions = self.take_block(0, a) + self.take_block(1, b)
        if interrupted is not None:
            self._interrupted += interrupted
            self._blocks_watched += sessions
        self.elapsed_s = elapsed_s
        if not self.plan.is_look(self.rounds):
            return None
        return self._look(final=self.rounds >= self.plan.rounds[-1])

    def should_stop(self) -> bool:
        return self._state.stopped

    def state(self) -> ComparisonState:
        return self._state

    def finish(self, elapsed_s: float | None = None) -> ComparisonState:
        """The budget ran out before its last round: one last look on what there is (it spends
        the share of a scheduled look that will not happen), then stop."""
        if elapsed_s is not None:
            self.elapsed_s = elapsed_s
        if self._state.stopped:
            return self._state
        s = self._state
        if self.usable_rounds < MIN_CI_ROUNDS:
            self._state = ComparisonState(
                self.rounds, s.looks_done, self.plan.looks, s.level,
                None, None, None, NO_CLEAR, "budget", None, None,
            )  # fmt: skip
        elif s.rounds == self.rounds and s.verdict == UNDECIDED:  # looked at already
            self._state = replace(s, verdict=NO_CLEAR, stop_reason="budget", why=self._why())
        elif s.rounds == self.rounds:
            self._state = replace(s, stop_reason="budget")
        else:
            self._look(final=True)
        return self._state

    @property
    def usable_rounds(self) -> int:
        """Rounds a look can use: all of them, or with generations only complete ones (all
        of them while the first generation is not complete: it is then the only one)."""
        g = self.generation_rounds
        return self.rounds if not g or self.rounds < g else (self.rounds // g) * g

    def spread(self) -> Spread:
        """The bootstrap's view of log(B / A) on every round so far (any level from it).

        With generations, every complete generation's sessions enter as sessions of their
        own (generation-major), each with its generation's rounds: the sessions part then
        rests on every session measured so far, not on the few alive at once."""
        n = self.usable_rounds
        g = self.generation_rounds if n >= self.generation_rounds > 0 else n
        a, b = (self.sketches(side, n, g) for side in (0, 1))
        exact = math.log(self.median(1, n) / self.median(0, n))
        return ratio_spread(
            a, b, exact, self._reps, self.rng, generations=n // g,
            paired_sessions=self.paired_sessions,
        )  # fmt: skip

    def _look(self, final: bool) -> ComparisonState:
        level = self.next_level()
        sp = self.spread()
        self.spreads.append(sp)
        low, high = sp.interval(level)
        self.history.append((self.rounds, low, high))
        verdict = decide(low, high, self.margin)
        reason = "decided" if verdict in DECIDED else ("budget" if final else "")
        if reason == "budget":
            verdict = NO_CLEAR
        eta = eta_to_decide(self.history, self.margin)
        self._state = ComparisonState(
            self.rounds, self.looks_done, self.plan.looks, level, sp.estimate, low, high,
            verdict, reason, eta, self.eta_s(eta),
            self._why() if verdict == NO_CLEAR else None, self.interfered,
        )  # fmt: skip
        return self._state

    @property
    def interfered(self) -> float | None:
        """Share of the blocks fed that lost their core (None: not measured)."""
        return self._interrupted / self._blocks_watched if self._blocks_watched else None

    def _why(self) -> Undecided | None:
        if not self.spreads:
            return None
        return why_undecided(self.spreads[-1], self._state.level, self.margin, self.interfered)
