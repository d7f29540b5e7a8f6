"""Why a comparison could not decide, and what would help: from the parts of its spread.

The CI of a ratio is the estimate plus or minus a half-width made of two parts
(`level_bootstrap.Spread`): the *rounds* part (the machine changing from one round of blocks
to the next, and the samples' own scatter) and the *sessions* part (one ORT session of a
profile is faster than another of the very same profile: memory layout, Mytkowicz et al.
2009). Each enters squared, times its own Student t quantile. Beside them, *interference*:
the share of blocks in which the worker lost its core to another process (involuntary
context switches, `interleave`), which shows up inside the rounds part.

The blocker is named by a stated rule, in this order:

* "margin": the estimate lies closer to the margin's edge than the margin's own width and
  than a third of the CI's half-width, so deciding would take the CI to shrink threefold
  (nine times the rounds): more time hardly helps, the difference is about the margin's size;
* "interference": at least `INTERFERED_SHARE` of the blocks were interrupted and the rounds
  part is the larger: a quieter machine, or pinning the worker to a core of its own;
* "sessions": the sessions part is the larger: more sessions per profile (`--sessions`), or
  fresh sessions in turn (`compare --until-decided` does so), not more time on the same ones;
* "rounds": otherwise: more time (the rounds part shrinks as 1 / sqrt(rounds)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .level_bootstrap import Spread, t_quantile

INTERFERED_SHARE = 0.2
"""Interrupted blocks from which interference is named the blocker."""

MARGIN_REACH = 3.0
"""A CI that must shrink more than this many times to clear the margin's edge: "margin"."""

ADVICE = {
    "margin": "the ratio sits near the margin: more time hardly helps; a larger --margin "
    "would decide it",
    "interference": "the worker kept losing its core: a quieter machine, or run.pin_cpus "
    "on a core nothing else uses",
    "sessions": "sessions of the same profile differ: more time (each generation of fresh "
    "sessions adds to the sample), or more sessions at once (--sessions)",
    "rounds": "the machine changed from round to round: more time (--budget), or a quieter machine",
}


@dataclass(frozen=True)
class Undecided:
    """Which part of the spread keeps the CI from deciding, and what would help."""

    blocked_by: str
    """margin | interference | sessions | rounds"""
    sessions_share: float
    """Of the CI's squared half-width: the sessions part (0..1)."""
    rounds_share: float
    interfered: float | None
    """Share of blocks in which the worker lost its core (None: not measured)."""

    @property
    def advice(self) -> str:
        return ADVICE[self.blocked_by]

    def text(self) -> str:
        parts = f"of the spread: sessions {self.sessions_share:.0%}, rounds {self.rounds_share:.0%}"
        if self.interfered is not None:
            parts += f"; {self.interfered:.0%} of blocks interrupted"
        return f"blocked by {self.blocked_by} ({parts}): {self.advice}"

    def to_dict(self) -> dict[str, object]:
        return {
            "blocked_by": self.blocked_by,
            "spread_shares": {
                "sessions": round(self.sessions_share, 4),
                "rounds": round(self.rounds_share, 4),
            },
            "interrupted_blocks": None if self.interfered is None else round(self.interfered, 4),
            "advice": self.advice,
        }


def why_undecided(
    spread: Spread, level: float, margin: float, interfered: float | None = None
) -> Undecided:
    """Name the blocker of a CI of B / A at `level` (the rule in the module docstring)."""
    p = 0.5 + level / 2.0
    rounds_part = (spread.sd_rounds * t_quantile(p, spread.rounds - 1)) ** 2
    sessions_part = (
        (spread.sd_sessions * t_quantile(p, spread.session_df)) ** 2
        if spread.sd_sessions > 0
        else 0.0
    )
    total = rounds_part + sessions_part
    s_share = sessions_part / total if total > 0 else 0.0
    r_share = 1.0 - s_share if total > 0 else 0.0
    half = math.sqrt(total)
    edge = math.log1p(margin)
    gap = abs(abs(spread.log_estimate) - edge)
    if gap < edge and gap < half / MARGIN_REACH:
        blocked = "margin"
    elif interfered is not None and interfered >= INTERFERED_SHARE and r_share >= s_share:
        blocked = "interference"
    elif s_share > r_share:
        blocked = "sessions"
    else:
        blocked = "rounds"
    return Undecided(blocked, s_share, r_share, interfered)
