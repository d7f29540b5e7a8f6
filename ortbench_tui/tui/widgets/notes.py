"""Lines of text coloured by severity: run outcomes, readiness checks, model details."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from ..formatting import Line

SEVERITIES = ("ok", "info", "muted", "warning", "error")


class Notes(Widget):
    """Shows (severity, text) lines; colour adds meaning, the words carry it (NO_COLOR)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"notes--{s}" for s in SEVERITIES}

    DEFAULT_CSS = """
    Notes { height: auto; }
    Notes > .notes--ok { color: $success; }
    Notes > .notes--info { color: $foreground; }
    Notes > .notes--muted { color: $text-muted; }
    Notes > .notes--warning { color: $text-warning; }
    Notes > .notes--error { color: $text-error; text-style: bold; }
    """

    def __init__(
        self, lines: list[Line] | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.lines: list[Line] = list(lines or [])

    def show(self, lines: list[Line]) -> None:
        if lines == self.lines:
            return
        self.lines = list(lines)
        self.clear_cached_dimensions()  # height: auto must be measured again
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        return "\n".join(text for _, text in self.lines)

    def render(self) -> RenderResult:
        text = Text()
        for i, (severity, line) in enumerate(self.lines):
            if i:
                text.append("\n")
            text.append(line, style=self.get_component_rich_style(f"notes--{severity}"))
        return text
