"""What the parent of a single run watches in the streamed samples: the CI width reached
(`run --until-ci`, run.until_ci_pct), sudden shifts of the per-batch medians, and the
worker's peak RSS.

Precision: the worker runs by time for run.max_duration_s; every batch it streams feeds
`ci_stop.SequentialCiWidth`, in blocks of ~50 ms of runs (sized from the first
batch, taken after warm-up: long enough for the stream's correlation, see level_bootstrap),
and the parent sends a Stop once the p50's 95% CI is within +-target of it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..profile import Profile
from .child import peak_rss_mb
from .ci_stop import CiWidthState, SequentialCiWidth
from .drift import Shift, describe_shifts, find_shifts
from .level_bootstrap import BLOCK_SECONDS


def block_runs_for(median_ns: float, block_s: float = BLOCK_SECONDS) -> int:
    return max(1, math.ceil(block_s * 1e9 / max(median_ns, 1.0)))


LIVE_SHIFT_EVERY_S = 1.0
LIVE_SCAN_POINTS = 200
"""Points a live shift scan looks at, at most (batch medians, grouped past this many): a
scan costs ~3 ms at 200 points and ~35 ms at 600 (it tries every stretch)."""
LIVE_SCAN_LONG_S = 3.0
"""Seconds between live scans once the stream is longer than LIVE_SCAN_POINTS batches."""


def batch_median(samples_ns: np.ndarray) -> float:
    """`np.median` of a batch, the same value, at about a third of its cost: one partition at
    the upper middle rank, then the largest value below it (np.median partitions at both
    middle ranks, which costs as much as three single ones)."""
    n = int(samples_ns.size)
    half = n // 2
    part = np.partition(samples_ns, half)
    upper = float(part[half])
    if n % 2:
        return upper
    return (float(part[:half].max()) + upper) / 2


MEDIANS_KEPT = 1 << 15
"""Points the shift detector keeps at most (~55 minutes of ~100 ms batches at full
resolution). When full, neighbours are merged in pairs (`BatchMedians`), so an hour or a day
costs the same 0.8 MB."""


class BatchMedians:
    """Per-batch medians and their times, for the shift detector and the live plot.

    Bounded: up to MEDIANS_KEPT points, one per batch; past that, each point stands for
    `stride` consecutive batches (2, 4, 8 ...): the mean of their medians, the time and first
    run of the first. A shift (a step lasting many batches) survives the merge; what a day
    long run loses is where within a few seconds it happened."""

    def __init__(self, capacity: int = MEDIANS_KEPT) -> None:
        self._capacity = max(2, capacity - capacity % 2)
        self._med = np.empty(self._capacity)
        self._time = np.empty(self._capacity)
        self._start = np.empty(self._capacity, dtype=np.int64)
        self._n = 0
        self.stride = 1
        """Batches per point."""
        self._pending: list[float] = []  # medians of the batches of the point being filled
        self._runs = 0
        self._t0: float | None = None
        self._live: list[int] = []
        self._live_at: float | None = None

    @property
    def medians(self) -> np.ndarray:
        return self._med[: self._n]

    @property
    def times_s(self) -> np.ndarray:
        return self._time[: self._n]

    @property
    def starts(self) -> np.ndarray:
        """Index of each point's first run in the stream (where a shift is marked)."""
        return self._start[: self._n]

    def add(self, samples_ns: np.ndarray) -> None:
        if not samples_ns.size:
            return
        now = time.perf_counter()
        if self._t0 is None:
            self._t0 = now
        if not self._pending:
            if self._n == self._capacity:
                self._halve()
            self._time[self._n] = now - self._t0
            self._start[self._n] = self._runs
        self._pending.append(batch_median(samples_ns))
        self._runs += int(samples_ns.size)
        if len(self._pending) == self.stride:
            self._med[self._n] = sum(self._pending) / self.stride
            self._n += 1
            self._pending = []

    def _halve(self) -> None:
        """Merge neighbouring points in pairs: half the points, twice the batches each."""
        half = self._n // 2
        self._med[:half] = self._med[: 2 * half].reshape(half, 2).mean(axis=1)
        self._time[:half] = self._time[: 2 * half : 2]
        self._start[:half] = self._start[: 2 * half : 2]
        self._n = half
        self.stride *= 2

    def shifts(self) -> list[Shift]:
        return find_shifts(self.medians, self.times_s)

    def warnings(self) -> list[str]:
        return describe_shifts(self.shifts())

    def records(self) -> list[dict[str, Any]]:
        """The shifts for the result: first run after each, its time and size."""
        return [
            {"run": int(self.starts[s.index]), "at_s": s.at_s, "ratio": round(s.ratio, 4)}
            for s in self.shifts()
        ]

    def live_runs(self, every_s: float = LIVE_SHIFT_EVERY_S) -> list[int]:
        """Run indices of the shifts seen so far, for the live plot (looked for at most every
        `every_s` seconds: a scan of a long stream costs milliseconds)."""
        now = time.perf_counter()
        n = len(self.medians)
        if n > LIVE_SCAN_POINTS:
            every_s = max(every_s, LIVE_SCAN_LONG_S)
        if self._live_at is None or now - self._live_at >= every_s:
            self._live_at = now
            # A scan's cost grows with its points: past LIVE_SCAN_POINTS batches, scan the
            # medians of groups of k batches instead, so a scan (and the share of a core the
            # live markers take) costs the same in the sixtieth minute as in the second. The
            # result's shifts (`records`) still come from every batch.
            k = -(-n // LIVE_SCAN_POINTS)
            if k == 1:
                found = [int(self.starts[s.index]) for s in self.shifts()]
            else:
                m = n // k
                grouped = np.median(self.medians[: m * k].reshape(m, k), axis=1)
                times = self.times_s[: m * k : k]
                found = [int(self.starts[s.index * k]) for s in find_shifts(grouped, times)]
            self._live = found
        return list(self._live)


RSS_EVERY_S = 1.0
"""Seconds between two reads of the worker's peak RSS while batches stream."""


class PeakRss:
    """The worker's peak RSS (VmHWM) as its parent reads it, so a run that dies before the
    worker reports its own still has one. A read opens /proc, about as costly as counting a
    batch of 10 000 samples, so while batches stream (10 a second) it reads at most every
    `every_s`; `final` reads once more. VmHWM is a high-water mark: a read sees every peak
    before it, so the spacing loses at most the growth of the last `every_s` before a death."""

    def __init__(
        self,
        pid: int | None,
        every_s: float = RSS_EVERY_S,
        clock: Callable[[], float] = time.perf_counter,
        read: Callable[[int | None], float | None] = peak_rss_mb,
    ) -> None:
        self.pid = pid
        self.every_s = every_s
        self._clock, self._read = clock, read
        self._read_at: float | None = None
        self.peak_mb: float | None = None
        """The highest read so far (None before any read succeeded)."""

    def batch(self) -> None:
        """A batch arrived: read when `every_s` has passed since the last read."""
        now = self._clock()
        if self._read_at is None or now - self._read_at >= self.every_s:
            self._read_at = now
            self._take()

    def final(self) -> float | None:
        """The peak, read once more now (the process may still be there)."""
        self._take()
        return self.peak_mb

    def _take(self) -> None:
        rss = self._read(self.pid)
        if rss is not None:
            self.peak_mb = max(rss, self.peak_mb or 0.0)


class PrecisionWatch:
    """Feeds a run's batches to the precision rule; says when to stop and how it ended."""

    def __init__(self, target_pct: float, max_duration_s: float) -> None:
        self.target = target_pct / 100.0
        self.max_duration_s = max_duration_s
        self.rule: SequentialCiWidth | None = None
        self._t0: float | None = None

    def add(self, samples_ns: np.ndarray) -> bool:
        """Take a batch; True when the target has just been reached (send the Stop)."""
        if not samples_ns.size:
            return False
        now = time.perf_counter()
        if self.rule is None:
            self._t0 = now
            self.rule = SequentialCiWidth(
                self.target, block_runs=block_runs_for(float(np.median(samples_ns)))
            )
        if self.rule.should_stop():
            return False
        self.rule.add_samples(samples_ns, now - (self._t0 or now))
        return self.rule.should_stop()

    def state(self) -> CiWidthState | None:
        return self.rule.state() if self.rule is not None else None

    def finish(self) -> dict[str, Any]:
        """The run ended: its `stopping` record for the result JSON."""
        state = None
        if self.rule is not None:
            elapsed = time.perf_counter() - (self._t0 or time.perf_counter())
            state = self.rule.finish(elapsed)
        return ci_width_record(state, self.target, self.max_duration_s)


def ci_width_record(
    state: CiWidthState | None, target: float, max_duration_s: float
) -> dict[str, Any]:
    reason = state.stop_reason if state is not None else "budget"
    return {
        "rule": "precision",
        "target": target,
        "max_duration_s": max_duration_s,
        "stopped_by": "precision reached" if reason == "precision" else "max duration",
        "level": state.level if state else 0.95,
        "p50_ci_ms": (
            [state.low_ns / 1e6, state.high_ns / 1e6]
            if state is not None and state.low_ns is not None and state.high_ns is not None
            else None
        ),
        "half_width": state.half_width if state else None,
        "blocks": state.blocks if state else 0,
        "eta_s": state.eta_s if state else None,
    }


def describe_stop(stopping: dict[str, Any]) -> str:
    """One line for the run's output: what stopped it and the CI reached."""
    target = f"±{stopping['target'] * 100:g}%"
    half = stopping.get("half_width")
    reached = f"±{half:.1%}" if half is not None else "no CI (too few blocks)"
    ci = stopping.get("p50_ci_ms")
    ci_text = ""
    if ci:  # in the unit of the p50 itself: a 12 µs p50 reads [12.31, 12.35] µs, not ms
        scale, unit = (1e3, "µs") if ci[1] < 1 else (1.0, "ms")
        ci_text = f" [{ci[0] * scale:.4g}, {ci[1] * scale:.4g}] {unit}"
    if stopping["stopped_by"] == "precision reached":
        return f"stopped: precision reached, p50 95% CI {reached}{ci_text} (target {target})"
    eta = stopping.get("eta_s")
    more = f"; ~{eta:.0f} s more would likely reach it" if eta and math.isfinite(eta) else ""
    return (
        f"stopped: max duration {stopping['max_duration_s']:g} s, p50 95% CI {reached}"
        f"{ci_text} (target {target} not reached{more})"
    )


def ci_width_target(profile: Profile) -> tuple[float, float] | None:
    """(target %, max seconds) when the profile asks to run until a precision, else None."""
    pct = float(profile.run.until_ci_pct)
    return (pct, float(profile.run.max_duration_s)) if pct > 0 else None
