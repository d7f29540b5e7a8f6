"""The inputs form's rows as plain data: what each input shows, what is typed, and the spec
it makes. No Textual here, so the rules are tested without a screen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ortbench_tui.dims import dynamic_indices, format_shape, placeholder_sizes, shape_text
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.feeds import default_for
from ortbench_tui.inputs.shapes import resolve_shapes
from ortbench_tui.inputs.spec import InputSpec, parse_shape, parse_value_spec, validate_spec
from ortbench_tui.models import TensorInfo


@dataclass
class InputRow:
    """One input of the form: its fixed facts and the two texts the user edits."""

    name: str
    dtype: str
    model_shape: str
    """``[batch, 8]`` as the model states it."""
    dynamic: bool
    shape: str
    """``1x8``, or "" to take the model's fixed shape (or free_dimensions)."""
    values: str
    """A value spec, or "" for the default shown in `default_values_text`."""
    default_values_text: str
    default_why: str = ""
    """Where the default comes from when the graph suggests it (graph_defaults), else ""."""


def unset_inputs(
    inputs: Sequence[TensorInfo], spec: InputSpec, free_dims: Mapping[str, int]
) -> list[str]:
    """Inputs with a dim nothing sizes (no --shape, no free_dimensions entry, no file)."""
    if spec.files:
        return []  # the file set states shapes: the worker checks them
    out = []
    for t in inputs:
        value = spec.values.get(t.name)
        if t.name in spec.shapes or (value is not None and value.kind in ("npy", "none")):
            continue
        if not t.feedable:
            continue  # not fed by ortbench: its run says so plainly
        if not t.has_shape:
            out.append(t.name)
        elif any(
            not (isinstance(t.shape[i], str) and t.shape[i] in free_dims)
            for i in dynamic_indices(t.shape)
        ):
            out.append(t.name)
    return out


def unsized_input_dims(inputs: Sequence[TensorInfo], spec: InputSpec) -> list[str]:
    """The inputs' named dims that no saved shape or file sizes (free_dimensions aside)."""
    if spec.files:
        return []
    out: dict[str, None] = {}
    for t in inputs:
        value = spec.values.get(t.name)
        if t.name in spec.shapes or (value is not None and value.kind in ("npy", "none")):
            continue
        out.update(dict.fromkeys(t.symbolic_dims))
    return list(out)


def build_rows(
    inputs: Sequence[TensorInfo],
    spec: InputSpec,
    free_dims: Mapping[str, int],
    prefill: bool = False,
) -> list[InputRow]:
    """A row per input; with `prefill`, every unset dim reads 1 so one key runs the model."""
    unset = set(unset_inputs(inputs, spec, free_dims)) if prefill else set()
    rows = []
    for t in inputs:
        if t.name in spec.shapes:
            shape = shape_text(spec.shapes[t.name])
        elif t.name in unset and t.has_shape:
            known = {k: v for k, v in free_dims.items() if isinstance(v, int)}
            shape = shape_text(placeholder_sizes(t.shape, known))
        else:
            shape = ""
        default, why = default_for(t)
        rows.append(
            InputRow(
                name=t.name,
                dtype=t.type_text,
                model_shape=format_shape(t.shape) if t.has_shape else "rank unknown",
                dynamic=bool(t.dynamic_dims) or not t.has_shape,
                shape=shape,
                values=spec.values[t.name].text if t.name in spec.values else "",
                default_values_text=default.text if default else "give a FILE.npy",
                default_why=why if t.default else "",
            )
        )
    return rows


def spec_from_rows(rows: Sequence[InputRow], files: str = "") -> InputSpec:
    """The spec the form's texts say; OrtbenchError names the input and what was expected."""
    spec = InputSpec(files=files)
    for row in rows:
        if row.shape.strip():
            spec.shapes[row.name] = parse_shape(row.shape, f"shape of {row.name!r}")
        if row.values.strip():
            spec.values[row.name] = parse_value_spec(row.values, f"values of {row.name!r}")
    return spec


def check_rows(
    rows: Sequence[InputRow],
    inputs: Sequence[TensorInfo],
    free_dims: Mapping[str, int],
    files: str = "",
    complete: bool = False,
) -> InputSpec:
    """The form's spec, validated against the model; `complete` also wants every dim sized."""
    spec = spec_from_rows(rows, files)
    validate_spec(spec, list(inputs), "inputs form")
    if complete and not files:
        try:
            resolve_shapes(inputs, spec, dict(free_dims))
        except OrtbenchError as exc:
            first = str(exc).splitlines()[0]
            raise OrtbenchError(f"{first}; type a shape for each") from None
    return spec


__all__ = [
    "InputRow",
    "build_rows",
    "check_rows",
    "spec_from_rows",
    "unset_inputs",
    "unsized_input_dims",
]
