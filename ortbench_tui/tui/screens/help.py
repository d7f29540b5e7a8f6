"""`?`: every key of the workbench, generated from the command table."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import COMMANDS, SCOPE_TITLES, bindings, key_label

EXTRA = [
    ("Everywhere", "ctrl+p", "Command palette: every action by name"),
    ("Everywhere", "tab / shift+tab", "Move focus between panels and fields"),
    ("Lists", "up / down, home / end", "Move the highlight (it selects the model/profile)"),
]


def help_rows() -> list[tuple[str, str, str]]:
    """(section, keys, what) for every command; keys of one action are joined."""
    rows: list[tuple[str, str, str]] = []
    for c in COMMANDS:
        section = SCOPE_TITLES.get(c.scope, c.scope)
        what = f"{c.title}: {c.help}"
        if rows and rows[-1][0] == section and rows[-1][2] == what:
            rows[-1] = (section, f"{rows[-1][1]} / {key_label(c.key)}", what)
        else:
            rows.append((section, key_label(c.key), what))
    rows += [("Also", key, text) for _, key, text in EXTRA]
    return rows


def help_table() -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=True)
    table.add_column("key", style="bold", no_wrap=True, width=16)
    table.add_column("does", ratio=1)
    section = None
    for row_section, keys, what in help_rows():
        if row_section != section:
            section = row_section
            table.add_row("", "")
            table.add_row(f"[u]{section}[/u]", "")
        table.add_row(keys, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists every key; Esc, q or ? closes it."""

    BINDINGS = bindings("help")

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 100; max-width: 96%; height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    HelpScreen #help-title { text-style: bold; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-scroll"):
            yield Static("ortbench keys · esc closes", id="help-title")
            yield Static(help_table(), id="help-table")

    def on_mount(self) -> None:
        self.query_one(VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
