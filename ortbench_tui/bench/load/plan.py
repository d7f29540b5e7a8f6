"""Which steps a load job runs: the rates given, or a search for the highest rate meeting an SLO.

The search (`--find-max`) is the one LoadGen's FindPeakPerformance and perf_analyzer's
binary search make, with each step decided by a CI instead of one figure:

1. Bracket: start at half the capacity the warm-up suggests (threads / median service time),
   or at --start-rate; double after a step that meets the SLO, halve after one that does not,
   until one rate meets it and one does not.
2. Bisect (geometric mean) between the highest rate met and the lowest not met, until they
   are within `TOLERANCE` of each other or the steps run out.

A step whose CI straddles the bound is run again twice as long (once); still undecided, it
counts as not met, so the answer is never a rate that was not shown to meet the SLO. Every
step tried is kept and reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..protocol import SessionMeta
from ..stats import min_samples_for
from .request import LoadRequest

TOLERANCE = 0.05
"""The search ends when the lowest rate not met is within 5% of the highest rate met."""
MAX_STRETCH = 4.0
"""A step is lengthened (up to this times --duration) until it holds enough requests for the
SLO's percentile to rest on TAIL_SAMPLES x 4 requests beyond it."""
MIN_RATE = 0.5


@dataclass(frozen=True)
class StepSpec:
    rate: float
    duration_s: float
    retry: bool = False
    """A longer run of an undecided rate."""


def step_duration(rate: float, request: LoadRequest) -> float:
    """--duration, lengthened where the rate is too low for the SLO percentile's tail."""
    if request.slo is None or request.trace is not None:
        return request.duration_s
    need = 4 * min_samples_for(request.slo.percentile)
    return min(max(request.duration_s, need / rate), MAX_STRETCH * request.duration_s)


class FixedRates:
    """The rates given, one step each, in the order given."""

    def __init__(self, request: LoadRequest) -> None:
        self.request = request
        self.todo = list(request.rates)

    @property
    def total(self) -> int | None:
        return len(self.request.rates)

    def first(self, meta: SessionMeta) -> StepSpec | None:
        return self._pop()

    def next(self, outcome: str | None) -> StepSpec | None:
        return self._pop()

    def _pop(self) -> StepSpec | None:
        if not self.todo:
            return None
        rate = self.todo.pop(0)
        return StepSpec(rate, step_duration(rate, self.request))

    def answer(self) -> dict[str, Any] | None:
        return None


@dataclass
class FindMax:
    """The search over rates; `next(outcome)` after each step, `answer()` at the end."""

    request: LoadRequest
    met: list[float] = field(default_factory=list)
    not_met: list[float] = field(default_factory=list)
    steps: int = 0
    current: StepSpec | None = None
    note: str = ""

    @property
    def total(self) -> int | None:
        return None

    def first(self, meta: SessionMeta) -> StepSpec | None:
        rate = self.request.start_rate
        if rate is None:
            service_ms = float(meta.get("warm_service_ms") or 1.0)
            rate = 0.5 * self.request.workers / (service_ms / 1000.0)
        return self._step(rate)

    def _step(self, rate: float, retry: bool = False) -> StepSpec | None:
        if self.steps >= self.request.max_steps:
            self.note = f"stopped after {self.steps} steps, the --max-steps limit"
            return None
        self.steps += 1
        duration = step_duration(rate, self.request) * (2.0 if retry else 1.0)
        self.current = StepSpec(rate, duration, retry)
        return self.current

    def next(self, outcome: str | None) -> StepSpec | None:
        cur = self.current
        if cur is None:
            return None
        if outcome == "undecided" and not cur.retry:
            return self._step(cur.rate, retry=True)
        if outcome == "met":
            self.met.append(cur.rate)
        else:
            self.not_met.append(cur.rate)
        lo = max(self.met, default=None)
        hi = min((r for r in self.not_met if lo is None or r > lo), default=None)
        if lo is None:
            assert hi is not None
            if hi / 2 < MIN_RATE:
                self.note = f"not met even at {hi:g} requests/s"
                return None
            return self._step(hi / 2)
        if hi is None:
            return self._step(lo * 2)
        if hi / lo <= 1 + TOLERANCE:
            return None
        return self._step(math.sqrt(lo * hi))

    def answer(self) -> dict[str, Any]:
        lo = max(self.met, default=None)
        hi = min((r for r in self.not_met if lo is None or r > lo), default=None)
        return {
            "max_rate": lo,
            "lowest_not_met": hi,
            "bracket": [lo, hi],
            "tolerance": TOLERANCE,
            "steps": self.steps,
            "note": self.note,
        }
