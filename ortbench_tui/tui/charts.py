"""Text pictures of latency samples: the log-binned histogram and latency over run index.

Pure numpy + strings (no Textual), so the widgets only style what these compute, and the
pictures are unit-tested without an app. Both also draw from what a live run keeps instead of
its samples (a `LogHistogram`, per-batch sums), at a cost that does not grow with the run.

numpy is imported by the functions that compute, not with the module: the main screen draws
its empty charts ("no samples yet": None) in its first frame, before any run needs numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from ortbench_tui.text import format_ms

if TYPE_CHECKING:
    import numpy as np

    from ortbench_tui.bench.loghist import LogHistogram

Distribution: TypeAlias = "np.ndarray | LogHistogram"
"""Samples (ns), or their log histogram (a live run, or one too long to hold in memory)."""

EIGHTHS = " ▁▂▃▄▅▆▇█"


def _bar_rows(heights: np.ndarray, rows: int) -> list[str]:
    """Column heights in eighths of a cell -> `rows` strings, top row first."""
    import numpy as np

    out = []
    for r in range(rows):
        level = (rows - 1 - r) * 8
        cells = np.clip(heights - level, 0, 8)
        out.append("".join(EIGHTHS[int(c)] for c in cells))
    return out


@dataclass
class HistogramPicture:
    """Bars (top row first), the axis line, and the columns of the p50/p99 markers."""

    rows: list[str] = field(default_factory=list)
    axis: str = ""
    """The p50/p99 markers under their columns."""
    scale: str = ""
    """The range: fastest sample on the left, upper edge (and runs beyond it) on the right."""
    p50_col: int | None = None
    p99_col: int | None = None
    lo_ms: float = 0.0
    hi_ms: float = 0.0


def _place(line: list[str], col: int, text: str) -> bool:
    """Write text at col if it fits on blank cells; report whether it did."""
    if col < 0 or col + len(text) > len(line):
        return False
    if any(c != " " for c in line[col : col + len(text)]):
        return False
    line[col : col + len(text)] = list(text)
    return True


def histogram_picture(
    samples_ns: Distribution | None,
    width: int,
    height: int,
    p50_ms: float | None,
    p99_ms: float | None,
    hi_ms: float | None = None,
) -> HistogramPicture:
    """A histogram `width` columns wide, `height` rows tall (the last two rows are the axis).

    Bins are log-spaced from the fastest sample to `hi_ms` (pass p99.9 so a few huge
    outliers do not squash the body into one column; they are counted on the axis as
    "+N"), one bin per column. Any non-empty bin shows at least a sliver, so rare slow
    runs stay visible. None: no samples yet.
    """
    rows = max(height - 2, 1)
    pic = HistogramPicture()
    if width < 8 or samples_ns is None or _size(samples_ns) == 0:
        pic.rows = [" " * max(width, 0)] * rows
        pic.axis = "waiting for timed runs…"[: max(width, 0)]
        return pic
    import numpy as np

    from ortbench_tui.bench.loghist import LogHistogram
    from ortbench_tui.bench.stats import EXACT_LIMIT

    if isinstance(samples_ns, np.ndarray) and samples_ns.size > EXACT_LIMIT:
        samples_ns = LogHistogram.of(samples_ns)  # read a chunk at a time, never all at once
    if isinstance(samples_ns, LogHistogram):
        lo, top = samples_ns.min_ns / 1e6, samples_ns.max_ns / 1e6
    else:
        ms = samples_ns.astype(np.float64) / 1e6
        lo, top = float(ms.min()), float(ms.max())
    hi = min(top, hi_ms) if hi_ms is not None and hi_ms == hi_ms and hi_ms > lo else top
    if hi <= lo:
        hi = lo * 1.01 + 1e-6
    edges = np.geomspace(lo, hi, width + 1) if lo > 0 else np.linspace(lo, hi, width + 1)
    if isinstance(samples_ns, LogHistogram):
        edges_ns = edges * 1e6
        edges_ns[0] = min(edges_ns[0], samples_ns.min_ns)  # the fastest run, despite rounding
        if hi >= top:
            edges_ns[-1] = max(edges_ns[-1], samples_ns.max_ns)
        counts, over = samples_ns.binned(edges_ns)
    else:
        counts, _ = np.histogram(ms, bins=edges)
        over = int(np.count_nonzero(ms > edges[-1]))
    peak = max(int(counts.max()), 1)
    heights = np.ceil(counts / peak * rows * 8).astype(np.int64)
    heights[(counts > 0) & (heights == 0)] = 1
    pic.rows = _bar_rows(heights, rows)
    pic.lo_ms, pic.hi_ms = float(edges[0]), float(edges[-1])

    def col_of(value: float | None) -> int | None:
        if value is None or value != value:
            return None
        return int(np.clip(np.searchsorted(edges, value, side="right") - 1, 0, width - 1))

    pic.p50_col, pic.p99_col = col_of(p50_ms), col_of(p99_ms)
    axis = [" "] * width
    # Markers first (they matter most), then the range labels where they fit.
    if pic.p50_col is not None:
        if not _place(axis, pic.p50_col, "^p50"):
            _place(axis, max(0, pic.p50_col - 3), "p50^")
    if pic.p99_col is not None:
        start = pic.p99_col
        if not _place(axis, start, "^p99") and not _place(axis, max(0, start - 3), "p99^"):
            end = len("".join(axis).rstrip())
            _place(axis, end + 1, "p99>")
    pic.axis = "".join(axis)
    lo_text = format_ms(pic.lo_ms)
    hi_text = format_ms(pic.hi_ms) + (f" (+{over} slower)" if over else "")
    middle = "log scale"
    gap = width - len(lo_text) - len(hi_text)
    if gap >= len(middle) + 2:
        left = (gap - len(middle)) // 2
        pic.scale = lo_text + " " * left + middle + " " * (gap - left - len(middle)) + hi_text
    else:
        pic.scale = (lo_text + " " * max(gap, 1) + hi_text)[:width]
    return pic


def _size(samples_ns: Distribution) -> int:
    from ortbench_tui.bench.loghist import LogHistogram

    return samples_ns.count if isinstance(samples_ns, LogHistogram) else int(samples_ns.size)


def histogram_upper(stats: dict[str, float], n: int) -> float | None:
    """Where the histogram's last bin ends: 1.5x the highest percentile the run supports
    (p99.9 from 10 000 runs, else p99), so single outliers do not squash the body."""
    key = "p999" if n >= 10_000 else "p99"
    value = stats.get(key)
    return None if value is None or value != value else 1.5 * float(value)


def run_index_picture(samples_ns: np.ndarray | None, width: int, height: int) -> list[str]:
    """Latency over run index: each column is the mean of its share of the runs, on a log
    scale from the lowest to the highest column, so drift and spikes both show. None: no
    samples yet."""
    rows = max(height, 1)
    if width < 1 or samples_ns is None or samples_ns.size == 0:
        return [" " * max(width, 0)] * rows
    import numpy as np

    from ortbench_tui.bench.stats import EXACT_LIMIT

    n = int(samples_ns.size)
    cols = min(width, n)
    starts = np.linspace(0, n, cols + 1).astype(np.int64)[:-1]
    if n > EXACT_LIMIT:  # a long run (memory-mapped): sum it a chunk at a time
        sums = np.zeros(cols)
        chunk = 1 << 20
        for begin in range(0, n, chunk):
            part = np.asarray(samples_ns[begin : begin + chunk], dtype=np.float64)
            col = np.searchsorted(starts, np.arange(begin, begin + part.size), "right") - 1
            sums += np.bincount(col, weights=part, minlength=cols)
    else:
        sums = np.add.reduceat(samples_ns.astype(np.float64), starts)
    sizes = np.diff(np.append(starts, n))
    return _means_picture(sums / sizes, width, rows)


def batch_columns(counts: np.ndarray, width: int) -> np.ndarray:
    """The chart column of each batch (by its first run), `min(width, batches)` columns."""
    import numpy as np

    n = int(counts.sum())
    cols = min(width, int(counts.size))
    starts = np.cumsum(counts) - counts
    column: np.ndarray = np.minimum(starts * cols // max(n, 1), cols - 1)
    return column


def run_index_picture_of_batches(
    counts: np.ndarray, sums: np.ndarray, width: int, height: int
) -> list[str]:
    """`run_index_picture` from per-batch (count, sum): what a live run keeps, so a frame
    costs the number of batches, not of runs. A column without a batch of its own (batches
    longer than a column) repeats the one before."""
    import numpy as np

    rows = max(height, 1)
    if width < 1 or counts.size == 0 or counts.sum() == 0:
        return [" " * max(width, 0)] * rows
    column = batch_columns(counts, width)
    cols = int(column.max()) + 1
    runs = np.bincount(column, weights=counts, minlength=cols)
    total = np.bincount(column, weights=sums, minlength=cols)
    filled = np.maximum.accumulate(np.where(runs > 0, np.arange(cols), 0))
    means = (total / np.maximum(runs, 1))[filled]
    return _means_picture(means, width, rows)


def _means_picture(means: np.ndarray, width: int, rows: int) -> list[str]:
    import numpy as np

    cols = int(means.size)
    lo, hi = float(means.min()), float(means.max())
    if hi <= lo or lo <= 0:
        frac = np.full(cols, 0.5)
    else:
        frac = (np.log(means) - np.log(lo)) / (np.log(hi) - np.log(lo))
    heights = 1 + np.round(frac * (rows * 8 - 1)).astype(np.int64)
    return [r.ljust(width) for r in _bar_rows(heights, rows)]


def live_throughput(n: int, elapsed_s: float, timed_started_s: float | None) -> float | None:
    if timed_started_s is None or n == 0:
        return None
    span = elapsed_s - timed_started_s
    return n / span if span > 0 else None


def stats_items(stats: dict[str, float], n: int, throughput: float | None) -> list[tuple[str, str]]:
    """(label, value) pairs of the statistics table, in reading order."""
    items = [
        ("p50", format_ms(stats.get("p50"))),
        ("p90", format_ms(stats.get("p90"))),
        ("p99", format_ms(stats.get("p99"))),
        ("p99.9", format_ms(stats.get("p999"))),
        ("mean", format_ms(stats.get("mean"))),
    ]
    cv = stats.get("cv")
    items.append(("CV", "-" if cv is None or cv != cv else f"{cv:.1%}"))
    items.append(("inf/s", "-" if not throughput else f"{throughput:,.0f}".replace(",", " ")))
    items.append(("runs", f"{n:,}".replace(",", " ")))
    return items
