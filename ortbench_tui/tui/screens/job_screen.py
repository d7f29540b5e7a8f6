"""The one job screen: what the compare, sweep, practices and curve screens share.

Each of those screens starts a `Job` (bench/job.py) in a thread worker, turns its events
into messages, shows a one-line title with the job's status (its `JobProgress` line, with
the ETA), stops the job on escape (or goes back when nothing runs) and writes its report to
a file and the clipboard. That common part lives here once; what each screen shows (its
messages, table and texts) stays in its own module. A new job's screen subclasses
`JobScreen[ItsRequest]`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar, runtime_checkable

from rich.text import Text
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState, get_current_worker

from ..literal import literal
from .dialogs import PromptDialog

if TYPE_CHECKING:
    from ortbench_tui.bench.job import Job

RequestT = TypeVar("RequestT")

Start = Callable[[RequestT], "Job[object]"]
"""How a screen starts its job from its request (tests pass one that fakes the job)."""


@runtime_checkable
class NeedsProviders(Protocol):
    """A request that runs on the EPs that work here (found once, in a child process)."""

    working_providers: list[str] | None


@runtime_checkable
class ExplainsGpu(NeedsProviders, Protocol):
    """A request that also says why the GPU practices cannot run (the practices check)."""

    gpu_detail: str


def export_name(kind: str, suffix: str) -> str:
    return f"ortbench-{kind}-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.{suffix}"


def fill_providers(request: object) -> None:
    """Give an engine request the EPs that work here, found in a child process.

    Probing EPs in this process would import ORT into the UI and redirect fd 2, where
    Textual draws (ARCHITECTURE.md §6.3); `detect_isolated` runs `ortbench detect` in a
    subprocess.
    """
    if not isinstance(request, NeedsProviders) or request.working_providers is not None:
        return
    from ortbench_tui.errors import OrtbenchError
    from ortbench_tui.hardware import detect_isolated

    try:
        info = detect_isolated()
    except OrtbenchError:
        request.working_providers = ["CPUExecutionProvider"]
        return
    request.working_providers = info.working_providers
    if isinstance(request, ExplainsGpu) and not request.gpu_detail:
        request.gpu_detail = next(
            (p.reason for p in info.providers if p.name == "CUDAExecutionProvider"), ""
        )


class JobScreen(Screen[None], Generic[RequestT]):
    """A screen that runs one engine job (a `Job`: `events()`, `cancel()`, `cancelled`).

    A subclass sets the class constants, defines `_title(status)`, runs `_pump` from a
    thread worker in `WORKER_GROUP`, and calls `_finished` first in its `Done` handler (a
    screen whose result has more parts subclasses `Done`).
    """

    class Done(Message):
        """The job ended: its result (the engine's last event), or why it failed."""

        def __init__(self, result: object = None, error: str | None = None) -> None:
            super().__init__()
            self.result, self.error = result, error

    WORKER_GROUP: ClassVar[str]
    """The worker group of the job, so that escape can cancel a job not yet started."""
    TITLE_ID: ClassVar[str]
    """The one-line title that shows the job's status."""
    STATUS_ID: ClassVar[str]
    """Where a failure is shown in full."""
    FAILED_TITLE: ClassVar[str]
    """The title of the notification that says the job failed."""

    def __init__(self, request: RequestT, start: Start[RequestT] | None) -> None:
        super().__init__()
        self.request = request
        self._start = start
        self.running = False
        self._handle: Job[object] | None = None

    def _title(self, status: str) -> str:
        raise NotImplementedError

    def _set_title(self, status: str) -> None:
        self.query_one(self.TITLE_ID, Static).update(literal(self._title(status)))

    # -- the worker (runs in a thread) ---------------------------------------------------------

    def _start_with_providers(self, default: Start[RequestT]) -> Job[object]:
        """Start the job; the default engine run first needs the EPs that work here."""
        if self._start is None:
            fill_providers(self.request)
        return (self._start or default)(self.request)

    def _pump(
        self, start: Callable[[], Job[object]], on_event: Callable[[object], bool], ended: str
    ) -> None:
        """Start the job and hand its events to `on_event` until it returns True (the result).

        Called from the screen's thread worker. A failure to start, a `JobFailed` event, or
        events that end without a result become `Done(error=...)`; a cancelled worker
        cancels the job, whose last events still come through (what was measured is kept).
        """
        from ortbench_tui.bench.job import JobFailed
        from ortbench_tui.errors import OrtbenchError

        worker = get_current_worker()
        try:
            handle = start()
        except OrtbenchError as exc:
            self.post_message(self.Done(error=str(exc)))
            return
        self._handle = handle
        for ev in handle.events():
            if worker.is_cancelled:
                handle.cancel()
            if on_event(ev):
                return
            if isinstance(ev, JobFailed):
                self.post_message(self.Done(error=ev.message))
                return
        self.post_message(self.Done(error=ended))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.running = False
            error = event.worker.error
            self._failed(f"{type(error).__name__}: {error}")

    # -- the end of the job ----------------------------------------------------------------------

    def _finished(self, error: str | None) -> bool:
        """The job is over: no more stopping it. Shows `error` if any; True when it failed."""
        self.running = False
        self._handle = None
        self.refresh_bindings()
        if error:
            self._failed(error)
            return True
        return False

    def _failed(self, message: str) -> None:
        self._set_title("failed")
        self.query_one(self.STATUS_ID, Static).update(Text(f"✗ {message}", style="bold red"))
        self.notify(message.splitlines()[0], title=self.FAILED_TITLE, severity="error")

    def _export(
        self,
        folder: Path | None,
        name: str,
        text: str,
        on_written: Callable[[Path], None] | None = None,
        title: str = "Exported",
    ) -> None:
        """Ask where to write `text` (default: `folder/name`, `folder` being the data dir's
        exports unless the screen was given one), write it, copy it to the clipboard and say
        where it went. An existing file is never replaced."""
        from ortbench_tui.bench.results import exports_dir

        default_folder = folder if folder is not None else exports_dir()

        def problem(typed: str) -> str | None:
            if not typed:
                return "a file path is needed"
            path = Path(typed).expanduser()
            if path.is_dir():
                return f"{path} is a folder: add a file name"
            if path.exists():
                return f"{path} exists already: choose another name"
            if path.parent != default_folder and not path.parent.is_dir():
                return f"the folder {path.parent} does not exist"
            return None

        def chosen(typed: str | None) -> None:
            if typed and self._write_export(Path(typed).expanduser(), text, title):
                if on_written is not None:
                    on_written(Path(typed).expanduser())

        self.app.push_screen(
            PromptDialog(title, "write to (a file path)", str(default_folder / name), problem),
            chosen,
        )

    def _write_export(self, path: Path, text: str, title: str = "Exported") -> bool:
        """Write `text` to `path` (making the data dir's exports folder if need be) and copy it
        to the clipboard; False when it cannot write."""
        from ortbench_tui.errors import OrtbenchError
        from ortbench_tui.profile import atomic_write_text

        try:
            atomic_write_text(path, text, make_parents=True)
        except OrtbenchError as exc:
            self.notify(str(exc), title="Export failed", severity="error")
            return False
        self.app.copy_to_clipboard(text)
        self.notify(f"wrote {path} (and copied it)", title=title)
        return True

    # -- actions ---------------------------------------------------------------------------------

    def action_stop_or_close(self) -> None:
        """Stop a running job (its result so far still comes), or go back."""
        if self.running and self._handle is not None:
            self._handle.cancel()
            self._set_title("stopping…")
            return
        if self.running:
            self.workers.cancel_group(self, self.WORKER_GROUP)
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
