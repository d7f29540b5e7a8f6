"""Latency over run index: drift and spikes across the run, one column per slice of runs."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.events import Resize
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
        self.rows: list[str] = []

    def show(self, samples_ns: np.ndarray) -> None:
        self._samples = samples_ns
        self._recompute()
        self.refresh()

    def clear(self) -> None:
        self.show(np.empty(0, dtype=np.int64))

    def _recompute(self) -> None:
        width, height = self.content_size
        self.rows = run_index_picture(self._samples, max(width - len(LABEL), 0), height)

    def on_resize(self, event: Resize) -> None:
        self._recompute()

    def render(self) -> RenderResult:
        bar = self.get_component_rich_style("run-index-chart--bar")
        label = self.get_component_rich_style("run-index-chart--label")
        text = Text(no_wrap=True, overflow="crop")
        for i, row in enumerate(self.rows):
            last = i == len(self.rows) - 1
            text.append(LABEL if last else " " * len(LABEL), style=label)
            text.append(row, style=bar)
            if not last:
                text.append("\n")
        return text
