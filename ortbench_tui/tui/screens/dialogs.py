"""Small modal screens: confirm, ask for a name or a path, and show a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ortbench_tui.errors import OrtbenchError

from ..formatting import Line
from ..keys import bindings
from ..literal import literal
from ..widgets.notes import Notes

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 95%; height: auto; max-height: 90%;
    border: round $primary; background: $surface; padding: 0 1;
}}
{name} .dialog-title {{ text-style: bold; margin: 0 0 1 0; }}
{name} .dialog-buttons {{ height: auto; align-horizontal: right; margin: 1 0 0 0; }}
{name} .dialog-buttons Button {{ margin: 0 0 0 1; }}
{name} .dialog-error {{ color: $text-error; height: auto; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no; Enter or y confirms, Esc or n declines."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = bindings("confirm")

    def __init__(self, title: str, question: str, yes: str = "Yes") -> None:
        super().__init__()
        self._title, self._question, self._yes = title, question, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self._title), classes="dialog-title")
            yield Static(literal(self._question))
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self._yes} (y)", id="yes", variant="error", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def ask_job_text(
    screen: Screen[Any],
    title: str,
    label: str,
    value: str,
    parse: Callable[[str], object],
    start: Callable[[str], object],
    cursor_blink: bool = True,
) -> None:
    """A job's settings as one line of text: checked by `parse` as it is typed (its
    OrtbenchError shown under the field), then `start(text)` on Enter; nothing on Esc."""

    def check(text: str) -> str | None:
        try:
            parse(text)
        except OrtbenchError as exc:
            return str(exc)
        return None

    def done(text: str | None) -> None:
        if text:
            start(text)

    screen.app.push_screen(PromptDialog(title, label, value, check, cursor_blink), done)


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; `check` returns an error message or None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptDialog")
    BINDINGS = bindings("prompt")

    def __init__(
        self,
        title: str,
        label: str,
        value: str = "",
        check: Callable[[str], str | None] | None = None,
        cursor_blink: bool = True,
    ) -> None:
        super().__init__()
        self._title, self._label, self._value, self._check = title, label, value, check
        self._blink = cursor_blink

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self._title), classes="dialog-title")
            yield Label(literal(self._label))
            box = Input(self._value, id="prompt-input", select_on_focus=True)
            box.cursor_blink = self._blink
            yield box
            yield Static("", id="prompt-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("OK (enter)", id="ok", variant="primary", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        text = self.query_one(Input).value.strip()
        problem = self._check(text) if self._check else None
        if problem:
            self.query_one("#prompt-error", Static).update(literal(f"✗ {problem}"))
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)


class MessageDialog(ModalScreen[None]):
    """A titled message (an error that deserves more than a toast, or model details)."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="MessageDialog")
        + """
    MessageDialog VerticalScroll { height: auto; max-height: 20; }
    MessageDialog.-error > Vertical { border: round $error; }
    """
    )
    BINDINGS = bindings("message")

    def __init__(self, title: str, lines: list[Line], error: bool = False) -> None:
        super().__init__(classes="-error" if error else "")
        self._title, self._lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self._title), classes="dialog-title")
            with VerticalScroll():
                yield Notes(self._lines, id="message-lines")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close (esc)", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _close(self) -> None:
        self.dismiss(None)


class ChoiceDialog(ModalScreen[str | None]):
    """Pick one of a few options: up/down and enter, or esc for none."""

    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ChoiceDialog")
        + """
    ChoiceDialog OptionList { height: auto; max-height: 12; }
    """
    )
    BINDINGS = bindings("choice")

    def __init__(self, title: str, label: str, options: list[tuple[str, str]]) -> None:
        """`options`: (id, text) pairs; the dialog returns the chosen id."""
        super().__init__()
        self._title, self._label, self._options = title, label, options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(literal(self._title), classes="dialog-title")
            yield Label(literal(self._label))
            yield OptionList(*(Option(literal(text), id=key) for key, text in self._options))
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self._options else None
        options.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)


def confirm_then(
    screen: Screen[Any],
    dialog: ConfirmDialog,
    act: Callable[[], None],
    failed_title: str,
    done: Callable[[], None],
    done_message: str,
) -> None:
    """Ask with `dialog`; on yes run `act`, then `done` and say `done_message`. A refusal from
    the engine (OrtbenchError) is a notification titled `failed_title`, never a crash."""

    def answered(yes: bool | None) -> None:
        if not yes:
            return
        try:
            act()
        except OrtbenchError as exc:
            screen.notify(str(exc), title=failed_title, severity="error")
            return
        done()
        screen.notify(done_message)

    screen.app.push_screen(dialog, answered)
