"""The one progress line of every job on stderr (run, compare, sweep, practices, curve,
trace, fleet): a self-overwriting line drawn from the job's `JobProgress` events, on a
terminal only. A job's milestones (a curve's point measured, a sweep's round ranked, a fleet
node's job done) are whole lines that stay: the command passes `notes`, which turns such an
event into its line, also written when stderr is not a terminal.

Imports nothing of the engine at module level (the argument parser stays cheap to build).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable


class ProgressLine:
    """Call with each event of a job (`drive(..., on_event=line)`), then `clear()`."""

    def __init__(self, enabled: bool, notes: Callable[[object], str | None] | None = None) -> None:
        self.enabled = enabled
        self.live = enabled and sys.stderr.isatty()
        self.notes = notes
        self._drawn = False

    def __call__(self, event: object) -> None:
        from ..bench.job import JobProgress

        if not self.enabled:
            return
        note = self.notes(event) if self.notes is not None else None
        if note:
            self.clear()
            sys.stderr.write(note if note.endswith("\n") else note + "\n")
            sys.stderr.flush()
        if self.live and isinstance(event, JobProgress):
            width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
            sys.stderr.write("\r\033[K" + event.line()[:width])
            sys.stderr.flush()
            self._drawn = True

    def clear(self) -> None:
        """Wipe the live line (before a note, a result, or an error is printed)."""
        if self._drawn:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._drawn = False
