"""Measure one stream until the p50 is known to within a CI width (`run --until-ci 2%`).

`SequentialCiWidth` (a `stopping.SequentialRule`) cuts the stream into blocks and looks at
the 95% CI of the p50 (the same block bootstrap) on an open-ended 1.25x geometric schedule
(`stopping.open_looks`), stopping once it lies within +-target of the p50
(`ci_width_reached`) or the budget is spent. This stops on the CI's *width*, which hardly
depends on where the estimate fell, so the reported 95% needs no correction at any look
(Chow and Robbins' fixed-width sequential intervals; the tests check its coverage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .level_bootstrap import LOOK_REPS, MIN_CI_ROUNDS, SKETCH_POINTS, median_spread
from .stopping import FIRST_LOOK_ROUNDS, SequentialRule, open_looks

CI_LEVEL = 0.95
PRECISION_GROWTH = 1.25
"""Looks come each time the block count has grown by a quarter: the stop overshoots little."""
DEFAULT_BLOCK_RUNS = 50


def ci_width_reached(p50: float, ci: tuple[float, float], target: float) -> bool:
    """The CI lies within +-target (a fraction: 0.02 for 2%) of the p50."""
    return ci[0] >= p50 * (1 - target) and ci[1] <= p50 * (1 + target)


def relative_half_width(p50: float, ci: tuple[float, float]) -> float:
    """The CI's larger side as a fraction of the p50: the "+-x%" to report."""
    return max(ci[1] / p50 - 1, 1 - ci[0] / p50)


@dataclass(frozen=True)
class CiWidthState:
    samples: int
    blocks: int
    level: float
    p50_ns: float | None
    low_ns: float | None
    high_ns: float | None
    half_width: float | None
    """The CI's larger side as a fraction of the p50 (0.018: +-1.8%)."""
    target: float
    stop_reason: str
    """"" while running; "precision" (target reached); "budget"."""
    eta_s: float | None
    """Seconds more the target would likely take at the pace so far."""

    @property
    def stopped(self) -> bool:
        return bool(self.stop_reason)


class SequentialCiWidth(SequentialRule):
    """One stream of samples, measured until the p50's 95% CI is within +-target of it.

    Wiring: `add_samples(new_samples_ns, elapsed_s)` with each progress message's samples,
    then `should_stop()`; `finish(elapsed_s)` at `--max-duration`; `state()` for the display."""

    def __init__(
        self,
        target: float,
        block_runs: int = DEFAULT_BLOCK_RUNS,
        max_blocks: int | None = None,
        level: float = CI_LEVEL,
        first_look: int = FIRST_LOOK_ROUNDS,
        reps: int = LOOK_REPS,
        points: int = SKETCH_POINTS,
        seed: int = 0,
    ) -> None:
        super().__init__(1, open_looks(first_look, PRECISION_GROWTH, level), seed, points)
        self.target, self.level = target, level
        self._block_runs, self._max_blocks = block_runs, max_blocks
        self._reps = reps
        self._pending = np.empty(0, dtype=np.int64)
        self._state = CiWidthState(0, 0, level, None, None, None, None, target, "", None)

    def add_samples(
        self, samples_ns: np.ndarray, elapsed_s: float | None = None
    ) -> CiWidthState | None:
        """Take new samples; the new state when a look happened, else None."""
        if self._state.stopped:
            raise RuntimeError("the run has stopped; start a new one")
        self.elapsed_s = elapsed_s
        self._pending = np.concatenate(
            [self._pending, np.asarray(samples_ns, dtype=np.int64).ravel()]
        )
        looked = None
        while self._pending.size >= self._block_runs and not self._state.stopped:
            block, self._pending = np.split(self._pending, [self._block_runs])
            self.take_block(0, block)
            at_max = self._max_blocks is not None and self.blocks() >= self._max_blocks
            if self.plan.is_look(self.blocks()) or at_max:
                looked = self._look(final=at_max)
        return looked

    def should_stop(self) -> bool:
        return self._state.stopped

    def state(self) -> CiWidthState:
        return self._state

    def finish(self, elapsed_s: float | None = None) -> CiWidthState:
        """The budget ran out: one last look on every complete block, then stop."""
        if elapsed_s is not None:
            self.elapsed_s = elapsed_s
        if self._state.stopped:
            return self._state
        if self.blocks() < MIN_CI_ROUNDS:
            self._state = CiWidthState(
                self.samples, self.blocks(), self.level, None, None, None, None,
                self.target, "budget", None,
            )  # fmt: skip
            return self._state
        return self._look(final=True)

    @property
    def samples(self) -> int:
        """Samples taken, the incomplete block's included."""
        return self.block_samples() + int(self._pending.size)

    def _look(self, final: bool) -> CiWidthState:
        n = self.blocks()
        level = self.next_level()
        sp = median_spread(self.sketches(0, n), math.log(self.median(0, n)), self._reps, self.rng)
        low, high = sp.interval(level)
        p50 = sp.estimate
        half = relative_half_width(p50, (low, high))
        reached = ci_width_reached(p50, (low, high), self.target)
        reason = "precision" if reached else ("budget" if final else "")
        needed = n * (half / self.target) ** 2 if half > 0 else float(n)
        self._state = CiWidthState(
            self.samples, n, level, p50, low, high, half, self.target, reason,
            self.eta_s(needed),
        )  # fmt: skip
        return self._state
