"""The footer, tightened on narrow terminals so every key still fits at 80 columns."""

from __future__ import annotations

from textual.events import Resize
from textual.widgets import Footer

NARROW = 100


class WorkbenchFooter(Footer):
    """Compact, and without the palette hint (ctrl+p still works), below 100 columns."""

    def on_resize(self, event: Resize) -> None:
        narrow = event.size.width < NARROW
        if self.compact != narrow:
            self.compact = narrow
            self.show_command_palette = not narrow
            self.call_after_refresh(self.recompose)
