"""The statistics table of a run: percentiles, mean, CV, throughput, run count."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from ..strips import joined_strip, line_of


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
        self._strips_of: tuple[Any, list[Strip]] | None = None

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

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        styles = (
            self.get_component_rich_style("stats-view--label"),
            self.get_component_rich_style("stats-view--value"),
        )
        key = (tuple(self.items), width, styles)
        if self._strips_of is None or self._strips_of[0] != key:
            label, value = styles
            strips = []
            for line in self._lines(width) if self.items else []:
                parts: list[tuple[str, Style]] = []
                for j, (name, figure) in enumerate(line):
                    if j:
                        parts.append(("  ", label))
                    parts += [(name + " ", label), (figure, value)]
                strips.append(joined_strip(parts))
            self._strips_of = (key, strips)
        return line_of(self._strips_of[1], y, width, self.rich_style)
