"""The ortbench workbench app, and `make_app`, the one factory the CLI and the tests share.

Everything that depends on this machine or on time can be injected (hardware, the detector,
how a run starts, where results go), so snapshot tests draw the same screen everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.screen import Screen
from textual.worker import Worker

from .keys import bindings
from .messages import HardwareDetected
from .palette import WorkbenchCommands
from .workbench import SaveResult, StartRun
from .worker_errors import WorkerErrors
from .workspace import Workspace

if TYPE_CHECKING:
    from ortbench_tui.bench.result_record import RunResult
    from ortbench_tui.bench.results import Samples
    from ortbench_tui.bench.runner import RunHandle, RunRequest
    from ortbench_tui.errors import OrtbenchError
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.models import ModelInfo


def _engine_start_run(request: RunRequest) -> RunHandle:
    from ortbench_tui.bench.runner import start_run

    return start_run(request)


def _engine_save_result(result: RunResult, samples: Samples) -> Path:
    from ortbench_tui.bench.results import save_to_history

    return save_to_history(result, samples)


HANG_UP_RUN_WAIT_S = 15.0
"""After a hang-up, how long a run may take to stop and keep its partial result (the worker
is asked to stop and killed after 3 s; saving follows)."""
HANG_UP_EXIT_GRACE_S = 2.0
"""Then how long a normal shutdown gets before the process is ended for it."""


class OrtbenchApp(WorkerErrors, App[None]):
    """Models, profiles, live runs and history, over the ortbench engine."""

    CSS_PATH = "app.tcss"
    TITLE = "ortbench"
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {WorkbenchCommands}

    hardware: var[HardwareInfo | None] = var(None, init=False)
    """Known (injected, or detected in a subprocess after start-up)."""
    hardware_error: var[str | None] = var(None, init=False)
    """Why detection failed, if it did."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        hardware: HardwareInfo | None = None,
        detector: Callable[[], HardwareInfo] | None = None,
        start_run: StartRun | None = None,
        save_result: SaveResult | None = None,
        cursor_blink: bool = True,
        initial_model: str | None = None,
        initial_profile: str | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self._injected_hardware = hardware
        self.detector = detector
        self.start_run = start_run or _engine_start_run
        self.save_result = save_result or _engine_save_result
        self.cursor_blink = cursor_blink
        self.initial_model = initial_model
        self.initial_profile = initial_profile
        self.model_infos: dict[str, ModelInfo | OrtbenchError] = {}
        """spec -> ModelInfo, or the OrtbenchError that reading it gave."""

    # -- start-up -----------------------------------------------------------------------------

    def get_default_screen(self) -> Screen[None]:
        from .screens.main import MainScreen

        return MainScreen()

    catch_hang_up = False
    """Set by `ortbench tui`: SIGHUP (an SSH drop, a killed tmux session) and SIGTERM end the
    app like q does, so a run in progress stops at once and its partial result is kept."""

    def on_mount(self) -> None:
        if self.catch_hang_up:
            import asyncio
            import signal

            loop = asyncio.get_running_loop()
            for signum in (signal.SIGHUP, signal.SIGTERM):
                loop.add_signal_handler(signum, self._hang_up, 128 + signum)
        if self._injected_hardware is not None:
            self.hardware = self._injected_hardware
        else:
            # After the first frame: detection spawns an interpreter that imports onnxruntime.
            self.call_after_refresh(self._detect)

    @work(thread=True, exclusive=True, group="detect", exit_on_error=False)
    def _detect(self) -> None:
        from ortbench_tui.errors import OrtbenchError

        from .machine import detect

        detector = self.detector or detect
        try:
            self.post_message(HardwareDetected(detector(), None))
        except OrtbenchError as exc:
            self.post_message(HardwareDetected(None, str(exc)))

    @on(HardwareDetected)
    def _hardware_detected(self, event: HardwareDetected) -> None:
        self.hardware_error = event.error
        self.hardware = event.info
        if event.error:
            self.notify(event.error, title="Hardware detection", severity="warning")

    @property
    def physical_cores(self) -> int | None:
        return self.hardware.physical_cores if self.hardware is not None else None

    # -- notifications and errors -------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text: its words come from users, files and ORT
        (`[ONNXRuntimeError]` would vanish, a name holding `[/]` would crash the toast)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def report_worker_error(self, worker: Worker[Any]) -> None:
        """A worker raised something unexpected: say so in a modal; the app goes on."""
        from .screens.dialogs import MessageDialog

        error = worker.error
        what = worker.description or worker.name or "background work"
        lines = [
            ("error", f"✗ {type(error).__name__}: {error}"),
            ("muted", f"while running: {what}"),
            ("muted", "the app goes on; please report this if it repeats"),
        ]
        self.push_screen(MessageDialog("Something went wrong", lines, error=True))

    # -- actions ------------------------------------------------------------------------------

    def action_command_palette(self) -> None:
        """ctrl+p: the palette that closes once (`palette.WorkbenchPalette`)."""
        from textual.command import CommandPalette

        from .palette import WorkbenchPalette

        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(WorkbenchPalette(id="--command-palette"))

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """q and ctrl+q, from any screen: a run in progress and unsaved profile edits are
        asked about first."""
        from .screens.dialogs import ConfirmDialog
        from .screens.profile_files import ask_before_quit
        from .widgets.run_panel import RunPanel

        running = any(p.running for s in self.screen_stack for p in s.query(RunPanel))
        if not running:
            ask_before_quit(self, self._quit_now)
            return
        if isinstance(self.screen, ConfirmDialog):
            return  # already asking
        self.push_screen(
            ConfirmDialog(
                "A run is in progress",
                "Quit? The run stops now; what it measured is kept in history as a "
                "cancelled result.",
                yes="Quit",
            ),
            lambda yes: ask_before_quit(self, self._quit_now) if yes else None,
        )

    def _hang_up(self, return_code: int) -> None:
        """SIGHUP or SIGTERM: quit like q, and make sure the process ends. When the terminal
        is gone (a killed tmux session, an SSH drop), Textual's shutdown can wait forever on
        its output thread; once every run has stopped and kept its partial result, a watchdog
        ends the process with the signal's exit code."""
        import os
        import threading
        import time

        def busy() -> bool:
            # A run's thread worker keeps its partial result before it ends.
            return any(w.is_running for w in list(self.workers))

        def watchdog() -> None:
            deadline = time.monotonic() + HANG_UP_RUN_WAIT_S
            while busy() and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(HANG_UP_EXIT_GRACE_S)  # a normal exit is done by now
            os._exit(return_code)

        threading.Thread(target=watchdog, name="ortbench-hang-up", daemon=True).start()
        self._quit_now(return_code)

    def _quit_now(self, return_code: int = 0) -> None:
        """Stop every run (each keeps its partial result: the app's last thread workers
        finish before the process ends) and leave."""
        from .widgets.run_panel import RunPanel

        for screen in self.screen_stack:
            for panel in screen.query(RunPanel):
                panel.cancel()
        self.exit(return_code=return_code)


def make_app(
    *,
    model_dirs: Sequence[Path | str] = (),
    profile_dirs: Sequence[Path | str] = (),
    cwd: Path | str | None = None,
    include_samples: bool = True,
    include_shipped: bool = True,
    hardware: HardwareInfo | None = None,
    detector: Callable[[], HardwareInfo] | None = None,
    start_run: StartRun | None = None,
    save_result: SaveResult | None = None,
    cursor_blink: bool = True,
    initial_model: str | None = "sample:tiny",
    initial_profile: str | None = None,
    added_models_file: Path | None | bool = True,
) -> OrtbenchApp:
    """Build the workbench.

    Args:
        model_dirs: `--models DIR` folders.
        profile_dirs: `--profiles DIR` folders (the first is where new profiles are saved).
        cwd: where `./models` and `./profiles` are found; None skips them (tests).
        include_samples: list the built-in samples and light architectures.
        include_shipped: list the profiles that ship with ortbench.
        hardware: a fixed HardwareInfo (no detection; snapshots use this).
        detector: how to detect the hardware (default: the engine's `detect_isolated`,
            a child process).
        start_run: RunRequest -> handle (default: the engine's `start_run`).
        save_result: (result, samples) -> path (default: the engine's `save_to_history`).
        cursor_blink: off for stable snapshots.
        initial_model: the model highlighted at start.
        initial_profile: the profile highlighted at start (default: the first).
        added_models_file: where models added with `a` are remembered (True: the data
            folder's; False/None: not remembered).
    """
    if added_models_file is True:
        from .added_models import default_path

        added_models_file = default_path()
    workspace = Workspace(
        model_dirs=[Path(d) for d in model_dirs],
        profile_dirs=[Path(d) for d in profile_dirs],
        cwd=Path(cwd) if cwd is not None else None,
        include_samples=include_samples,
        include_shipped=include_shipped,
        added_models_file=added_models_file or None,
    )
    workspace.scan()
    return OrtbenchApp(
        workspace,
        hardware=hardware,
        detector=detector,
        start_run=start_run,
        save_result=save_result,
        cursor_blink=cursor_blink,
        initial_model=initial_model,
        initial_profile=initial_profile,
    )
