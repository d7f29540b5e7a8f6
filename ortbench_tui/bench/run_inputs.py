"""The inputs of a measured run, on both sides of the process boundary.

The parent puts the InputSpec into the child's request as a plain dict (`request_inputs`);
the child turns it back into input sets with `feeds.prepare_inputs` before any session is
timed (a bad spec is an OrtbenchError: exit 2), and an ORT failure caused by the values fed
becomes a message naming the node and the input flags (`run_error_message`: exit 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..inputs.spec import InputSpec, spec_from_dict
from ..profile import Profile

if TYPE_CHECKING:
    from ..feeds import PreparedInputs
    from ..models import TensorInfo
    from . import result_record


def request_inputs(spec: InputSpec) -> dict[str, Any]:
    """The spec as the child's request carries it."""
    return spec.to_dict()


def effective_spec(data: dict[str, Any] | None, profile: Profile) -> InputSpec:
    """The request's spec; the profile's run.inputs_npz is the file set when none is given."""
    spec = spec_from_dict(data or {}, "inputs")
    if not spec.files and profile.run.inputs_npz:
        spec = replace(spec, files=profile.run.inputs_npz)
    return spec


def prepare_request_inputs(
    request: Mapping[str, Any], profile: Profile, tensors: Sequence[TensorInfo]
) -> PreparedInputs:
    """Input sets and their records for this request, or OrtbenchError before any timing."""
    from ..feeds import prepare_inputs

    spec = effective_spec(request.get("inputs"), profile)
    return prepare_inputs(
        tensors,
        spec,
        profile.session.free_dimensions,
        seed=profile.run.input_seed,
        sets=profile.run.input_sets,
    )


def unbindable(feed: dict[str, Any]) -> list[str]:
    """Inputs (or outputs) IO binding cannot take: ORT binds only non-string tensors."""
    return [n for n, a in feed.items() if getattr(getattr(a, "dtype", None), "kind", "O") in "OUS"]


def binding_off_warning(names: Sequence[str]) -> str:
    return (
        f"IO binding off: ORT binds no string tensors ({', '.join(map(repr, names))}); "
        "the runs call session.run with the inputs"
    )


def is_ort_error(exc: BaseException) -> bool:
    """An error raised by onnxruntime itself (its pybind exceptions), not by ortbench."""
    return type(exc).__module__.startswith("onnxruntime")


def run_error_message(exc: BaseException, prepared: PreparedInputs | None) -> str | None:
    """ORT's failure explained with the inputs fed, or None when it is not such a failure."""
    if prepared is None or not is_ort_error(exc):
        return None
    from ..run_errors import explain_run_error

    return explain_run_error(exc, prepared.records)


def input_lines(records: Sequence[result_record.InputRecord]) -> list[str]:
    """A result's `inputs` as aligned lines: name, dtype, shape, where the values came from."""
    from ..feeds import InputRecord, describe_inputs
    from .result_record import given

    return describe_inputs(
        [
            InputRecord(
                r.name,
                given(r.dtype, ""),
                tuple(given(r.shape, [])),
                dict(given(r.source, {})),
            )
            for r in records
        ]
    )


def shapes_of(result: result_record.RunResult) -> dict[str, tuple[int, ...]] | None:
    """Input name -> shape measured; None for results made before inputs were recorded."""
    from .result_record import given

    records = given(result.inputs, [])
    if not records:
        return None
    return {r.name: tuple(given(r.shape, [])) for r in records}


def shapes_text(shapes: dict[str, tuple[int, ...]] | None) -> str:
    """``tokens 1x128, mask 1x128`` (``()`` for a scalar); "unrecorded" when unknown."""
    if shapes is None:
        return "unrecorded"
    return ", ".join(f"{n} {'x'.join(map(str, s)) or '()'}" for n, s in shapes.items())


def inputs_markdown(records: Sequence[dict[str, Any]]) -> str:
    """One Markdown line naming the inputs measured: ``Inputs: `x` float32 1x3x224x224 (normal)``;
    "unrecorded" when the result predates input records."""
    if not records:
        return "Inputs: unrecorded."
    parts = []
    for r in records:
        shape = "x".join(str(int(d)) for d in r.get("shape") or []) or "()"
        source = r.get("source") or {}
        how = source.get("spec") or source.get("kind") or ""
        parts.append(
            f"`{r.get('name', '')}` {r.get('dtype', '')} {shape}" + (f" ({how})" if how else "")
        )
    return "Inputs: " + ", ".join(parts) + "."


def shape_mismatch_warning(
    names: Sequence[str], results: Sequence[result_record.RunResult]
) -> str | None:
    """A warning when the results were measured on different input shapes (or some unknown)."""
    shapes = [shapes_of(r) for r in results]
    known = [s for s in shapes if s is not None]
    if len(known) < 2 or all(s == known[0] for s in known):
        return None
    parts = "; ".join(f"{n}: {shapes_text(s)}" for n, s in zip(names, shapes, strict=True))
    return (
        f"different input shapes: {parts}; the latencies are of different work, not only of "
        "different settings"
    )


__all__ = [
    "binding_off_warning",
    "effective_spec",
    "input_lines",
    "is_ort_error",
    "prepare_request_inputs",
    "request_inputs",
    "run_error_message",
    "shape_mismatch_warning",
    "shapes_of",
    "shapes_text",
    "unbindable",
]
