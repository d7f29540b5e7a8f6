"""The model list's own flows: add a model by its path, a model's details in full (read in
a thread), and its inputs (the ones saved for it, and its inputs form, opened by its key or
prefilled before a run that has unset dims); what the workspace could not load, said at
start."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from ..formatting import model_lines
from ..messages import ModelInspected
from ..workbench import workbench
from ..workspace import ModelEntry, Workspace
from .dialogs import ConfirmDialog, MessageDialog, PromptDialog, confirm_then

if TYPE_CHECKING:
    from ortbench_tui.inputs.spec import InputSpec

    from .inputs_form import InputsOutcome


def saved_inputs(model: str) -> InputSpec:
    """The inputs saved for this model by the inputs form (an empty spec when none);
    OrtbenchError when the saved file cannot be read."""
    from ortbench_tui.inputs.spec import InputSpec
    from ortbench_tui.inputs.store import load_saved_spec

    return load_saved_spec(model) or InputSpec()


def inspect_spec(spec: str) -> ModelInspected:
    """A model's details, or why it cannot be read (run in a thread: loading takes time)."""
    from ortbench_tui.models import inspect_model
    from ortbench_tui.samples import resolve_model

    try:
        info = inspect_model(resolve_model(spec))
    except OrtbenchError as exc:
        return ModelInspected(spec, None, str(exc))
    return ModelInspected(spec, info, None)


def notify_load_problems(screen: Screen[Any], ws: Workspace) -> None:
    """Said once at start: added models whose file is gone, profile files that cannot be read."""
    for spec in ws.forgotten_models:
        screen.notify(
            spec,
            title="An added model's file is gone: removed from the list",
            timeout=8,
        )
    for entry in ws.broken_profiles:
        screen.notify(
            entry.error or "",
            title="A profile file could not be read",
            severity="error",
            timeout=10,
        )


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

    confirm_then(
        screen,
        ConfirmDialog("Remove model", f"Remove {model.spec} from the list?", yes="Remove"),
        lambda: ws.remove_model(model),
        "Not removed",
        on_removed,
        f"removed {model.label} from the list (the file is untouched)",
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


def open_inputs_form(
    screen: Screen[Any],
    model: ModelEntry,
    free_dims: dict[str, int],
    then: Callable[[], None] | None = None,
    prefill: bool = False,
) -> None:
    """The model's inputs form; `then` runs after "save and run"."""
    from ortbench_tui.models import ModelInfo

    from .inputs_form import InputsScreen

    value = workbench(screen).model_infos.get(model.spec)
    if not isinstance(value, ModelInfo):
        screen.notify(
            "still reading the model…" if value is None else str(value),
            title="Inputs",
            severity="warning" if value is None else "error",
        )
        return
    try:
        spec = saved_inputs(model.spec)
    except OrtbenchError as exc:
        screen.notify(str(exc), title="Saved inputs unreadable", severity="error", timeout=10)
        spec = None
    if spec is None:
        from ortbench_tui.inputs.spec import InputSpec

        spec = InputSpec()  # the form starts afresh; saving replaces the unreadable file

    def closed(outcome: InputsOutcome | None) -> None:
        if outcome is None:
            return
        screen.notify(f"inputs saved for {model.spec}", title="Inputs", timeout=3)
        if outcome.run and then is not None:
            then()

    form = InputsScreen(model.spec, value.inputs, spec, free_dims, prefill=prefill)
    screen.app.push_screen(form, closed)


def inputs_ready(
    screen: Screen[Any], model: ModelEntry, free_dims: dict[str, int], then: Callable[[], None]
) -> bool:
    """True when the model's inputs can be fed; else says why, or opens the form with 1 in
    every unset dim, whose "save and run" calls `then`. Never guesses a size silently."""
    from ortbench_tui.models import ModelInfo

    from ..input_rows import unset_inputs

    try:
        spec = saved_inputs(model.spec)
    except OrtbenchError as exc:
        screen.notify(str(exc), title="Saved inputs unreadable", severity="error", timeout=10)
        return False
    info = workbench(screen).model_infos.get(model.spec)
    if isinstance(info, ModelInfo):
        unset = unset_inputs(info.inputs, spec, free_dims)
        if unset:
            screen.notify(
                "dims without a size in "
                + ", ".join(repr(n) for n in unset)
                + ": check the sizes (1 is filled in), then ctrl+r",
                title="Inputs",
                severity="warning",
                timeout=6,
            )
            open_inputs_form(screen, model, free_dims, then=then, prefill=True)
            return False
    return True
