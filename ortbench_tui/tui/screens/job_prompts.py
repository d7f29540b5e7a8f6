"""How a job starts from the main screen: may it start (`runnable`), the questions asked
before its screen opens (compare with what? sweep which grid?), the trace's run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from ..literal import literal
from ..run_requests import (
    TRACE_RUNS,
    compare_request,
    ort_defaults,
    parse_sweep_text,
    practices_request,
    refusal,
    sweep_request,
    trace_request,
)
from ..widgets.run_panel import RunPanel
from ..workspace import ModelEntry, ProfileEntry
from .dialogs import ChoiceDialog, PromptDialog
from .model_flows import inputs_ready

DEFAULTS_CHOICE = "@ort-defaults"
"""The compare picker's id for the ORT-defaults baseline (no profile name starts with @)."""


def runnable(
    screen: Screen[Any],
    model: ModelEntry | None,
    entry: ProfileEntry | None,
    *,
    running: bool,
    what: str,
    again: Callable[[], None],
) -> tuple[ModelEntry, ProfileEntry] | None:
    """The selected model and profile, when `what` can start with them (else says why);
    `again` starts it once the inputs form, when it has to ask, is saved."""
    if model is None or entry is None:
        screen.notify("pick a model and a profile first", severity="warning")
        return None
    if running:
        screen.notify(f"a run is going: stop it (esc) before the {what}", severity="warning")
        return None
    refused = refusal(entry, f"No {what}")
    if refused:
        screen.notify(refused[0], title=refused[1], severity="error")
        return None
    if not inputs_ready(screen, model, entry.profile.session.free_dimensions, again):
        return None
    return model, entry


def start_trace(
    screen: Screen[Any], panel: RunPanel, model: ModelEntry, entry: ProfileEntry, hardware: Any
) -> None:
    """A traced run in the run panel (its worker process, its progress and Esc); the trace
    screen opens when it finishes (`run_outcomes.show_trace`)."""
    panel.start(trace_request(model, entry, hardware))
    panel.border_title = literal(f"Trace: {model.spec} × {entry.label}")
    screen.notify(
        f"tracing {model.spec} × {entry.name}: {TRACE_RUNS} runs with ORT's profiler; esc stops",
        title="Trace",
        timeout=4,
    )


def open_practices(
    screen: Screen[Any], model: ModelEntry, entry: ProfileEntry, hardware: Any
) -> None:
    from .practices import PracticesScreen

    screen.app.push_screen(PracticesScreen(practices_request(model, entry, hardware)))


def ask_compare(
    screen: Screen[Any], model: ModelEntry, entry: ProfileEntry, profiles: list[ProfileEntry]
) -> None:
    """Pick the reference (another usable profile, or ORT defaults), then compare live."""
    others = [e for e in profiles if e is not entry and not e.error and not e.invalid]
    options = [(DEFAULTS_CHOICE, "ORT defaults (the baseline: nothing set)")]
    options += [(e.name, f"{e.label}  {e.profile.description}".rstrip()) for e in others]

    def chosen(key: str | None) -> None:
        if key is None:
            return
        other = next((e for e in others if e.name == key), None)
        if key != DEFAULTS_CHOICE and other is None:
            return
        baseline = other.profile.copy() if other else ort_defaults(entry.profile)
        open_compare(screen, model.spec, baseline, entry.profile.copy())

    screen.app.push_screen(
        ChoiceDialog(
            "Compare profiles",
            f"Compare '{entry.name}' on {model.spec} with (A, the reference):",
            options,
        ),
        chosen,
    )


def open_compare(screen: Screen[Any], model: str, a: Any, b: Any) -> None:
    """The live comparison of `a` (the reference) and `b` on `model`."""
    from .compare import ComparisonScreen

    screen.app.push_screen(ComparisonScreen(compare_request(model, a, b)))


def ask_sweep(
    screen: Screen[Any],
    model: ModelEntry,
    entry: ProfileEntry,
    *,
    grid: str,
    budget: float,
    hardware: Any,
    cursor_blink: bool,
) -> None:
    """Let the user edit the grid and budget (checked as they type), then sweep."""
    from .sweep import SweepScreen

    def check(text: str) -> str | None:
        try:
            parse_sweep_text(text, budget)
        except OrtbenchError as exc:
            return str(exc)
        return None

    def done(text: str | None) -> None:
        if text:
            request = sweep_request(model, entry, text, budget, hardware)
            screen.app.push_screen(SweepScreen(request))

    screen.app.push_screen(
        PromptDialog(
            f"Sweep {model.spec} from '{entry.name}'",
            "Axes KEY=V1,V2 and budget=SECONDS, separated by ';':",
            grid,
            check=check,
            cursor_blink=cursor_blink,
        ),
        done,
    )
