"""The live latency histogram: log-spaced bins, one per column, markers at p50 and p99."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual.strip import Strip

from ..charts import HistogramPicture, histogram_picture
from ..strips import Span, StripWidget, styled_strip

if TYPE_CHECKING:
    from ..charts import Distribution


class LatencyHistogram(StripWidget):
    """Draws whatever samples it was last given; it computes its bins for its own width."""

    PARTS: ClassVar[tuple[str, ...]] = (
        "latency-histogram--bar",
        "latency-histogram--p50",
        "latency-histogram--p99",
        "latency-histogram--axis",
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = set(PARTS)

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
        self._samples: Distribution | None = None
        """None until there are samples to draw (the first frame needs no numpy)."""
        self._p50: float | None = None
        self._p99: float | None = None
        self._hi: float | None = None
        self._picture: HistogramPicture | None = None
        self._picture_size: tuple[int, int] = (0, 0)

    def show(
        self,
        samples_ns: Distribution | None,
        p50_ms: float | None,
        p99_ms: float | None,
        hi_ms: float | None = None,
    ) -> None:
        """Draw `samples_ns` (or a live run's log histogram; None: no samples), binned up to
        `hi_ms` (e.g. 1.5 x p99), on the next refresh."""
        self._samples, self._p50, self._p99, self._hi = samples_ns, p50_ms, p99_ms, hi_ms
        before = self._picture
        self._picture = None
        if before is not None and self.picture == before:
            return  # a long run's shape settles: an unchanged picture costs no repaint
        self.refresh()

    def clear(self) -> None:
        self.show(None, None, None)

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

    def strips_key(self) -> object:
        return (self.picture, self._picture_size)  # a tuple compares items by identity first

    def build_strips(self, styles: dict[str, Style]) -> list[Strip]:
        pic = self.picture
        bar, p50, p99, axis = (
            styles[f"latency-histogram--{part}"] for part in ("bar", "p50", "p99", "axis")
        )
        marks: list[Span] = []
        if pic.p50_col is not None:
            marks.append((pic.p50_col, pic.p50_col + 1, p50))
        if pic.p99_col is not None and pic.p99_col != pic.p50_col:
            marks.append((pic.p99_col, pic.p99_col + 1, p99))
        strips = [styled_strip(row, bar, marks) for row in pic.rows]
        labels: list[Span] = []
        for marker, style in (("p50", p50), ("p99", p99)):
            at = pic.axis.find(marker)
            if at >= 0:
                labels.append((max(0, at - 1), at + len(marker) + 1, style))
        strips.append(styled_strip(pic.axis, axis, labels))
        strips.append(styled_strip(pic.scale, axis))
        return strips
