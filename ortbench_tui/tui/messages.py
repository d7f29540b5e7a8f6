"""Messages that cross the app (widgets own theirs as nested classes)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class ModelInspected(Message):
    """A model was read in a thread worker: its ModelInfo, or why it could not be read."""

    def __init__(self, spec: str, info: Any, error: str | None) -> None:
        super().__init__()
        self.spec, self.info, self.error = spec, info, error


class HardwareDetected(Message):
    """Hardware detection finished: a HardwareInfo, or why it failed."""

    def __init__(self, info: Any, error: str | None) -> None:
        super().__init__()
        self.info, self.error = info, error


class HistoryLoaded(Message):
    """The history folder was read: HistoryEntry rows, newest first, and the (path, reason)
    pairs of the files that could not be read."""

    def __init__(self, entries: list[Any], skipped: list[tuple[Any, str]] | None = None) -> None:
        super().__init__()
        self.entries = entries
        self.skipped = list(skipped or [])
