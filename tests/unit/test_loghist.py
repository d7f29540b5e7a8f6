"""The fixed-edge log histogram: its stated percentile error bound, and that counting batch by
batch (as a live run does) gives exactly the histogram of all samples at once."""

from __future__ import annotations

import numpy as np
import pytest

from ortbench_tui.bench.loghist import (
    BUCKETS,
    MAX_NS,
    RELATIVE_ERROR,
    TABLE_NS,
    LogHistogram,
    bucket_by_log,
    bucket_of,
)
from ortbench_tui.bench.stats import (
    EXACT_LIMIT,
    HISTOGRAM_METHOD,
    PERCENTILE_METHOD,
    PERCENTILES,
    describe,
    summarize,
    summarize_histogram,
)

PS = [0.0, 1.0, 25.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0]


def streams() -> dict[str, np.ndarray]:
    """Seeded shapes a latency stream takes: log-normal body, two modes, a heavy tail,
    microsecond integers with ties, and a constant."""
    rng = np.random.default_rng(7)
    return {
        "lognormal": rng.lognormal(np.log(3_000), 0.4, 200_000).astype(np.int64),
        "bimodal": np.concatenate(
            [rng.normal(2_500, 50, 100_000), rng.normal(140_000, 4_000, 20_000)]
        ).astype(np.int64),
        "pareto tail": (2_000 * (1 + rng.pareto(1.5, 150_000))).astype(np.int64),
        "integer ties": rng.integers(2_900, 3_100, 100_000),
        "constant": np.full(5_000, 4_321, dtype=np.int64),
    }


@pytest.mark.parametrize("name", list(streams()))
def test_percentiles_are_within_the_stated_relative_error(name):
    samples = streams()[name]
    exact = np.percentile(samples, PS, method="linear")
    estimate = LogHistogram.of(samples).percentiles_ns(PS)
    error = np.abs(estimate / exact - 1.0)
    assert error.max() <= RELATIVE_ERROR, (name, error.max())
    assert RELATIVE_ERROR < 1e-3  # 3 significant digits, as named in the percentile method


def test_moments_and_extremes_are_exact():
    samples = streams()["pareto tail"]
    hist = LogHistogram()
    for part in np.array_split(samples, 37):
        hist.add(part)
    assert (hist.count, hist.total_ns) == (samples.size, int(samples.sum()))
    assert (hist.min_ns, hist.max_ns) == (int(samples.min()), int(samples.max()))
    assert hist.std_ns == pytest.approx(float(samples.std(ddof=1)), rel=1e-9)
    stats = summarize_histogram(hist)
    assert stats["mean"] == pytest.approx(samples.mean() / 1e6, rel=1e-12)
    assert stats["max"] == samples.max() / 1e6 and stats["min"] == samples.min() / 1e6


def test_incremental_counts_equal_the_batch_histogram():
    samples = streams()["bimodal"]
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.integers(0, samples.size, 120))
    incremental = LogHistogram()
    for part in np.split(samples, cuts):
        incremental.add(part)
    whole = LogHistogram.of(samples)
    expected = np.bincount(bucket_of(samples), minlength=BUCKETS)
    assert np.array_equal(incremental.counts, expected)
    assert np.array_equal(whole.counts, expected)
    merged = LogHistogram.of(samples[:50_000])
    merged.merge(LogHistogram.of(samples[50_000:]))
    assert np.array_equal(merged.counts, expected) and merged.count == samples.size
    assert merged.std_ns == pytest.approx(incremental.std_ns, rel=1e-9)


def test_binned_matches_a_histogram_of_the_samples_up_to_bucket_width():
    samples = streams()["lognormal"]
    hist = LogHistogram.of(samples)
    edges = np.geomspace(samples.min(), samples.max(), 41)
    counts, over = hist.binned(edges)
    direct, _ = np.histogram(samples, bins=edges)
    assert counts.sum() + over == samples.size
    # Only samples within one bucket (0.2 %) of a display edge can change bins.
    near = sum(int(np.count_nonzero(np.abs(samples / e - 1) < 2.5e-3)) for e in edges)
    assert np.abs(counts - direct).sum() <= 2 * near


def test_describe_is_exact_up_to_the_limit_and_names_the_histogram_beyond():
    rng = np.random.default_rng(11)
    small = rng.lognormal(8, 0.3, 10_000).astype(np.int64)
    stats, method = describe(small)
    assert method == PERCENTILE_METHOD and stats == summarize(small)
    large = rng.lognormal(8, 0.3, EXACT_LIMIT + 1).astype(np.int64)
    stats, method = describe(large)
    assert method == HISTOGRAM_METHOD and "3 significant digits" in method
    exact = summarize(large)
    for key in PERCENTILES:
        assert stats[key] == pytest.approx(exact[key], rel=RELATIVE_ERROR)
    assert stats["mean"] == pytest.approx(exact["mean"], rel=1e-12)


def test_the_lookup_table_buckets_exactly_as_the_log_formula():
    """Every nanosecond below the table's end, then batches that mix fast and slow samples,
    negatives and values past MAX_NS: the lookup path and the definition agree."""
    every = np.arange(-3, TABLE_NS + 3, dtype=np.int64)
    assert np.array_equal(bucket_of(every), bucket_by_log(every))
    rng = np.random.default_rng(5)
    mixed = np.concatenate(
        [
            rng.integers(0, TABLE_NS, 5_000),
            rng.integers(TABLE_NS, 10**9, 50),
            [-1, 0, 1, TABLE_NS - 1, TABLE_NS, MAX_NS, 3 * MAX_NS],
        ]
    )
    rng.shuffle(mixed)
    assert np.array_equal(bucket_of(mixed), bucket_by_log(mixed))
    slow = rng.integers(TABLE_NS, 10**11, 1_000)
    assert np.array_equal(bucket_of(slow), bucket_by_log(slow))
    assert bucket_of(np.empty(0, dtype=np.int64)).size == 0
