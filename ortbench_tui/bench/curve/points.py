"""Each point's figures and the knee of the curve, from the samples the worker sent.

p50/p90/p99/mean/CV are exact over all of a point's requests; requests/s is requests over
the point's wall time (first start to last end, all threads); items/s is requests/s times
the batch (the first input's leading dim). The p50's 95% CI uses the comparisons' bootstrap
(compare.bootstrap, samples in start order cut into contiguous chunks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np

from ...text import format_ms
from ..compare.bootstrap import bootstrap_median, sequential_set
from ..job_records import PointRecord
from ..result_record import LatencyRecord, given
from ..stats import summarize

WITHIN_BEST = 0.05
"""A batch is at the knee when its items/s is within this share of the best."""


@dataclass
class PointResult:
    index: int
    dims: dict[str, int]
    concurrency: int
    status: str = "ok"
    """ok | failed | not run"""
    error: str = ""
    requests: int = 0
    wall_s: float = 0.0
    items_per_request: int = 1
    latency_ms: dict[str, float | None] = field(default_factory=dict)
    cv: float | None = None
    requests_per_s: float | None = None
    items_per_s: float | None = None
    p50_ci: tuple[float, float] | None = None
    shapes: dict[str, list[int]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return " ".join([*(f"{k}={v}" for k, v in self.dims.items()), f"C={self.concurrency}"])

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def record(self) -> PointRecord:
        """The point as the curve file holds it (every key, as it has always written them)."""
        return PointRecord(
            index=self.index,
            dims=dict(self.dims),
            concurrency=self.concurrency,
            status=self.status,
            error=self.error,
            requests=self.requests,
            wall_s=self.wall_s,
            items_per_request=self.items_per_request,
            latency_ms=LatencyRecord(**self.latency_ms),
            cv=self.cv,
            requests_per_s=self.requests_per_s,
            items_per_s=self.items_per_s,
            p50_ci=list(self.p50_ci) if self.p50_ci else None,
            shapes=dict(self.shapes),
        )

    @classmethod
    def from_record(cls, r: PointRecord) -> PointResult:
        """A point read back (`load_curve`); a field an older file lacks takes its default."""
        ci = given(r.p50_ci, None)
        latency = given(r.latency_ms, None)
        return cls(
            index=r.index,
            dims=dict(r.dims),
            concurrency=r.concurrency,
            status=given(r.status, "ok"),
            error=given(r.error, ""),
            requests=given(r.requests, 0),
            wall_s=given(r.wall_s, 0.0),
            items_per_request=given(r.items_per_request, 1),
            latency_ms=msgspec.to_builtins(latency) if latency is not None else {},
            cv=given(r.cv, None),
            requests_per_s=given(r.requests_per_s, None),
            items_per_s=given(r.items_per_s, None),
            p50_ci=(ci[0], ci[1]) if ci else None,
            shapes=dict(given(r.shapes, {})),
        )


def summarize_point(
    point: Any, samples_ns: np.ndarray, wall_s: float, info: dict[str, Any]
) -> PointResult:
    st = summarize(samples_ns)
    cv = st.pop("cv")
    n = int(samples_ns.size)
    items = int(info.get("items_per_request", 1))
    rps = n / wall_s if wall_s > 0 and n else None
    ci = bootstrap_median(sequential_set([samples_ns])) if n else None
    return PointResult(
        index=point.index,
        dims=dict(point.dims),
        concurrency=point.concurrency,
        requests=n,
        wall_s=wall_s,
        items_per_request=items,
        latency_ms={k: (v if v == v else None) for k, v in st.items()},
        cv=cv if cv == cv else None,
        requests_per_s=rps,
        items_per_s=rps * items if rps is not None else None,
        p50_ci=(ci.low, ci.high) if ci else None,
        shapes=dict(info.get("shapes") or {}),
    )


def failed_point(point: Any, message: str, status: str = "failed") -> PointResult:
    return PointResult(point.index, dict(point.dims), point.concurrency, status, message)


def _series(points: Sequence[PointResult], axis: str) -> dict[tuple[Any, ...], list[PointResult]]:
    """Points grouped by every coordinate but `axis` (a dim name, or "C"), in grid order."""
    groups: dict[tuple[Any, ...], list[PointResult]] = {}
    for p in points:
        other = tuple(sorted((k, v) for k, v in p.dims.items() if k != axis))
        key = other + ((("C", p.concurrency),) if axis != "C" else ())
        groups.setdefault(key, []).append(p)
    return groups


def _rate(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}".replace(",", " ")


def _where(key: tuple[Any, ...]) -> str:
    return f" (at {' '.join(f'{k}={v}' for k, v in key)})" if key else ""


def batch_knee(points: Sequence[PointResult], dim: str) -> list[str]:
    """Per series: the smallest batch whose items/s is within 5% of the series' best."""
    lines = []
    for key, series in _series(points, dim).items():
        ok = sorted((p for p in series if p.ok and p.items_per_s), key=lambda p: p.dims[dim])
        if len(ok) < 2:
            continue
        best = max(ok, key=lambda p: p.items_per_s or 0.0)
        top = best.items_per_s or 0.0
        knee = next(p for p in ok if (p.items_per_s or 0.0) >= (1 - WITHIN_BEST) * top)
        p50 = format_ms(knee.latency_ms.get("p50"))
        if knee is best:
            how = f"the best items/s ({_rate(top)}); no smaller {dim} is within {WITHIN_BEST:.0%}"
        else:
            how = (
                f"{_rate(knee.items_per_s)} items/s, within {WITHIN_BEST:.0%} of the best "
                f"({_rate(top)} at {dim}={best.dims[dim]})"
            )
        lines.append(f"knee: {dim}={knee.dims[dim]} gives {how}; p50 {p50}{_where(key)}")
    return lines


def concurrency_knee(points: Sequence[PointResult]) -> list[str]:
    """Per series: the concurrency beyond which p99 grows faster than throughput."""
    lines = []
    for key, series in _series(points, "C").items():
        ok = sorted(
            (p for p in series if p.ok and p.requests_per_s and p.latency_ms.get("p99")),
            key=lambda p: p.concurrency,
        )
        if len(ok) < 2:
            continue
        knee = None
        for a, b in zip(ok, ok[1:], strict=False):
            p99_growth = (b.latency_ms["p99"] or 0.0) / (a.latency_ms["p99"] or 1.0)
            rps_growth = (b.requests_per_s or 0.0) / (a.requests_per_s or 1.0)
            if p99_growth > rps_growth:
                knee = (a, b, p99_growth, rps_growth)
                break
        if knee is None:
            last = ok[-1]
            lines.append(
                f"knee: none up to C={last.concurrency}: p99 grew no faster than throughput "
                f"({_rate(last.requests_per_s)} req/s, p99 "
                f"{format_ms(last.latency_ms.get('p99'))}){_where(key)}"
            )
            continue
        a, b, g99, grps = knee
        lines.append(
            f"knee: C={a.concurrency} ({_rate(a.requests_per_s)} req/s, p99 "
            f"{format_ms(a.latency_ms.get('p99'))}); beyond it, C={b.concurrency} grows p99 "
            f"{g99:.2f}x for {grps:.2f}x throughput{_where(key)}"
        )
    return lines


def knee_lines(points: Sequence[PointResult], batch: str | None) -> list[str]:
    """The knee statements that apply to this grid: batch (if swept), concurrency (if swept)."""
    lines: list[str] = []
    swept = {k for p in points for k in p.dims if len({q.dims.get(k) for q in points}) > 1}
    if batch is not None and batch in swept:
        lines += batch_knee(points, batch)
    if len({p.concurrency for p in points}) > 1:
        lines += concurrency_knee(points)
    return lines


__all__ = [
    "WITHIN_BEST",
    "PointResult",
    "batch_knee",
    "concurrency_knee",
    "failed_point",
    "knee_lines",
    "summarize_point",
]
