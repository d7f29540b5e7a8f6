"""Where a run is: its phase in words and a progress bar, on one line drawn as one strip.

It changes on every frame of a live run (the counts move), so it is drawn like the charts
(`tui.strips`): a Label beside Textual's ProgressBar cost three widgets' worth of text
formatting per frame."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual.strip import Strip

from ..strips import StripWidget, joined_strip

PHASE_WIDTH = 24
PERCENT_WIDTH = 5


class RunPosition(StripWidget):
    """`text` in a fixed-width column, then a bar filled to `progress / total` and its percent."""

    PARTS: ClassVar[tuple[str, ...]] = (
        "run-position--phase",
        "run-position--bar",
        "run-position--complete",
    )
    COMPONENT_CLASSES: ClassVar[set[str]] = set(PARTS)

    DEFAULT_CSS = """
    RunPosition { height: 1; }
    RunPosition > .run-position--phase { color: $text-muted; }
    RunPosition > .run-position--bar { color: $primary; background: $surface; }
    RunPosition > .run-position--complete { color: $success; background: $surface; }
    """

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self.progress = 0.0
        self.total = 1.0

    @property
    def fraction(self) -> float:
        return min(max(self.progress / self.total, 0.0), 1.0) if self.total > 0 else 0.0

    def show(self, text: str, progress: float | None = None, total: float | None = None) -> None:
        """A new phase text and, when given, a new position of the bar (None keeps it)."""
        before = self.strips_key()
        if progress is not None and total is not None:
            self.progress, self.total = float(progress), float(total)
        self.text = text
        if self.strips_key() != before:
            self.refresh()  # only a change that shows costs a repaint

    def _bar_cells(self, width: int) -> int:
        """Half cells of the bar that are filled."""
        return int(2 * max(width - PHASE_WIDTH - PERCENT_WIDTH, 0) * self.fraction)

    def strips_key(self) -> object:
        width = self.content_size.width
        return (self.text, self._bar_cells(width), round(100 * self.fraction), width)

    def build_strips(self, styles: dict[str, Style]) -> list[Strip]:
        base, _ = self.part_styles()
        width = self.content_size.width
        bar_width = max(width - PHASE_WIDTH - PERCENT_WIDTH, 0)
        done = styles["run-position--complete" if self.fraction >= 1 else "run-position--bar"]
        halves = self._bar_cells(width)
        filled = "━" * (halves // 2) + ("╸" if halves % 2 else "")
        parts = [
            (self.text[:PHASE_WIDTH].ljust(PHASE_WIDTH), styles["run-position--phase"]),
            (filled, base + Style.from_color(done.color)),
            ("━" * (bar_width - len(filled)), base + Style.from_color(done.bgcolor)),
            (f"{round(100 * self.fraction):>{PERCENT_WIDTH - 1}}%", base),
        ]
        return [joined_strip(parts)]
