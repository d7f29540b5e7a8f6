"""What a load curve is asked for: a model, a profile, inputs, the dims and levels to sweep.

A point is one combination of dim values and one concurrency level. A dim NAME applies to
every input that has that named (symbolic) dim; the values are set per point through the
inputs engine (the point's sizes are given to `resolve_shapes` as named dims), never as the
session's free_dimensions, which would fix the shape for the whole session.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ...errors import OrtbenchError
from ...inputs.spec import InputSpec
from ...models import TensorInfo
from ...profile import Profile

DEFAULT_CONCURRENCY = (1,)


@dataclass(frozen=True)
class Point:
    index: int
    dims: dict[str, int]
    concurrency: int

    @property
    def label(self) -> str:
        parts = [f"{k}={v}" for k, v in self.dims.items()]
        return " ".join([*parts, f"C={self.concurrency}"])

    def key(self) -> tuple[tuple[tuple[str, int], ...], int]:
        """What makes two curves' points the same point."""
        return tuple(sorted(self.dims.items())), self.concurrency

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "dims": dict(self.dims), "concurrency": self.concurrency}


@dataclass
class CurveRequest:
    """One curve: every point measured on one session in one worker process."""

    model: str
    profile: Profile
    dims: dict[str, list[int]] = field(default_factory=dict)
    concurrency: list[int] = field(default_factory=lambda: list(DEFAULT_CONCURRENCY))
    inputs: InputSpec = field(default_factory=InputSpec)
    save_history: bool = True
    hardware: dict[str, Any] | None = None
    working_providers: list[str] | None = None

    def points(self) -> list[Point]:
        """Every combination, dims in the order given, concurrency varying fastest."""
        names = list(self.dims)
        combos = itertools.product(*(self.dims[n] for n in names)) if names else [()]
        out: list[Point] = []
        for values in combos:
            for c in self.concurrency:
                out.append(Point(len(out), dict(zip(names, values, strict=True)), c))
        return out


def _int_list(text: str, what: str) -> list[int]:
    """`1,2,4` -> [1, 2, 4]: positive integers, no repeats."""
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise OrtbenchError(f"{what}: expected a comma-separated list of integers, e.g. 1,2,4")
    values = []
    for p in parts:
        try:
            v = int(p)
        except ValueError:
            raise OrtbenchError(f"{what}: {p!r} is not an integer") from None
        if v < 1:
            raise OrtbenchError(f"{what}: {v} is below 1; every value must be at least 1")
        if v in values:
            raise OrtbenchError(f"{what}: {v} is given twice")
        values.append(v)
    return values


def parse_dims(texts: list[str]) -> dict[str, list[int]]:
    """Repeated `--dim NAME=V1,V2` (split at the last '=': dim names may hold '=')."""
    dims: dict[str, list[int]] = {}
    for text in texts:
        name, sep, rest = text.rpartition("=")
        if not sep or not name.strip():
            raise OrtbenchError(f"--dim {text}: expected NAME=V1,V2,..., e.g. --dim batch=1,8,32")
        name = name.strip()
        if name in dims:
            raise OrtbenchError(f"--dim {name}: given twice; put every value in one --dim")
        dims[name] = _int_list(rest, f"--dim {text}")
    return dims


def parse_concurrency(text: str | None) -> list[int]:
    return list(DEFAULT_CONCURRENCY) if text is None else _int_list(text, f"--concurrency {text}")


def named_dims(inputs: list[TensorInfo]) -> dict[str, list[str]]:
    """Each named dim of the model and the inputs that have it."""
    out: dict[str, list[str]] = {}
    for t in inputs:
        for d in t.shape if t.has_shape else []:
            if isinstance(d, str) and t.name not in out.setdefault(d, []):
                out[d].append(t.name)
    return out


def check_dims(dims: dict[str, list[int]], inputs: list[TensorInfo], model: str) -> None:
    """Every swept dim must be a named dim of the model; the error lists the ones it has."""
    have = named_dims(inputs)
    for name in dims:
        if name not in have:
            listed = ", ".join(f"{d} ({', '.join(ins)})" for d, ins in have.items())
            raise OrtbenchError(
                f"--dim {name}: {model} has no input dim named {name!r}; "
                + (f"its named dims: {listed}" if listed else "it has no named dims to sweep")
            )


def batch_dim(inputs: list[TensorInfo]) -> str | None:
    """The dim counted as the batch: the first input's leading dim, when it is named."""
    for t in inputs:
        if t.has_shape and t.shape and isinstance(t.shape[0], str):
            return t.shape[0]
        return None
    return None


def base_free_dims(profile: Profile, swept: list[str]) -> dict[str, int]:
    """The profile's free_dimensions without the swept dims (their size changes per point)."""
    return {k: v for k, v in profile.session.free_dimensions.items() if k not in swept}


def point_spec(spec: InputSpec, inputs: list[TensorInfo], sizes: dict[str, int]) -> InputSpec:
    """The spec at one point: a --shape given for an input keeps its other dims, and takes the
    point's size wherever the model names a swept dim."""
    shapes = dict(spec.shapes)
    for t in inputs:
        given = shapes.get(t.name)
        if given is None or not t.has_shape or len(given) != len(t.shape):
            continue
        shapes[t.name] = tuple(
            sizes[d] if isinstance(d, str) and d in sizes else g
            for d, g in zip(t.shape, given, strict=True)
        )
    return InputSpec(shapes=shapes, values=dict(spec.values), files=spec.files)


__all__ = [
    "CurveRequest",
    "Point",
    "base_free_dims",
    "batch_dim",
    "check_dims",
    "named_dims",
    "parse_concurrency",
    "parse_dims",
    "point_spec",
]
