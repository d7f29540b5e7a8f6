"""The median of a stream's first n blocks, in memory that stops growing.

A sequential rule (`stopping.SequentialRule`) takes a stream's timed samples block by block
and, at each look, wants the median of the blocks so far as its point estimate. Kept whole,
the blocks grow with the run: `compare --until-decided --budget 3600` on a microsecond model
is ~10^8 samples a stream. So the samples are kept exactly up to `exact_limit` (the run
store's limit, `stats.EXACT_LIMIT`); past it every block but the newest `recent` is folded
into a log histogram (`loghist`: 3 significant digits, relative error at most 0.1%) and the
median is the histogram's with the recent blocks' samples added. A look may leave out the
newest `recent` blocks (a rule whose sessions are renewed every g rounds looks at complete
generations only: recent = g), never older ones.
"""

from __future__ import annotations

import numpy as np

from .loghist import LogHistogram
from .stats import EXACT_LIMIT


class BlockMedian:
    """One stream's blocks of samples (ns), for `median(n)` of the first n of them."""

    def __init__(self, recent: int = 2, exact_limit: int = EXACT_LIMIT) -> None:
        self.recent = recent
        self.exact_limit = exact_limit
        self._raw: list[np.ndarray] = []
        self._raw_samples = 0
        self._folded: LogHistogram | None = None
        self._folded_blocks = 0
        self.samples = 0
        """Samples in all blocks so far."""

    @property
    def blocks(self) -> int:
        return self._folded_blocks + len(self._raw)

    @property
    def kept_samples(self) -> int:
        """Samples held raw (the rest are in the histogram)."""
        return self._raw_samples

    @property
    def exact(self) -> bool:
        """Whether `median` is still the exact median of the samples."""
        return self._folded is None

    def add(self, samples_ns: np.ndarray) -> None:
        block = np.asarray(samples_ns).ravel()
        self._raw.append(block)
        self._raw_samples += block.size
        self.samples += block.size
        if self.samples > self.exact_limit:
            self._fold(len(self._raw) - self.recent)

    def _fold(self, count: int) -> None:
        if count <= 0:
            return
        if self._folded is None:
            self._folded = LogHistogram()
        for block in self._raw[:count]:
            self._folded.add(block)
            self._raw_samples -= block.size
        del self._raw[:count]
        self._folded_blocks += count

    def median(self, n: int) -> float:
        """The median of the first `n` blocks' samples (exact while `exact`)."""
        if not self._folded_blocks <= n <= self.blocks:
            raise ValueError(
                f"the median of the first {n} blocks: blocks {self._folded_blocks} to "
                f"{self.blocks} can be asked for (older ones are folded into a histogram)"
            )
        raw = self._raw[: n - self._folded_blocks]
        if self._folded is None:
            return float(np.median(np.concatenate(raw))) if raw else float("nan")
        hist = self._folded.copy()
        for block in raw:
            hist.add(block)
        return float(hist.percentiles_ns([50.0])[0])
