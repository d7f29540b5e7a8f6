"""Latency over run index: drift and spikes across the run, one column per slice of runs.
Where the latency shifted (`bench.drift`: another process took the core) the column is marked
with ▼ in the warning colour, live and in a finished run."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual.strip import Strip

from ..charts import batch_columns, run_index_picture, run_index_picture_of_batches
from ..strips import StripWidget, styled_strip

if TYPE_CHECKING:
    import numpy as np

LABEL = "run→ "


class RunIndexChart(StripWidget):
    """A small multi-row sparkline of latency against run index (log scale)."""

    PARTS: ClassVar[tuple[str, ...]] = (
        "run-index-chart--bar",
        "run-index-chart--label",
        "run-index-chart--shift",
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = set(PARTS)

    DEFAULT_CSS = """
    RunIndexChart { height: 2; }
    RunIndexChart > .run-index-chart--bar { color: $accent; }
    RunIndexChart > .run-index-chart--label { color: $text-muted; }
    RunIndexChart > .run-index-chart--shift { color: $warning; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._samples: np.ndarray | None = None
        """None until there are samples to draw (the first frame needs no numpy)."""
        self._batches: tuple[np.ndarray, np.ndarray] | None = None
        """(runs, sum in ns) per streamed batch: a live run draws from these instead."""
        self._n = 0
        self._marks: tuple[int, ...] = ()
        self._rows: list[str] | None = None
        self._rows_size: tuple[int, int] = (0, 0)

    def show(self, samples_ns: np.ndarray | None, shifts: list[int] | tuple[int, ...] = ()) -> None:
        """`shifts`: indices into `samples_ns` (None: no samples) of the first run after each
        latency shift."""
        n = 0 if samples_ns is None else int(samples_ns.size)
        self._samples, self._batches, self._n = samples_ns, None, n
        self._marks = tuple(int(x) for x in shifts if 0 <= x < self._n)
        self._rows = None
        self.refresh()

    def show_batches(
        self, counts: np.ndarray, sums: np.ndarray, shifts: list[int] | tuple[int, ...] = ()
    ) -> None:
        """A live run from its per-batch (runs, sum); `shifts` are run indices as in `show`."""
        width = max(self.content_size.width - len(LABEL), 0)
        before = (self._rows, self.shift_columns(width))
        self._samples, self._batches, self._n = None, (counts, sums), int(counts.sum())
        self._marks = tuple(int(x) for x in shifts if 0 <= x < self._n)
        self._rows = None
        if before[0] is not None and (self.rows, self.shift_columns(width)) == before:
            return  # nothing visible changed: no repaint
        self.refresh()

    def shift_columns(self, width: int) -> set[int]:
        """Chart columns of the shifts, for a chart `width` columns wide."""
        n = self._n
        if self._batches is not None:
            counts = self._batches[0]
            if width < 1 or not counts.size or n < 1:
                return set()
            import numpy as np

            columns = batch_columns(counts, width)
            starts = np.cumsum(counts) - counts
            at = np.searchsorted(starts, np.asarray(self._marks, dtype=np.int64), "right") - 1
            return {int(columns[i]) for i in at if i >= 0}
        cols = min(width, n)
        if cols < 1:
            return set()
        import numpy as np

        starts = np.linspace(0, n, cols + 1).astype(np.int64)[:-1]
        return {int(np.searchsorted(starts, m, side="right")) - 1 for m in self._marks}

    def clear(self) -> None:
        self.show(None)

    @property
    def runs(self) -> int:
        """How many runs the chart shows."""
        return self._n

    @property
    def rows(self) -> list[str]:
        """The chart for the current size (computed at most once per data and size)."""
        size = (self.content_size.width, self.content_size.height)
        if self._rows is None or size != self._rows_size:
            width = max(size[0] - len(LABEL), 0)
            if self._batches is not None:
                counts, sums = self._batches
                self._rows = run_index_picture_of_batches(counts, sums, width, size[1])
            else:
                self._rows = run_index_picture(self._samples, width, size[1])
            self._rows_size = size
        return self._rows

    def strips_key(self) -> object:
        return (self.rows, self._rows_size, self._marks)

    def build_strips(self, styles: dict[str, Style]) -> list[Strip]:
        bar, label, shift = (
            styles[f"run-index-chart--{part}"] for part in ("bar", "label", "shift")
        )
        rows = self.rows
        marks = self.shift_columns(max(self.content_size.width - len(LABEL), 0))
        strips = []
        for i, row in enumerate(rows):
            last = i == len(rows) - 1
            cells = list(row)
            for col in marks:
                if i == 0 and col < len(cells) and cells[col] == " ":
                    cells[col] = "▼"
            spans = [(len(LABEL) + col, len(LABEL) + col + 1, shift) for col in marks]
            line = (LABEL if last else " " * len(LABEL)) + "".join(cells)
            spans.append((0, len(LABEL), label))
            strips.append(styled_strip(line, bar, spans))
        return strips
