"""Stalls of the worker seen from the parent: the worker reports every ~BATCH_SECONDS, so a gap
far longer than that means it was paused (SIGSTOP, a debugger, swapping, a starved core). The
paused call's sample holds the whole gap; the warning says so instead of leaving only a max."""

from __future__ import annotations

from ..text import format_ms

STALL_FACTOR = 20
"""A gap this many batch periods long is a stall, not noise."""
STALL_MIN_S = 2.0
"""Never flag a gap shorter than this (busy shared machines delay batches by a few periods)."""


class StallWatch:
    def __init__(self, batch_period_s: float) -> None:
        self.threshold_s = max(STALL_MIN_S, STALL_FACTOR * batch_period_s)
        self.batch_period_s = batch_period_s
        self.last_s: float | None = None
        self.gaps_s: list[float] = []

    def heard(self, now_s: float) -> None:
        """Any message from the worker once it is running the model (first run onwards)."""
        self.last_s = now_s

    def batch(self, now_s: float) -> None:
        """A batch of timed samples arrived at `now_s`."""
        if self.last_s is not None and now_s - self.last_s > self.threshold_s:
            self.gaps_s.append(now_s - self.last_s)
        self.last_s = now_s

    def warnings(self) -> list[str]:
        if not self.gaps_s:
            return []
        longest = max(self.gaps_s)
        times = "once" if len(self.gaps_s) == 1 else f"{len(self.gaps_s)} times"
        return [
            f"stall: the worker went silent {times} (longest {format_ms(longest * 1e3)}; it "
            f"reports every ~{format_ms(self.batch_period_s * 1e3)}): it was paused or starved "
            "(SIGSTOP, swapping, a busy machine?); a sample caught in it holds the pause"
        ]
