"""One profile key's value, tagged with its kind: what an editor reads from a Profile, shows,
parses and writes back.

A profile's fields have eleven kinds (`Kind`, the `kind` of each knob in `schema`); their
values have nine shapes. Each shape is a small frozen record here, so a caller that holds a
`SettingValue` learns from its type what is inside (a whole number, a CPU list, a table of
dimensions ...) instead of trusting a kind string. `setting_value` tags a value the profile
checks have accepted (`check_value`); `read_setting` and `write_setting` move one between a
Profile and its tag.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, TypeAlias

from .schema import SECTIONS, Profile, Scalar

Kind: TypeAlias = Literal[
    "int",
    "float",
    "bool",
    "str",
    "enum",
    "threads",
    "provider",
    "dims",
    "scalars",
    "providers",
    "cpus",
]
"""How a key is checked (`validation.check_value`) and edited."""


@dataclass(frozen=True)
class WholeNumber:
    """kind "int"."""

    value: int


@dataclass(frozen=True)
class Number:
    """kind "float"."""

    value: float


@dataclass(frozen=True)
class Flag:
    """kind "bool"."""

    value: bool


@dataclass(frozen=True)
class Text:
    """kinds "str", "enum" (one of the key's choices) and "provider" (an EP name)."""

    value: str


@dataclass(frozen=True)
class ThreadCount:
    """kind "threads": a count, or "physical" for the machine's physical cores."""

    value: int | str


@dataclass(frozen=True)
class EpNames:
    """kind "providers"."""

    value: list[str]


@dataclass(frozen=True)
class CpuList:
    """kind "cpus"."""

    value: list[int]


@dataclass(frozen=True)
class DimTable:
    """kind "dims": symbolic dimension name -> size."""

    value: dict[str, int]


@dataclass(frozen=True)
class ScalarTable:
    """kind "scalars": key -> string, number or boolean."""

    value: dict[str, Scalar]


SettingValue: TypeAlias = (
    WholeNumber | Number | Flag | Text | ThreadCount | EpNames | CpuList | DimTable | ScalarTable
)


def _whole(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def setting_value(kind: str, value: object) -> SettingValue:
    """`value`, already accepted for `kind` by the profile checks, with its tag.

    Raises:
        TypeError: the value does not have the shape of its kind (a caller's mistake: the
            checks that accept a value also fix its shape).
    """
    if kind == "int" and isinstance(value, int) and _whole(value):
        return WholeNumber(value)
    if kind == "float" and isinstance(value, int | float) and not isinstance(value, bool):
        return Number(float(value))
    if kind == "bool" and isinstance(value, bool):
        return Flag(value)
    if kind in ("str", "enum", "provider") and isinstance(value, str):
        return Text(value)
    if kind == "threads" and (isinstance(value, str) or (isinstance(value, int) and _whole(value))):
        return ThreadCount(value)
    if kind == "providers" and isinstance(value, list):
        names = [v for v in value if isinstance(v, str)]
        if len(names) == len(value):
            return EpNames(names)
    if kind == "cpus" and isinstance(value, list):
        cpus = [v for v in value if isinstance(v, int) and _whole(v)]
        if len(cpus) == len(value):
            return CpuList(cpus)
    if kind == "dims" and isinstance(value, dict):
        dims = {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, int)}
        if len(dims) == len(value) and all(_whole(v) for v in dims.values()):
            return DimTable(dims)
    if kind == "scalars" and isinstance(value, dict):
        table = {
            k: v
            for k, v in value.items()
            if isinstance(k, str) and isinstance(v, str | int | float | bool)
        }
        if len(table) == len(value):
            return ScalarTable(table)
    raise TypeError(f"not a value of kind {kind!r}: {value!r}")


def key_kind(section: str, key: str) -> str:
    """The kind of `section.key` ("str" for name and description, outside the sections)."""
    if not section:
        return "str"
    return str(next(f.metadata["kind"] for f in fields(SECTIONS[section]) if f.name == key))


def read_setting(profile: Profile, section: str, key: str) -> SettingValue:
    """The value of `section.key` in `profile` (section "" for name and description)."""
    target = getattr(profile, section) if section else profile
    return setting_value(key_kind(section, key), getattr(target, key))


def write_setting(profile: Profile, section: str, key: str, value: SettingValue) -> None:
    """Set `section.key` of `profile` to `value` (section "" for name and description)."""
    target = getattr(profile, section) if section else profile
    setattr(target, key, value.value)
