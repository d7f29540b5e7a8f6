"""The live view's pictures from what a live run keeps (log histogram, per-batch sums) agree
with the pictures from the samples themselves."""

from __future__ import annotations

import numpy as np

from ortbench_tui.bench.loghist import LogHistogram
from ortbench_tui.tui.charts import (
    EIGHTHS,
    histogram_picture,
    run_index_picture,
    run_index_picture_of_batches,
)


def test_run_chart_from_batch_sums_equals_the_chart_from_samples():
    rng = np.random.default_rng(5)
    parts = [rng.lognormal(8 + 0.5 * (i >= 30), 0.2, 1_000).astype(np.int64) for i in range(60)]
    samples = np.concatenate(parts)
    counts = np.array([p.size for p in parts])
    sums = np.array([float(p.sum()) for p in parts])
    for width in (60, 30, 20):  # one, two, three batches a column
        assert run_index_picture_of_batches(counts, sums, width, 2) == run_index_picture(
            samples, width, 2
        )


def test_run_chart_from_long_batches_fills_every_column():
    counts, sums = np.array([10, 10, 10]), np.array([100.0, 100.0, 300.0])
    rows = run_index_picture_of_batches(counts, sums, 3, 1)
    assert rows[0][2] == "█" and " " not in rows[0]


def test_histogram_picture_from_a_log_histogram_matches_the_samples():
    rng = np.random.default_rng(9)
    samples = rng.lognormal(np.log(3_000), 0.3, 100_000).astype(np.int64)
    exact = histogram_picture(samples, 60, 10, 0.003, 0.006)
    live = histogram_picture(LogHistogram.of(samples), 60, 10, 0.003, 0.006)
    assert (live.lo_ms, live.p50_col, live.p99_col) == (exact.lo_ms, exact.p50_col, exact.p99_col)
    assert live.hi_ms == exact.hi_ms and live.scale == exact.scale
    # Bar heights in eighths of a row. A column here is 4.5 % wide; a bucket (0.2 % wide) that
    # straddles one of its two edges moves its samples to the neighbour: up to ~9 % of a bar,
    # plus one eighth of rounding. Any other error (a wrong edge, a lost bucket) is larger.
    live_h, exact_h = heights(live.rows), heights(exact.rows)
    assert np.all(np.abs(live_h - exact_h) <= np.ceil(0.09 * exact_h) + 1)


def heights(rows: list[str]) -> np.ndarray:
    return np.array([[EIGHTHS.index(ch) for ch in row] for row in rows]).sum(axis=0)


def test_no_samples_yet_draws_what_empty_samples_draw():
    """The main screen's first frame draws its charts from None (no numpy needed yet)."""
    empty = np.empty(0, dtype=np.int64)
    for width, height in ((60, 10), (5, 3)):
        assert histogram_picture(None, width, height, None, None) == histogram_picture(
            empty, width, height, None, None
        )
        assert run_index_picture(None, width, height) == run_index_picture(empty, width, height)
