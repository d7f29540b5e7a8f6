"""`sweep --until-decided`: within a halving round, stop measuring the candidates that are
decided slower than the round's current best, so the round's time goes to the close calls.

The round is one interleaved comparison (one session per candidate). At looks fixed before
the round starts (`stopping.plan_looks`: 5, 10, 20 ... rounds) the current best is the
candidate with the lowest median over the rounds so far; every other candidate still
measured gets the CI of its median over the best's (`level_bootstrap`, the one bootstrap of
compare and --until-decided), and is dropped (`StopUnit`) when that CI lies wholly above
1 + margin. The interleaved child then spends the round's timed seconds on the candidates
left; when only the best is left the round ends early.

Error control: each look's CI is at level 1 - alpha / (K * (n - 1)), K looks and n
candidates at the round's start. A wrong drop needs the CI of the candidate against
whichever candidate was best at that look to miss the truth; over every look and every
possible best that is at most alpha per candidate (union bound), 5% by default. A dropped
candidate is out of the round: it would need a CI above +margin to be dropped, so by its
median it would not have been kept either, except when fewer undecided candidates than the
round keeps are left (then the dropped ones fill the places, best median first).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..level_bootstrap import HALVING_REPS, ratio_spread
from ..stopping import DEFAULT_ALPHA, SequentialRule, plan_looks
from ..verdict import Verdict, judge

HALVING_FIRST_LOOK_ROUNDS = 5
"""Earlier than compare's first look (10): a halving round has tens of rounds, not hundreds,
and the clear losers it exists to drop show even through the wide CI of a few rounds."""


class RoundDecider(SequentialRule):
    """Feed it each candidate's blocks in order (`add_block`); it calls `drop(i)` for a
    candidate decided slower than the best and `end()` when only the best is left."""

    def __init__(
        self,
        candidates: int,
        max_rounds: int,
        margin: float,
        drop: Callable[[int], None],
        end: Callable[[], None],
        alpha: float = DEFAULT_ALPHA,
        seed: int = 0,
        names: list[int] | None = None,
    ) -> None:
        """`names`: how the candidates are called in the drop notes (default 0..n-1)."""
        rivals = max(candidates - 1, 1)
        super().__init__(
            candidates,
            plan_looks(max_rounds, HALVING_FIRST_LOOK_ROUNDS, alpha=alpha / rivals),
            seed,
        )
        self.names = names or list(range(candidates))
        self.margin = margin
        self._drop, self._end = drop, end
        self.dropped: dict[int, str] = {}
        """Candidate -> why it was dropped, in words."""
        self.ended = False

    def alive(self) -> list[int]:
        return [i for i in range(len(self.names)) if i not in self.dropped]

    def add_block(self, i: int, samples_ns: np.ndarray) -> None:
        """Take candidate i's next block (ignored once it is dropped or the round ended)."""
        if i in self.dropped or self.ended:
            return
        self.take_block(i, samples_ns)
        while self.looks_done < self.plan.looks and not self.ended:
            at = self.plan.rounds[self.looks_done]
            if min(self.blocks(c) for c in self.alive()) < at:
                break
            self._look(at, self.next_level())

    def _look(self, rounds: int, level: float) -> None:
        alive = self.alive()
        medians = {c: self.median(c, rounds) for c in alive}
        best = min(alive, key=lambda c: medians[c])
        a = self.sketches(best, rounds)
        for c in alive:
            if c == best:
                continue
            exact = math.log(medians[c] / medians[best])
            spread = ratio_spread(a, self.sketches(c, rounds), exact, HALVING_REPS, self.rng)
            low, high = spread.interval(level)
            if judge(low, high, self.margin) is Verdict.SLOWER:
                self.dropped[c] = (
                    f"decided slower than #{self.names[best]} after {rounds} rounds "
                    f"({level:.2%} CI {low:.3f}-{high:.3f})"
                )
                self._drop(c)
        if len(self.alive()) == 1:
            self.ended = True
            self._end()
