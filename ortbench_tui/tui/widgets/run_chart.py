"""Latency over run index: drift and spikes across the run, one column per slice of runs."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from ..charts import run_index_picture

LABEL = "run→ "


class RunIndexChart(Widget):
    """A small multi-row sparkline of latency against run index (log scale)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"run-index-chart--bar", "run-index-chart--label"}

    DEFAULT_CSS = """
    RunIndexChart { height: 2; }
    RunIndexChart > .run-index-chart--bar { color: $accent; }
    RunIndexChart > .run-index-chart--label { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._samples = np.empty(0, dtype=np.int64)
        self._rows: list[str] | None = None
        self._rows_size: tuple[int, int] = (0, 0)

    def show(self, samples_ns: np.ndarray) -> None:
        self._samples = samples_ns
        self._rows = None
        self.refresh()

    def clear(self) -> None:
        self.show(np.empty(0, dtype=np.int64))

    @property
    def rows(self) -> list[str]:
        """The chart for the current size (computed at most once per data and size)."""
        size = (self.content_size.width, self.content_size.height)
        if self._rows is None or size != self._rows_size:
            width = max(size[0] - len(LABEL), 0)
            self._rows = run_index_picture(self._samples, width, size[1])
            self._rows_size = size
        return self._rows

    def render(self) -> RenderResult:
        bar = self.get_component_rich_style("run-index-chart--bar")
        label = self.get_component_rich_style("run-index-chart--label")
        text = Text(no_wrap=True, overflow="crop")
        rows = self.rows
        for i, row in enumerate(rows):
            last = i == len(rows) - 1
            text.append(LABEL if last else " " * len(LABEL), style=label)
            text.append(row, style=bar)
            if not last:
                text.append("\n")
        return text
