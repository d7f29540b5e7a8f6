"""One interleaved session's timed samples as they arrive: in a SampleStore, not in the parent.

The child sends each session's blocks round after round. Each block goes straight into the
session's `SampleStore` (a spill file on disk, an in-memory copy only up to the store's exact
limit), and the session keeps only each block's length and sum: memory bounded by the number
of blocks, not of samples. At the end the session is read back as (rounds, runs per block),
the shape the bootstrap resamples: a copy while the store is small, else a view of the
memory-mapped spill file.
"""

from __future__ import annotations

import numpy as np

from ..sample_store import SampleStore


class SessionStream:
    """One session of one profile: its samples in a store, its blocks as lengths."""

    def __init__(self) -> None:
        self.store = SampleStore()
        self.block_runs: list[int] = []
        """Samples in each block, in the order they came."""
        self.timed_ns = 0
        """The sum of every sample so far (the session's timed seconds, in ns)."""

    def add(self, block_ns: np.ndarray) -> None:
        self.store.extend(block_ns)
        self.block_runs.append(int(block_ns.size))
        self.timed_ns += int(np.asarray(block_ns, dtype=np.int64).sum())

    @property
    def rounds(self) -> int:
        return len(self.block_runs)

    def blocks(self, rounds: int) -> np.ndarray:
        """The first `rounds` blocks as a (rounds, runs per block) int64 array."""
        if rounds <= 0:
            return np.empty((0, 0), np.int64)
        widths = set(self.block_runs[:rounds])
        if len(widths) != 1:  # the child's blocks of one session are all the same length
            raise ValueError(f"blocks of unequal length in one session: {sorted(widths)}")
        width = widths.pop()
        kept: np.ndarray = self.store.array()[: rounds * width].reshape(rounds, width)
        return kept

    def discard(self) -> None:
        """Remove the spill file (the result has been built and saved from it)."""
        self.store.discard()
