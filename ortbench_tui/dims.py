"""Tensor dims as a model states them, and the text that tells a user how to fix them.

A dim is an int (fixed), a str (named, e.g. ``batch`` or ``p2o.DynamicDimension.0``) or None
(unnamed). Exporters also write ``-1`` for "any size"; ORT reads it as unnamed, so it counts
as dynamic here too. Pure functions, so models, inputs and the faces print dims one way.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping, Sequence

Dim = int | str | None

PLACEHOLDER = 1
"""The size shown for an unset dim in a suggested command line (never applied by itself)."""

_BARE_TOML_KEY = re.compile(r"[A-Za-z0-9_-]+")


def is_dynamic(dim: Dim) -> bool:
    """True for a named dim, an unnamed dim, or a negative size (-1 = any size)."""
    return not isinstance(dim, int) or dim < 0


def dim_label(dim: Dim) -> str:
    return "?" if dim is None else str(dim)


def format_shape(shape: Sequence[Dim]) -> str:
    """``[batch, ?, -1, 64]``: exactly what the model says, unnamed dims as ``?``."""
    return "[" + ", ".join(dim_label(d) for d in shape) + "]"


def dynamic_indices(shape: Sequence[Dim]) -> list[int]:
    return [i for i, d in enumerate(shape) if is_dynamic(d)]


def describe_dynamic(shape: Sequence[Dim]) -> str:
    """``batch (#0), ? (#1), -1 (#2)``: each dynamic dim with its position."""
    return ", ".join(f"{dim_label(shape[i])} (#{i})" for i in dynamic_indices(shape))


def shape_text(sizes: Sequence[int]) -> str:
    """``1x3x640x640`` as ``--shape`` takes it; a scalar is the empty string."""
    return "x".join(str(s) for s in sizes)


def placeholder_sizes(shape: Sequence[Dim], known: Mapping[str, int] | None = None) -> list[int]:
    """Fixed dims as they are, named dims from `known`, every other dim as PLACEHOLDER."""
    known = known or {}
    out: list[int] = []
    for d in shape:
        if isinstance(d, int) and d >= 0:
            out.append(d)
        elif isinstance(d, str) and d in known:
            out.append(known[d])
        else:
            out.append(PLACEHOLDER)
    return out


def shape_flags(shapes: Sequence[tuple[str, Sequence[int]]]) -> str:
    """``--shape tokens=1x128 --shape mask=1x128``, quoted for a POSIX shell where needed."""
    return " ".join(f"--shape {shlex.quote(f'{name}={shape_text(s)}')}" for name, s in shapes)


def toml_key(name: str) -> str:
    """A TOML key: bare when it may be, else a quoted basic string (``"p2o.D.0"``)."""
    if _BARE_TOML_KEY.fullmatch(name):
        return name
    # JSON string escapes are a subset of TOML basic-string escapes
    return json.dumps(name, ensure_ascii=False)


def free_dims_toml(dims: Mapping[str, int]) -> str:
    """``free_dimensions = { batch = 1, "p2o.D.0" = 1 }`` for a profile's [session] table."""
    body = ", ".join(f"{toml_key(k)} = {v}" for k, v in dims.items())
    return f"free_dimensions = {{ {body} }}" if body else "free_dimensions = {}"


__all__ = [
    "PLACEHOLDER",
    "Dim",
    "describe_dynamic",
    "dim_label",
    "dynamic_indices",
    "format_shape",
    "free_dims_toml",
    "is_dynamic",
    "placeholder_sizes",
    "shape_flags",
    "shape_text",
    "toml_key",
]
