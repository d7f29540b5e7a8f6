"""Lines drawn straight as Textual strips (the Line API) for the widgets a live run redraws.

A widget whose `render()` returns Rich `Text` pays, on every repaint, for Textual turning that
text into `Content`, wrapping it and formatting each line: at 10 frames a second that was most
of the app's CPU during a long run. The live charts and the statistics line instead build their
strips once per change of data, size or theme and hand them out from `render_line`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

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
