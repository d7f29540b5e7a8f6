"""The statistics table of a run: percentiles, mean, CV, throughput, run count."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.widget import Widget


class StatsView(Widget):
    """Label/value pairs flowed into as many lines as the width needs (2 at 80 columns)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"stats-view--label", "stats-view--value"}

    DEFAULT_CSS = """
    StatsView { height: auto; min-height: 2; }
    StatsView > .stats-view--label { color: $text-muted; }
    StatsView > .stats-view--value { text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[tuple[str, str]] = []

    def show(self, items: list[tuple[str, str]]) -> None:
        resized = len(items) != len(self.items)
        self.items = items
        self.refresh(layout=resized)

    def _lines(self, width: int) -> list[list[tuple[str, str]]]:
        lines: list[list[tuple[str, str]]] = [[]]
        used = 0
        for label, value in self.items:
            cell = len(label) + 1 + len(value)
            if lines[-1] and used + 2 + cell > width:
                lines.append([])
                used = 0
            used += cell + (2 if lines[-1] else 0)
            lines[-1].append((label, value))
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return max(len(self._lines(width)), 1)

    def render(self) -> RenderResult:
        label_style = self.get_component_rich_style("stats-view--label")
        value_style = self.get_component_rich_style("stats-view--value")
        text = Text(no_wrap=True, overflow="crop")
        if not self.items:
            return text
        for i, line in enumerate(self._lines(self.content_size.width)):
            if i:
                text.append("\n")
            for j, (label, value) in enumerate(line):
                if j:
                    text.append("  ")
                text.append(label + " ", style=label_style)
                text.append(value, style=value_style)
        return text
