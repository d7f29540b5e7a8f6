"""Input tensors for timed runs, built from an InputSpec, with a record of what was fed.

Generated values are seeded so two runs (or two profiles being compared) see the same data,
and several distinct sets can be rotated so caches do not flatter a model fed one buffer.
Inputs without a value spec get what the graph suggests (graph_defaults: a Gather's table
size, the constants an Equal tests, ones for a mask), else inputs.DEFAULT_VALUES; integers stay
in 0..100 because they are often indices (token ids, gather indices) that fail when out of
range. `default_for` says which, and why, for `models` and the inputs form.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .dims import format_shape
from .errors import OrtbenchError
from .inputs.files import MAX_INPUT_SETS, FileArray, load_file_set, load_npy
from .inputs.shapes import resolve_shapes
from .inputs.spec import (
    FLOAT_DTYPES,
    INT_DEFAULT_HIGH,
    INT_DTYPES,
    STRING_DEFAULT,
    InputSpec,
    ValueSpec,
    parse_value_spec,
    sequence_refusal,
    validate_spec,
)
from .models import TensorInfo
from .text import aligned_table

Feeds = dict[str, np.ndarray]

_RANDOM_KINDS = ("int", "uniform", "normal", "str")


def input_memory_budget() -> int:
    """Generated inputs may take at most half this machine's memory (8 GiB where it cannot be
    read): past that the worker would swap or be killed instead of measuring."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 8 << 30


@dataclass(frozen=True)
class InputRecord:
    """One input as measured: for the result JSON and the run's output."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    source: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape),
            "source": dict(self.source),
        }


@dataclass(frozen=True)
class PreparedInputs:
    """Input sets to rotate through, and one record per input."""

    sets: list[Feeds]
    records: list[InputRecord]
    warnings: list[str] = field(default_factory=list)
    """Said with the result: e.g. a named dim two inputs give different sizes."""

    def records_dicts(self) -> list[dict[str, object]]:
        return [r.to_dict() for r in self.records]


def default_values(dtype: str) -> ValueSpec | None:
    """The documented default per dtype; None where ortbench cannot generate the dtype."""
    if dtype in FLOAT_DTYPES:
        return ValueSpec("normal")
    if dtype == "uint8":
        return ValueSpec("int", 0, 255)
    if dtype in INT_DTYPES:
        return ValueSpec("int", 0, min(int(np.iinfo(dtype).max), INT_DEFAULT_HIGH))
    if dtype == "bool":
        return ValueSpec("int", 0, 1)
    if dtype == "string":
        return ValueSpec("str", words=STRING_DEFAULT)
    return None


def default_for(t: TensorInfo) -> tuple[ValueSpec | None, str]:
    """What a run feeds `t` when nothing is said, and why (or None and what to do instead)."""
    if not t.feedable:
        return None, sequence_refusal(t)
    if t.default:
        suggested = parse_value_spec(t.default, f"graph default of {t.name!r}")
        try:  # a table too big for an int8 index, say: then the dtype's default
            validate_spec(InputSpec(values={t.name: suggested}), [t])
            return suggested, t.default_reason
        except OrtbenchError:
            pass
    v = default_values(t.dtype)
    if v is None:
        return None, (
            f"ortbench cannot generate {t.dtype} data: give it with --input {t.name}=FILE.npy "
            "or --inputs"
        )
    why = f"the default for {t.dtype}"
    return v, why + (
        f"; optional: --input {t.name}=none leaves it out" if t.kind == "optional" else ""
    )


def fed_note(t: TensorInfo) -> str:
    """``fed by default: int:0..30521 (indices into Gather 'words', ...)``, for `models`."""
    spec, why = default_for(t)
    return f"fed by default: {spec.text} ({why})" if spec is not None else why


def _c_contiguous(arr: np.ndarray) -> np.ndarray:
    """C-contiguous without np.ascontiguousarray's promotion of 0-d arrays to shape (1,)."""
    return arr if arr.flags.c_contiguous else np.array(arr, order="C")


def _draw(rng: np.random.Generator, v: ValueSpec, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    arr: np.ndarray
    if v.kind == "str":
        # object arrays of str: what ORT takes and gives back for string tensors
        words = np.array(v.words, dtype=object)
        return np.asarray(words[rng.integers(0, len(words), size=shape)], dtype=object)
    if v.kind == "normal":
        # float16 from float32 draws: numpy has no float16 generator
        gen_dtype = np.float32 if dtype in ("float16", "float32") else np.float64
        arr = rng.standard_normal(shape, dtype=gen_dtype)
    elif v.kind == "uniform":
        arr = rng.uniform(v.low, v.high, size=shape)
    elif v.kind == "int":
        int_dtype = dtype if dtype in INT_DTYPES else ("uint8" if dtype == "bool" else "int64")
        arr = rng.integers(int(v.low), int(v.high), size=shape, dtype=int_dtype, endpoint=True)
    elif v.kind == "const":
        arr = np.full(shape, v.low)
    elif v.kind in ("zeros", "ones"):
        arr = np.full(shape, 0 if v.kind == "zeros" else 1)
    else:
        raise ValueError(f"not a generated value spec: {v.kind}")
    return _c_contiguous(np.asarray(arr, dtype=np.dtype(dtype)))


def _value_spec(t: TensorInfo, spec: InputSpec) -> ValueSpec:
    v = spec.values.get(t.name)
    if v is not None:
        return v
    if not t.feedable:
        raise OrtbenchError(sequence_refusal(t))
    v, _why = default_for(t)
    if v is None:
        supported = ", ".join((*FLOAT_DTYPES, *INT_DTYPES, "bool", "string"))
        raise OrtbenchError(
            f"input {t.name!r} has dtype {t.dtype}, which ortbench cannot generate data for "
            f"(supported: {supported}); give its data with --input {t.name}=FILE.npy or --inputs"
        )
    return v


def _load_arrays(inputs: Sequence[TensorInfo], spec: InputSpec) -> dict[str, FileArray]:
    by_name = {t.name: t for t in inputs}
    arrays: dict[str, FileArray] = {}
    if spec.files:
        wanted = [t.name for t in inputs if t.name not in spec.values]
        arrays = load_file_set(spec.files, list(inputs), wanted)
        twice = [n for n in arrays if n in spec.values]
        if twice:
            raise OrtbenchError(
                f"input {twice[0]!r} is given twice: by --input {twice[0]}="
                f"{spec.values[twice[0]].text} and by {spec.files}; keep one"
            )
    for name, v in spec.values.items():
        if v.kind == "npy":
            arrays[name] = load_npy(v.path, by_name[name])
    return arrays


def _set_count(arrays: dict[str, FileArray], generated: bool, sets: int) -> int:
    stacked = {n: a.sets for n, a in arrays.items() if a.stacked}
    counts = set(stacked.values())
    if len(counts) > 1:
        (first, k1), *_ = stacked.items()
        other = next(n for n, k in stacked.items() if k != k1)
        raise OrtbenchError(
            f"input {other!r} holds {stacked[other]} sets on its leading axis, "
            f"but other inputs hold {k1} ({first!r})"
        )
    if counts:
        count = counts.pop()
        if not 1 <= count <= MAX_INPUT_SETS:
            name = next(iter(stacked))
            raise OrtbenchError(
                f"input {name!r} holds {count} sets on its leading axis; expected 1 to "
                f"{MAX_INPUT_SETS} (an array of one input's shape holds one set)"
            )
        return count
    return sets if generated else 1


def _check_memory(
    inputs: Sequence[TensorInfo], shapes: dict[str, tuple[int, ...]], counts: dict[str, int]
) -> None:
    """Refuse generated inputs larger than the budget before allocating them, with the size."""
    from .text import human_bytes

    sizes = {}
    for t in inputs:
        if t.name in counts:
            try:
                itemsize = np.dtype(t.dtype).itemsize
            except TypeError:  # strings and other dtypes without a fixed size
                itemsize = 1
            sizes[t.name] = itemsize * counts[t.name] * math.prod(shapes[t.name])
    total, budget = sum(sizes.values()), input_memory_budget()
    if total > budget:
        name = max(sizes, key=lambda n: sizes[n])
        raise OrtbenchError(
            f"the inputs would take {human_bytes(total)} of memory (input {name!r}: shape "
            f"{format_shape(shapes[name])} {next(t.dtype for t in inputs if t.name == name)}, "
            f"{counts[name]} set(s)); at most {human_bytes(budget)}, half this machine's "
            "memory: give smaller shapes (--shape) or fewer run.input_sets"
        )


def prepare_inputs(
    inputs: Sequence[TensorInfo],
    spec: InputSpec,
    free_dims: dict[str, int],
    seed: int = 0,
    sets: int = 1,
) -> PreparedInputs:
    """Validated, resolved input sets and their records; OrtbenchError on any bad input."""
    if not 1 <= sets <= MAX_INPUT_SETS:
        raise OrtbenchError(
            f"run.input_sets: expected at least 1 and at most {MAX_INPUT_SETS}, got {sets}"
        )
    validate_spec(spec, list(inputs))
    for t in inputs:
        if not t.feedable:
            raise OrtbenchError(sequence_refusal(t))
    arrays = _load_arrays(inputs, spec)
    left_out = [n for n, v in spec.values.items() if v.kind == "none"]
    fed = [t for t in inputs if t.name not in left_out]
    warnings: list[str] = []
    shapes = resolve_shapes(fed, spec, free_dims, arrays, warnings)
    shapes |= dict.fromkeys(left_out, ())
    values = {t.name: _value_spec(t, spec) for t in inputs if t.name not in arrays}
    random = any(v.kind in _RANDOM_KINDS for v in values.values())
    n = _set_count(arrays, random, sets)
    _check_memory(
        inputs,
        shapes,
        {name: n if v.kind in _RANDOM_KINDS else 1 for name, v in values.items()},
    )

    rng = np.random.default_rng(seed)
    fixed = {
        name: _draw(rng, v, t.dtype, shapes[name])
        for t in inputs
        if (v := values.get(name := t.name)) is not None and v.kind not in (*_RANDOM_KINDS, "none")
    }
    out: list[Feeds] = []
    for k in range(n):
        feed: Feeds = {}
        for t in inputs:
            if t.name in left_out:
                continue  # an optional input ORT runs without
            if t.name in arrays:
                feed[t.name] = _c_contiguous(arrays[t.name].one(k))
            elif t.name in fixed:
                feed[t.name] = fixed[t.name]
            else:
                feed[t.name] = _draw(rng, values[t.name], t.dtype, shapes[t.name])
        out.append(feed)

    records = []
    for t in inputs:
        if t.name in arrays:
            source = arrays[t.name].source()
        elif t.name in left_out:
            source = {"kind": "none"}
        else:
            v = values[t.name]
            source = {"kind": "generator", "spec": v.text, "default": t.name not in spec.values}
            if source["default"] and t.default:
                source["why"] = t.default_reason
            if v.kind in _RANDOM_KINDS:
                source |= {"seed": seed, "sets": n}
        records.append(InputRecord(t.name, t.dtype, shapes[t.name], source))
    return PreparedInputs(out, records, warnings)


def nonfinite_warnings(prepared: PreparedInputs) -> list[str]:
    """One warning per float input whose values hold NaN or infinity (a file's, or `--input
    NAME=nan`): latency on such values can differ from real data's (denormals, early exits)."""
    out = []
    for record in prepared.records:
        arrays = [feed[record.name] for feed in prepared.sets if record.name in feed]
        if not arrays or not np.issubdtype(arrays[0].dtype, np.floating):
            continue
        bad = sum(int(np.count_nonzero(~np.isfinite(a))) for a in arrays)
        if bad:
            out.append(
                f"input {record.name!r}: {bad} value(s) are NaN or infinite; latency on them "
                "may not be latency on real data"
            )
    return out


def describe_inputs(records: Sequence[InputRecord]) -> list[str]:
    """One line per input for a run's output: name, dtype, shape, where the values came from."""
    rows = []
    for r in records:
        s = r.source
        if s.get("kind") == "file":
            key = f"[{s['array']}]" if "array" in s else ""
            origin = f"{s['path']}{key}  sha256 {str(s['sha256'])[:12]}"
        elif s.get("kind") == "none":
            origin = "none: left out (optional)"
        else:
            default = f" (default: {s['why']})" if s.get("why") else " (default)"
            origin = str(s["spec"]) + (default if s.get("default") else "")
            origin += f"  seed {s['seed']}" if "seed" in s else ""
        rows.append([r.name, r.dtype, format_shape(list(r.shape)), origin])
    return aligned_table(rows, right=set())


# --- the earlier entry points, kept for their callers ------------------------------------


def concrete_shape(t: TensorInfo, free_dims: dict[str, int]) -> tuple[int, ...]:
    """The shape to feed: fixed dims as is, named dims from free_dims (else an error)."""
    return resolve_shapes([t], InputSpec(), free_dims)[t.name]


def make_feeds(
    inputs: list[TensorInfo], free_dims: dict[str, int], seed: int = 0, sets: int = 1
) -> list[Feeds]:
    """`sets` distinct default input sets from one seeded generator (same seed, same data)."""
    return prepare_inputs(inputs, InputSpec(), free_dims, seed, sets).sets


def load_npz_feeds(
    path: str | os.PathLike[str], inputs: list[TensorInfo], free_dims: dict[str, int]
) -> list[Feeds]:
    """Input sets from an .npz keyed by input name (a leading axis of K holds K sets)."""
    return prepare_inputs(inputs, InputSpec(files=os.fspath(path)), free_dims).sets


__all__ = [
    "Feeds",
    "InputRecord",
    "PreparedInputs",
    "concrete_shape",
    "default_for",
    "default_values",
    "describe_inputs",
    "fed_note",
    "load_npz_feeds",
    "make_feeds",
    "prepare_inputs",
]
