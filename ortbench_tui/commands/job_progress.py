"""The one CLI progress line of every job: phase, done/total, elapsed, ETA, detail."""

from __future__ import annotations

import sys
from typing import Any


class JobProgressLine:
    """A self-overwriting line on stderr, only when stderr is a terminal; `clear()` at the end."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, event: Any) -> None:
        from ..bench.job import JobProgress

        if not self.enabled or not isinstance(event, JobProgress):
            return
        sys.stderr.write(f"\r\033[K{progress_text(event)}")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def progress_text(event: Any, width: int = 100) -> str:
    """One line for a JobProgress: `phase  done/total  12.3 s  ETA 40 s  detail`."""
    total = "" if event.total is None else f"/{event.total:.4g}"
    eta = "" if event.eta_s is None else f"  ETA {event.eta_s:.0f} s"
    text = f"{event.phase}  {event.done:.4g}{total}  {event.elapsed_s:.1f} s{eta}"
    if event.detail:
        text += f"  {event.detail}"
    return text[:width]
