"""The rows of the profile editor: key | control | hint, and the rows built from the model's
free dimensions and from the chosen EP's options (both rebuilt when those change)."""

from __future__ import annotations

import re
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Switch

from ..formatting import short_ep
from ..literal import literal
from ..profile_fields import (
    OTHER_OPTIONS_HINT,
    dim_hint,
    ep_option_specs,
    format_inline_table,
    other_options_doc,
)

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
    ep: str, options: dict[str, Any], raw: dict[str, str], cursor_blink: bool
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


def _on(value: Any) -> bool:
    """Option booleans as ORT parses them (a TOML file may say "1" or "true")."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)
