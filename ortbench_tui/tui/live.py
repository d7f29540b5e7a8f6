"""The run in progress as the live view needs it, shared by the reading thread and the timer.

The bench worker thread adds each streamed batch to a log histogram and a per-batch sum (no
samples are kept here: the run's own store has them); the UI timer copies the histogram at
most ~10 times a second and redraws from it, so a frame costs the same at the sixtieth minute
as at the first. Nothing here runs per sample.
"""

from __future__ import annotations

import time

from ortbench_tui.bench.sample_store import SampleStore


class LiveSamples(SampleStore):
    """The streamed samples' histogram and batch sums (a store that keeps no samples) plus
    the run's position."""

    def __init__(self) -> None:
        super().__init__(spill=False, exact_limit=0)
        self.phase = "starting"
        """starting | first_run | warmup | timed | done"""
        self.done = 0
        self.total: int | None = None
        self.elapsed_s = 0.0
        self.eta_s: float | None = None
        """The run's own estimate of the wall time still to go (None when it cannot say)."""
        self.timed_started_s: float | None = None
        """Elapsed time of the first timed batch minus its own length (for live throughput)."""

    def set_position(
        self,
        phase: str,
        done: int,
        total: int | None,
        elapsed_s: float,
        eta_s: float | None = None,
    ) -> None:
        if phase == "timed" and self.timed_started_s is None:
            self.timed_started_s = max(0.0, elapsed_s - 0.1)
        self.phase, self.done, self.total, self.elapsed_s = phase, done, total, elapsed_s
        self.eta_s = eta_s
        self.touch()


class RedrawThrottle:
    """Decides when to redraw: at most `max_hz`, and never spending more than `budget` of the
    time redrawing (a 2M-sample histogram takes tens of ms; then the redraws space out)."""

    def __init__(self, max_hz: float = 10.0, budget: float = 0.08) -> None:
        self.min_interval = 1.0 / max_hz
        self.budget = budget
        self._last_start = 0.0
        self._last_cost = 0.0

    def due(self, now: float | None = None) -> bool:
        now = time.perf_counter() if now is None else now
        wait = max(self.min_interval, self._last_cost / self.budget)
        return now - self._last_start >= wait

    def start(self) -> float:
        self._last_start = time.perf_counter()
        return self._last_start

    def finish(self, started: float) -> None:
        self._last_cost = time.perf_counter() - started
