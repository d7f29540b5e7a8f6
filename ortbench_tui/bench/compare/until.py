"""`--until-decided`: the parent's side of an interleaved comparison that stops when it knows.

Each pair of profiles is one question, B against A, with its own
`stopping.SequentialComparison` (the rule and its guarantee are documented there): by
default every profile after the first against the first (`compare`); `practices` gives its
own list (each practice off against on). The interleaved child runs open-ended rounds of
~50 ms blocks; here every round that both profiles of a pair have completed is fed to that
pair's rule. A profile whose pairs are all decided has its sessions dropped from the rounds
(`StopUnit`), so the time goes to the close calls; when every pair has stopped, or the
budget is spent, the child is told to stop.

Error control: each pair's verdict is wrong with probability at most `alpha` (per row); with
`per_table` the alpha is split over the N pairs (alpha / N each, Bonferroni), so that the
chance of *any* wrong row in the table is at most alpha.

The budget counts wall seconds of the timed phase (set-up and warm-up come on top). It is
turned into a number of rounds once two rounds have shown their pace, before the first
look, so the look schedule is fixed before any CI is seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..level_bootstrap import MIN_CI_ROUNDS
from ..stopping import (
    DECIDED,
    DEFAULT_ALPHA,
    DEFAULT_DECIDE_BUDGET_S,
    FIRST_LOOK_ROUNDS,
    ComparisonState,
    SequentialComparison,
    max_rounds_for,
    plan_looks,
)
from ..verdict import Verdict
from .model import Comparison

PACE_ROUNDS = 2
"""Rounds whose pace turns the budget into rounds (all sessions still run in them); what
renewing the sessions will cost is added from their creation times (`renewal_s`)."""
GENERATION_ROUNDS = 5
"""Rounds a generation of sessions lives (they are then retired and made afresh): after the
first look (10 rounds) the session part of the CI rests on twice the sessions alive at once,
after 40 rounds on eight times, where the same three sessions would give Student t on 4
degrees of freedom for ever. Five rounds of ~50 ms blocks per session make a fresh session's
creation and warm-up a few per cent of the time."""
INTERRUPTED_SWITCHES = 1
"""A block with at least this many involuntary context switches of the worker lost its core
for a while (`interleave`): counted as interrupted."""


@dataclass
class DecideSettings:
    budget_s: float = DEFAULT_DECIDE_BUDGET_S
    alpha: float = DEFAULT_ALPHA
    """Error rate of each pair's verdict (per pair: a table of N rows controls each row)."""
    per_table: bool = False
    """Split alpha over the pairs (alpha / N each): at most alpha for any wrong row."""
    max_rounds: int | None = None
    """A budget in rounds (the look plan is then fixed from the start); the time budget
    still applies."""
    generation_rounds: int = GENERATION_ROUNDS
    """The child retires every session and creates a fresh one each this many rounds, so the
    session (a random effect: memory layout) is sampled many times; 0: the same sessions
    throughout."""


class UntilDecided:
    """Feeds the blocks of an interleaved comparison to one stopping rule per pair."""

    def __init__(
        self,
        units: list[tuple[int, int]],
        profiles: int,
        margin: float,
        settings: DecideSettings,
        seed: int,
        send: Callable[[Any], None],
        pairs: list[tuple[int, int]] | None = None,
    ) -> None:
        """`units`: (session, profile) per child session; `send`: to the child; `pairs`:
        (A, B) profile indices (default: each profile after the first against the first)."""
        self.units = units
        self.margin, self.settings, self.seed = margin, settings, seed
        self._send = send
        self._mine = [[u for u, (_, q) in enumerate(units) if q == p] for p in range(profiles)]
        self._blocks: list[list[np.ndarray]] = [[] for _ in units]
        self._switches: list[list[int]] = [[] for _ in units]
        self.pairs = pairs if pairs is not None else [(0, p) for p in range(1, profiles)]
        self._fed = [0] * len(self.pairs)  # per pair, rounds fed so far
        self.rules: list[SequentialComparison | None] = [None] * len(self.pairs)
        self._timed_from: float | None = None
        self._dropped: set[int] = set()
        self.stopped_child = False
        self.generation_rounds = settings.generation_rounds
        """How often the child renews its sessions: the settings' until its Schedule says."""
        self.renewal_s = 0.0
        """What renewing every session once costs (their creation times): the pace of the
        first rounds has no renewal in it, and a plan that left it out would count on
        rounds the budget cannot hold (more looks, each at a stricter level)."""
        self.calls_alternated = False
        """The child alternates each session group's profiles call by call (its Schedule
        says so): the pairs' sessions are then drawn together (`ratio_spread`)."""

    def timed_started(self) -> None:
        self._timed_from = time.perf_counter()

    @property
    def elapsed_s(self) -> float:
        return 0.0 if self._timed_from is None else time.perf_counter() - self._timed_from

    def pair_states(self) -> list[ComparisonState | None]:
        """Per pair: its state, once the plan is fixed."""
        return [r.state() if r is not None else None for r in self.rules]

    def states(self) -> list[ComparisonState | None]:
        """[None, then one per pair]: with the default pairs, one per profile (None for A)."""
        return [None, *self.pair_states()]

    def progress_detail(self, names: list[str]) -> str:
        """The latest look of every pair and the share of interrupted blocks, for the progress
        line: `b 1.032x [0.981, 1.085] undecided · 12% of blocks interrupted`. Shown while it
        runs, so that a user sees the interval narrow and a neighbour taking the core."""
        parts = []
        for (a, b), state in zip(self.pairs, self.pair_states(), strict=True):
            if state is None or state.low is None or state.high is None or state.ratio is None:
                continue
            against = f" vs {names[a]}" if a else ""
            parts.append(
                f"{names[b]}{against} {state.ratio:.3f}x [{state.low:.3f}, {state.high:.3f}] "
                f"{state.verdict}"
            )
        shares = [s.interrupted for s in self.pair_states() if s is not None and s.interrupted]
        if shares:
            parts.append(f"{max(shares):.0%} of blocks interrupted")
        return " · ".join(parts)

    @property
    def alpha(self) -> float:
        """Each pair's alpha."""
        n = len(self.pairs)
        return self.settings.alpha / n if self.settings.per_table and n else self.settings.alpha

    def add_block(self, unit: int, samples_ns: np.ndarray, switches: int = -1) -> None:
        """`switches`: the worker's involuntary context switches in the block (-1: unknown)."""
        self._blocks[unit].append(samples_ns)
        self._switches[unit].append(switches)
        if self._timed_from is None:
            self.timed_started()
        unplanned = all(r is None for r in self.rules)
        if unplanned and (self.settings.max_rounds or self._all_rounds() >= PACE_ROUNDS):
            self._plan()
        for i in range(len(self.rules)):
            self._feed(i)
        # The budget ends it once every profile has the rounds a CI needs (a loaded machine
        # may take longer than the budget to get them; stopping earlier would decide nothing).
        if self.elapsed_s >= self.settings.budget_s and self._all_rounds() >= MIN_CI_ROUNDS:
            self.finish()
        self._maybe_stop_child()

    def finish(self) -> None:
        """Time is up (or the child ended): one last look for every pair still open."""
        if all(r is None for r in self.rules) and self._all_rounds() >= 1:
            self._plan()
        for i in range(len(self.rules)):
            self._feed(i)
            rule = self.rules[i]
            if rule is not None and not rule.should_stop():
                rule.finish(self.elapsed_s)
        self._maybe_stop_child()

    def _all_rounds(self) -> int:
        return min(self._rounds_of(p) for p in range(len(self._mine)))

    def _rounds_of(self, profile: int) -> int:
        return min(len(self._blocks[u]) for u in self._mine[profile])

    def _plan(self) -> None:
        rounds = max(self._all_rounds(), 1)
        round_s = max(self.elapsed_s, 1e-6) / rounds
        if self.generation_rounds >= MIN_CI_ROUNDS:
            round_s += self.renewal_s / self.generation_rounds
        max_rounds = self.settings.max_rounds or max_rounds_for(self.settings.budget_s, round_s)
        # A budget too short for two generations before its one look keeps its sessions
        # (the child renews them all the same; their rounds then count as one generation's).
        # The first look comes after one generation: a large difference is then decided in
        # a couple of seconds (one more look spends a little more alpha per look).
        gen = self.generation_rounds
        first_look = gen if MIN_CI_ROUNDS <= gen else FIRST_LOOK_ROUNDS
        first = plan_looks(max_rounds, first_look).rounds[0]
        for i, (_, b) in enumerate(self.pairs):
            self.rules[i] = SequentialComparison(
                max_rounds,
                self.margin,
                self.alpha,
                first_look=first_look,
                seed=self.seed + b,
                generation_rounds=gen if MIN_CI_ROUNDS <= gen <= first else 0,
                paired_sessions=self.calls_alternated,
            )

    def _feed(self, i: int) -> None:
        rule = self.rules[i]
        if rule is None:
            return
        pa, pb = self.pairs[i]
        ready = min(self._rounds_of(pa), self._rounds_of(pb))
        while self._fed[i] < ready and not rule.should_stop():
            r = self._fed[i]
            a = [self._blocks[u][r] for u in self._mine[pa]]
            b = [self._blocks[u][r] for u in self._mine[pb]]
            switches = [self._switches[u][r] for u in (*self._mine[pa], *self._mine[pb])]
            hit = None if min(switches) < 0 else sum(x >= INTERRUPTED_SWITCHES for x in switches)
            rule.add_round(a, b, self.elapsed_s, interrupted=hit)
            self._fed[i] += 1
        if rule.should_stop():
            self._drop_finished(pa, pb)

    def _drop_finished(self, *profiles: int) -> None:
        """Leave out of the rounds every profile whose pairs have all stopped (unless all have:
        then the child is stopped as a whole)."""
        from ..protocol import StopUnit

        if all(r is not None and r.should_stop() for r in self.rules):
            return
        for p in profiles:
            if p in self._dropped:
                continue
            mine = [r for r, pair in zip(self.rules, self.pairs, strict=True) if p in pair]
            if all(r is not None and r.should_stop() for r in mine):
                self._dropped.add(p)
                for u in self._mine[p]:
                    self._send(StopUnit(u))

    def _maybe_stop_child(self) -> None:
        rules = self.rules
        done = all(r is not None and r.should_stop() for r in rules)
        if not self.stopped_child and rules and done:
            from ..protocol import Stop

            self.stopped_child = True
            self._send(Stop())

    def apply(self, comp: Comparison) -> None:
        """Put each pair's sequential verdict and CI on the comparison, with how it stopped."""
        stops = []
        if self.pairs != [(0, p) for p in range(1, len(self._mine))]:
            self._apply_pairs(comp)
            return
        for pair, state in zip(comp.pairs, self.pair_states(), strict=True):
            if state is None or state.ratio is None:
                pair.verdict = Verdict.NO_CLEAR
                pair.stop_note = "stopped before the first look"
                stops.append({"rounds": state.rounds if state else 0, "stop_reason": "budget"})
                continue
            pair.ratio, pair.ci_low, pair.ci_high = state.ratio, state.low, state.high
            pair.verdict = state.verdict
            pair.stop_note = stop_note(state)
            stops.append(state_dict(state))
        self._stopping(comp, stops)

    def _apply_pairs(self, comp: Comparison) -> None:
        """Pairs of the caller's own (practices): each with its verdict and CI in `stopping`."""
        stops: list[dict[str, Any]] = []
        for (a, b), state in zip(self.pairs, self.pair_states(), strict=True):
            entry: dict[str, Any] = {"a": a, "b": b}
            if state is None or state.ratio is None:
                entry.update(rounds=state.rounds if state else 0, stop_reason="budget")
                entry.update(verdict=Verdict.NO_CLEAR, note="stopped before the first look")
            else:
                entry.update(state_dict(state), verdict=state.verdict, note=stop_note(state))
                entry.update(ratio=state.ratio, ci_low=state.low, ci_high=state.high)
            stops.append(entry)
        self._stopping(comp, stops)

    def _stopping(self, comp: Comparison, stops: list[dict[str, Any]]) -> None:
        comp.stopping = {
            "rule": "until decided",
            "budget_s": self.settings.budget_s,
            "alpha": self.settings.alpha,
            "alpha_per_pair": self.alpha,
            "elapsed_s": round(self.elapsed_s, 3),
            "pairs": stops,
        }
        g = self.generation_rounds
        looks = f"{g}, {2 * g}, {4 * g}" if g >= MIN_CI_ROUNDS else "10, 20, 40"
        renew = f", sessions renewed every {g} rounds" if g >= MIN_CI_ROUNDS else ""
        comp.method += (
            f"; until decided{renew}: looks at {looks} ... rounds, each CI at 1 - "
            f"{self.alpha:g}/looks (Bonferroni), so all looks together keep the error rate"
            + (
                f" ({self.settings.alpha:g} over {len(self.pairs)} pairs)"
                if self.settings.per_table
                else ""
            )
        )


def state_dict(state: ComparisonState) -> dict[str, Any]:
    out = {
        "rounds": state.rounds,
        "looks": state.looks_done,
        "looks_planned": state.looks_planned,
        "level": state.level,
        "stop_reason": state.stop_reason,
        "eta_rounds": state.eta_rounds,
        "eta_s": state.eta_s,
        "interrupted_blocks": state.interrupted,
    }
    if state.why is not None:  # blocked_by, spread_shares, interrupted_blocks, advice
        out.update(state.why.to_dict())
    return out


def stop_note(state: ComparisonState) -> str:
    """How the pair stopped, in words, for the sentence under the table."""
    ci = f"{state.level:.1%} CI"
    if state.verdict in DECIDED:
        return f"decided after {state.rounds} rounds (look {state.looks_done}, {ci})"
    eta = ""
    if state.eta_s is not None:
        eta = (
            "; deciding looks out of reach (the ratio sits on the margin)"
            if state.eta_s == float("inf")
            else f"; deciding would likely take ~{state.eta_s:.0f} s more"
        )
    why = f"; {state.why.text()}" if state.why is not None else ""
    return f"budget spent after {state.rounds} rounds ({ci}){eta}{why}"
