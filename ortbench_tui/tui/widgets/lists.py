"""The model list and the profile list (OptionLists that speak in workspace entries)."""

from __future__ import annotations

from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..keys import bindings
from ..literal import literal
from ..workspace import ModelEntry, ProfileEntry

ORIGIN_MARK = {"sample": "", "light": "", "models": "", "added": "+ "}


class ModelList(OptionList):
    """Built-in samples, light architectures, ./models, --models DIR and added paths."""

    BINDINGS = bindings("models")

    DEFAULT_CSS = """
    ModelList { height: 1fr; }
    """

    class Picked(Message):
        """A model was highlighted: it is now the one `r` runs."""

        def __init__(self, entry: ModelEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[ModelEntry] = []
        self.border_title = "Models"

    def set_entries(self, entries: list[ModelEntry], keep: str | None = None) -> None:
        self.entries = list(entries)
        self.set_options(
            Option(literal(ORIGIN_MARK.get(e.origin, "") + e.label, one_line=True), id=f"m{i}")
            for i, e in enumerate(self.entries)
        )
        index = next((i for i, e in enumerate(self.entries) if e.spec == keep), 0)
        if self.entries:
            self.highlighted = index

    @property
    def current(self) -> ModelEntry | None:
        i = self.highlighted
        return self.entries[i] if i is not None and 0 <= i < len(self.entries) else None

    def select_spec(self, spec: str) -> None:
        for i, e in enumerate(self.entries):
            if e.spec == spec:
                self.highlighted = i
                return

    def _on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list is self and self.current is not None:
            self.post_message(self.Picked(self.current))


class ProfileList(OptionList):
    """Profiles from --profiles DIR, ./profiles and the shipped ones; `*` = unsaved changes."""

    BINDINGS = bindings("profiles")

    DEFAULT_CSS = """
    ProfileList { height: 1fr; }
    """

    class Picked(Message):
        """A profile was highlighted: it is now the one `r` runs and `e` edits."""

        def __init__(self, entry: ProfileEntry) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.entries: list[ProfileEntry] = []
        self.border_title = "Profiles"

    def set_entries(self, entries: list[ProfileEntry], keep: ProfileEntry | None = None) -> None:
        self.entries = list(entries)
        self.set_options(self._prompt(e) for e in self.entries)
        index = self.entries.index(keep) if keep in self.entries else 0
        if self.entries:
            self.highlighted = index

    @staticmethod
    def _prompt(entry: ProfileEntry) -> Content:
        tag = "" if entry.writable or entry.error else " (shipped)"
        return literal(entry.label + tag, one_line=True)

    def refresh_labels(self) -> None:
        for i, entry in enumerate(self.entries):
            self.replace_option_prompt_at_index(i, self._prompt(entry))

    @property
    def current(self) -> ProfileEntry | None:
        i = self.highlighted
        return self.entries[i] if i is not None and 0 <= i < len(self.entries) else None

    def _on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list is self and self.current is not None:
            self.post_message(self.Picked(self.current))
