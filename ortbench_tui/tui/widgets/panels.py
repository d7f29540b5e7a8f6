"""Read-only panels of the main screen: the machine line, the model and the profile."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from ortbench_tui.errors import OrtbenchError

from ..formatting import Line, model_lines, profile_summary
from ..literal import literal
from ..machine import header_line
from .notes import Notes

if TYPE_CHECKING:
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.models import ModelInfo

    from ..workspace import ProfileEntry


class HardwareLine(Static):
    """One line: CPU, cores, memory, GPUs, ORT version, working EPs (from detection)."""

    DEFAULT_CSS = """
    HardwareLine {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    HardwareLine.-error { color: $text-error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("ortbench · detecting the machine and its execution providers…", id=id)

    def show_info(self, info: HardwareInfo) -> None:
        self.remove_class("-error")
        self.update(literal(f"ortbench · {header_line(info)}"))

    def show_error(self, message: str) -> None:
        self.add_class("-error")
        self.update(literal(f"ortbench · {message}"))


class ModelDetails(Notes):
    """Inputs/outputs (dtype, shape, symbolic dims), opset, size, node and parameter counts."""

    DEFAULT_CSS = """
    ModelDetails { height: auto; }
    """

    def show_info(self, spec: str, info: ModelInfo) -> None:
        self.border_title = literal(f"Model: {spec}")
        self.show(model_lines(info))

    def show_value(self, spec: str, value: ModelInfo | OrtbenchError) -> None:
        """The model's details, or the error that reading the model gave."""
        if isinstance(value, OrtbenchError):
            self.show_error(spec, str(value))
        else:
            self.show_info(spec, value)

    def show_pending(self, spec: str) -> None:
        self.border_title = literal(f"Model: {spec}")
        self.show([("muted", "reading the model…")])

    def show_error(self, spec: str, message: str) -> None:
        self.border_title = literal(f"Model: {spec}")
        self.show([("error", f"✗ {message}")])


class ProfileSummary(Notes):
    """The settings of the selected profile that matter most, laid out for the width."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pairs: list[tuple[str, str]] = []
        self._head: list[Line] = []

    def show_profile(self, entry: ProfileEntry, physical_cores: int | None) -> None:
        self.border_title = literal(f"Profile: {entry.label}")
        if entry.error:
            self._pairs, self._head = [], [("error", f"✗ {entry.error}")]
        else:
            self._pairs = profile_summary(entry.profile, physical_cores)
            desc = entry.profile.description
            self._head = [("muted", desc)] if desc else []
        self.show(self._layout(self.content_size.width))

    def _layout(self, width: int) -> list[Line]:
        if not self._pairs:
            return list(self._head)
        cell = max(len(k) + len(v) + 1 for k, v in self._pairs) + 2
        per_line = max(1, min(3, (width + 2) // cell)) if width else 1
        lines: list[Line] = list(self._head)
        for i in range(0, len(self._pairs), per_line):
            chunk = self._pairs[i : i + per_line]
            lines.append(("info", "".join(f"{k} {v}".ljust(cell) for k, v in chunk).rstrip()))
        return lines

    def on_resize(self) -> None:
        lines = self._layout(self.content_size.width)
        if lines != self.lines:
            # After this layout pass: a layout requested from inside it is not redone.
            self.call_after_refresh(self.show, lines)
