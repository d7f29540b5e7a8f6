"""The shift scan's search over every stretch at once finds what a loop over its starts found."""

from __future__ import annotations

import numpy as np
import pytest

from ortbench_tui.bench import drift


def loop_best_stretch(ranks: np.ndarray, min_segment: int) -> tuple[float, int, int]:
    """The search as a loop over the stretch's start (the reference the vectorised one keeps)."""
    n = ranks.size
    total = np.concatenate([[0.0], np.cumsum(ranks)])
    var = (n * n - 1) / 12
    step = max(1, n // drift.MAX_CUTS)
    best = (0.0, 0, n)
    for i in range(0, n - min_segment + 1, step):
        ends = np.arange(i + min_segment, n + 1, step)
        ends = ends[n - (ends - i) >= min_segment]
        if not ends.size:
            continue
        inside = ends - i
        mean_in = (total[ends] - total[i]) / inside
        mean_out = (total[n] - total[ends] + total[i]) / (n - inside)
        z = np.abs(mean_in - mean_out) / np.sqrt(var * (1 / inside + 1 / (n - inside)))
        k = int(np.argmax(z))
        if z[k] > best[0]:
            best = (float(z[k]), i, int(ends[k]))
    return best


def streams() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    out = []
    for n in (16, 17, 40, 399, 401, 900, 2500):
        flat = rng.lognormal(0, 0.05, n) * 1000
        step = flat.copy()
        step[n // 3 :] *= 1.3
        stall = flat.copy()
        stall[n // 2 : n // 2 + max(8, n // 10)] *= 2.0
        ties = np.round(flat / 50) * 50  # many equal medians
        out += [flat, step, stall, ties]
    return out


@pytest.mark.parametrize("index", range(28))
def test_the_vectorised_search_equals_the_loop(index):
    ranks = drift.ranks_of(np.log(streams()[index]))
    for min_segment in (drift.MIN_SEGMENT, 3):
        fast = drift.best_stretch(ranks, min_segment)
        assert fast == loop_best_stretch(ranks, min_segment)


def test_a_live_scan_of_a_long_stream_groups_batches_and_still_finds_the_step():
    from ortbench_tui.bench.run_watch import LIVE_SCAN_POINTS, BatchMedians

    rng = np.random.default_rng(3)
    batches = BatchMedians()
    n = 10 * LIVE_SCAN_POINTS  # ten batches to a point
    for b in range(n):
        level = 1300.0 if b >= 7 * LIVE_SCAN_POINTS else 1000.0
        batches.add((rng.lognormal(0, 0.02, 100) * level).astype(np.int64))
    (run,) = batches.live_runs(every_s=0.0)
    step_run = batches.starts[7 * LIVE_SCAN_POINTS]
    assert abs(run - step_run) <= 10 * 100  # within one grouped point
