"""Concrete input shapes from the model, the input spec, user arrays and free_dimensions.

A named dim takes its size from the profile's ``free_dimensions``, a ``--shape`` or a user
array. ``free_dimensions`` binds the session, so a shape that disagrees with it is refused. A
``--shape`` (or an array) states its input's whole shape and wins: when two of them give one
named dim different sizes, that is a warning naming both (ORT itself does not enforce named
dims between inputs), not a refusal. Placeholder names (``?``, ``unk__0``) are read as
unnamed dims by models.py, so they tie nothing together. An input without a stated shape takes
a named dim's first size. A dim no source sizes is never guessed: one error lists all of them
with lines to paste.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import tomli_w

from ..dims import (
    dim_label,
    format_shape,
    free_dims_toml,
    placeholder_sizes,
    shape_flags,
    shape_text,
    toml_key,
)
from ..errors import OrtbenchError
from ..models import TensorInfo
from .files import FileArray
from .spec import InputSpec


@dataclass(frozen=True)
class _Size:
    value: int
    source: str
    binding: bool = False
    """True for free_dimensions: the session is built for this size, so nothing may differ."""


def _check_free_dims(free_dims: Mapping[str, object]) -> dict[str, _Size]:
    named: dict[str, _Size] = {}
    for name, v in free_dims.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise OrtbenchError(
                f"free_dimensions.{toml_key(name)} must be a non-negative integer, got {v!r}"
            )
        named[name] = _Size(
            v, f"the profile's free_dimensions sets {toml_key(name)} = {v}", binding=True
        )
    return named


def _explicit_shape(
    t: TensorInfo, spec: InputSpec, arrays: Mapping[str, FileArray]
) -> tuple[tuple[int, ...], str] | None:
    """The shape the user stated for this input (--shape or an array), with its source."""
    given = spec.shapes.get(t.name)
    arr = arrays.get(t.name)
    got = tuple(int(d) for d in arr.one().shape) if arr is not None else None
    if given is not None and got is not None and given != got:
        raise OrtbenchError(
            f"input {t.name!r}: --shape {t.name}={shape_text(given)} disagrees with the "
            f"array in {arr.path if arr else ''}, shaped {list(got)}"
        )
    if given is not None:
        return given, f"--shape {t.name}={shape_text(given)}"
    if got is not None and arr is not None:
        if t.has_shape and (len(got) != len(t.shape) or (arr.stacked and arr.sets == 0)):
            raise OrtbenchError(
                f"{arr.path}: input {t.name!r} expects shape {format_shape(t.shape)} "
                f"(or [K, *{format_shape(t.shape)}] for K sets), got {list(arr.array.shape)}"
            )
        return got, f"the array {list(got)} for {t.name!r} in {arr.path}"
    return None


def _bind(
    t: TensorInfo,
    shape: tuple[int, ...],
    source: str,
    named: dict[str, _Size],
    warnings: list[str],
) -> None:
    """Check a stated shape against the model's fixed dims and the named sizes so far."""
    for i, (want, got) in enumerate(zip(t.shape, shape, strict=True)):
        if isinstance(want, int) and want >= 0 and want != got:
            raise OrtbenchError(
                f"{source}: dim #{i} of input {t.name!r} is fixed at {want} in the model "
                f"{format_shape(t.shape)}, got {got}"
            )
        if isinstance(want, str):
            have = named.get(want)
            if have is not None and have.value != got:
                if have.binding:
                    raise OrtbenchError(
                        f"dim {want!r} of input {t.name!r} disagrees: {source} makes it {got}, "
                        f"but {have.source}; make them agree"
                    )
                warnings.append(
                    f"named dim {want!r} has two sizes: {source} makes it {got} (dim #{i} of "
                    f"{t.name!r}), but {have.source}; both are fed as stated (ORT does not "
                    "enforce it), check the model accepts them"
                )
                continue
            named.setdefault(want, _Size(got, f"{source} makes it {got}"))


def _summary(inputs: Sequence[TensorInfo], unset: Mapping[str, list[int]]) -> str:
    """``symbolic dim 'batch', dim #0 of 'image' (?)``: each unset dim once."""
    labels: dict[str, None] = {}
    for t in inputs:
        if t.name not in unset:
            continue
        if not t.has_shape:
            labels[f"every dim of {t.name!r} (rank unknown)"] = None
        for i in unset[t.name]:
            d = t.shape[i]
            label = f"symbolic dim {d!r}" if isinstance(d, str) else f"dim #{i} of {t.name!r}"
            labels[label if isinstance(d, str) else f"{label} ({dim_label(d)})"] = None
    return ", ".join(labels)


def missing_dims_message(
    inputs: Sequence[TensorInfo], unset: Mapping[str, list[int]], named: Mapping[str, int]
) -> str:
    """Every unset dim of every input, a paste-ready --shape line and its TOML forms."""
    lines = [f"input dims without a size (ortbench does not guess them): {_summary(inputs, unset)}"]
    flags: list[tuple[str, list[int]]] = []
    toml_inputs: dict[str, dict[str, str]] = {}
    for t in inputs:
        if t.name not in unset:
            continue
        if not t.has_shape:
            lines.append(
                f"  {t.name}  {t.dtype}  rank unknown: give it with --shape {t.name}=AxB "
                f"or its data with --input {t.name}=FILE.npy"
            )
            continue
        which = ", ".join(f"{dim_label(t.shape[i])} (#{i})" for i in unset[t.name])
        lines.append(f"  {t.name}  {t.dtype}  {format_shape(t.shape)}  unset: {which}")
        sizes = placeholder_sizes(t.shape, named)
        flags.append((t.name, sizes))
        toml_inputs[t.name] = {"shape": shape_text(sizes)}
    if flags:
        lines += [
            "set them on the command line (1 stands for each unset dim: put your sizes in):",
            f"  {shape_flags(flags)}",
            "or in an inputs file given with --inputs FILE.toml:",
            *(f"  {line}" for line in tomli_w.dumps({"inputs": toml_inputs}).splitlines() if line),
        ]
    names = list(dict.fromkeys(
        t.shape[i] for t in inputs for i in unset.get(t.name, []) if isinstance(t.shape[i], str)
    ))  # fmt: skip
    if names:
        sets = " ".join(f"--set session.free_dimensions.{n}=1" for n in names)
        lines += [
            f"named dims can instead be fixed for the session: {sets}",
            "or in the profile's [session] table:",
            f"  {free_dims_toml({str(n): 1 for n in names})}",
        ]
    return "\n".join(lines)


def resolve_shapes(
    inputs: Sequence[TensorInfo],
    spec: InputSpec,
    free_dims: Mapping[str, object],
    arrays: Mapping[str, FileArray] | None = None,
    warnings: list[str] | None = None,
) -> dict[str, tuple[int, ...]]:
    """The shape of every input, or OrtbenchError (exit 2) naming what is unset or at odds;
    what is odd but runs (a named dim given two sizes) is appended to `warnings`."""
    arrays = arrays or {}
    warnings = [] if warnings is None else warnings
    inputs = [t for t in inputs if t.feedable]  # never fed: nothing to size
    named = _check_free_dims(free_dims)
    explicit: dict[str, tuple[int, ...]] = {}
    for t in inputs:
        stated = _explicit_shape(t, spec, arrays)
        if stated is None:
            continue
        explicit[t.name] = stated[0]
        if t.has_shape:
            if len(stated[0]) != len(t.shape):
                raise OrtbenchError(
                    f"{stated[1]}: input {t.name!r} has rank {len(t.shape)} "
                    f"{format_shape(t.shape)}, got {len(stated[0])} dims"
                )
            _bind(t, stated[0], stated[1], named, warnings)

    shapes: dict[str, tuple[int, ...]] = {}
    unset: dict[str, list[int]] = {}
    for t in inputs:
        if t.name in explicit:
            shapes[t.name] = explicit[t.name]
            continue
        if not t.has_shape:
            unset[t.name] = []
            continue
        out: list[int] = []
        for i, d in enumerate(t.shape):
            if isinstance(d, int) and d >= 0:
                out.append(d)
            elif isinstance(d, str) and d in named:
                out.append(named[d].value)
            else:
                unset.setdefault(t.name, []).append(i)
        shapes[t.name] = tuple(out)
    if unset:
        sizes = {k: v.value for k, v in named.items()}
        raise OrtbenchError(missing_dims_message(inputs, unset, sizes))
    return shapes


__all__ = ["missing_dims_message", "resolve_shapes"]
