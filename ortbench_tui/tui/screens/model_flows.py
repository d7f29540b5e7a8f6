"""The model list's own flows: add a model by its path, and a model's details in full."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape
from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from ..formatting import model_lines
from ..workbench import workbench
from ..workspace import ModelEntry
from .dialogs import ConfirmDialog, MessageDialog, PromptDialog


def ask_model_path(screen: Screen[Any], on_added: Callable[[ModelEntry], None]) -> None:
    """Prompt for a path (checked as it is typed); `on_added` gets the new entry."""
    app = workbench(screen)
    ws = app.workspace

    def check(text: str) -> str | None:
        try:
            ws.model_spec(text)
        except OrtbenchError as exc:
            return str(exc)
        return None

    def done(text: str | None) -> None:
        if not text:
            return
        try:
            entry = ws.add_model(text)
        except OrtbenchError as exc:  # e.g. the data folder cannot be written
            screen.notify(str(exc), title="Model not remembered", severity="error")
            return
        on_added(entry)

    screen.app.push_screen(
        PromptDialog(
            "Add a model",
            "Path to an .onnx file (or sample:NAME):",
            "",
            check=check,
            cursor_blink=app.cursor_blink,
        ),
        done,
    )


def remove_model(screen: Screen[Any], model: ModelEntry, on_removed: Callable[[], None]) -> None:
    """Forget a model added with `a` (asks first; the file stays where it is)."""
    ws = workbench(screen).workspace
    if model.origin != "added":
        screen.notify(
            f"{model.label} was not added with a: only added models can be removed",
            severity="warning",
        )
        return

    def answered(yes: bool | None) -> None:
        if not yes:
            return
        try:
            ws.remove_model(model)
        except OrtbenchError as exc:
            screen.notify(str(exc), title="Not removed", severity="error")
            return
        on_removed()
        screen.notify(f"removed {model.label} from the list (the file is untouched)")

    screen.app.push_screen(
        ConfirmDialog("Remove model", f"Remove {escape(model.spec)} from the list?", yes="Remove"),
        answered,
    )


def show_model_info(screen: Screen[Any], model: ModelEntry) -> None:
    """Inputs, outputs, opset, size and op counts; or why the model could not be read."""
    value = workbench(screen).model_infos.get(model.spec)
    if value is None:
        screen.notify("still reading the model…")
        return
    if isinstance(value, OrtbenchError):
        screen.app.push_screen(
            MessageDialog(f"Model: {model.spec}", [("error", f"✗ {value}")], error=True)
        )
        return
    lines = model_lines(value)
    ops = ", ".join(f"{op}×{n}" for op, n in value.op_type_counts.items())
    lines[-1] = ("muted", f"ops: {ops}") if ops else lines[-1]
    screen.app.push_screen(MessageDialog(f"Model: {model.spec}", lines))
