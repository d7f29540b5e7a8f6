"""The inputs form: every input of a model with its dtype, its shape (dynamic dims editable)
and its value generator, saved per model (inputs.store) so the model opens with them again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.inputs.spec import InputSpec
from ortbench_tui.models import TensorInfo

from ..input_rows import InputRow, build_rows, check_rows
from ..keys import bindings
from ..widgets.footer import WorkbenchFooter


@dataclass
class InputsOutcome:
    """What the form was closed with: the saved spec, and whether to run now."""

    spec: InputSpec
    run: bool


FORM_ROWS = 200
"""Inputs shown as form rows: a model with 10,000 inputs once froze the app for minutes
(two text boxes each); past this, an inputs file is the way to give them."""


class InputsScreen(ModalScreen[InputsOutcome | None]):
    """One row per input: name, dtype and model shape, then the shape and values to use."""

    BINDINGS = bindings("inputs")

    DEFAULT_CSS = """
    InputsScreen { align: center middle; }
    InputsScreen > Vertical {
        width: 96; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    InputsScreen #inputs-title { text-style: bold; }
    InputsScreen #inputs-rows { height: auto; max-height: 16; }
    InputsScreen .input-head { height: auto; margin: 1 0 0 0; }
    InputsScreen .input-row { height: 1; }
    InputsScreen .input-row Label { width: auto; margin: 0 1 0 2; color: $text-muted; }
    InputsScreen .input-row Input { width: 1fr; }
    InputsScreen #inputs-status { height: auto; color: $text-muted; }
    InputsScreen #inputs-status.-error { color: $text-error; }
    """

    def __init__(
        self,
        model: str,
        inputs: list[TensorInfo],
        spec: InputSpec,
        free_dims: Mapping[str, int],
        prefill: bool = False,
        save: Callable[[str, InputSpec], object] | None = None,
    ) -> None:
        """`save(model, spec)` keeps the spec (inputs.store.save_spec unless a test swaps it)."""
        super().__init__()
        self.model = model
        self.inputs = inputs
        self.free_dims = dict(free_dims)
        self.files = spec.files
        self.rows: list[InputRow] = build_rows(inputs, spec, free_dims, prefill)
        self._as_opened = [(r.shape, r.values) for r in self.rows]
        self.prefill = prefill
        if save is None:
            from ortbench_tui.inputs.store import save_spec

            save = save_spec
        self._save = save

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Inputs of {self.model}"), id="inputs-title")
            yield Static(
                Text(
                    "shape: e.g. 1x3x224x224, empty = the model's (dynamic dims need one) · "
                    "values: a number, int:LO..HI, uniform:LO..HI, normal, zeros, ones, FILE.npy"
                ),
                classes="muted",
            )
            with VerticalScroll(id="inputs-rows"):
                for i, row in enumerate(self.rows[:FORM_ROWS]):
                    mark = "* " if row.dynamic else "  "
                    head = f"{mark}{row.name}  {row.dtype}  {row.model_shape}"
                    if row.default_why:
                        head += f"  · default {row.default_values_text}: {row.default_why}"
                    yield Static(Text(head), classes="input-head")
                    with Horizontal(classes="input-row"):
                        yield Label("shape")
                        yield Input(
                            row.shape,
                            placeholder=row.model_shape if not row.dynamic else "size it",
                            id=f"shape-{i}",
                            compact=True,
                        )
                        yield Label("values")
                        yield Input(
                            row.values,
                            placeholder=row.default_values_text,
                            id=f"values-{i}",
                            compact=True,
                        )
            yield Static("", id="inputs-status")
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        self._status(self._intro())
        first = next((i for i, r in enumerate(self.rows[:FORM_ROWS]) if r.dynamic), 0)
        if self.rows:
            self.query_one(f"#shape-{first}", Input).focus()

    def _intro(self) -> str:
        files = f"file set: {self.files} · " if self.files else ""
        if len(self.rows) > FORM_ROWS:  # the rest keep what the saved spec or files give
            files += (
                f"the first {FORM_ROWS} of {len(self.rows):,} inputs shown; give the others "
                "with --inputs FILE · "
            )
        lead = "unset dims read 1: put your sizes in · " if self.prefill else ""
        return f"{files}{lead}* = dynamic dims · ctrl+s saves · ctrl+r saves and runs"

    def _status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#inputs-status", Static)
        status.update(Text(text))
        status.set_class(error, "-error")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        kind, _, index = (event.input.id or "").partition("-")
        row = self.rows[int(index)]
        if kind == "shape":
            row.shape = event.value
        else:
            row.values = event.value
        try:
            check_rows(self.rows, self.inputs, self.free_dims, self.files)
        except OrtbenchError as exc:
            self._status(f"✗ {exc}", error=True)
            return
        self._status(self._intro())

    @on(Input.Submitted)
    def _submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def _finish(self, run: bool) -> None:
        try:
            spec = check_rows(self.rows, self.inputs, self.free_dims, self.files, complete=run)
            self._save(self.model, spec)
        except (OrtbenchError, OSError) as exc:
            self._status(f"✗ {exc}", error=True)
            return
        self.dismiss(InputsOutcome(spec, run))

    def action_save(self) -> None:
        self._finish(run=False)

    def action_save_and_run(self) -> None:
        self._finish(run=True)

    @property
    def edited(self) -> bool:
        """Something was typed since the form opened (and not saved)."""
        return [(r.shape, r.values) for r in self.rows] != self._as_opened

    def action_cancel(self) -> None:
        """Close without saving; with edits, ask first (as the profile editor does)."""
        if not self.edited:
            self.dismiss(None)
            return
        from .dialogs import ConfirmDialog

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(
                "Discard the edited inputs?",
                "The shapes or values were changed and not saved (ctrl+s saves).",
                yes="Discard",
            ),
            answered,
        )


__all__ = ["InputsOutcome", "InputsScreen"]
