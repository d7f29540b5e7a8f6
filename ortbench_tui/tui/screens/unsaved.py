"""Unsaved profile edits are never lost: before quitting, or leaving the editor, the user
chooses save / discard / cancel (and, leaving the editor, keep: edits stay marked `*`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import profile_from_dict

from ..keys import bindings
from ..workspace import ProfileEntry, Workspace
from .dialogs import DIALOG_CSS

CHOICE_LABELS = {
    "save": "Save (s)",
    "keep": "Keep unsaved (k)",
    "discard": "Discard (d)",
    "cancel": "Cancel (esc)",
}


class UnsavedDialog(ModalScreen[str]):
    """Returns one of `choices`: save, keep, discard or cancel."""

    DEFAULT_CSS = DIALOG_CSS.format(name="UnsavedDialog")
    BINDINGS = bindings("unsaved")

    def __init__(
        self, title: str, question: str, choices: tuple[str, ...] = ("save", "discard", "cancel")
    ) -> None:
        super().__init__()
        self._title, self._question, self.choices = title, question, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            yield Static(self._question, markup=False, id="unsaved-question")
            with Horizontal(classes="dialog-buttons"):
                for choice in self.choices:
                    variant: Literal["primary", "error", "default"] = "default"
                    if choice in ("save", "discard"):
                        variant = "primary" if choice == "save" else "error"
                    yield Button(CHOICE_LABELS[choice], id=choice, variant=variant, compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters and parameters[0] not in self.choices:
            return False
        return True

    def action_choose(self, choice: str) -> None:
        if choice in self.choices:
            self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")


def dirty_entries(ws: Workspace) -> list[ProfileEntry]:
    return [e for e in ws.profiles if e.dirty]


def names_of(entries: list[ProfileEntry]) -> str:
    return ", ".join(e.name for e in entries)


def save_all(ws: Workspace, entries: list[ProfileEntry]) -> list[str]:
    """Save each entry to its own file (a shipped one: a copy); the problems, if any.

    A save that would replace a different existing file is not done here (the main screen's
    `s` asks about that): it is reported, so nothing is overwritten behind the user's back.
    """
    problems = []
    for entry in entries:
        if entry.invalid:
            problems.append(f"{entry.name}: invalid values in {', '.join(sorted(entry.invalid))}")
            continue
        target = ws.save_target(entry)
        if ws.needs_overwrite_confirm(entry, target):
            problems.append(f"{entry.name}: {target} exists; save it with s or save-as first")
            continue
        try:
            ws.save(entry, target)
        except OrtbenchError as exc:
            problems.append(str(exc))
    return problems


def discard(ws: Workspace, entry: ProfileEntry) -> None:
    """Back to what is on disk; an entry that was never saved leaves the list."""
    entry.invalid, entry.raw = {}, {}
    if entry.saved is None:
        if entry in ws.profiles:
            ws.profiles.remove(entry)
        return
    provenance = entry.profile.provenance  # not a setting: no edit touches it
    entry.profile = profile_from_dict(dict(entry.saved), source=str(entry.path or entry.name))
    entry.profile.provenance = provenance


def ask_before_quit(app: Any, quit_now: Callable[[], None]) -> None:
    """Quit at once without unsaved edits; else ask save / discard / cancel first."""
    ws: Workspace = app.workspace
    dirty = dirty_entries(ws)
    if not dirty:
        quit_now()
        return
    if isinstance(app.screen, UnsavedDialog):
        return  # already asking

    def answered(choice: str | None) -> None:
        if choice == "discard":
            quit_now()
        elif choice == "save":
            problems = save_all(ws, dirty)
            if problems:
                app.notify("\n".join(problems), title="Not saved: not quitting", severity="error")
                return
            quit_now()

    app.push_screen(
        UnsavedDialog(
            "Unsaved profile edits",
            f"{names_of(dirty)}: edited and not saved. Save before quitting?",
        ),
        answered,
    )
