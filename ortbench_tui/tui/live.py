"""The samples of the run in progress, shared between the reading thread and the redraw timer.

The bench worker thread appends each streamed batch; the UI timer takes a snapshot at most
~10 times a second and redraws from it. Nothing here runs per sample.
"""

from __future__ import annotations

import threading
import time

import numpy as np


class LiveSamples:
    """Growing int64 buffer of timed samples (ns) plus the run's position, behind one lock."""

    def __init__(self, capacity: int = 16384) -> None:
        self._lock = threading.Lock()
        self._data = np.empty(capacity, dtype=np.int64)
        self._size = 0
        self._version = 0
        self.phase = "starting"
        """starting | first_run | warmup | timed | done"""
        self.done = 0
        self.total: int | None = None
        self.elapsed_s = 0.0
        self.timed_started_s: float | None = None
        """Elapsed time of the first timed batch minus its own length (for live throughput)."""

    def extend(self, batch: np.ndarray) -> None:
        with self._lock:
            need = self._size + batch.size
            if need > self._data.size:
                grown = np.empty(max(need, self._data.size * 2), dtype=np.int64)
                grown[: self._size] = self._data[: self._size]
                self._data = grown
            self._data[self._size : need] = batch
            self._size = need
            self._version += 1

    def set_position(self, phase: str, done: int, total: int | None, elapsed_s: float) -> None:
        with self._lock:
            if phase == "timed" and self.timed_started_s is None:
                self.timed_started_s = max(0.0, elapsed_s - 0.1)
            self.phase, self.done, self.total, self.elapsed_s = phase, done, total, elapsed_s
            self._version += 1

    def snapshot(self) -> tuple[int, np.ndarray]:
        """(version, a copy of the samples so far)."""
        with self._lock:
            return self._version, self._data[: self._size].copy()

    def thinned(self, limit: int) -> tuple[int, int, int, np.ndarray]:
        """(version, size, step, a copy of every step-th sample) with at most ~`limit` of
        them: what a live redraw needs, at a cost that does not grow with the run."""
        with self._lock:
            size = self._size
            step = max(1, -(-size // limit))
            return self._version, size, step, self._data[:size:step].copy()

    @property
    def version(self) -> int:
        return self._version

    @property
    def size(self) -> int:
        return self._size


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
