"""The footer, tightened on narrow terminals so the keys that matter still fit at 80 columns."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from textual.app import ComposeResult
from textual.events import Resize
from textual.widget import Widget
from textual.widgets import Footer

NARROW = 100

LEAVE_FIRST = ("switch_list", "save", "screen.edit_inputs", "save_as", "rename", "duplicate")
"""Actions the narrow footer leaves out first when the keys do not fit (all stay in `?` and
the palette): moving between lists, saving, the inputs form."""
TERSE = ("app.help", "app.quit")
"""Shown as the bare key (`?`, `q`) before anything else would have to go."""


class FooterKey(Protocol):
    """What the footer's key widgets carry (Textual's FooterKey, not exported)."""

    key_display: str
    description: str
    action: str


def key_width(key: FooterKey) -> int:
    """Cells a compact key takes: `k Desc` and the gap after it."""
    return len(key.key_display) + (len(key.description) + 1 if key.description else 0) + 1


def fit_keys(keys: list[FooterKey], width: int) -> list[FooterKey]:
    """The keys that fit in `width` cells: first without LEAVE_FIRST actions, then with help
    and quit as bare keys, then dropping from the end (never help or quit)."""
    kept = list(keys)

    def total() -> int:
        return sum(key_width(k) for k in kept)

    for action in LEAVE_FIRST:
        if total() <= width:
            return kept
        kept = [k for k in kept if k.action != action]
    if total() > width:
        for k in kept:
            if k.action in TERSE:
                k.description = ""
    while total() > width:
        droppable = [k for k in kept if k.action not in TERSE]
        if not droppable:
            break
        kept.remove(droppable[-1])
    return kept


class WorkbenchFooter(Footer):
    """Compact, and without the palette hint (ctrl+p still works), below 100 columns; there
    the keys are fitted to the width so help and quit are never cut off."""

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        if self.compact != narrow:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.call_after_refresh(self.recompose)

    def compose(self) -> ComposeResult:
        widgets: Iterable[Widget] = super().compose()
        if not self.compact:
            yield from widgets
            return
        all_widgets = list(widgets)
        keys = [w for w in all_widgets if hasattr(w, "key_display") and hasattr(w, "action")]
        width = self.size.width or self.app.size.width
        fitted = {id(k) for k in fit_keys(keys, width)}  # type: ignore[arg-type]
        shown = [w for w in all_widgets if id(w) in fitted or w not in keys]
        self.styles.grid_size_columns = len(shown)
        yield from shown
