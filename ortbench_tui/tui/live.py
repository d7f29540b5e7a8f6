"""The run in progress as the live view needs it, shared by the reading thread and the timer.

The samples are counted once: the run's own store (`RunHandle.samples`, which the reading
thread extends before it hands the batch on) already holds a log histogram and per-batch
sums of every timed sample, so the live view `share`s it and counts nothing itself. A job
without such a store (a recorded run played back) is counted here, in a store that keeps no
samples. The UI timer copies the histogram at most ~10 times a second and redraws from it, so
a frame costs the same at the sixtieth minute as at the first. Nothing here runs per sample.
The store (numpy) is made when the first batch or copy needs it: the run panel holds a
`LiveSamples` from the main screen's first frame, long before any run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from ortbench_tui.bench.loghist import LogHistogram
    from ortbench_tui.bench.sample_store import SampleStore


class LiveSamples:
    """The streamed samples' histogram and batch sums (the run's store, or one of its own
    that keeps no samples) plus the run's position."""

    def __init__(self) -> None:
        self._store: SampleStore | None = None
        """The counts: the run's own store once shared, else one of this view's, made when
        first needed; None while nothing was counted."""
        self.shared = False
        """True once the counts are the run's own store's (`share`): `extend` is then wrong."""
        self._moves = 0
        self.phase = "starting"
        """starting | first_run | warmup | timed | done"""
        self.done = 0
        self.total: float | None = None
        self.elapsed_s = 0.0
        self.eta_s: float | None = None
        """The run's own estimate of the wall time still to go (None when it cannot say)."""
        self.timed_started_s: float | None = None
        """Elapsed time of the first timed batch minus its own length (for live throughput)."""

    def share(self, store: SampleStore) -> None:
        """Read the counts from `store`, the run's own, which its reader extends with every
        timed batch (before any is streamed: what was counted here is dropped)."""
        self._store, self.shared = store, True

    def extend(self, batch: np.ndarray) -> None:
        """Count a streamed batch (a job whose samples are in no store to share)."""
        if self.shared:
            raise RuntimeError("the live view shares the run's store: its reader counts them")
        self._counts().extend(batch)

    @property
    def size(self) -> int:
        return 0 if self._store is None else self._store.size

    @property
    def version(self) -> int:
        """Changes with every batch and position (a redraw can skip when nothing arrived)."""
        return (0 if self._store is None else self._store.version) + self._moves

    def histogram_copy(self) -> tuple[int, LogHistogram]:
        """(version, a copy of the histogram): a cost of its buckets, not of the samples."""
        moves = self._moves
        version, hist = self._counts().histogram_copy()
        return version + moves, hist

    def batch_sums(self) -> tuple[np.ndarray, np.ndarray]:
        """(samples, their sum in ns) per slot of consecutive batches, as copies."""
        return self._counts().batch_sums()

    def _counts(self) -> SampleStore:
        if self._store is None:
            from ortbench_tui.bench.sample_store import SampleStore

            self._store = SampleStore(spill=False, exact_limit=0)
        return self._store

    def set_position(
        self,
        phase: str,
        done: int,
        total: float | None,
        elapsed_s: float,
        eta_s: float | None = None,
    ) -> None:
        if phase == "timed" and self.timed_started_s is None:
            self.timed_started_s = max(0.0, elapsed_s - 0.1)
        self.phase, self.done, self.total, self.elapsed_s = phase, done, total, elapsed_s
        self.eta_s = eta_s
        self._moves += 1


class RedrawThrottle:
    """Decides when the live view redraws: at most `max_hz`, and slower (down to `min_hz`)
    while the app process uses more than `cpu_budget` of a core.

    The measurement shares the machine with the app: on two cores, every per cent of a core
    the view takes is taken from the run. The share counted is the whole process's (every
    thread: the reading of the stream included, and Textual's compositing of the frame, which
    a timer around the redraw code would not see), over the time since the last redraw. The
    next interval is the one that would have kept that share at the budget, half-way blended
    with the current one so a single busy moment does not swing it.
    """

    def __init__(
        self,
        max_hz: float = 10.0,
        min_hz: float = 2.0,
        cpu_budget: float = 0.05,
        clock: Callable[[], float] = time.perf_counter,
        cpu_clock: Callable[[], float] = time.process_time,
    ) -> None:
        self.min_interval = 1.0 / max_hz
        self.max_interval = 1.0 / min_hz
        self.cpu_budget = cpu_budget
        self.interval = self.min_interval
        """Seconds until the next redraw is due."""
        self._clock, self._cpu_clock = clock, cpu_clock
        self._last_start: float | None = None
        self._last_cpu = 0.0

    def due(self, now: float | None = None) -> bool:
        now = self._clock() if now is None else now
        # Half a timer period early counts as on time: the timer ticks every min_interval and
        # jitters, and a tick a hair early must not slip the redraw a whole period.
        slack = 0.5 * self.min_interval
        return self._last_start is None or now - self._last_start >= self.interval - slack

    def start(self) -> None:
        """A redraw starts now: learn from the CPU the process used since the last one."""
        now, cpu = self._clock(), self._cpu_clock()
        if self._last_start is not None and now > self._last_start:
            share = (cpu - self._last_cpu) / (now - self._last_start)
            wanted = self.interval * share / self.cpu_budget
            blended = 0.5 * (self.interval + wanted)
            self.interval = min(self.max_interval, max(self.min_interval, blended))
        self._last_start, self._last_cpu = now, cpu
