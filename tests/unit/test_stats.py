"""Statistics are exact, from all samples, and warnings fire when they should."""

from __future__ import annotations

import numpy as np

from ortbench_tui.bench.stats import histogram, min_samples_for, stability_warnings, summarize


def test_summary_matches_numpy_on_all_samples():
    rng = np.random.default_rng(1)
    ns = rng.integers(50_000, 150_000, size=12_345).astype(np.int64)
    s = summarize(ns)
    ms = ns / 1e6
    assert s["p50"] == np.median(ms)
    assert s["p999"] == np.percentile(ms, 99.9)
    assert s["min"] == ms.min() and s["max"] == ms.max()
    assert abs(s["mean"] - ms.mean()) < 1e-12
    assert abs(s["cv"] - ms.std(ddof=1) / ms.mean()) < 1e-12


def test_known_values():
    s = summarize(np.array([1_000_000, 2_000_000, 3_000_000, 4_000_000], dtype=np.int64))
    assert (s["min"], s["p50"], s["max"], s["mean"]) == (1.0, 2.5, 4.0, 2.5)
    assert abs(s["p90"] - 3.7) < 1e-12  # linear: 1 + 0.9 * 3 = 3.7 -> between 3 and 4 ms


def test_thin_tail_and_cv_warnings():
    assert min_samples_for(99.9) == 10_000 and min_samples_for(99) == 1000
    steady = summarize(np.full(500, 1_000_000, dtype=np.int64))
    warns = stability_warnings(steady, 500)
    assert any("p99, p99.9 from 500 runs" in w for w in warns)
    assert not any("unstable" in w for w in warns)
    noisy = summarize(np.array([1, 10] * 10_000, dtype=np.int64) * 1_000_000)
    assert any("unstable" in w for w in stability_warnings(noisy, 20_000))


def test_histogram_counts_everything():
    ns = np.random.default_rng(2).integers(10_000, 1_000_000, 5000)
    counts, edges = histogram(ns, bins=20)
    assert counts.sum() == 5000 and len(edges) == 21
    assert edges[0] <= ns.min() / 1e6 and edges[-1] >= ns.max() / 1e6
