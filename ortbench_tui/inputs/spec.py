"""What a run feeds a model, stated per model and apart from profiles.

An InputSpec says, per input name, an optional shape (``--shape NAME=1x128``) and where the
values come from (``--input NAME=SPEC``), plus an optional file set for every input
(``--inputs PATH``: an .npz or a folder of ONNX ``input_N.pb`` files). The same spec is
saved as TOML (see inputs.store) and travels to the worker as a plain dict.

Value specs: a number (constant fill; ``true``/``false`` for bools), ``int:LO..HI`` and
``uniform:LO..HI`` (inclusive, seeded), ``normal``, ``zeros``, ``ones``, ``str:W1,W2`` (strings
drawn from those words), ``none`` (an optional input left out), or a path ending in ``.npy``.
Inputs without one get what the graph suggests (graph_defaults), else DEFAULT_VALUES: floats
normal(0, 1), integers int:0..100, uint8 0..255, bool 0/1, strings STRING_DEFAULT.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomli_w

from ..dims import format_shape, shape_text, toml_key
from ..errors import OrtbenchError
from ..fileio import SPEC_LIMIT, read_toml

if TYPE_CHECKING:
    from ..models import TensorInfo

INT_DEFAULT_HIGH = 100
"""Integers default to int:0..100: non-negative and small, since integer inputs are often
indices (token ids, class ids); set a range with --input NAME=int:LO..HI."""

STRING_DEFAULT = ("the", "quick", "brown", "fox")
"""Words a string input is filled with when nothing else is said (--input NAME=str:W1,W2)."""
DEFAULT_VALUES = (
    "floats normal, integers int:0..100, uint8 int:0..255, bool int:0..1, "
    f"strings str:{','.join(STRING_DEFAULT)}"
)
FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
KINDS = ("const", "int", "uniform", "normal", "zeros", "ones", "str", "none", "npy")
FLAG_HELP = (
    "--shape NAME=1x128, --input NAME=SPEC (a number, true/false, int:LO..HI, uniform:LO..HI, "
    "normal, zeros, ones, str:W1,W2, none, FILE.npy), --inputs FILE.npz|DIR"
)
_RANGE = re.compile(r"^(int|uniform):(.+?)\.\.(.+)$")


@dataclass(frozen=True)
class ValueSpec:
    """Where one input's values come from; `text` is the spec as the user writes it."""

    kind: str
    low: float = 0.0
    high: float = 0.0
    path: str = ""
    words: tuple[str, ...] = ()
    """The strings of a ``str:`` spec."""

    @property
    def text(self) -> str:
        if self.kind == "str":
            return "str:" + ",".join(self.words)
        if self.kind == "const":
            return _num(self.low)
        if self.kind in ("int", "uniform"):
            return f"{self.kind}:{_num(self.low)}..{_num(self.high)}"
        if self.kind == "npy":
            return self.path
        return self.kind


@dataclass
class InputSpec:
    """Per-model inputs: shapes and value specs keyed by input name, and one optional file set."""

    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    values: dict[str, ValueSpec] = field(default_factory=dict)
    files: str = ""

    def is_empty(self) -> bool:
        return not (self.shapes or self.values or self.files)

    def merged(self, over: InputSpec) -> InputSpec:
        """This spec with `over` on top, input by input (flags over a saved spec)."""
        return InputSpec(
            shapes={**self.shapes, **over.shapes},
            values={**self.values, **over.values},
            files=over.files or self.files,
        )

    def to_dict(self) -> dict[str, Any]:
        """The TOML/JSON form: ``{"files": ..., "inputs": {name: {"shape", "values"}}}``;
        a shape is written as ``--shape`` takes it ("1x128"), one line in TOML."""
        per: dict[str, dict[str, Any]] = {}
        for name, shape in self.shapes.items():
            per.setdefault(name, {})["shape"] = shape_text(shape)
        for name, value in self.values.items():
            per.setdefault(name, {})["values"] = value.text
        out: dict[str, Any] = {"files": self.files} if self.files else {}
        if per:
            out["inputs"] = per
        return out


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 2**63 else repr(float(x))


def _number(text: str, what: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise OrtbenchError(f"{what}: {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise OrtbenchError(f"{what}: {text.strip()!r} is not a finite number")
    return value


def _split(flag: str, text: str, example: str) -> tuple[str, str]:
    """NAME=REST split at the last '=' (input names may hold ':' and even '=')."""
    name, sep, rest = text.rpartition("=")
    if not sep or not name:
        raise OrtbenchError(f"{flag} {text}: expected NAME=VALUE, e.g. {flag} {example}")
    return name, rest.strip()


def parse_shape(text: str, what: str) -> tuple[int, ...]:
    """``1x3x640x640`` (``,`` also separates); empty for a scalar."""
    text = text.strip()
    if not text:
        return ()
    dims: list[int] = []
    for part in re.split(r"[x,]", text):
        if not part.strip().isdigit() or int(part) < 1:
            raise OrtbenchError(
                f"{what}: {text!r} is not a shape: dims are positive integers joined by 'x', "
                "e.g. 1x3x640x640"
            )
        dims.append(int(part))
    return tuple(dims)


def parse_value_spec(text: str, what: str, base_dir: Path | None = None) -> ValueSpec:
    """One value spec; a relative .npy path is taken from `base_dir` (a spec file's folder)."""
    if text.startswith("str:"):
        words = tuple(text[4:].split(","))
        if not text[4:]:
            raise OrtbenchError(f"{what}: str: needs at least one word, e.g. str:hello,world")
        return ValueSpec("str", words=words)
    text = text.strip()
    if text in ("normal", "zeros", "ones", "none"):
        return ValueSpec(text)
    if text.lower() in ("true", "false"):
        return ValueSpec("const", 1.0 if text.lower() == "true" else 0.0)
    if text.lower().endswith(".npy"):
        path = Path(text).expanduser()
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        return ValueSpec("npy", path=str(path))
    m = _RANGE.match(text)
    if m:
        kind, lo_text, hi_text = m.groups()
        lo, hi = _number(lo_text, what), _number(hi_text, what)
        if kind == "int" and not (lo.is_integer() and hi.is_integer()):
            raise OrtbenchError(f"{what}: int:{lo_text}..{hi_text} needs integer bounds")
        if lo > hi:
            raise OrtbenchError(
                f"{what}: range {text!r} is empty: LO must not exceed HI (e.g. {kind}:1..5)"
            )
        return ValueSpec(kind, lo, hi)
    try:
        return ValueSpec("const", _number(text, what))
    except OrtbenchError:
        raise OrtbenchError(
            f"{what}: unknown value spec {text!r}; expected a number, true/false, int:LO..HI, "
            "uniform:LO..HI, normal, zeros, ones, str:W1,W2, none, or a .npy file"
        ) from None


def _no_repeats(pairs: list[tuple[str, Any]], flag: str) -> None:
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise OrtbenchError(f"{flag}: input {name!r} is given more than once")
        seen.add(name)


def spec_from_flags(
    shapes: Iterable[str] = (), values: Iterable[str] = (), files: str | None = None
) -> InputSpec:
    """An InputSpec from repeated ``--shape``, repeated ``--input`` and one ``--inputs``.

    ``--inputs`` takes an .npz, an input_N.pb folder, or a saved spec (.toml), which the
    other flags then override input by input.
    """
    shape_pairs = []
    for text in shapes:
        name, rest = _split("--shape", text, "tokens=1x128")
        shape_pairs.append((name, parse_shape(rest, f"--shape {text}")))
    value_pairs = []
    for text in values:
        name, rest = _split("--input", text, "ids=int:0..9")
        value_pairs.append((name, parse_value_spec(rest, f"--input {text}")))
    _no_repeats(shape_pairs, "--shape")
    _no_repeats(value_pairs, "--input")
    flags = InputSpec(dict(shape_pairs), dict(value_pairs))
    if files and files.lower().endswith(".toml"):
        return load_spec(files).merged(flags)
    return replace(flags, files=str(Path(files).expanduser()) if files else "")


def spec_from_dict(data: Mapping[str, Any], source: str, base_dir: Path | None = None) -> InputSpec:
    """An InputSpec from its TOML/JSON form; `source` names the file in every error."""
    unknown = [k for k in data if k not in ("files", "inputs", "model")]
    if unknown:
        raise OrtbenchError(f"{source}: unknown key {unknown[0]!r} (known: files, inputs, model)")
    files = data.get("files", "")
    if not isinstance(files, str):
        raise OrtbenchError(f"{source}: files must be a path string, got {files!r}")
    if files and base_dir is not None and not Path(files).expanduser().is_absolute():
        files = str(base_dir / files)
    per = data.get("inputs", {})
    if not isinstance(per, Mapping):
        raise OrtbenchError(f"{source}: [inputs] must be a table of input names")
    spec = InputSpec(files=files)
    for name, entry in per.items():
        where = f"{source}: inputs.{toml_key(name)}"
        if not isinstance(entry, Mapping) or any(k not in ("shape", "values") for k in entry):
            raise OrtbenchError(f"{where} must be a table with shape and/or values")
        if "shape" in entry:
            shape = entry["shape"]
            if isinstance(shape, str):
                spec.shapes[name] = parse_shape(shape, f"{where}.shape")
            elif isinstance(shape, list) and all(
                isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape
            ):
                spec.shapes[name] = tuple(shape)
            else:
                raise OrtbenchError(
                    f'{where}.shape must be a shape such as "1x128" (or a list of positive '
                    f"integers), got {shape!r}"
                )
        if "values" in entry:
            if not isinstance(entry["values"], str):
                raise OrtbenchError(f'{where}.values must be a string such as "int:0..9"')
            spec.values[name] = parse_value_spec(entry["values"], f"{where}.values", base_dir)
    return spec


def load_spec(path: str | Path) -> InputSpec:
    """A saved spec (TOML); relative paths inside are taken from the file's folder."""
    p = Path(path).expanduser()
    data = read_toml(p, SPEC_LIMIT, "inputs file")
    return spec_from_dict(data, str(p), p.parent)


def dumps_spec(spec: InputSpec, model: str = "") -> str:
    """The TOML text of a spec; `model` is recorded for people reading the file."""
    data = ({"model": model} if model else {}) | spec.to_dict()
    return tomli_w.dumps(data)


def _check_values(t: TensorInfo, v: ValueSpec, what: str) -> None:
    if v.kind == "none":
        if t.kind != "optional":
            raise OrtbenchError(
                f"{what}: input {t.name!r} is not optional ({t.type_text}): the model needs it"
            )
        return
    if t.dtype == "string":
        if v.kind not in ("str", "npy"):
            raise OrtbenchError(
                f"{what}: input {t.name!r} holds strings; give words with "
                f"--input {t.name}=str:hello,world or a .npy of str"
            )
        return
    if v.kind == "str":
        raise OrtbenchError(f"{what}: input {t.name!r} is {t.dtype}, not string; str: is for text")
    if v.kind == "npy" or v.kind in ("zeros", "ones"):
        return
    if t.dtype not in (*FLOAT_DTYPES, *INT_DTYPES, "bool"):
        raise OrtbenchError(f"{what}: input {t.name!r} is {t.dtype}; give its data in a .npy file")
    is_float = t.dtype in FLOAT_DTYPES
    if v.kind in ("uniform", "normal") and not is_float:
        raise OrtbenchError(
            f"{what}: input {t.name!r} is {t.dtype}; {v.kind} gives fractions, "
            "use int:LO..HI or a number"
        )
    if is_float or v.kind == "normal":
        return
    if t.dtype == "bool":
        lo_ok, hi_ok = 0, 1
    else:
        import numpy as np  # here: the CLI parser imports this module (start-up)

        lo_ok, hi_ok = int(np.iinfo(t.dtype).min), int(np.iinfo(t.dtype).max)
    lo, hi = (v.low, v.low) if v.kind == "const" else (v.low, v.high)
    if not (float(lo).is_integer() and float(hi).is_integer()) or lo < lo_ok or hi > hi_ok:
        raise OrtbenchError(
            f"{what}: input {t.name!r} is {t.dtype}; expected integers in {lo_ok}..{hi_ok}, "
            f"got {v.text}"
        )


def validate_spec(spec: InputSpec, inputs: list[TensorInfo], source: str = "inputs") -> None:
    """Names exist, shapes fit the model's rank and fixed dims, values fit the dtype."""
    by_name = {t.name: t for t in inputs}
    known = ", ".join(repr(n) for n in by_name) or "(none)"
    for name in [*spec.shapes, *spec.values]:
        if name not in by_name:
            raise OrtbenchError(f"{source}: unknown input {name!r}; the model's inputs are {known}")
        if not by_name[name].feedable:
            raise OrtbenchError(f"{source}: {sequence_refusal(by_name[name])}")
    for name, shape in spec.shapes.items():
        t = by_name[name]
        what = f"{source}: --shape {name}={shape_text(shape)}"
        if not t.has_shape:
            continue  # rank unknown: any shape is the user's word
        if len(shape) != len(t.shape):
            raise OrtbenchError(
                f"{what}: input {name!r} has rank {len(t.shape)} {format_shape(t.shape)}, "
                f"got {len(shape)} dims"
            )
        for i, (want, got) in enumerate(zip(t.shape, shape, strict=True)):
            if isinstance(want, int) and want >= 0 and want != got:
                raise OrtbenchError(
                    f"{what}: dim #{i} of {name!r} is fixed at {want} in the model "
                    f"{format_shape(t.shape)}"
                )
    for name, value in spec.values.items():
        _check_values(by_name[name], value, f"{source}: --input {name}={value.text}")


def sequence_refusal(t: TensorInfo) -> str:
    """What to say about an input ortbench cannot feed (a sequence, a map, a nested type):
    plainly not supported, never a hint that fails."""
    what = "sequence inputs" if t.kind == "sequence" else f"{t.type_text} inputs"
    return (
        f"input {t.name!r} is a {t.type_text}: ortbench cannot feed {what} yet "
        "(no --shape, --input or file route works for it); run this model with ORT directly"
    )


def with_values(spec: InputSpec, name: str, value: ValueSpec | None) -> InputSpec:
    """A copy with one input's value spec set (or cleared): handy for a form."""
    values = dict(spec.values)
    if value is None:
        values.pop(name, None)
    else:
        values[name] = value
    return replace(spec, values=values)


__all__ = [
    "DEFAULT_VALUES",
    "FLAG_HELP",
    "INT_DEFAULT_HIGH",
    "KINDS",
    "STRING_DEFAULT",
    "InputSpec",
    "ValueSpec",
    "dumps_spec",
    "load_spec",
    "parse_shape",
    "parse_value_spec",
    "sequence_refusal",
    "spec_from_dict",
    "spec_from_flags",
    "validate_spec",
    "with_values",
]
