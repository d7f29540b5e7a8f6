"""The profile editor's fields (`all_specs`), and text <-> value for its inputs, validated by
the engine's own `check_value`.

The form shows every value as text (or a switch, or a select) and parses what the user types
back with the same rules the TOML loader applies, so a value the form accepts is a value
`load_profile` accepts, and the reason for a refusal is the engine's wording.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import SECTIONS, check_value, field_specs

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class FieldSpec:
    """One editable key: where it lives, how it is checked, what the user is told."""

    section: str
    """session | provider | run, or "" for name/description."""
    key: str
    kind: str
    choices: tuple[str, ...] = ()
    minimum: int = 0
    doc: str = ""
    default: Any = None

    @property
    def path(self) -> str:
        return f"{self.section}.{self.key}" if self.section else self.key

    @property
    def widget_id(self) -> str:
        return "f-" + self.path.replace(".", "-").replace("_", "-")


GENERAL = [
    FieldSpec("", "name", "str", doc="The profile's name (also its file name when saved)."),
    FieldSpec("", "description", "str", doc="One line about what this profile is for."),
]
"""The keys outside the [session], [provider] and [run] tables."""


def all_specs() -> list[FieldSpec]:
    """Every key of a profile as a FieldSpec, in file order."""
    out = list(GENERAL)
    for section in SECTIONS:
        for key, meta, default in field_specs(section):
            out.append(
                FieldSpec(
                    section,
                    key,
                    meta["kind"],
                    tuple(meta["choices"]),
                    meta["minimum"],
                    meta["doc"],
                    default,
                )
            )
    return out


def _toml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def format_inline_table(table: dict[str, Any]) -> str:
    """`{ a = 1, "b.c" = "x" }`, or "" for an empty table."""
    if not table:
        return ""
    return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_scalar(v)}" for k, v in table.items()) + " }"


def parse_inline_table(text: str) -> dict[str, Any]:
    text = text.strip()
    if not text:
        return {}
    if not text.startswith("{"):
        text = "{ " + text + " }"
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f'expected a TOML table like {{ key = "value" }} ({exc})') from None
    if not isinstance(value, dict):
        raise ValueError('expected a TOML table like { key = "value" }')
    return value


def format_value(kind: str, value: Any) -> str:
    """How a value of `kind` is shown in a text input."""
    if kind in ("providers", "cpus"):
        return ", ".join(str(v) for v in value)
    if kind in ("scalars", "dims"):
        return format_inline_table(value)
    if kind == "float":
        return f"{value:g}"
    return str(value)


def _parse_raw(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected a whole number") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number") from None
    if kind == "threads":
        if text == "physical":
            return text
        try:
            return int(text)
        except ValueError:
            raise ValueError('expected a whole number or "physical"') from None
    if kind in ("providers",):
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind == "cpus":
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError("expected CPU indices separated by commas, e.g. 0, 1") from None
    if kind in ("scalars", "dims"):
        return parse_inline_table(text)
    return text if kind != "str" else text


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The value typed for `spec`, checked like the TOML loader checks it.

    Raises:
        ValueError: with the reason, worded for the inline message.
    """
    raw = text if spec.kind == "str" else text.strip()
    value = raw if spec.kind == "str" else _parse_raw(spec.kind, raw)
    try:
        return check_value("editor", spec.path, spec.kind, spec.choices, value, spec.minimum)
    except OrtbenchError as exc:
        message = str(exc)
        prefix = f"editor: {spec.path}: "
        raise ValueError(message.removeprefix(prefix)) from None


def parse_dim(name: str, text: str) -> int | None:
    """A free-dimension value: blank means unset."""
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number >= 1") from None
    if value < 1:
        raise ValueError(f"{name}: expected a whole number >= 1, got {value}")
    return value
