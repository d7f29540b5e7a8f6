"""What the parent watches per streamed batch, at a cost of that batch only: the batch
median (exactly numpy's) and the worker's peak RSS (read at most once a second)."""

from __future__ import annotations

import numpy as np
import pytest

from ortbench_tui.bench.run_watch import BatchMedians, PeakRss, batch_median


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 10, 9_999, 10_000])
def test_the_batch_median_is_numpys(size):
    rng = np.random.default_rng(size)
    for _ in range(20):
        wide = rng.integers(0, 10**12, size)
        ties = rng.integers(2_990, 3_010, size)  # microsecond integers: many equal values
        for batch in (wide, ties):
            assert batch_median(batch) == float(np.median(batch))
    medians = BatchMedians()
    medians.add(ties)
    assert medians.medians.tolist() == [float(np.median(ties))]


class Reads:
    """A /proc stand-in: counts its reads, gives a rising peak."""

    def __init__(self) -> None:
        self.pids: list[int | None] = []

    def __call__(self, pid: int | None) -> float | None:
        self.pids.append(pid)
        return 10.0 * len(self.pids)


def test_peak_rss_is_read_at_most_once_a_second_while_batches_stream():
    clock = {"now": 100.0}
    reads = Reads()
    rss = PeakRss(4321, every_s=1.0, clock=lambda: clock["now"], read=reads)
    for _ in range(36):  # 4.5 s of batches, 8 a second (steps exact in binary)
        rss.batch()
        clock["now"] += 0.125
    # Read at the first batch (100.0), then once each second: 101, 102, 103, 104.
    assert reads.pids == [4321] * 5
    assert rss.peak_mb == 50.0
    assert rss.final() == 60.0  # the figure is read once more when asked for


def test_peak_rss_keeps_the_highest_read_once_the_process_is_gone():
    answers = iter([50.0, None])
    rss = PeakRss(1, every_s=0.0, clock=lambda: 0.0, read=lambda pid: next(answers))
    rss.batch()
    assert rss.final() == 50.0


def test_the_shift_detector_keeps_bounded_memory_and_still_finds_a_step():
    """A day of batches costs what an hour does: past its capacity the series merges
    neighbours in pairs. 4000 batches of 100 runs into 64 points (stride 64), a 30% step at
    batch 2800: still found, its run within one point of the step."""
    rng = np.random.default_rng(5)
    batches = BatchMedians(capacity=64)
    exact = BatchMedians()
    for b in range(4000):
        level = 1300.0 if b >= 2800 else 1000.0
        batch = (rng.lognormal(0, 0.02, 100) * level).astype(np.int64)
        batches.add(batch)
        exact.add(batch)
        assert batches.medians.size <= 64
    assert batches.stride == 64 and batches.medians.size == 4000 // 64
    (shift,) = batches.records()
    assert abs(shift["run"] - 2800 * 100) <= 64 * 100
    assert shift["ratio"] == pytest.approx(1.3, rel=0.02)
    # below its capacity, one point per batch: the same series as before
    assert exact.stride == 1 and exact.medians.size == 4000
    assert exact.starts[:3].tolist() == [0, 100, 200]
