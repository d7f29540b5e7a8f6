"""The figures of one load step: response and service time, queue wait, rates, keeping up.

Response time (end - scheduled) is what a caller of the server sees; service time (end -
start) is what a closed-loop benchmark sees. Requests given up at the drain limit (the rate
was above capacity) enter the response-time figures at their lower bound, the time they had
waited when they were given up: leaving them out would be coordinated omission again.

"Could not keep up": the queue grew over the step instead of staying around a level. Either
requests were still queued when the drain limit ran out, or the achieved rate (requests
finished per second, first arrival to last end) fell below `KEEP_UP` of the offered rate
*and* the queue took more than `DRAIN_SHARE` of the step's length to empty after the last
arrival: a backlog that large was built over the step. (A stable queue also ends with a
few requests queued; on a short step with a slow last request the achieved rate alone
would call that overload.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..stats import PERCENTILES
from .harness import Timeline

KEEP_UP = 0.97
"""Achieved / offered below this (with a long drain): the system did not keep up."""
DRAIN_SHARE = 0.1
"""Emptying the queue after the last arrival took more than this share of the step."""
LOAD_PERCENTILES = {"p50": 50.0, "p90": 90.0, "p99": 99.0, "p999": 99.9}
LABELS = {"p50": "p50", "p90": "p90", "p99": "p99", "p999": "p99.9"}
SERIES_POINTS = 60
"""Points of the per-step time series (p99 over time, queue depth) kept in the result."""


def quantiles_ms(values_ns: np.ndarray) -> dict[str, float | None]:
    """mean and p50..p99.9 in ms (None for an empty set)."""
    if values_ns.size == 0:
        return {"mean": None, **{k: None for k in LOAD_PERCENTILES}, "max": None}
    ms = values_ns.astype(np.float64) / 1e6
    qs = np.percentile(ms, list(LOAD_PERCENTILES.values()), method="linear")
    out: dict[str, float | None] = {"mean": float(ms.mean())}
    out.update({k: float(q) for k, q in zip(LOAD_PERCENTILES, qs, strict=True)})
    out["max"] = float(ms.max())
    return out


@dataclass
class StepSummary:
    """One step at one offered rate (and the shape mix's per-shape figures)."""

    index: int
    rate: float
    """Offered rate asked for (requests/s)."""
    requests: int
    """Requests in the schedule."""
    served: int
    given_up: int
    offered_per_s: float
    """Requests scheduled / the schedule's length (the Poisson draw, not the rate asked)."""
    achieved_per_s: float
    response_ms: dict[str, float | None]
    service_ms: dict[str, float | None]
    wait_ms: dict[str, float | None]
    issue_lag_us: dict[str, float | None]
    """Issued - scheduled, in µs: the harness's own schedule accuracy."""
    utilisation: float
    """Sum of service times / (threads x the step's length, or up to the last end if the
    queue drained after it)."""
    kept_up: bool
    stopped: bool
    max_queue: int
    series: dict[str, list[float]] = field(default_factory=dict)
    """t_s, p99_ms, queue, achieved_per_s over the step, SERIES_POINTS windows."""
    per_shape: list[dict[str, Any]] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    """Filled by --find-max: the SLO percentile's CI and pass / fail / undecided."""
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepSummary:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def counted(tl: Timeline) -> np.ndarray:
    """The requests whose response time counts: the served ones, and those given up at the
    drain limit (not those dropped by a stop: the user ended the step, not the queue)."""
    served = tl.end_ns > 0
    if tl.stopped or tl.cut_ns <= 0:
        return served
    return np.asarray(served | (tl.issued_ns > 0), dtype=bool)


def all_responses(tl: Timeline) -> np.ndarray:
    """Per request (in arrival order): end - scheduled, or cut - scheduled if given up."""
    return np.where(tl.end_ns > 0, tl.end_ns - tl.scheduled_ns, tl.cut_ns - tl.scheduled_ns)


def response_ns(tl: Timeline) -> np.ndarray:
    """Every counted request's response time, in arrival order; given-up ones at their lower
    bound (the time they had waited when they were given up)."""
    return np.asarray(all_responses(tl)[counted(tl)], dtype=np.int64)


def queue_depth(tl: Timeline, at_ns: np.ndarray) -> np.ndarray:
    """Requests arrived (scheduled) but not yet started, at each time in `at_ns`."""
    sched = np.sort(tl.scheduled_ns[tl.issued_ns > 0])
    starts = np.sort(tl.start_ns[tl.start_ns > 0])
    arrived = np.searchsorted(sched, at_ns, side="right")
    begun = np.searchsorted(starts, at_ns, side="right")
    return np.asarray(arrived - begun, dtype=np.int64)


def _series(tl: Timeline, resp: np.ndarray, order_sched: np.ndarray) -> dict[str, list[float]]:
    if order_sched.size < 2:
        return {}
    t0, t1 = int(order_sched[0]), int(max(order_sched[-1], tl.end_ns.max()))
    edges = np.linspace(t0, t1, SERIES_POINTS + 1)
    idx = np.searchsorted(edges, order_sched, side="right") - 1
    p99 = []
    for w in range(SERIES_POINTS):
        x = resp[idx == w]
        p99.append(float(np.percentile(x, 99) / 1e6) if x.size else 0.0)
    ends = np.sort(tl.end_ns[tl.end_ns > 0])
    done = np.diff(np.searchsorted(ends, edges)) / np.diff(edges) * 1e9
    return {
        "t_s": [float(x) for x in (edges[1:] - t0) / 1e9],
        "p99_ms": p99,
        "queue": [float(q) for q in queue_depth(tl, edges[1:].astype(np.int64))],
        "achieved_per_s": [float(x) for x in done],
    }


def summarize_step(
    index: int, rate: float, duration_s: float, threads: int, tl: Timeline,
    shape_labels: list[str] | None = None,
) -> StepSummary:  # fmt: skip
    """The step's figures from its timeline (requests never issued, after a stop, are out)."""
    issued = tl.issued_ns > 0
    served = tl.end_ns > 0
    n_issued = int(issued.sum())
    n_served = int(served.sum())
    given_up = int((issued & ~served).sum()) if not tl.stopped else 0
    resp = response_ns(tl)
    service = (tl.end_ns - tl.start_ns)[served]
    wait = (tl.start_ns - tl.scheduled_ns)[served]
    lag = (tl.issued_ns - tl.scheduled_ns)[issued]
    sched_issued = tl.scheduled_ns[issued]
    span_ns = float(duration_s * 1e9)
    if tl.stopped and n_issued:
        span_ns = max(1.0, float(sched_issued.max() - tl.scheduled_ns[0]))
    offered = n_issued / span_ns * 1e9 if n_issued else 0.0
    # Achieved: finished requests over the time from the first arrival to the last finish,
    # but at least the schedule's span (a drained queue makes no rate look higher).
    busy_ns = span_ns
    if n_served:
        busy_ns = max(span_ns, float(tl.end_ns[served].max() - tl.scheduled_ns[0]))
    achieved = n_served / busy_ns * 1e9 if n_served else 0.0
    # Over the same window as the achieved rate: a queue drained after the last arrival
    # makes no thread look more than fully busy.
    util = float(service.sum()) / (threads * max(busy_ns, 1.0))
    drain_ns = 0.0
    if n_served and n_issued:
        drain_ns = float(tl.end_ns[served].max() - sched_issued.max())
    slow = offered > 0 and achieved < KEEP_UP * offered and drain_ns > DRAIN_SHARE * span_ns
    kept_up = given_up == 0 and not slow
    lag_us = quantiles_ms(lag)
    lag_us = {k: (v * 1000 if v is not None else None) for k, v in lag_us.items()}
    keep = counted(tl)
    every = all_responses(tl)
    series = _series(tl, every[keep], tl.scheduled_ns[keep])
    per_shape: list[dict[str, Any]] = []
    labels = shape_labels or []
    if len(labels) > 1:
        shapes = tl.shapes
        for s, label in enumerate(labels):
            m = shapes == s
            per_shape.append(
                {
                    "shape": label,
                    "requests": int((m & issued).sum()),
                    "response_ms": quantiles_ms(every[m & keep]),
                    "service_ms": quantiles_ms((tl.end_ns - tl.start_ns)[m & served]),
                }
            )
    max_q = max((int(q) for q in series.get("queue", [])), default=0)
    return StepSummary(
        index=index,
        rate=rate,
        requests=n_issued,
        served=n_served,
        given_up=given_up,
        offered_per_s=offered,
        achieved_per_s=achieved,
        response_ms=quantiles_ms(resp),
        service_ms=quantiles_ms(service),
        wait_ms=quantiles_ms(wait),
        issue_lag_us=lag_us,
        utilisation=util,
        kept_up=kept_up,
        stopped=tl.stopped,
        max_queue=max_q,
        series=series,
        per_shape=per_shape,
        error=tl.error,
    )


__all__ = ["PERCENTILES", "StepSummary", "quantiles_ms", "response_ns", "summarize_step"]
