"""Lines drawn straight as Textual strips (the Line API) for the widgets a live run redraws.

A widget whose `render()` returns Rich `Text` pays, on every repaint, for Textual turning that
text into `Content`, wrapping it and formatting each line: at 10 frames a second that was most
of the app's CPU during a long run. The live charts and the statistics line instead build their
strips once per change of data, size or theme and hand them out from `render_line`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

Span = tuple[int, int, Style]
"""[start, end) of a line in its own style."""


def styled_strip(text: str, base: Style, spans: Sequence[Span] = ()) -> Strip:
    """`text` in `base`, with `spans` (any order; overlaps go to the earlier start) restyled."""
    segments: list[Segment] = []
    at = 0
    for start, end, style in sorted(spans, key=lambda span: span[0]):
        start, end = max(start, at), min(end, len(text))
        if start >= end:
            continue
        if start > at:
            segments.append(Segment(text[at:start], base))
        segments.append(Segment(text[start:end], style))
        at = end
    if at < len(text):
        segments.append(Segment(text[at:], base))
    return Strip(segments)


def joined_strip(parts: Sequence[tuple[str, Style]]) -> Strip:
    """Pieces of text, each in its own style, on one line."""
    return Strip([Segment(text, style) for text, style in parts if text])


def line_of(strips: Sequence[Strip], y: int, width: int, base: Style) -> Strip:
    """Line `y` of `strips`, cut or padded (in `base`) to `width` cells; blank below them."""
    if not 0 <= y < len(strips):
        return Strip.blank(width, base)
    return strips[y].crop_extend(0, width, base)


class StripWidget(Widget):
    """A widget drawn from strips that it builds only when what it shows changes.

    Subclasses name their component classes in `PARTS`, say what their picture depends on in
    `strips_key` (cheap: it is asked for every line) and draw it in `build_strips`. Styles are
    looked up once per style change (a theme switch, NO_COLOR), not per line: looking up a
    widget's style walks its ancestors.
    """

    PARTS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._part_styles: tuple[Style, dict[str, Style]] | None = None
        self._built: tuple[object, list[Strip]] | None = None

    def notify_style_update(self) -> None:
        self._part_styles = None
        self._built = None
        super().notify_style_update()

    def part_styles(self) -> tuple[Style, dict[str, Style]]:
        """The widget's own style and each of its `PARTS`' styles."""
        if self._part_styles is None:
            parts = {part: self.get_component_rich_style(part) for part in self.PARTS}
            self._part_styles = (self.rich_style, parts)
        return self._part_styles

    def strips_key(self) -> object:
        raise NotImplementedError

    def build_strips(self, styles: dict[str, Style]) -> list[Strip]:
        raise NotImplementedError

    def strips(self) -> list[Strip]:
        """The lines as last built (built now if what they show changed)."""
        _, styles = self.part_styles()
        key = self.strips_key()
        if self._built is None or self._built[0] != key:
            self._built = (key, self.build_strips(styles))
        return self._built[1]

    @property
    def plain(self) -> str:
        """What the widget shows, as text."""
        return "\n".join(strip.text for strip in self.strips())

    def render_line(self, y: int) -> Strip:
        base, _ = self.part_styles()
        return line_of(self.strips(), y, self.content_size.width, base)
