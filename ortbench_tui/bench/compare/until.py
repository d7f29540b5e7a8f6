"""`--until-decided`: the parent's side of an interleaved comparison that stops when it knows.

Each profile after the first is one question, B against A, with its own
`stopping.SequentialComparison` (the rule and its guarantee are documented there). The
interleaved child runs open-ended rounds of ~50 ms blocks; here every round that both
profiles of a pair have completed is fed to that pair's rule. A pair that is decided has
its sessions dropped from the rounds (`StopUnit`), so the time goes to the close calls;
when every pair has stopped, or the budget is spent, the child is told to stop.

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

from ..stopping import (
    DECIDED,
    DEFAULT_ALPHA,
    DEFAULT_DECIDE_BUDGET_S,
    ComparisonState,
    SequentialComparison,
    max_rounds_for,
)
from .model import Comparison

PACE_ROUNDS = 2
"""Rounds whose pace turns the budget into rounds (all sessions still run in them)."""


@dataclass
class DecideSettings:
    budget_s: float = DEFAULT_DECIDE_BUDGET_S
    alpha: float = DEFAULT_ALPHA
    """Error rate of each pair's verdict (per pair: a table of N rows controls each row)."""
    max_rounds: int | None = None
    """A budget in rounds (the look plan is then fixed from the start); the time budget
    still applies."""


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
    ) -> None:
        """`units`: (session, profile) per child session; `send`: to the child."""
        self.units = units
        self.margin, self.settings, self.seed = margin, settings, seed
        self._send = send
        self._mine = [[u for u, (_, q) in enumerate(units) if q == p] for p in range(profiles)]
        self._blocks: list[list[np.ndarray]] = [[] for _ in units]
        self._fed = [0] * profiles  # per pair (index = profile B), rounds fed so far
        self.rules: list[SequentialComparison | None] = [None] * profiles
        self._timed_from: float | None = None
        self._dropped: set[int] = set()
        self.stopped_child = False

    def timed_started(self) -> None:
        self._timed_from = time.perf_counter()

    @property
    def elapsed_s(self) -> float:
        return 0.0 if self._timed_from is None else time.perf_counter() - self._timed_from

    def states(self) -> list[ComparisonState | None]:
        """Per profile (None for the first, A): its pair's state, once the plan is fixed."""
        return [r.state() if r is not None else None for r in self.rules]

    def add_block(self, unit: int, samples_ns: np.ndarray) -> None:
        self._blocks[unit].append(samples_ns)
        if self._timed_from is None:
            self.timed_started()
        unplanned = all(r is None for r in self.rules[1:])
        if unplanned and (self.settings.max_rounds or self._rounds_of(0) >= PACE_ROUNDS):
            self._plan()
        for p in range(1, len(self.rules)):
            self._feed(p)
        if self.elapsed_s >= self.settings.budget_s:
            self.finish()
        self._maybe_stop_child()

    def finish(self) -> None:
        """Time is up (or the child ended): one last look for every pair still open."""
        if all(r is None for r in self.rules[1:]) and self._rounds_of(0) >= 1:
            self._plan()
        for p in range(1, len(self.rules)):
            self._feed(p)
            rule = self.rules[p]
            if rule is not None and not rule.should_stop():
                rule.finish(self.elapsed_s)
        self._maybe_stop_child()

    def _rounds_of(self, profile: int) -> int:
        return min(len(self._blocks[u]) for u in self._mine[profile])

    def _plan(self) -> None:
        rounds = max(self._rounds_of(0), 1)
        round_s = max(self.elapsed_s, 1e-6) / rounds
        max_rounds = self.settings.max_rounds or max_rounds_for(self.settings.budget_s, round_s)
        for p in range(1, len(self.rules)):
            self.rules[p] = SequentialComparison(
                max_rounds, self.margin, self.settings.alpha, seed=self.seed + p
            )

    def _feed(self, p: int) -> None:
        rule = self.rules[p]
        if rule is None:
            return
        ready = min(self._rounds_of(0), self._rounds_of(p))
        while self._fed[p] < ready and not rule.should_stop():
            r = self._fed[p]
            a = [self._blocks[u][r] for u in self._mine[0]]
            b = [self._blocks[u][r] for u in self._mine[p]]
            rule.add_round(a, b, self.elapsed_s)
            self._fed[p] += 1
        if rule.should_stop() and len(self.rules) > 2 and p not in self._dropped:
            from ..protocol import StopUnit

            self._dropped.add(p)
            for u in self._mine[p]:
                self._send(StopUnit(u))

    def _maybe_stop_child(self) -> None:
        rules = self.rules[1:]
        done = all(r is not None and r.should_stop() for r in rules)
        if not self.stopped_child and rules and done:
            from ..protocol import Stop

            self.stopped_child = True
            self._send(Stop())

    def apply(self, comp: Comparison) -> None:
        """Put each pair's sequential verdict and CI on the comparison, with how it stopped."""
        stops = []
        for pair, state in zip(comp.pairs, self.states()[1:], strict=True):
            if state is None or state.ratio is None:
                pair.verdict = "no clear difference"
                pair.stop_note = "stopped before the first look"
                stops.append({"rounds": state.rounds if state else 0, "stop_reason": "budget"})
                continue
            pair.ratio, pair.ci_low, pair.ci_high = state.ratio, state.low, state.high
            pair.verdict = state.verdict
            pair.stop_note = stop_note(state)
            stops.append(state_dict(state))
        comp.stopping = {
            "rule": "until decided",
            "budget_s": self.settings.budget_s,
            "alpha": self.settings.alpha,
            "elapsed_s": round(self.elapsed_s, 3),
            "pairs": stops,
        }
        comp.method += (
            "; until decided: looks at 10, 20, 40 ... rounds, each CI at 1 - "
            f"{self.settings.alpha:g}/looks (Bonferroni), so all looks together keep the "
            "error rate"
        )


def state_dict(state: ComparisonState) -> dict[str, Any]:
    return {
        "rounds": state.rounds,
        "looks": state.looks_done,
        "looks_planned": state.looks_planned,
        "level": state.level,
        "stop_reason": state.stop_reason,
        "eta_rounds": state.eta_rounds,
        "eta_s": state.eta_s,
    }


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
    return f"budget spent after {state.rounds} rounds ({ci}){eta}"
