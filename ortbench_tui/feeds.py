"""Input tensors for timed runs: seeded random data, or the user's own arrays from an .npz.

Random inputs are seeded so two runs (or two profiles being compared) see the same data, and
several distinct sets can be rotated so caches do not flatter a model that is fed one buffer.
Integer inputs stay small and non-negative because they are often indices (token ids, gather
indices) that would crash a model when out of range.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.models import TensorInfo

Feeds = dict[str, np.ndarray]

_FLOATS = ("float16", "float32", "float64")
_INTS = ("int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")
INT_MAX = 100  # random ints are drawn from 0..min(dtype max, INT_MAX)


def _dim_hint(dim: str) -> str:
    return (
        f"set it with --set session.free_dimensions.{dim}=N, "
        f"or free_dimensions = {{ {dim} = N }} in the profile's [session] table"
    )


def _unnamed_hint(t: TensorInfo) -> str:
    shape = ",".join(str(d) if isinstance(d, int) else "N" for d in t.shape)
    return (
        "ORT can only override named dims: fix the size in the model, e.g. "
        f"python -m onnxruntime.tools.make_dynamic_shape_fixed --input_name {t.name} "
        f"--input_shape {shape} IN.onnx OUT.onnx, or supply inputs from an .npz"
    )


def concrete_shape(t: TensorInfo, free_dims: dict[str, int]) -> tuple[int, ...]:
    """The shape to feed: fixed dims as is, symbolic dims from free_dims (else an error)."""
    if not t.has_shape:
        raise OrtbenchError(
            f"input {t.name!r} has no shape in the model (rank unknown); "
            "supply its data from an .npz file"
        )
    out: list[int] = []
    for i, d in enumerate(t.shape):
        if isinstance(d, int):
            out.append(d)
        elif isinstance(d, str):
            if d not in free_dims:
                raise OrtbenchError(
                    f"input {t.name!r} has symbolic dim {d!r} (dim #{i}) with no size: "
                    + _dim_hint(d)
                )
            v = free_dims[d]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise OrtbenchError(
                    f"free_dimensions.{d} must be a non-negative integer, got {v!r}"
                )
            out.append(v)
        else:
            raise OrtbenchError(
                f"input {t.name!r} dim #{i} has no size and no name; " + _unnamed_hint(t)
            )
    return tuple(out)


def _c_contiguous(arr: np.ndarray) -> np.ndarray:
    """C-contiguous without np.ascontiguousarray's promotion of 0-d arrays to shape (1,)."""
    return arr if arr.flags.c_contiguous else np.array(arr, order="C")


def _random(rng: np.random.Generator, dtype: str, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr: np.ndarray
    if dtype in _FLOATS:
        if dtype == "float16":
            arr = rng.standard_normal(shape, dtype=np.float32).astype(np.float16)
        else:
            arr = rng.standard_normal(shape, dtype=np.dtype(dtype))
    elif dtype == "uint8":
        arr = rng.integers(0, 255, size=shape, dtype=np.uint8, endpoint=True)
    elif dtype in _INTS:
        hi = min(int(np.iinfo(dtype).max), INT_MAX)
        arr = rng.integers(0, hi, size=shape, dtype=np.dtype(dtype), endpoint=True)
    elif dtype == "bool":
        arr = rng.integers(0, 1, size=shape, dtype=np.uint8, endpoint=True).astype(np.bool_)
    else:
        supported = ", ".join((*_FLOATS, "uint8", *_INTS, "bool"))
        raise OrtbenchError(
            f"input {name!r} has dtype {dtype}, which ortbench cannot generate random data for "
            f"(supported: {supported}); supply its data from an .npz file"
        )
    return _c_contiguous(np.asarray(arr, dtype=np.dtype(dtype)))


def make_feeds(
    inputs: list[TensorInfo], free_dims: dict[str, int], seed: int = 0, sets: int = 1
) -> list[Feeds]:
    """`sets` distinct random input sets from one seeded generator (same seed, same data)."""
    if sets < 1:
        raise OrtbenchError(f"input_sets must be at least 1, got {sets}")
    shapes = {t.name: concrete_shape(t, free_dims) for t in inputs}
    rng = np.random.default_rng(seed)
    return [
        {t.name: _random(rng, t.dtype, shapes[t.name], t.name) for t in inputs} for _ in range(sets)
    ]


def _shape_ok(
    t: TensorInfo, got: tuple[int, ...], free_dims: dict[str, int], seen: dict[str, int]
) -> bool:
    if not t.has_shape:
        return True
    if len(got) != len(t.shape):
        return False
    for want, g in zip(t.shape, got, strict=True):
        if isinstance(want, int) and want != g:
            return False
        if isinstance(want, str):
            fixed = free_dims.get(want, seen.get(want))
            if fixed is not None and fixed != g:
                return False
    return True


def _fmt(shape: list[int | str | None] | tuple[int, ...]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def load_npz_feeds(
    path: str | os.PathLike[str], inputs: list[TensorInfo], free_dims: dict[str, int]
) -> list[Feeds]:
    """Input sets from an .npz keyed by input name.

    An array with one more leading axis than the input's rank holds K sets along that axis;
    an array without it is reused for every set.
    """
    p = Path(path).expanduser()
    if not p.is_file():
        raise OrtbenchError(f"input file not found: {p}")
    try:
        with np.load(p, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise OrtbenchError(f"{p} is not a readable .npz file: {e}") from e

    want = [t.name for t in inputs]
    missing = [n for n in want if n not in arrays]
    extra = [n for n in arrays if n not in want]
    if missing:
        raise OrtbenchError(
            f"{p}: missing array for input(s) {', '.join(map(repr, missing))}; "
            f"the model's inputs are {', '.join(map(repr, want))}"
        )
    if extra:
        raise OrtbenchError(
            f"{p}: array(s) {', '.join(map(repr, extra))} match no model input; "
            f"the model's inputs are {', '.join(map(repr, want))}"
        )

    stacked: dict[str, bool] = {}
    k_sets: int | None = None
    seen: dict[str, int] = {}
    for t in inputs:
        arr = arrays[t.name]
        if arr.dtype.name != t.dtype:
            raise OrtbenchError(
                f"{p}: input {t.name!r} expects dtype {t.dtype}, got {arr.dtype.name}"
            )
        rank = len(t.shape)
        is_stacked = t.has_shape and arr.ndim == rank + 1
        one = arr[0] if is_stacked and arr.shape[0] > 0 else arr
        if (is_stacked and arr.shape[0] == 0) or not _shape_ok(t, one.shape, free_dims, seen):
            expected = _fmt(t.shape)
            fixed = {d: free_dims.get(d, seen.get(d)) for d in t.symbolic_dims}
            fixed = {d: v for d, v in fixed.items() if v is not None}
            note = f" with {fixed}" if fixed else ""
            raise OrtbenchError(
                f"{p}: input {t.name!r} expects shape {expected}{note} "
                f"(or [K, *{expected}] for K sets), got {list(arr.shape)}"
            )
        if t.has_shape:
            for want_d, g in zip(t.shape, one.shape, strict=True):
                if isinstance(want_d, str):
                    seen.setdefault(want_d, g)
        stacked[t.name] = is_stacked
        if is_stacked:
            if k_sets is not None and arr.shape[0] != k_sets:
                raise OrtbenchError(
                    f"{p}: input {t.name!r} holds {arr.shape[0]} sets on its leading axis, "
                    f"but other inputs hold {k_sets}"
                )
            k_sets = arr.shape[0]

    n = k_sets or 1
    return [
        {
            t.name: _c_contiguous(arrays[t.name][k] if stacked[t.name] else arrays[t.name])
            for t in inputs
        }
        for k in range(n)
    ]


__all__ = ["Feeds", "concrete_shape", "load_npz_feeds", "make_feeds"]
