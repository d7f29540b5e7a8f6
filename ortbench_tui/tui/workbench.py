"""What a screen needs from the app, as a Protocol: screens type against this, never against
`app.py`, so the app can import its screens without an import circle (ARCHITECTURE.md §1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, cast, runtime_checkable

from textual.dom import DOMNode

from .workspace import Workspace


@runtime_checkable
class Workbench(Protocol):
    """The shared state and services of the workbench app."""

    workspace: Workspace
    """Models and profiles found on disk (and added this session)."""
    hardware: Any
    """HardwareInfo once known, else None."""
    hardware_error: str | None
    """Why hardware detection failed, if it did."""
    model_infos: dict[str, Any]
    """spec -> ModelInfo, or the OrtbenchError that reading it gave."""
    start_run: Callable[[Any], Any]
    """RunRequest -> run handle."""
    save_result: Callable[[dict[str, Any], Any], Path]
    """(result, samples) -> the history file written."""
    cursor_blink: bool
    """Off for stable snapshots; prompts and inputs follow it."""
    initial_model: str | None
    initial_profile: str | None

    @property
    def physical_cores(self) -> int | None: ...


def workbench(node: DOMNode) -> Workbench:
    """The workbench behind a screen or widget (its app, seen through the Protocol)."""
    return cast(Workbench, node.app)
