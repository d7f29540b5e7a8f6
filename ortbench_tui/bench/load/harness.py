"""The open-loop harness: requests issued at their scheduled times to N serving threads.

Mechanism (what the README's "How open-loop load is measured" states):

* The schedule is made before the step starts (`schedule.make_schedule`); the step's clock
  starts `LEAD_S` later, so the first requests are not late because of set-up.
* One issuing thread (the worker's main thread) waits for each request's time: it sleeps
  until `SPIN_NS` before it (Linux sleeps overshoot by ~50-100 µs, more on a loaded machine),
  then spins on `perf_counter_ns` calling `time.sleep(0)` between reads, which releases the
  GIL so the serving threads' few Python lines between two ORT calls are never held up by
  the spin. It records the issue time and puts the request's index on a FIFO queue
  (`queue.SimpleQueue`, C code). A request whose time has passed is issued at once: a late
  harness adds to the response time, it never hides it (no coordinated omission).
* N serving threads share one ORT session: each takes the oldest request, records its start,
  calls ORT (the session's `run`, which releases the GIL, so N threads overlap inside ORT as
  N requests of a server would), and records its end. Threads on one session, not N
  sessions: a server keeps one copy of the weights and one arena, and the concurrency
  question is how that one session serves overlapping requests (as `curve` measures it too).
* Times are `perf_counter_ns` into preallocated int64 arrays indexed by request, so no list
  grows and no lock is taken while the step runs; progress is read from per-thread counters.

Response time is end - scheduled, service time end - start, queue wait start - scheduled
(issue lag, the queue and the thread hand-over together), issue lag issued - scheduled.

The harness knows nothing of ORT: a service is any callable, so the tests give it a service
of known shape (a sleep, which like ORT releases the GIL) and check it against queueing
theory.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .schedule import Schedule

Call = tuple[Callable[..., Any], tuple[Any, ...]]
"""(callable, args): one request's work, ready to call."""

SPIN_NS = 200_000
"""Sleep until this long before a request's time, then spin (sleep(0) between reads)."""
LEAD_S = 0.02
"""The step's clock starts this long after the schedule is handed over."""
DRAIN_POLL_S = 0.002


@dataclass
class Timeline:
    """Every request of one step, times in perf_counter_ns (0: the request never got there)."""

    scheduled_ns: np.ndarray
    issued_ns: np.ndarray
    start_ns: np.ndarray
    end_ns: np.ndarray
    shapes: np.ndarray
    stopped: bool
    """The step was stopped before its schedule ended (kept: what was measured stands)."""
    cut_ns: int
    """When requests still queued were given up (drain limit or stop); 0 if none was."""
    error: str | None = None


@dataclass(frozen=True)
class LiveView:
    """What a progress line or the live screen shows, read while the step runs."""

    issued: int
    started: int
    done: int
    total: int
    elapsed_s: float
    response_ns: np.ndarray
    """Response times of the requests finished since the last view (in request order)."""


class OpenLoop:
    """One step: `run()` from the issuing thread; `stop()` from any other, `view()` from one
    other (the reporter: each view hands on the responses finished since the last)."""

    def __init__(
        self,
        schedule: Schedule,
        calls: list[list[list[Call]]],
        drain_s: float,
        spin_ns: int = SPIN_NS,
        lead_s: float = LEAD_S,
    ) -> None:
        """`calls[thread][shape]` is that thread's list of calls for that shape (rotated
        through, one per input set); `drain_s` is how long after the last arrival the queue
        may take to empty before what is left is given up (the rate was above capacity)."""
        n = schedule.size
        self.schedule = schedule
        self.calls = calls
        self.threads = len(calls)
        self.drain_s = drain_s
        self.spin_ns = spin_ns
        self.lead_s = lead_s
        self.scheduled = np.zeros(n, dtype=np.int64)
        self.issued = np.zeros(n, dtype=np.int64)
        self.start = np.zeros(n, dtype=np.int64)
        self.end = np.zeros(n, dtype=np.int64)
        self._stop = [False]
        self._skip = [False]
        self._issued_count = 0
        self._started = [0] * self.threads
        self._done = [0] * self.threads
        self._watermark = 0
        self._t0 = 0
        self._errors: list[BaseException] = []

    def stop(self) -> None:
        """Issue no more; requests in service finish, queued ones are given up."""
        self._stop[0] = True

    def view(self) -> LiveView:
        hi, lo = self._issued_count, self._watermark
        seg_end = self.end[lo:hi]
        pending = np.flatnonzero(seg_end == 0)
        upto = lo + (int(pending[0]) if pending.size else seg_end.size)
        done_end = self.end[lo:upto]
        response = done_end - self.scheduled[lo:upto]
        self._watermark = upto
        elapsed = (time.perf_counter_ns() - self._t0) / 1e9 if self._t0 else 0.0
        return LiveView(
            hi, sum(self._started), sum(self._done), self.schedule.size, elapsed, response
        )

    def _serve(self, t: int) -> None:
        get, calls, skip = self._queue.get, self.calls[t], self._skip
        start, end, shapes = self.start, self.end, self._shape_list
        started, done = self._started, self._done
        sets = [len(c) for c in calls]
        pc = time.perf_counter_ns
        n = 0
        try:
            while True:
                i = get()
                if i < 0:
                    return
                if skip[0]:
                    continue
                started[t] += 1
                s = shapes[i]
                fn, args = calls[s][n % sets[s]]
                n += 1
                t0 = pc()
                fn(*args)
                t1 = pc()
                start[i] = t0
                end[i] = t1
                done[t] += 1
        except BaseException as exc:  # an ORT error ends the step; the measured part is kept
            self._errors.append(exc)
            self._stop[0] = True
            self._skip[0] = True
            while self._queue.get() >= 0:  # let the issuer's sentinels through
                pass

    def run(self) -> Timeline:
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._shape_list = self.schedule.shapes.tolist()
        servers = [
            threading.Thread(target=self._serve, args=(t,), daemon=True)
            for t in range(self.threads)
        ]
        for th in servers:
            th.start()
        pc, sleep, put, stop = time.perf_counter_ns, time.sleep, self._queue.put, self._stop
        issued, spin = self.issued, self.spin_ns
        t0 = pc() + int(self.lead_s * 1e9)
        self.scheduled[:] = self.schedule.offsets_ns + t0
        self._t0 = t0
        for i, target in enumerate(self.scheduled.tolist()):
            if stop[0]:
                break
            gap = target - pc()
            if gap > spin:
                sleep((gap - spin) / 1e9)
            now = pc()
            while now < target:
                sleep(0)  # releases the GIL: a serving thread is never held up by the spin
                now = pc()
            issued[i] = now
            put(i)
            self._issued_count = i + 1
        deadline = pc()
        if not stop[0] and self.schedule.size:
            deadline = int(self.scheduled[-1]) + int(self.drain_s * 1e9)
        while sum(self._done) + len(self._errors) < self._issued_count and pc() < deadline:
            if stop[0]:  # those in service finish, the queued are given up
                break
            sleep(DRAIN_POLL_S)
        # A stop during the drain is the user's too: what is left is not the queue's failure.
        stopped = bool(stop[0]) and not self._errors
        cut = 0
        if sum(self._started) < self._issued_count:
            cut = pc()
        self._skip[0] = True
        for _ in servers:
            put(-1)
        for th in servers:
            th.join()
        error = None
        if self._errors:
            exc = self._errors[0]
            error = f"{type(exc).__name__}: {exc}"
        return Timeline(
            self.scheduled,
            self.issued,
            self.start,
            self.end,
            self.schedule.shapes,
            stopped,
            cut,
            error,
        )
