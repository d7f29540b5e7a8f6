"""`interleave.settle_pools`: after a pooled session's block the child waits until the
process's threads are idle, so a spinning ORT worker does not run into the next block."""

from __future__ import annotations

import threading
import time

from ortbench_tui.bench.interleave import SETTLE_SLICE_S, settle_pools


def _burn(seconds: float, started: threading.Event) -> None:
    """A thread of this process on a core for `seconds` (like a spinning pool worker)."""
    started.set()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(range(1000))


def test_it_waits_while_another_thread_of_the_process_spins_and_returns_when_it_stops():
    """False-failure bound: the burning thread holds the GIL only between the 5 ms switch
    intervals, so the waiting thread wakes on time; a burn of 0.3 s is read as busy in every
    10 ms slice even on a loaded machine (the thread is charged ticks whenever it runs), and
    the wait ends within a few slices of the burn (cap 2 s, far above)."""
    started = threading.Event()
    spinner = threading.Thread(target=_burn, args=(0.3, started))
    spinner.start()
    started.wait()
    waited = settle_pools(cap_s=2.0)
    spinner.join()
    assert 0.2 <= waited < 0.3 + 30 * SETTLE_SLICE_S, waited


def test_an_idle_process_is_settled_at_the_first_slices():
    waited = settle_pools(cap_s=2.0)
    assert waited < 0.5, waited


def test_a_thread_that_never_parks_is_waited_for_at_most_the_cap():
    started = threading.Event()
    spinner = threading.Thread(target=_burn, args=(1.0, started))
    spinner.start()
    started.wait()
    waited = settle_pools(cap_s=0.1)
    spinner.join()
    assert 0.1 <= waited < 0.5, waited
