"""The profile editor, on its own screen (it needs the room at 80x24)."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static

from ..keys import bindings
from ..literal import literal
from ..widgets.footer import WorkbenchFooter
from ..widgets.profile_form import FormRow, ProfileForm
from ..workbench import workbench
from ..workspace import ProfileEntry
from .profile_files import ask_before_leaving, save_entry, save_entry_as, short_path


class EditorScreen(Screen[None]):
    """Edits a profile entry in place: changes are live (and marked `*`) until saved."""

    BINDINGS = bindings("editor")

    DEFAULT_CSS = """
    EditorScreen #editor-title {
        height: 1; background: $panel; padding: 0 1; text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    EditorScreen #editor-title.-invalid { color: $text-error; }
    EditorScreen #editor-doc {
        height: auto; max-height: 3; padding: 0 1; background: $panel; color: $text-muted;
    }
    """

    def __init__(self, entry: ProfileEntry, symbolic_dims: list[str]) -> None:
        super().__init__(id="editor")
        self.entry = entry
        self.symbolic_dims = symbolic_dims

    def compose(self) -> ComposeResult:
        yield Static("", id="editor-title")
        app = workbench(self)
        hw = app.hardware
        yield ProfileForm(
            self.entry.profile,
            invalid=self.entry.invalid,
            raw=self.entry.raw,
            symbolic_dims=self.symbolic_dims,
            physical_cores=hw.physical_cores if hw else None,
            logical_cores=hw.logical_cores if hw else None,
            working_providers=hw.working_providers if hw else None,
            cursor_blink=app.cursor_blink,
            id="form",
        )
        yield Static("", id="editor-doc", markup=False)
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        from .recheck import won_elsewhere

        self._refresh_title()
        self.query_one("#f-name", Input).focus()
        notice = won_elsewhere(self.entry, workbench(self).hardware, key="ctrl+r")
        if notice:
            self.notify(notice, title="Re-check this profile?", severity="warning", timeout=10)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "recheck":
            return True if self.entry.profile.provenance is not None else False
        return True

    def action_recheck(self) -> None:
        """The contest this profile won, run again, with the settings as edited."""
        from .recheck import start_recheck

        if self.entry.invalid:
            keys = ", ".join(sorted(self.entry.invalid))
            self.notify(f"invalid values in {keys}", title="Not re-checked", severity="error")
            return
        start_recheck(self, self.entry)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        row = next((a for a in event.widget.ancestors_with_self if isinstance(a, FormRow)), None)
        doc = f"{row.key_text}: {row.doc}" if row is not None and row.doc else ""
        self.query_one("#editor-doc", Static).update(doc)

    @property
    def form(self) -> ProfileForm:
        return self.query_one(ProfileForm)

    def _refresh_title(self) -> None:
        entry = self.entry
        where = short_path(entry.path) if entry.path else "not saved yet"
        if entry.path and not entry.writable:
            where += " (shipped: s saves a copy)"
        state = f" · ✗ {len(entry.invalid)} invalid" if entry.invalid else ""
        title = self.query_one("#editor-title", Static)
        title.update(literal(f"Profile: {entry.label} · {where}{state}"))
        title.set_class(bool(entry.invalid), "-invalid")

    @on(ProfileForm.Changed)
    def _changed(self, event: ProfileForm.Changed) -> None:
        self.entry.profile, self.entry.invalid, self.entry.raw = event.form.snapshot()
        self._refresh_title()

    def _after_save(self) -> None:
        name_box = self.form.query_one("#f-name", Input)
        if name_box.value != self.entry.profile.name:
            name_box.value = self.entry.profile.name
        self._refresh_title()

    def action_save(self) -> None:
        save_entry(self, self.entry, on_saved=self._after_save)

    def action_save_as(self) -> None:
        save_entry_as(self, self.entry, on_saved=self._after_save)

    def action_close(self) -> None:
        """Back; with unsaved edits, ask: save, keep them (marked *), discard, or stay."""
        ask_before_leaving(self, self.entry, lambda: self.dismiss(None))
