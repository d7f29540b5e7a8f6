"""Several profiles' latency histograms on one log-spaced axis: one colour and one fill
per profile, bars side by side per bin (the comparison screen's picture)."""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.widget import Widget

from ortbench_tui.text import format_ms

PROFILE_COLOURS = ("cyan", "magenta", "yellow", "green", "red", "blue")
EIGHTHS = " ▁▂▃▄▅▆▇█"
PATTERNS = ("█", "▒", "▚", "░")
"""Each profile's bars have their own fill (A solid, B shaded…), so A and B differ without
colour too (NO_COLOR, a monochrome terminal, a printout); the legend shows the same fills."""


def profile_glyph(who: int, cell: int) -> str:
    """The glyph of a bar cell (`cell` eighths high) of profile `who`: A is drawn in eighths;
    the others in their pattern (a top cell less than half full as a dot: never A's glyph)."""
    if who == 0:
        return EIGHTHS[cell]
    if cell >= 4:
        return PATTERNS[who % len(PATTERNS)]
    return "." if cell else " "


def overlay_columns(
    samples: list[np.ndarray], width: int, height: int
) -> tuple[list[list[tuple[str, int]]], float, float]:
    """Grouped bars: `width // P` log-spaced bins, each P columns wide (one per profile).

    Returns rows (top first) of (glyph, profile index or -1) cells, and the axis range in ms.
    The range runs from the fastest sample to the highest p99 of all profiles, so one slow
    outlier does not squash the bodies; each profile's bars are scaled to its own peak, so
    a short run still shows its shape beside a long one.
    """
    p = max(len(samples), 1)
    bins = max(width // p, 1)
    rows_n = max(height, 1)
    nonempty = [s for s in samples if s.size]
    blank = [[(" ", -1)] * (bins * p) for _ in range(rows_n)]
    if not nonempty:
        return blank, 0.0, 0.0
    lo = min(float(s.min()) for s in nonempty) / 1e6
    hi = max(float(np.percentile(s, 99)) for s in nonempty) / 1e6
    if hi <= lo:
        hi = lo * 1.01 + 1e-6
    edges = np.geomspace(lo, hi, bins + 1) if lo > 0 else np.linspace(lo, hi, bins + 1)
    heights = []
    for s in samples:
        if not s.size:
            heights.append(np.zeros(bins, dtype=np.int64))
            continue
        counts, _ = np.histogram(np.clip(s / 1e6, lo, hi), bins=edges)
        peak = max(int(counts.max()), 1)
        h = np.ceil(counts / peak * rows_n * 8).astype(np.int64)
        h[(counts > 0) & (h == 0)] = 1
        heights.append(h)
    rows = []
    for r in range(rows_n):
        level = (rows_n - 1 - r) * 8
        row = []
        for b in range(bins):
            for i in range(p):
                cell = int(np.clip(heights[i][b] - level, 0, 8)) if i < len(heights) else 0
                row.append((profile_glyph(i, cell), i if cell else -1))
        rows.append(row)
    return rows, lo, hi


class OverlayHistogram(Widget):
    """The histograms of several profiles on one axis, one colour each."""

    DEFAULT_CSS = """
    OverlayHistogram { height: 1fr; min-height: 6; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._samples: list[np.ndarray] = []
        self._labels: list[str] = []

    def show(self, samples: list[np.ndarray], labels: list[str]) -> None:
        self._samples, self._labels = samples, labels
        self.refresh()

    def render(self) -> Text:
        width, height = self.content_size.width, self.content_size.height
        text = Text(no_wrap=True, overflow="crop")
        legend = Text()
        for i, label in enumerate(self._labels):
            colour = PROFILE_COLOURS[i % len(PROFILE_COLOURS)]
            legend.append(PATTERNS[i % len(PATTERNS)] * 2 + " ", style=colour)
            legend.append(f"{label}  ")
        if not any(s.size for s in self._samples):
            text.append("waiting for timed runs…", style="dim")
            text.append("\n")
            text.append_text(legend)
            return text
        rows, lo, hi = overlay_columns(self._samples, width, max(height - 2, 1))
        for row in rows:
            for glyph, who in row:
                style = PROFILE_COLOURS[who % len(PROFILE_COLOURS)] if who >= 0 else ""
                text.append(glyph, style=style)
            text.append("\n")
        lo_t, hi_t = format_ms(lo), format_ms(hi) + " (p99)"
        gap = max(1, width - len(lo_t) - len(hi_t))
        text.append(lo_t + " " * gap + hi_t + "\n", style="dim")
        text.append_text(legend)
        return text
