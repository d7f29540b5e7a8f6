"""The verdict on a ratio B / A, defined once: compare, `--until-decided`, sweep and practices
all judge an interval with `judge`, and every verdict is a `Verdict`.

A `Verdict` is a `str` enum: its value is the word the CLI, the JSON and the TUI have always
shown ("faster", "slower", "equal within margin", "no clear difference"), so a verdict read
back from a result file compares equal to the enum member.

"No clear difference" is the one name for "the interval does not settle it": it straddles
the margin (a *tie*: the data cannot tell the two apart at this precision). "Equal within
margin" is a decided answer of its own, only given where it was planned for (a sequential
rule's spent alpha covers it; a single fixed-length 95% CI does not, see `compare`).
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    FASTER = "faster"
    SLOWER = "slower"
    EQUAL = "equal within margin"
    NO_CLEAR = "no clear difference"
    UNDECIDED = "undecided"
    """Only while a sequential rule is still measuring; it ends as another verdict."""

    @property
    def decided(self) -> bool:
        """A verdict a user may act on: faster, slower, or equal within margin."""
        return self in (Verdict.FASTER, Verdict.SLOWER, Verdict.EQUAL)

    @property
    def differs(self) -> bool:
        """B was decided faster or slower than A."""
        return self in (Verdict.FASTER, Verdict.SLOWER)


def judge(low: float, high: float, margin: float, equal_allowed: bool = False) -> Verdict:
    """The verdict for a CI [low, high] of B / A: SLOWER when it lies wholly above 1 + margin,
    FASTER when wholly below 1 / (1 + margin); with `equal_allowed`, EQUAL when it lies
    wholly inside that band; otherwise NO_CLEAR (a tie at this precision)."""
    up, down = 1.0 + margin, 1.0 / (1.0 + margin)
    if low > up:
        return Verdict.SLOWER
    if high < down:
        return Verdict.FASTER
    if equal_allowed and margin > 0 and low >= down and high <= up:
        return Verdict.EQUAL
    return Verdict.NO_CLEAR


def is_tie(low: float, high: float, margin: float) -> bool:
    """The interval cannot tell the two apart: neither faster nor slower (`judge`)."""
    return not judge(low, high, margin).differs
