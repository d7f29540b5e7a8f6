"""The questions asked before a job screen opens from the main screen: compare with what?
sweep which grid?"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from ..run_requests import compare_request, ort_defaults, parse_sweep_text, sweep_request
from ..workspace import ModelEntry, ProfileEntry
from .dialogs import ChoiceDialog, PromptDialog

DEFAULTS_CHOICE = "@ort-defaults"
"""The compare picker's id for the ORT-defaults baseline (no profile name starts with @)."""


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
