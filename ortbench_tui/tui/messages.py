"""Messages that cross the app (widgets own theirs as nested classes)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from pathlib import Path

    from ortbench_tui.bench.results import HistoryEntry
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.models import ModelInfo


class ModelInspected(Message):
    """A model was read in a thread worker: its ModelInfo, or why it could not be read."""

    def __init__(self, spec: str, info: ModelInfo | None, error: str | None) -> None:
        super().__init__()
        self.spec, self.info, self.error = spec, info, error


class HardwareDetected(Message):
    """Hardware detection finished: a HardwareInfo, or why it failed."""

    def __init__(self, info: HardwareInfo | None, error: str | None) -> None:
        super().__init__()
        self.info, self.error = info, error


class HistoryLoaded(Message):
    """The history folder was read: HistoryEntry rows, newest first, and the (path, reason)
    pairs of the files that could not be read."""

    def __init__(
        self, entries: list[HistoryEntry], skipped: list[tuple[Path, str]] | None = None
    ) -> None:
        super().__init__()
        self.entries = entries
        self.skipped = list(skipped or [])
