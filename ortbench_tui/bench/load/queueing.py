"""Queueing theory as a check of the harness: the M/G/1 Pollaczek-Khinchine mean wait.

With Poisson arrivals at rate λ and one server whose service times S are independent, the
mean time a request waits before its service starts is

    Wq = λ E[S²] / (2 (1 - ρ)),   ρ = λ E[S]

(Pollaczek-Khinchine). The harness is such a queue when it has one serving thread, so its
measured mean wait must match the formula computed from its own measured service times. The
server's time per request is the service (end - start) plus the hand-over from one request
to the next (the queue's get and the thread's wake-up: `occupancy_s`), and a request's wait
starts at its scheduled time, so the late issue (`issued - scheduled`) adds its mean. Both
are measured; what is left is the queue, and the formula.

The measured mean wait is a correlated average (a long wait makes the next ones long), so its
standard error comes from batch means: the step cut into contiguous batches, much longer
than a busy period, and the spread of their means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..level_bootstrap import t_quantile
from .harness import Timeline

BATCHES = 10


def pk_mean_wait(rate: float, service_s: np.ndarray) -> float:
    """Pollaczek-Khinchine mean wait (s) for Poisson arrivals at `rate` and these services."""
    s = np.asarray(service_s, dtype=np.float64)
    rho = rate * float(s.mean())
    if rho >= 1.0:
        return math.inf
    return rate * float((s * s).mean()) / (2.0 * (1.0 - rho))


def occupancy_s(tl: Timeline) -> np.ndarray:
    """One server's time per request: its service plus the hand-over before it, where the
    server went straight from the previous request to this one (it was queued)."""
    start, end = tl.start_ns.astype(np.float64), tl.end_ns.astype(np.float64)
    ready = np.maximum(tl.issued_ns[1:].astype(np.float64), end[:-1])
    handover = np.concatenate([[0.0], np.maximum(0.0, start[1:] - ready)])
    return np.asarray((end - start + handover) / 1e9)


def batch_mean_se(x: np.ndarray, batches: int = BATCHES) -> float:
    """Standard error of mean(x) from the means of contiguous batches."""
    k = min(batches, x.size // 10)
    if k < 2:
        return math.inf
    m = x.size // k
    means = x[: k * m].reshape(k, m).mean(axis=1)
    return float(means.std(ddof=1) / math.sqrt(k))


@dataclass(frozen=True)
class PkCheck:
    """Measured mean wait against Pollaczek-Khinchine, from one single-server step."""

    rate: float
    utilisation: float
    service_mean_ms: float
    measured_wait_ms: float
    predicted_wait_ms: float
    """PK from the occupancy times, plus the mean issue lag."""
    pk_pure_ms: float
    """PK from the service times alone (no hand-over, no issue lag): what an ideal harness
    would show."""
    se_ms: float
    """Standard error of the measured mean (batch means)."""
    z: float
    """(measured - predicted) / se."""

    def within(self, sigmas: float) -> bool:
        return abs(self.z) <= sigmas


def pk_check(tl: Timeline, duration_s: float) -> PkCheck:
    served = tl.end_ns > 0
    if not np.all(served) or tl.stopped:
        raise ValueError("the P-K check needs a whole step with every request served")
    rate = tl.scheduled_ns.size / duration_s
    occ = occupancy_s(tl)
    service = (tl.end_ns - tl.start_ns) / 1e9
    lag = (tl.issued_ns - tl.scheduled_ns) / 1e9
    wait = (tl.start_ns - tl.scheduled_ns) / 1e9
    predicted = pk_mean_wait(rate, occ) + float(lag.mean())
    se = batch_mean_se(wait)
    measured = float(wait.mean())
    return PkCheck(
        rate=rate,
        utilisation=rate * float(occ.mean()),
        service_mean_ms=float(service.mean()) * 1e3,
        measured_wait_ms=measured * 1e3,
        predicted_wait_ms=predicted * 1e3,
        pk_pure_ms=pk_mean_wait(rate, service) * 1e3,
        se_ms=se * 1e3,
        z=(measured - predicted) / se if se > 0 else math.inf,
    )


def two_sided_t(sigmas: float, df: int = BATCHES - 1) -> float:
    """P(|T| > sigmas) for Student's t with `df` degrees of freedom (a bound's false-failure
    rate when the batch means are close to independent and normal)."""
    lo, hi = 0.5, 1.0 - 1e-12
    for _ in range(80):  # invert t_quantile by bisection: it is what the project has
        mid = (lo + hi) / 2
        if t_quantile(mid, df) < sigmas:
            lo = mid
        else:
            hi = mid
    return 2.0 * (1.0 - lo)
