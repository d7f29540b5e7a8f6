"""A rule's point estimate (the median of a stream's blocks so far) in memory that stops
growing: exact up to the limit, then from a log histogram plus the newest blocks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ortbench_tui.bench.block_median import BlockMedian
from ortbench_tui.bench.loghist import RELATIVE_ERROR
from ortbench_tui.bench.stopping import SequentialComparison


def stream(seed: int, blocks: int, size: int, median: float = 1e5) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.lognormal(math.log(median), 0.2, size).astype(np.int64) for _ in range(blocks)]


def test_below_the_limit_every_prefix_median_is_exact():
    medians = BlockMedian(exact_limit=10_000)
    blocks = stream(1, 30, 300)
    for block in blocks:
        medians.add(block)
    assert medians.exact and medians.blocks == 30 and medians.samples == 9_000
    for n in (1, 7, 30):
        assert medians.median(n) == float(np.median(np.concatenate(blocks[:n])))


def test_past_the_limit_memory_holds_the_recent_blocks_and_the_median_stays_within_0_1pct():
    medians = BlockMedian(recent=3, exact_limit=10_000)
    blocks = stream(2, 400, 500)  # 200 000 samples: 20x the limit
    for block in blocks:
        medians.add(block)
        assert medians.kept_samples <= max(10_000, 3 * 500)  # never more than the recent ones
    assert not medians.exact and medians.blocks == 400
    for n in (397, 399, 400):
        exact = float(np.median(np.concatenate(blocks[:n])))
        assert abs(medians.median(n) / exact - 1) <= RELATIVE_ERROR + 1e-12
    with pytest.raises(ValueError, match="first 396 blocks"):
        medians.median(396)  # folded away: older than the newest 3


def test_a_rule_with_generations_goes_on_past_the_exact_limit_with_the_right_estimate():
    """1.2 M samples a stream, sessions renewed every 10 rounds, rounds too noisy to decide
    (each round of each stream off by its own ~10%): the looks use complete generations only
    (up to 9 rounds behind the newest), which the store keeps raw; the estimate is the ratio
    of the streams' medians to the histogram's precision."""
    rule = SequentialComparison(
        200, margin=0.01, reps=200, points=8, first_look=10, generation_rounds=10
    )
    rng = np.random.default_rng(5)
    a_all, b_all = [], []
    for r in range(200):
        a = rng.lognormal(math.log(1e5) + rng.normal(0, 0.1), 0.05, 6_000).astype(np.int64)
        b = rng.lognormal(math.log(1e5) + rng.normal(0, 0.1), 0.05, 6_000).astype(np.int64)
        a_all.append(a)
        b_all.append(b)
        rule.add_round(a, b, elapsed_s=0.1 * (r + 1))
        assert rule.should_stop() == (r == 199)  # undecided to its last round
    final = rule.state()
    assert rule.block_samples(0) == 1_200_000 and final.verdict == "no clear difference"
    exact = float(np.median(np.concatenate(b_all)) / np.median(np.concatenate(a_all)))
    assert final.ratio == pytest.approx(exact, rel=2 * RELATIVE_ERROR)
