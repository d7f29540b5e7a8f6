"""`interleave.settle_pools`: after a pooled session's block the child waits until the
process's threads are idle, so a spinning ORT worker does not run into the next block."""

from __future__ import annotations

import threading
import time

from ortbench_tui.bench.interleave import SETTLE_SLICE_S, settle_pools


class Spinner:
    """A thread of this process on a core for `seconds` (like a spinning pool worker), from
    entering the block to its end at the latest."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = threading.Event()
        self.thread = threading.Thread(target=self._burn)

    def _burn(self) -> None:
        self.started.set()
        end = time.perf_counter() + self.seconds
        while time.perf_counter() < end:
            sum(range(1000))

    def __enter__(self) -> Spinner:
        self.thread.start()
        self.started.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        self.thread.join()


def test_it_waits_while_another_thread_of_the_process_spins_and_returns_when_it_stops():
    """False-failure bound: the wait ends early only if the spinning thread is charged under
    3 ms in two 10 ms slices in a row while it runs (scheduler ticks are 4 ms; with another
    test process on a 2-core machine it still gets more than half a core), and the burning
    thread holds the GIL only between 5 ms switch intervals, so the waiting thread wakes on
    time; the wait ends within a few slices of the burn (cap 2 s, far above)."""
    with Spinner(0.3):
        waited = settle_pools(cap_s=2.0)
    assert 0.2 <= waited < 0.3 + 30 * SETTLE_SLICE_S, waited


def test_an_idle_process_is_settled_at_the_first_slices():
    waited = settle_pools(cap_s=2.0)
    assert waited < 0.5, waited


def test_a_thread_that_never_parks_is_waited_for_at_most_the_cap():
    with Spinner(1.0):
        waited = settle_pools(cap_s=0.1)
    assert 0.1 <= waited < 0.5, waited
