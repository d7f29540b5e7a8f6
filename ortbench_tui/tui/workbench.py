"""What a screen needs from the app, as a Protocol: screens type against this, never against
`app.py`, so the app can import its screens without an import circle (ARCHITECTURE.md §1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, cast, runtime_checkable

from textual.dom import DOMNode
from textual.worker import Worker

from .workspace import Workspace

if TYPE_CHECKING:  # the engine's types only: the first frame loads none of it
    from ortbench_tui.bench.job import Job
    from ortbench_tui.bench.result_record import RunResult
    from ortbench_tui.bench.results import Samples
    from ortbench_tui.bench.runner import Event, Finished, RunRequest
    from ortbench_tui.errors import OrtbenchError
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.models import ModelInfo

    class RunJob(Job[Finished], Protocol):
        """A measured run as the run panel follows it: the engine's `RunHandle`, or a
        recorded one played back (`demo.FakeHandle`)."""

        def events(self) -> Iterator[Event]: ...


StartRun: TypeAlias = "Callable[[RunRequest], RunJob]"
"""RunRequest -> its running job (the engine's `start_run`, or a fake)."""
SaveResult: TypeAlias = "Callable[[RunResult, Samples], Path]"
"""(result, samples: an array or the run's SampleStore) -> the history file written."""


@runtime_checkable
class Workbench(Protocol):
    """The shared state and services of the workbench app."""

    workspace: Workspace
    """Models and profiles found on disk (and added this session)."""
    hardware: HardwareInfo | None
    """Known once detected (or injected), else None."""
    hardware_error: str | None
    """Why hardware detection failed, if it did."""
    model_infos: dict[str, ModelInfo | OrtbenchError]
    """spec -> the model's details, or the error that reading it gave."""
    start_run: StartRun
    save_result: SaveResult
    cursor_blink: bool
    """Off for stable snapshots; prompts and inputs follow it."""
    initial_model: str | None
    initial_profile: str | None

    @property
    def physical_cores(self) -> int | None: ...

    def report_worker_error(self, worker: Worker[Any]) -> None:
        """A worker (of any result type) raised something unexpected: say so, go on."""


def workbench(node: DOMNode) -> Workbench:
    """The workbench behind a screen or widget (its app, seen through the Protocol)."""
    return cast(Workbench, node.app)
