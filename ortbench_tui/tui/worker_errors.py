"""One place that turns an unexpected worker exception into a modal, never a crash.

`Worker.StateChanged` does not bubble, so every node that owns workers mixes this in; the
handler hands the error to the app (`OrtbenchApp.report_worker_error`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.worker import Worker, WorkerState

from .workbench import Workbench

if TYPE_CHECKING:
    from textual.app import App


class WorkerErrors:
    """Mixin for DOM nodes that start workers with exit_on_error=False."""

    app: App[object]
    """The DOM node's own `app` (the mixin is never used on anything else)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            cast(Workbench, self.app).report_worker_error(event.worker)
