"""One place that turns an unexpected worker exception into a modal, never a crash.

`Worker.StateChanged` does not bubble, so every node that owns workers mixes this in; the
handler hands the error to the app (`OrtbenchApp.report_worker_error`).
"""

from __future__ import annotations

from typing import Any

from textual.worker import Worker, WorkerState


class WorkerErrors:
    """Mixin for DOM nodes that start workers with exit_on_error=False."""

    app: Any

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_worker_error(event.worker)
