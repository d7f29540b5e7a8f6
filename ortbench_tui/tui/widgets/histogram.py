"""The live latency histogram: log-spaced bins, one per column, markers at p50 and p99."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from ..charts import Distribution, HistogramPicture, histogram_picture


class LatencyHistogram(Widget):
    """Draws whatever samples it was last given; it computes its bins for its own width."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "latency-histogram--bar",
        "latency-histogram--p50",
        "latency-histogram--p99",
        "latency-histogram--axis",
    }

    DEFAULT_CSS = """
    LatencyHistogram {
        height: 1fr;
        min-height: 10;
    }
    LatencyHistogram > .latency-histogram--bar { color: $primary; }
    LatencyHistogram > .latency-histogram--p50 { color: $success; text-style: bold; }
    LatencyHistogram > .latency-histogram--p99 { color: $warning; text-style: bold; }
    LatencyHistogram > .latency-histogram--axis { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._samples: Distribution = np.empty(0, dtype=np.int64)
        self._p50: float | None = None
        self._p99: float | None = None
        self._hi: float | None = None
        self._picture: HistogramPicture | None = None
        self._picture_size: tuple[int, int] = (0, 0)

    def show(
        self,
        samples_ns: Distribution,
        p50_ms: float | None,
        p99_ms: float | None,
        hi_ms: float | None = None,
    ) -> None:
        """Draw `samples_ns` (or a live run's log histogram), binned up to `hi_ms` (e.g.
        1.5 x p99), on the next refresh."""
        self._samples, self._p50, self._p99, self._hi = samples_ns, p50_ms, p99_ms, hi_ms
        before = self._picture
        self._picture = None
        if before is not None and self.picture == before:
            return  # a long run's shape settles: an unchanged picture costs no repaint
        self.refresh()

    def clear(self) -> None:
        self.show(np.empty(0, dtype=np.int64), None, None)

    @property
    def picture(self) -> HistogramPicture:
        """The bins for the current size (computed at most once per data and size)."""
        size = (self.content_size.width, self.content_size.height)
        if self._picture is None or size != self._picture_size:
            self._picture = histogram_picture(
                self._samples, size[0], size[1], self._p50, self._p99, self._hi
            )
            self._picture_size = size
        return self._picture

    def render(self) -> RenderResult:
        pic = self.picture
        bar = self.get_component_rich_style("latency-histogram--bar")
        p50 = self.get_component_rich_style("latency-histogram--p50")
        p99 = self.get_component_rich_style("latency-histogram--p99")
        axis = self.get_component_rich_style("latency-histogram--axis")
        text = Text(no_wrap=True, overflow="crop")
        for row in pic.rows:
            line = Text(row, style=bar)
            if pic.p50_col is not None:
                line.stylize(p50, pic.p50_col, pic.p50_col + 1)
            if pic.p99_col is not None and pic.p99_col != pic.p50_col:
                line.stylize(p99, pic.p99_col, pic.p99_col + 1)
            text.append_text(line)
            text.append("\n")
        axis_line = Text(pic.axis, style=axis)
        for marker, style in (("p50", p50), ("p99", p99)):
            at = pic.axis.find(marker)
            if at >= 0:
                axis_line.stylize(style, max(0, at - 1), at + len(marker) + 1)
        text.append_text(axis_line)
        text.append("\n")
        text.append(pic.scale, style=axis)
        return text
