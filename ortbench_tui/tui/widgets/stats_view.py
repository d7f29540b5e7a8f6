"""The statistics table of a run: percentiles, mean, CV, throughput, run count."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip

from ..strips import StripWidget, joined_strip


class StatsView(StripWidget):
    """Label/value pairs flowed into as many lines as the width needs (2 at 80 columns)."""

    PARTS: ClassVar[tuple[str, ...]] = ("stats-view--label", "stats-view--value")
    COMPONENT_CLASSES: ClassVar[set[str]] = set(PARTS)

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

    def strips_key(self) -> object:
        return (tuple(self.items), self.content_size.width)

    def build_strips(self, styles: dict[str, Style]) -> list[Strip]:
        label, value = styles["stats-view--label"], styles["stats-view--value"]
        strips = []
        for line in self._lines(self.content_size.width) if self.items else []:
            parts: list[tuple[str, Style]] = []
            for j, (name, figure) in enumerate(line):
                if j:
                    parts.append(("  ", label))
                parts += [(name + " ", label), (figure, value)]
            strips.append(joined_strip(parts))
        return strips
