"""The profile editor form, built from the profile's own field table (`field_specs`), and its
rows (`FormRow`: key | control | hint), among them the rows built from the model's free
dimensions and from the chosen EP's options (both rebuilt when those change).

One row per key with the widget its kind calls for: a Select for enums and the provider, a
Switch for booleans, an Input for numbers, strings, lists and tables. Every change is parsed
and checked with the engine's rules at once; a refusal shows its reason on the row, and the
form posts `ProfileForm.Changed` with the profile so far and what is invalid.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static, Switch

from ortbench_tui.profile import (
    SECTIONS,
    CpuList,
    Flag,
    Profile,
    Scalar,
    SettingValue,
    Text,
    read_setting,
    write_setting,
)

from ..formatting import short_ep
from ..literal import literal
from ..profile_fields import (
    GENERAL,
    OTHER_OPTIONS_HINT,
    FieldSpec,
    OptionSpec,
    all_specs,
    check_options,
    cpus_hint,
    dim_hint,
    ep_option_specs,
    field_hint,
    format_inline_table,
    format_value,
    other_options_doc,
    parse_dim,
    parse_inline_table,
    parse_option,
    parse_value,
    provider_choices,
    scalar_table,
)
from .notes import Notes

OTHER_OPTIONS_ID = "f-provider-options-other"


class FormRow(Horizontal):
    """key | control | hint (the hint turns into the reason when the value is refused)."""

    DEFAULT_CSS = """
    FormRow { height: auto; }
    FormRow > .form-key { width: 27; padding: 0 1 0 0; color: $text; }
    FormRow > Input, FormRow > Select { width: 22; }
    FormRow > Switch { width: 8; margin: 0 14 0 0; }
    FormRow > .form-hint {
        width: 1fr; padding: 0 0 0 1; color: $text-muted;
        text-wrap: nowrap; text-overflow: ellipsis;
    }
    FormRow.-invalid > .form-key { color: $text-error; text-style: bold; }
    FormRow.-invalid > .form-hint { color: $text-error; text-wrap: wrap; }
    FormRow.-warn > .form-hint { color: $text-warning; }
    """

    def __init__(self, key_text: str, control: Widget, hint: str, doc: str, row_id: str) -> None:
        super().__init__(id=row_id)
        self.key_text, self.control, self._hint, self._doc = key_text, control, hint, doc
        self.doc = doc
        """The key's documentation (the editor shows it for the focused row)."""

    def compose(self) -> ComposeResult:
        key = Label(literal(self.key_text), classes="form-key")
        key.tooltip = literal(self._doc)
        yield key
        yield self.control
        yield Label(literal(self._hint), classes="form-hint")

    @property
    def hint(self) -> str:
        return str(self.query_one(".form-hint", Label).content)

    def set_hint(self, text: str, invalid: bool = False, warn: bool = False) -> None:
        self.set_class(invalid, "-invalid")
        self.set_class(warn and not invalid, "-warn")
        self.query_one(".form-hint", Label).update(literal(text))


def text_input(value: str, widget_id: str, cursor_blink: bool, placeholder: str = "") -> Input:
    box = Input(value, placeholder=placeholder, id=widget_id, compact=True)
    box.cursor_blink = cursor_blink
    return box


def safe_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def dim_rows(
    dims: dict[str, int | None],
    raw: dict[str, str],
    symbolic_dims: list[str],
    cursor_blink: bool,
) -> list[FormRow]:
    """One row per free dimension: the profile's own and the selected model's symbolic ones."""
    if not dims:
        note = Label("the selected model has no symbolic dims", classes="form-hint")
        return [FormRow("free_dimensions", note, "", "", "row-f-dims-none")]
    rows = []
    for name, value in dims.items():
        path = f"session.free_dimensions.{name}"
        text = raw.get(path, "" if value is None else str(value))
        wid = "f-dim-" + safe_id(name)
        hint = dim_hint(name, value is None and path not in raw, symbolic_dims)
        control = text_input(text, wid, cursor_blink, placeholder="unset")
        doc = f"Value for the symbolic dimension '{name}' (session.free_dimensions); empty = unset"
        rows.append(FormRow(f"free dim {name}", control, hint, doc, f"row-{wid}"))
    return rows


def option_rows(
    ep: str, options: Mapping[str, Scalar], raw: dict[str, str], cursor_blink: bool
) -> list[FormRow]:
    """One row per common option of the EP `ep` (from ORT's option catalogue), then one for
    the other options; each row's hint is ORT's documentation line of the option."""
    specs = ep_option_specs(ep)
    rows: list[FormRow] = []
    for opt in specs:
        value = options.get(opt.name, opt.default)
        control: Widget
        if opt.is_bool:
            control = Switch(_on(value), id=opt.widget_id)
        elif opt.choices:
            choices = list(opt.choices)
            if str(value) not in choices:
                choices.append(str(value))
            control = Select(
                [(c, c) for c in choices],
                value=str(value),
                allow_blank=False,
                id=opt.widget_id,
                compact=True,
            )
        else:
            path = f"provider.options.{opt.name}"
            text = raw.get(path, str(options[opt.name]) if opt.name in options else "")
            control = text_input(text, opt.widget_id, cursor_blink, placeholder=opt.default_text)
        rows.append(FormRow(opt.name, control, opt.doc, opt.full_doc, f"row-{opt.widget_id}"))
    if not specs:
        note = Label(f"{short_ep(ep)} takes no options here", classes="form-hint")
        rows.append(FormRow("options", note, "", "", "row-f-opt-none"))
    known = {o.name for o in specs}
    other = {k: v for k, v in options.items() if k not in known}
    text = raw.get("provider.options", format_inline_table(other))
    rows.append(
        FormRow(
            "other options",
            text_input(text, OTHER_OPTIONS_ID, cursor_blink, placeholder="{ }"),
            OTHER_OPTIONS_HINT,
            other_options_doc(ep),
            f"row-{OTHER_OPTIONS_ID}",
        )
    )
    return rows


def _on(value: object) -> bool:
    """Option booleans as ORT parses them (a TOML file may say "1" or "true")."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


class ProfileForm(VerticalScroll):
    """Edits a copy of a profile; the owner reads `profile`, `invalid` and `raw`."""

    DEFAULT_CSS = """
    ProfileForm { height: 1fr; padding: 0 1; }
    ProfileForm .form-section { margin: 1 0 0 0; text-style: bold; color: $accent; }
    ProfileForm #form-problems { margin: 0 0 1 0; }
    ProfileForm Input.-textual-compact, ProfileForm Select.-textual-compact { height: 1; }
    ProfileForm Switch { border: none; height: 1; padding: 0; }
    ProfileForm Switch:focus { border: none; background: $block-cursor-background; }
    ProfileForm #ep-options { height: auto; }
    ProfileForm #free-dims { height: auto; }
    """

    class Changed(Message):
        """The form's profile changed (or a value was refused)."""

        def __init__(self, form: ProfileForm) -> None:
            super().__init__()
            self.form = form

        @property
        def control(self) -> ProfileForm:
            return self.form

    def __init__(
        self,
        profile: Profile,
        *,
        invalid: dict[str, str] | None = None,
        raw: dict[str, str] | None = None,
        symbolic_dims: list[str] | tuple[str, ...] = (),
        physical_cores: int | None = None,
        logical_cores: int | None = None,
        working_providers: list[str] | None = None,
        cursor_blink: bool = True,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.profile = profile.copy()
        """The profile as edited so far (refused values keep their last good value)."""
        self.invalid: dict[str, str] = dict(invalid or {})
        """Key path -> reason, for every value the form refuses."""
        self.raw: dict[str, str] = dict(raw or {})
        """Key path -> the refused text, so it is not lost."""
        self.specs = {s.widget_id: s for s in all_specs()}
        self.symbolic_dims = list(symbolic_dims)
        self.physical_cores = physical_cores
        self.logical_cores = logical_cores
        self.working_providers = working_providers
        self.cursor_blink = cursor_blink
        self._original_options = dict(profile.provider.options)
        self._dims: dict[str, int | None] = {}
        for name in [*profile.session.free_dimensions, *self.symbolic_dims]:
            self._dims.setdefault(name, profile.session.free_dimensions.get(name))

    # -- building -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Notes(id="form-problems")
        yield Static("profile", classes="form-section")
        for spec in GENERAL:
            yield self._row(spec)
        for section in SECTIONS:
            yield Static(f"[{section}]", classes="form-section", markup=False)
            for spec in (s for s in self.specs.values() if s.section == section):
                if spec.key == "free_dimensions":
                    with Vertical(id="free-dims"):
                        yield from dim_rows(
                            self._dims, self.raw, self.symbolic_dims, self.cursor_blink
                        )
                elif section == "provider" and spec.key == "options":
                    with Vertical(id="ep-options"):
                        yield from self._option_rows()
                else:
                    yield self._row(spec)

    def on_mount(self) -> None:
        for path, reason in self.invalid.items():
            row = self._row_for_path(path)
            if row is not None:
                row.set_hint(f"✗ {reason}", invalid=True)
        self._refresh_problems()

    def _current(self, spec: FieldSpec) -> SettingValue:
        return read_setting(self.profile, spec.section, spec.key)

    def _row(self, spec: FieldSpec) -> FormRow:
        value = self._current(spec)
        control: Widget
        if spec.kind == "enum" and isinstance(value, Text):
            control = Select(
                [(c, c) for c in spec.choices],
                value=value.value,
                allow_blank=False,
                id=spec.widget_id,
                compact=True,
            )
        elif spec.kind == "provider" and isinstance(value, Text):
            control = Select(
                provider_choices(value.value, self.working_providers),
                value=value.value,
                allow_blank=False,
                id=spec.widget_id,
                compact=True,
            )
        elif isinstance(value, Flag):
            control = Switch(value.value, id=spec.widget_id)
        else:
            text = self.raw.get(spec.path, format_value(value))
            control = text_input(text, spec.widget_id, self.cursor_blink)
        return FormRow(
            spec.key, control, self._hint(spec, value), spec.doc, f"row-{spec.widget_id}"
        )

    def _hint(self, spec: FieldSpec, value: SettingValue) -> str:
        return field_hint(
            spec, value, self.physical_cores, self.logical_cores, self.working_providers
        )

    def _option_rows(self) -> list[FormRow]:
        provider = self.profile.provider
        return option_rows(self.profile.provider_ep, provider.options, self.raw, self.cursor_blink)

    # -- reacting -----------------------------------------------------------------------------

    def _row_for_path(self, path: str) -> FormRow | None:
        for row in self.query(FormRow):
            control = row.control
            if control.id and self._path_of(control.id) == path:
                return row
        return None

    def _path_of(self, widget_id: str) -> str:
        if widget_id in self.specs:
            return self.specs[widget_id].path
        if widget_id == OTHER_OPTIONS_ID:
            return "provider.options"
        if widget_id.startswith("f-dim-"):
            name = next((n for n in self._dims if "f-dim-" + safe_id(n) == widget_id), "?")
            return f"session.free_dimensions.{name}"
        if widget_id.startswith("f-opt-"):
            opt = self._option_spec(widget_id)
            return f"provider.options.{opt.name if opt else '?'}"
        return widget_id

    def _option_spec(self, widget_id: str) -> OptionSpec | None:
        return next(
            (o for o in ep_option_specs(self.profile.provider_ep) if o.widget_id == widget_id),
            None,
        )

    def _accept(self, path: str, row: FormRow | None, hint: str, warn: bool = False) -> None:
        self.invalid.pop(path, None)
        self.raw.pop(path, None)
        if row is not None:
            row.set_hint(hint, warn=warn)

    def _refuse(self, path: str, row: FormRow | None, text: str, reason: str) -> None:
        self.invalid[path] = reason
        self.raw[path] = text
        if row is not None:
            row.set_hint(f"✗ {reason}", invalid=True)

    def _set(self, spec: FieldSpec, value: SettingValue) -> None:
        write_setting(self.profile, spec.section, spec.key, value)

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        wid = event.input.id or ""
        row = self._row_of(event.input)
        path = self._path_of(wid)
        text = event.value
        try:
            if wid in self.specs:
                spec = self.specs[wid]
                value = parse_value(spec, text)
                self._set(spec, value)
                hint, warn = self._hint(spec, value), False
                if isinstance(value, CpuList):
                    hint, warn = cpus_hint(value.value, self.logical_cores)
                self._accept(path, row, hint, warn)
            elif wid.startswith("f-dim-"):
                name = path.rsplit(".", 1)[1]
                self._dims[name] = parse_dim(name, text)
                self._write_dims()
                unset = self._dims[name] is None and name in self.symbolic_dims
                self._accept(path, row, dim_hint(name, unset, self.symbolic_dims), warn=unset)
            elif wid == OTHER_OPTIONS_ID:
                other = scalar_table(parse_inline_table(text))
                options = self._with_other_options(other)
                check_options(self.profile.provider_ep, options)  # refused: profile unchanged
                self.profile.provider.options = options
                self._accept(path, row, OTHER_OPTIONS_HINT)
            elif wid.startswith("f-opt-"):
                opt = self._option_spec(wid)
                if opt is None:
                    return
                self._set_option(opt, parse_option(opt, text))
                self._accept(path, row, opt.doc)
        except ValueError as exc:
            self._refuse(path, row, text, str(exc))
        self._changed()

    @on(Select.Changed)
    async def _select_changed(self, event: Select.Changed) -> None:
        event.stop()
        wid = event.select.id or ""
        if wid in self.specs:
            spec = self.specs[wid]
            value = Text(str(event.value))
            if value == self._current(spec):
                return
            self._set(spec, value)
            row = self._row_of(event.select)
            if row is not None:
                row.set_hint(self._hint(spec, value), warn=self._hint(spec, value).startswith("⚠"))
            if spec.kind == "provider":
                await self._rebuild_options()
        elif wid.startswith("f-opt-"):
            opt = self._option_spec(wid)
            if opt is not None:
                self._set_option(opt, str(event.value))
        self._changed()

    @on(Switch.Changed)
    def _switch_changed(self, event: Switch.Changed) -> None:
        event.stop()
        wid = event.switch.id or ""
        row = self._row_of(event.switch)
        if wid in self.specs:
            spec = self.specs[wid]
            value = Flag(bool(event.value))
            self._set(spec, value)
            if row is not None:
                row.set_hint(self._hint(spec, value))
        elif wid.startswith("f-opt-"):
            opt = self._option_spec(wid)
            if opt is not None:
                self._set_option(opt, bool(event.value))
        self._changed()

    def _row_of(self, control: Widget) -> FormRow | None:
        parent = control.parent
        return parent if isinstance(parent, FormRow) else None

    def _write_dims(self) -> None:
        self.profile.session.free_dimensions = {
            k: v for k, v in self._dims.items() if v is not None
        }

    def _set_option(self, opt: OptionSpec, value: int | str | bool | None) -> None:
        options = self.profile.provider.options
        if value is None or (value == opt.default and opt.name not in self._original_options):
            options.pop(opt.name, None)
        else:
            options[opt.name] = value

    def _with_other_options(self, other: dict[str, Scalar]) -> dict[str, Scalar]:
        """The options of the rows, with `other` for all the rest."""
        known = {o.name for o in ep_option_specs(self.profile.provider_ep)}
        options: dict[str, Scalar] = {
            k: v for k, v in self.profile.provider.options.items() if k in known
        }
        options.update(other)
        return options

    async def _rebuild_options(self) -> None:
        for path in [p for p in self.invalid if p.startswith("provider.options")]:
            self.invalid.pop(path)
            self.raw.pop(path, None)
        box = self.query_one("#ep-options", Vertical)
        await box.remove_children()
        await box.mount_all(self._option_rows())

    def _changed(self) -> None:
        self._refresh_problems()
        self.post_message(self.Changed(self))

    def _refresh_problems(self) -> None:
        from ortbench_tui.session import profile_problems

        lines = [("error", f"✗ {p}") for p in profile_problems(self.profile)]
        try:  # e.g. options of the EP chosen before
            check_options(self.profile.provider_ep, self.profile.provider.options)
        except ValueError as exc:
            lines.append(("error", f"✗ {exc}"))
        if self.invalid:
            lines.insert(
                0,
                (
                    "error",
                    f"✗ {len(self.invalid)} invalid value(s): " + ", ".join(sorted(self.invalid)),
                ),
            )
        self.query_one("#form-problems", Notes).show(lines)

    def snapshot(self) -> tuple[Profile, dict[str, str], dict[str, str]]:
        """(profile, invalid, raw) as copies, for the owner to keep."""
        return self.profile.copy(), dict(self.invalid), copy.deepcopy(self.raw)
