"""A fixed-edge log histogram of latencies (HdrHistogram-style, 3 significant digits).

The edges never move: bucket i holds [RATIO**i, RATIO**(i+1)) nanoseconds, from 1 ns to
MAX_NS, so adding a batch costs only that batch (a bucket per sample, one add) and two histograms
of the same kind merge by adding their counts. Beside the counts it keeps the exact count,
sum, min, max and the running second moment (Chan et al.'s pairwise update), so the mean,
standard deviation and extremes are exact; only the percentiles come from the buckets.

Cost: a batch of a fast model (sample:tiny streams ~10 000 samples per ~100 ms batch) is
bucketed by a table lookup for samples below TABLE_NS, holding for each nanosecond the bucket
the log formula gives (so the two agree exactly), and counted with one `np.add.at`; only the
samples at or above TABLE_NS take a log, and a batch of ~100 ms holds at most
100 ms / TABLE_NS of those.

Error bound: a bucket's value is its geometric middle (clamped to the exact min and max),
which lies within a factor sqrt(RATIO) of every value in the bucket; a type-7 percentile
interpolates two such order statistics, so its relative error is at most RELATIVE_ERROR
(sqrt(1.002) - 1 < 0.1 %) of the exact type-7 percentile of the same samples.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable

import numpy as np

SIGNIFICANT_DIGITS = 3
RATIO = 1.0 + 2.0 * 10.0**-SIGNIFICANT_DIGITS
"""Width of a bucket relative to its lower edge: 0.2 %, so its middle is within 0.1 %."""
RELATIVE_ERROR = math.sqrt(RATIO) - 1.0
MAX_NS = 10**12
"""1000 s: slower samples are counted in the last bucket (the exact max is kept apart)."""
BUCKETS = int(math.ceil(math.log(MAX_NS) / math.log(RATIO))) + 1
_INV_LOG_RATIO = 1.0 / math.log(RATIO)
_MIDDLES = np.exp((np.arange(BUCKETS, dtype=np.float64) + 0.5) / _INV_LOG_RATIO)
_LOWER = np.exp(np.arange(BUCKETS, dtype=np.float64) / _INV_LOG_RATIO)


TABLE_NS = 1 << 16
"""Samples below this (65.5 µs) are bucketed by lookup in a table of TABLE_NS entries (512 KiB)."""


def bucket_by_log(samples_ns: np.ndarray) -> np.ndarray:
    """Bucket index of each sample by its log (0 and 1 ns share bucket 0; beyond MAX_NS the
    last): the definition, which `bucket_of` follows exactly."""
    logs = np.log(np.maximum(samples_ns, 1).astype(np.float64)) * _INV_LOG_RATIO
    buckets: np.ndarray = np.clip(logs.astype(np.intp), 0, BUCKETS - 1)
    return buckets


@functools.cache
def small_buckets() -> np.ndarray:
    """The bucket of every whole nanosecond below TABLE_NS (built on first use: ~1 ms)."""
    table = bucket_by_log(np.arange(TABLE_NS, dtype=np.int64))
    table.flags.writeable = False
    return table


def bucket_of(samples_ns: np.ndarray, lo: int | None = None, hi: int | None = None) -> np.ndarray:
    """Bucket index of each sample, as `bucket_by_log` gives it. `lo` and `hi`: the batch's
    min and max when the caller has them (they choose the path; they are not checked)."""
    samples = np.asarray(samples_ns, dtype=np.int64)
    if samples.size == 0:
        return np.empty(0, dtype=np.intp)
    lo = int(samples.min()) if lo is None else lo
    hi = int(samples.max()) if hi is None else hi
    table = small_buckets()
    if lo >= 0 and hi < TABLE_NS:  # the common case of a fast model: lookups only
        return table[samples]
    buckets: np.ndarray = table[np.clip(samples, 0, TABLE_NS - 1)]
    slow = np.flatnonzero(samples >= TABLE_NS)
    if slow.size:
        buckets[slow] = bucket_by_log(samples[slow])
    return buckets


class LogHistogram:
    """Counts in fixed log-spaced buckets plus exact count, sum, min, max and variance."""

    def __init__(self) -> None:
        self.counts = np.zeros(BUCKETS, dtype=np.int64)
        self.count = 0
        self.total_ns = 0
        """Exact sum of all samples (a Python int: no overflow however long the run)."""
        self.min_ns = 0
        self.max_ns = 0
        self._m2 = 0.0
        """Sum of squared deviations from the mean, in ns**2 (for the standard deviation)."""

    @classmethod
    def of(cls, samples_ns: np.ndarray, chunk: int = 1 << 20) -> LogHistogram:
        """A histogram of `samples_ns`, read `chunk` samples at a time (a memory-mapped file
        of any length costs only a chunk of memory)."""
        hist = cls()
        for start in range(0, int(samples_ns.size), chunk):
            hist.add(np.asarray(samples_ns[start : start + chunk]))
        return hist

    def add(self, batch_ns: np.ndarray) -> None:
        """Count one batch: cost proportional to the batch, whatever came before."""
        n = int(batch_ns.size)
        if n == 0:
            return
        batch = np.asarray(batch_ns, dtype=np.int64)
        lo, hi = int(batch.min()), int(batch.max())
        np.add.at(self.counts, bucket_of(batch, lo, hi), 1)
        total = int(batch.sum())
        mean_b = total / n
        deviations = batch.astype(np.float64) - mean_b
        # Squared and summed by numpy's own loop, not `deviations @ deviations`: a BLAS dot
        # wakes OpenBLAS's worker thread, which then spins between batches and took a whole
        # core of the UI process on a 2-core machine.
        m2_b = float(np.square(deviations, out=deviations).sum())
        self._combine(n, total, mean_b, m2_b, lo, hi)

    def merge(self, other: LogHistogram) -> None:
        """Add `other`'s samples to this histogram (same fixed edges: counts simply add)."""
        if other.count == 0:
            return
        self.counts += other.counts
        self._combine(
            other.count, other.total_ns, other.mean_ns, other._m2, other.min_ns, other.max_ns
        )

    def _combine(self, n: int, total: int, mean_b: float, m2_b: float, lo: int, hi: int) -> None:
        if self.count == 0:
            self.min_ns, self.max_ns, self._m2 = lo, hi, m2_b
        else:
            delta = mean_b - self.mean_ns
            both = self.count + n
            self._m2 += m2_b + delta * delta * self.count * n / both
            self.min_ns, self.max_ns = min(self.min_ns, lo), max(self.max_ns, hi)
        self.count += n
        self.total_ns += total

    @property
    def mean_ns(self) -> float:
        return self.total_ns / self.count if self.count else float("nan")

    @property
    def std_ns(self) -> float:
        """Sample standard deviation (ddof=1, as numpy's `std(ddof=1)`)."""
        if self.count < 2:
            return 0.0 if self.count else float("nan")
        return math.sqrt(max(self._m2, 0.0) / (self.count - 1))

    def _order_values(self, ranks: np.ndarray) -> np.ndarray:
        """Estimated value (ns) of the order statistics at 0-based `ranks`."""
        cumulative = np.cumsum(self.counts)
        buckets = np.searchsorted(cumulative, ranks, side="right")
        values = np.clip(_MIDDLES[np.minimum(buckets, BUCKETS - 1)], self.min_ns, self.max_ns)
        values[ranks <= 0] = self.min_ns
        values[ranks >= self.count - 1] = self.max_ns
        return values

    def percentiles_ns(self, percents: Iterable[float]) -> np.ndarray:
        """Type-7 ('linear') percentiles, within RELATIVE_ERROR of the exact ones."""
        ps = np.asarray(list(percents), dtype=np.float64)
        if self.count == 0:
            return np.full(ps.shape, np.nan)
        position = (self.count - 1) * ps / 100.0
        below = np.floor(position).astype(np.int64)
        frac = position - below
        lower = self._order_values(below)
        upper = self._order_values(np.minimum(below + 1, self.count - 1))
        values: np.ndarray = lower + frac * (upper - lower)
        return values

    def binned(self, edges_ns: np.ndarray) -> tuple[np.ndarray, int]:
        """(counts per display bin between `edges_ns`, count above the last edge), from the
        buckets' middles: a cost of BUCKETS whatever the number of samples."""
        used = np.flatnonzero(self.counts)
        values = np.clip(_MIDDLES[used], self.min_ns, self.max_ns)
        weights = self.counts[used]
        counts, _ = np.histogram(values, bins=edges_ns, weights=weights)
        over = int(weights[values > edges_ns[-1]].sum())
        return counts.astype(np.int64), over

    def copy(self) -> LogHistogram:
        twin = LogHistogram()
        twin.counts = self.counts.copy()
        twin.count, twin.total_ns = self.count, self.total_ns
        twin.min_ns, twin.max_ns, twin._m2 = self.min_ns, self.max_ns, self._m2
        return twin


def lower_edge_ns(bucket: int) -> float:
    """Lower edge of `bucket` in ns (for tests and for explaining a figure)."""
    return float(_LOWER[bucket])
