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

`run --until-ci` uses the same block bootstrap, see `ci_stop`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

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
    """Rounds after which the CI is looked at, fixed before the first round."""

    rounds: tuple[int, ...]
    alpha: float = DEFAULT_ALPHA

    @property
    def looks(self) -> int:
        return len(self.rounds)

    def level(self, k: int) -> float:
        """Confidence level of look k (1-based)."""
        return level_at_look(k, self.looks, self.alpha)


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
        n = max(n + 1, math.ceil(n * growth))
    # A last scheduled look just short of the budget's end would spend alpha for nothing.
    if looks and max_rounds < looks[-1] * math.sqrt(growth):
        looks.pop()
    looks.append(max_rounds)
    return LookPlan(tuple(looks), alpha)


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


def _as_sessions(blocks: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    """One block (a 1-D array) is one session; a list holds one block per session."""
    if isinstance(blocks, np.ndarray) and blocks.ndim == 1:
        return [blocks]
    return [np.asarray(b) for b in blocks]


def eta_seconds(rounds: float | None, done: int, elapsed_s: float | None) -> float | None:
    if rounds is None or elapsed_s is None or done <= 0:
        return None
    if math.isinf(rounds):
        return math.inf
    return max(rounds - done, 0.0) * elapsed_s / done


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


class SequentialComparison:
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
    ) -> None:
        """`generation_rounds`: the sessions are retired and created afresh every this many
        rounds (0: the same sessions throughout); each generation of sessions is then a
        sample of the session's effect (see `spread`)."""
        self.plan = plan_looks(max_rounds, first_look, LOOK_GROWTH, alpha)
        self.margin = margin
        if generation_rounds and not MIN_CI_ROUNDS <= generation_rounds <= self.plan.rounds[0]:
            raise ValueError(
                f"a generation needs {MIN_CI_ROUNDS} to {self.plan.rounds[0]} rounds "
                "(the first look)"
            )
        self.generation_rounds = generation_rounds
        self._reps, self._points = reps, points
        self._rng = np.random.default_rng(seed)
        self._sketches: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self._raw: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        self.history: list[tuple[int, float, float]] = []
        """(rounds, low, high) of every look, for the ETA and the live plot."""
        self.spreads: list[Spread] = []
        """Every look's bootstrap spread: its CI at any level."""
        self._elapsed_s: float | None = None
        self._interrupted = 0
        self._blocks_watched = 0
        self._state = ComparisonState(
            0, 0, self.plan.looks, self.plan.level(1), None, None, None, UNDECIDED, "", None, None
        )

    @property
    def rounds(self) -> int:
        return len(self._sketches[0])

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
        if interrupted is not None:
            self._interrupted += interrupted
            self._blocks_watched += len(_as_sessions(a)) + len(_as_sessions(b))
        for side, blocks in enumerate((a, b)):
            sessions = _as_sessions(blocks)
            self._sketches[side].append(np.stack([sketch_block(s, self._points) for s in sessions]))
            self._raw[side].append(np.concatenate([s.ravel() for s in sessions]))
        self._elapsed_s = elapsed_s
        if self.rounds not in self.plan.rounds:
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
            self._elapsed_s = elapsed_s
        if self._state.stopped:
            return self._state
        if self.usable_rounds < MIN_CI_ROUNDS:
            self._state = ComparisonState(
                self.rounds, self._state.looks_done, self.plan.looks, self._state.level,
                None, None, None, NO_CLEAR, "budget", None, None,
            )  # fmt: skip
            return self._state
        if self._state.rounds == self.rounds:  # this round was looked at already
            s = self._state
            if s.verdict == UNDECIDED:
                self._state = replace(s, verdict=NO_CLEAR, stop_reason="budget", why=self._why())
            else:
                self._state = replace(s, stop_reason="budget")
            return self._state
        return self._look(final=True)

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
        gens = n // g
        a, b = (
            np.concatenate(
                [np.stack(s[k * g : (k + 1) * g], axis=1) for k in range(gens)], axis=0
            )  # (generations x sessions, rounds per generation, points)
            for s in self._sketches
        )
        exact = math.log(
            float(np.median(np.concatenate(self._raw[1][:n])))
            / float(np.median(np.concatenate(self._raw[0][:n])))
        )
        return ratio_spread(a, b, exact, self._reps, self._rng, generations=gens)

    def _look(self, final: bool) -> ComparisonState:
        k = min(self._state.looks_done + 1, self.plan.looks)
        level = self.plan.level(k)
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
            self.rounds, k, self.plan.looks, level, sp.estimate, low, high, verdict, reason,
            eta, eta_seconds(eta, self.rounds, self._elapsed_s),
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
