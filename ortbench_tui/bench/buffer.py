"""Streamed samples on the parent side: one growing buffer, safe to read from another thread.

The thread that reads the child's pipe appends each batch; a UI timer or the result builder
reads a view or a copy. Nothing here runs per sample.
"""

from __future__ import annotations

import threading

import numpy as np


class SampleBuffer:
    """Growing int64 storage of timed samples (ns): amortised doubling, one lock, a version
    that changes with every append (a redraw can skip when nothing arrived)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._lock = threading.Lock()
        self._data = np.empty(max(capacity, 1), dtype=np.int64)
        self._size = 0
        self._version = 0

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

    def view(self) -> np.ndarray:
        """The samples so far, without a copy: for the thread that appends."""
        return self._data[: self._size]

    def snapshot(self) -> tuple[int, np.ndarray]:
        """(version, a copy of the samples so far): for any other thread."""
        with self._lock:
            return self._version, self._data[: self._size].copy()

    def thinned(self, limit: int) -> tuple[int, int, int, np.ndarray]:
        """(version, size, step, a copy of every step-th sample) with at most ~`limit` of
        them: what a live redraw needs, at a cost that does not grow with the run."""
        with self._lock:
            size = self._size
            step = max(1, -(-size // limit))
            return self._version, size, step, self._data[:size:step].copy()

    def touch(self) -> None:
        """Mark a change that is not a sample (the run's position moved)."""
        with self._lock:
            self._version += 1

    @property
    def version(self) -> int:
        return self._version

    @property
    def size(self) -> int:
        return self._size
