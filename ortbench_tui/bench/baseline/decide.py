"""Is the model slower than its baseline? The rule, its interval and its error bound.

The units of the baseline and of the check (independent worker processes, see `units`) give
two samples of log-latency values. The ratio now/baseline is exp(mean difference), with a
Welch t interval: each side's spread is its own units' spread, so the day-to-day and
process-to-process noise of the machine is in the interval, not assumed away (interleaving is
impossible across time).

The check looks at its units on a fixed schedule (LOOKS) and stops at the first look that
decides; when the budget ends between looks, it looks once more at what it has. Each look
uses a two-sided LOOK_LEVEL interval, so the chance of calling a regression that is not there
(or a no-regression that is false) is at most (len(LOOKS) + 1) x (1 - LOOK_LEVEL) / 2 =
9 x 0.5% = 4.5% (Bonferroni over the looks).

  regression     the whole interval is above 1 + margin   (exit 3)
  no regression  the whole interval is below 1 + margin   (exit 0)
  undecided      the interval contains 1 + margin         (exit 4 when the budget is spent)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

import numpy as np

from ..level_bootstrap import t_quantile

LOOK_LEVEL = 0.99
LOOKS = (3, 4, 6, 8, 12, 16, 24, 32)
"""Units measured now at which the check looks; it measures no more than the last."""
DEFAULT_MARGIN = 0.05
"""A slowdown smaller than this is no regression (5%: below it, these machines' day-to-day
spread makes the answer cost minutes)."""


class Outcome(Enum):
    NO_REGRESSION = "no regression"
    REGRESSION = "regression"
    UNDECIDED = "undecided"

    @property
    def exit_code(self) -> int:
        return {"no regression": 0, "regression": 3, "undecided": 4}[self.value]


@dataclass(frozen=True)
class CheckVerdict:
    outcome: Outcome
    ratio: float
    """Now over baseline (>1 is slower)."""
    low: float
    high: float
    level: float
    margin: float
    baseline_units: int
    units: int
    baseline_spread_pct: float
    spread_pct: float
    """Unit-to-unit spread (one standard deviation, as a percentage) on each side."""

    def sentence(self) -> str:
        ci = f"{self.ratio:.3f}x [{self.low:.3f}, {self.high:.3f}] ({self.level:.0%} CI)"
        bound = f"+{self.margin:.0%}"
        if self.outcome is Outcome.REGRESSION:
            return f"regression: {ci}, slower by more than the {bound} margin"
        if self.outcome is Outcome.NO_REGRESSION:
            faster = " (faster)" if self.high < 1.0 else ""
            return f"no regression beyond {bound}: {ci}{faster}"
        return f"undecided: {ci} contains the {bound} margin"

    def why_undecided(self) -> str:
        """What blocks the decision and what would help (only for UNDECIDED)."""
        if self.outcome is not Outcome.UNDECIDED:
            return ""
        worse = "baseline's" if self.baseline_spread_pct > self.spread_pct else "check's"
        return (
            f"the units differ by ±{self.baseline_spread_pct:.1f}% (baseline, "
            f"{self.baseline_units} units) and ±{self.spread_pct:.1f}% (now, {self.units} units); "
            f"the {worse} spread dominates. A longer --budget, a baseline with more --units, "
            "a quieter machine or pinned cores (run.pin_cpus) would narrow it"
        )


def spread_pct(values: list[float]) -> float:
    if len(values) < 2:
        return math.nan
    return 100.0 * (math.exp(float(np.std(values, ddof=1))) - 1.0)


def decide(
    baseline: list[float],
    now: list[float],
    margin: float = DEFAULT_MARGIN,
    level: float = LOOK_LEVEL,
) -> CheckVerdict:
    """The verdict on two lists of unit log-values (each at least 2 long)."""
    if len(baseline) < 2 or len(now) < 2:
        raise ValueError("decide needs at least 2 units on each side")
    b, c = np.asarray(baseline, float), np.asarray(now, float)
    vb, vc = float(b.var(ddof=1)) / b.size, float(c.var(ddof=1)) / c.size
    diff = float(c.mean() - b.mean())
    se = math.sqrt(vb + vc)
    if se > 0:
        # Welch-Satterthwaite degrees of freedom, rounded down (the conservative side).
        df_float = (vb + vc) ** 2 / (vb**2 / (b.size - 1) + vc**2 / (c.size - 1))
        df = max(1, math.floor(df_float))
        half = t_quantile(0.5 + level / 2.0, df) * se
    else:
        half = 0.0
    ratio, low, high = math.exp(diff), math.exp(diff - half), math.exp(diff + half)
    limit = 1.0 + margin
    if low > limit:
        outcome = Outcome.REGRESSION
    elif high < limit:
        outcome = Outcome.NO_REGRESSION
    else:
        outcome = Outcome.UNDECIDED
    return CheckVerdict(
        outcome,
        ratio,
        low,
        high,
        level,
        margin,
        int(b.size),
        int(c.size),
        spread_pct(list(baseline)),
        spread_pct(list(now)),
    )
