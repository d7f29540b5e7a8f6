"""One user action of the workbench: its key, its footer word and its help sentence, and
how keys are written on screen. The table of every action is `keys.COMMANDS`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    """One user action: its key, its footer word, and the sentence the palette and help show."""

    scope: str
    """Where the key works: a key of SCOPE_TITLES (one screen, dialog or list)."""
    key: str
    """A Textual key name, or several separated by commas (one binding for all of them)."""
    action: str
    title: str
    help: str
    show: bool = True
    priority: bool = False
    palette: str = ""
    """The command's name in the palette, when the footer word is too short to say it."""

    @property
    def palette_title(self) -> str:
        return self.palette or self.title

    @property
    def id(self) -> str:
        """`scope.action`, with the action's arguments when it has any (`compare.export_md`)."""
        name, _, args = self.action.split(".")[-1].partition("(")
        suffix = re.sub(r"\W", "", args)
        return f"{self.scope}.{name}_{suffix}" if suffix else f"{self.scope}.{name}"

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.title,
            show=self.show,
            priority=self.priority,
            tooltip=self.help,
            id=self.id,
        )


def key_label(key: str) -> str:
    """How a key (or a comma-separated list of keys) is written on screen."""
    names = {"question_mark": "?", "escape": "esc", "space": "space"}
    return " / ".join(names.get(k, k) for k in key.split(","))
