"""Sudden shifts in a latency stream: another process took the core, a frequency step.

Input: the stream as per-batch medians (the live plot's points), in time order. Method:
binary segmentation with a rank statistic. In a stretch of the stream, every pair of cut
points is tried, and the piece between them whose mean rank differs most from the rest's
(a Mann-Whitney z) is kept: a piece that runs to the end is a plain step, one in the
middle a stall. Ranks ignore spikes. It is a change when z, divided by
sqrt((1 + r) / (1 - r)) for the lag-1 autocorrelation r of the ranks around the parts'
means (a wandering stream is not a shifted one), exceeds `threshold`; then every piece is
searched again. Finally each change is sized as the ratio of the medians of the pieces on
either side, and changes under `min_change` (10% by default) are merged away, smallest
first.

The threshold (5.5) is above what the best split of stationary noise reaches (at most 4.5
in 300 simulated streams of 300 batches: lognormal, AR(1), spiky), and the 10% floor is a
second guard, so a quiet stream stays quiet. A rise followed by a fall back to about where
it was is reported as one episode (a stall).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DEFAULT_THRESHOLD = 5.5
DEFAULT_MIN_CHANGE = 0.10
MIN_SEGMENT = 8
"""Batches on each side of a shift: fewer cannot tell a shift from a spike."""
MAX_CUTS = 400
"""Cut positions tried per stretch (evenly spaced): keeps a long stream cheap to scan."""


@dataclass(frozen=True)
class Shift:
    index: int
    """First batch after the shift."""
    at_s: float | None
    """Its time, when times were given."""
    ratio: float
    """Median after / median before (1.38: +38%)."""
    z: float

    def where(self) -> str:
        return f"at {self.at_s:.1f} s" if self.at_s is not None else f"at batch {self.index}"

    def describe(self) -> str:
        """One line for the warnings."""
        change = f"{(self.ratio - 1) * 100:+.0f}%"
        if self.ratio > 1:
            return (
                f"latency shifted {change} {self.where()}: another process may have taken the core"
            )
        return f"latency shifted {change} {self.where()}: a competing load may have ended"


def ranks_of(y: np.ndarray) -> np.ndarray:
    """1..n in the order of y (ties in index order)."""
    ranks = np.empty(y.size)
    ranks[np.argsort(y, kind="stable")] = np.arange(1, y.size + 1)
    return ranks


def best_stretch(ranks: np.ndarray, min_segment: int) -> tuple[float, int, int]:
    """(z, i, j): the stretch [i, j) whose mean rank differs most from the rest's, at least
    `min_segment` long on each side; (0.0, 0, n) when none differs."""
    n = ranks.size
    total = np.concatenate([[0.0], np.cumsum(ranks)])
    var = (n * n - 1) / 12
    step = max(1, n // MAX_CUTS)
    # Every stretch [i, end) at once (at most MAX_CUTS x MAX_CUTS): a Python loop over i was
    # most of a live scan's cost. Ties go to the first (i, end) in order, as a loop's would.
    starts = np.arange(0, n - min_segment + 1, step)
    ends = starts[:, None] + min_segment + step * np.arange((n - min_segment) // step + 1)
    inside = ends - starts[:, None]
    valid = (ends <= n) & (n - inside >= min_segment)
    ends, inside = np.where(valid, ends, n), np.where(valid, inside, 1)
    mean_in = (total[ends] - total[starts[:, None]]) / inside
    mean_out = (total[n] - total[ends] + total[starts[:, None]]) / np.maximum(n - inside, 1)
    z_all = np.abs(mean_in - mean_out) / np.sqrt(var * (1 / inside + 1 / np.maximum(n - inside, 1)))
    z_all = np.where(valid, z_all, 0.0)
    best = (0.0, 0, n)
    if z_all.size:
        row, col = np.unravel_index(int(np.argmax(z_all)), z_all.shape)
        if z_all[row, col] > 0:
            best = (float(z_all[row, col]), int(starts[row]), int(ends[row, col]))
    return best


def _best_split(y: np.ndarray, min_segment: int) -> tuple[list[int], float]:
    """The stretch [i, j) whose mean rank differs most from the rest's (j at the end: a plain
    step; inside: a stall), as its cuts and a z corrected for autocorrelation."""
    n = y.size
    ranks = ranks_of(y)
    z, i, j = best_stretch(ranks, min_segment)
    inside_mask = (np.arange(n) >= i) & (np.arange(n) < j)
    fitted = np.where(inside_mask, ranks[inside_mask].mean(), ranks[~inside_mask].mean())
    resid = ranks - fitted
    r = float(np.corrcoef(resid[:-1], resid[1:])[0, 1]) if np.std(resid) > 0 else 0.0
    r = min(max(r, 0.0), 0.95)
    cuts = [c for c in (i, j) if 0 < c < n]
    return cuts, z / math.sqrt((1 + r) / (1 - r))


def _ratios(y: np.ndarray, cuts: list[int]) -> list[float]:
    """log(median after / median before) at each cut, between its neighbouring cuts."""
    edges = [0, *cuts, y.size]
    meds = [float(np.median(y[edges[i] : edges[i + 1]])) for i in range(len(edges) - 1)]
    return [meds[i + 1] - meds[i] for i in range(len(cuts))]


def find_shifts(
    medians: Sequence[float] | np.ndarray,
    times_s: Sequence[float] | np.ndarray | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    min_change: float = DEFAULT_MIN_CHANGE,
    min_segment: int = MIN_SEGMENT,
    max_shifts: int = 4,
) -> list[Shift]:
    """Sudden shifts in a stream of per-batch medians (any unit), in time order."""
    x = np.asarray(medians, dtype=np.float64)
    if x.size < 2 * min_segment or np.any(x <= 0):
        return []
    y = np.log(x)
    times = None if times_s is None else np.asarray(times_s, dtype=np.float64)
    zs: dict[int, float] = {}
    stretches = [(0, y.size)]
    while stretches and len(zs) < 4 * max_shifts:
        lo, hi = stretches.pop(0)
        if hi - lo < 2 * min_segment:
            continue
        cuts, z = _best_split(y[lo:hi], min_segment)
        if z > threshold:
            edges = [lo, *(lo + c for c in cuts), hi]
            zs.update({e: z for e in edges[1:-1]})
            stretches += list(zip(edges[:-1], edges[1:], strict=True))
    cuts = sorted(zs)
    # Merge away changes too small to matter, smallest first: the rest are measured anew.
    while cuts:
        logs = _ratios(y, cuts)
        k = int(np.argmin(np.abs(logs)))
        if abs(math.expm1(logs[k])) >= min_change and len(cuts) <= max_shifts:
            break
        del cuts[k]
    return [
        Shift(c, None if times is None else float(times[c]), math.exp(d), zs[c])
        for c, d in zip(cuts, _ratios(y, cuts), strict=True)
    ]


def describe_shifts(shifts: Sequence[Shift], tolerance: float = 0.5) -> list[str]:
    """Warnings: a rise followed by a fall of about the same size is one episode (a stall)."""
    lines: list[str] = []
    i = 0
    while i < len(shifts):
        s = shifts[i]
        nxt = shifts[i + 1] if i + 1 < len(shifts) else None
        if (
            nxt is not None
            and s.ratio > 1 > nxt.ratio
            and abs(math.log(s.ratio * nxt.ratio)) <= tolerance * math.log(s.ratio)
        ):
            until = f"{nxt.at_s:.1f} s" if nxt.at_s is not None else f"batch {nxt.index}"
            lines.append(
                f"latency rose {(s.ratio - 1) * 100:+.0f}% from {s.where()[3:]} to {until}: "
                "another process may have held the core meanwhile"
            )
            i += 2
            continue
        lines.append(s.describe())
        i += 1
    return lines
