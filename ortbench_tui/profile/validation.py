"""Checking a parsed profile document key by key, and turning a Profile back into one."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import fields
from typing import Any

from ..errors import OrtbenchError
from ..gpu.ep_options import validate_provider_options
from .provenance import FOUND_BY, MACHINE_KEYS, Provenance
from .schema import PROVIDER_ALIASES, SECTIONS, Profile, ep_full_name

MAX_THREADS = 1024
"""A thread count past this is a typo, not a setting (ORT's C int would overflow further on);
counts past the machine's logical cores are checked where the run starts
(`session.thread_problems`)."""

_EXPECTED = {
    "int": "a non-negative integer",
    "float": "a finite non-negative number",
    "bool": "true or false",
    "str": "a string",
    "enum": "one of {choices}",
    "threads": f'an integer from 0 to {MAX_THREADS} or "physical"',
    "provider": "an EP name (cpu, cuda, tensorrt, ...) or an ORT name ending in ExecutionProvider",
    "dims": "a table of dimension name = positive integer",
    "scalars": "a table of key = string, number or boolean",
    "providers": "a list of EP names",
    "cpus": "a list of non-negative CPU indices",
}


def _fail(
    source: str, key: str, kind: str, choices: tuple[str, ...], got: Any, minimum: int = 0
) -> OrtbenchError:
    expected = _EXPECTED[kind].format(choices=", ".join(choices))
    if kind == "int" and minimum > 0:
        expected = f"an integer >= {minimum}"
    return OrtbenchError(f"{source}: {key}: expected {expected}, got {got!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_value(
    source: str, key: str, kind: str, choices: tuple[str, ...], value: Any, minimum: int = 0
) -> Any:
    """Return `value` normalised for its kind, or raise an error naming source and key."""
    bad = _fail(source, key, kind, choices, value, minimum)
    if kind == "int":
        if not _is_int(value) or value < minimum:
            raise bad
    elif kind == "float":
        if not (_is_int(value) or isinstance(value, float)) or value < 0:
            raise bad
        if not math.isfinite(value):  # nan, inf: a run that never ends, or no number at all
            raise bad
        value = float(value)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise bad
    elif kind == "str":
        if not isinstance(value, str):
            raise bad
    elif kind == "enum":
        if not isinstance(value, str) or value.lower() not in choices:
            raise bad
        value = value.lower()
    elif kind == "threads":
        if not (value == "physical" or (_is_int(value) and 0 <= value <= MAX_THREADS)):
            raise bad
    elif kind == "provider":
        if not isinstance(value, str) or not (
            value.lower() in PROVIDER_ALIASES or value.endswith("ExecutionProvider")
        ):
            raise bad
    elif kind == "dims":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and _is_int(v) and v >= 1 for k, v in value.items()
        ):
            raise bad
        value = dict(value)
    elif kind == "scalars":
        if not isinstance(value, dict) or not all(
            isinstance(v, (str, int, float, bool)) for v in value.values()
        ):
            raise bad
        value = dict(value)
    elif kind == "providers":
        if not isinstance(value, list) or not all(
            isinstance(v, str)
            and (v.lower() in PROVIDER_ALIASES or v.endswith("ExecutionProvider"))
            for v in value
        ):
            raise bad
        value = list(value)
    elif kind == "cpus":
        if not isinstance(value, list) or not all(_is_int(v) and v >= 0 for v in value):
            raise bad
        value = list(value)
    return value


def _section_from_dict(cls: type, data: Any, source: str, section: str) -> Any:
    if not isinstance(data, dict):
        raise OrtbenchError(f"{source}: [{section}]: expected a table, got {data!r}")
    known = {f.name: f for f in fields(cls)}
    for key in data:
        if key not in known:
            raise OrtbenchError(
                f"{source}: unknown key '{section}.{key}' (known in [{section}]: "
                f"{', '.join(known)})"
            )
    values = {}
    for key, value in data.items():
        meta = known[key].metadata
        values[key] = check_value(
            source, f"{section}.{key}", meta["kind"], meta["choices"], value, meta["minimum"]
        )
    return cls(**values)


def profile_from_dict(
    data: dict[str, Any], source: str = "<profile>", complete: bool = True
) -> Profile:
    """Validate a parsed TOML document and build a Profile; errors name `source` and the key.

    `complete=False` for a profile still being changed one `--set` at a time (the options
    that belong together are checked by `check_provider_options` once all are given)."""
    top = {"name", "description", "provenance", *SECTIONS}
    for key in data:
        if key not in top:
            raise OrtbenchError(f"{source}: unknown key '{key}' (known: {', '.join(sorted(top))})")
    profile = Profile()
    for key in ("name", "description"):
        if key in data:
            setattr(profile, key, check_value(source, key, "str", (), data[key]))
    for section, cls in SECTIONS.items():
        if section in data:
            setattr(profile, section, _section_from_dict(cls, data[section], source, section))
    if "provenance" in data:
        profile.provenance = provenance_from_dict(data["provenance"], source)
    check_provider_options(profile, source, complete)
    return profile


def check_provider_options(profile: Profile, source: str, complete: bool = True) -> None:
    """Options of the CUDA and TensorRT EPs are checked here, on any machine: ORT checks them
    only where the EP loads, and elsewhere a typo would pass unseen into a CPU fallback."""
    ep = ep_full_name(profile.provider.name)
    try:
        validate_provider_options(ep, profile.provider.options, complete=complete)
    except OrtbenchError as exc:
        raise OrtbenchError(f"{source}: provider.options: {exc}") from None


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Every key, every default filled in: the `profile` section of a result and what is saved."""
    out: dict[str, Any] = {"name": profile.name, "description": profile.description}
    for section in SECTIONS:
        obj = getattr(profile, section)
        out[section] = {f.name: copy.deepcopy(getattr(obj, f.name)) for f in fields(obj)}
    return out


def profile_document(profile: Profile) -> dict[str, Any]:
    """What a profile file holds: the settings (`profile_to_dict`) and, for a saved best
    profile, its `[provenance]`."""
    out = profile_to_dict(profile)
    if profile.provenance is not None:
        out["provenance"] = profile.provenance.to_dict()
    return out


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _bad_provenance(source: str, key: str, expected: str, got: Any) -> OrtbenchError:
    return OrtbenchError(f"{source}: provenance.{key}: expected {expected}, got {got!r}")


def _finite_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def provenance_from_dict(data: Any, source: str) -> Provenance:
    """Check a `[provenance]` table; errors name `source` and the key."""
    if not isinstance(data, dict):
        raise OrtbenchError(f"{source}: [provenance]: expected a table, got {data!r}")
    known = (
        "found_by",
        "date",
        "ort_version",
        "margin",
        "decided",
        "ratio",
        "ci",
        "beaten_label",
        "machine",
        "model",
        "inputs",
        "beaten",
    )
    for key in data:
        if key not in known:
            raise OrtbenchError(
                f"{source}: unknown key 'provenance.{key}' (known in [provenance]: "
                f"{', '.join(known)})"
            )
    for key in ("found_by", "date", "ort_version", "machine", "model", "beaten"):
        if key not in data:
            raise OrtbenchError(f"{source}: provenance.{key}: missing")
    if data["found_by"] not in FOUND_BY:
        raise _bad_provenance(source, "found_by", f"one of {', '.join(FOUND_BY)}", data["found_by"])
    for key in ("date", "ort_version", "beaten_label"):
        if key in data and not isinstance(data[key], str):
            raise _bad_provenance(source, key, "a string", data[key])
    margin = data.get("margin", 0.01)
    if not _finite_number(margin) or not 0 <= margin < 1:
        raise _bad_provenance(source, "margin", "a fraction in [0, 1)", margin)
    decided = data.get("decided", True)
    if not isinstance(decided, bool):
        raise _bad_provenance(source, "decided", "true or false", decided)
    ratio = data.get("ratio")
    if ratio is not None and (not _finite_number(ratio) or ratio <= 0):
        raise _bad_provenance(source, "ratio", "a positive number", ratio)
    ci = data.get("ci")
    if ci is not None and not (
        isinstance(ci, list) and len(ci) == 2 and all(_finite_number(v) and v > 0 for v in ci)
    ):
        raise _bad_provenance(source, "ci", "[low, high], two positive numbers", ci)
    machine = data["machine"]
    if not isinstance(machine, dict):
        raise _bad_provenance(source, "machine", "a table", machine)
    for key, value in machine.items():
        if key not in MACHINE_KEYS:
            raise OrtbenchError(
                f"{source}: unknown key 'provenance.machine.{key}' (known: "
                f"{', '.join(MACHINE_KEYS)})"
            )
        ok = (
            isinstance(value, list) and all(isinstance(g, str) for g in value)
            if key == "gpus"
            else isinstance(value, int) and not isinstance(value, bool) and value >= 0
            if key in ("physical_cores", "logical_cores")
            else isinstance(value, str)
        )
        if not ok:
            raise _bad_provenance(source, f"machine.{key}", _MACHINE_EXPECTED[key], value)
    model = data["model"]
    if not isinstance(model, dict):
        raise _bad_provenance(source, "model", "a table with spec, name and sha256", model)
    for key in ("spec", "name", "sha256"):
        if not isinstance(model.get(key), str):
            raise _bad_provenance(source, f"model.{key}", "a string", model.get(key))
    if not _SHA256.match(model["sha256"]):
        raise _bad_provenance(source, "model.sha256", "64 lowercase hex digits", model["sha256"])
    inputs = data.get("inputs", {})
    if not isinstance(inputs, dict):
        raise _bad_provenance(source, "inputs", "a table (files, inputs)", inputs)
    beaten = data["beaten"]
    if not isinstance(beaten, dict):
        raise _bad_provenance(source, "beaten", "a table (a profile)", beaten)
    profile_from_dict(beaten, source=f"{source}: provenance.beaten")
    return Provenance(
        found_by=data["found_by"],
        date=data["date"],
        ort_version=data["ort_version"],
        machine=dict(machine),
        model={k: model[k] for k in ("spec", "name", "sha256")},
        beaten=copy.deepcopy(beaten),
        beaten_label=data.get("beaten_label", ""),
        margin=float(margin),
        decided=decided,
        ratio=None if ratio is None else float(ratio),
        ci=None if ci is None else [float(v) for v in ci],
        inputs=copy.deepcopy(inputs),
    )


_MACHINE_EXPECTED = {
    "cpu_model": "a string",
    "physical_cores": "a non-negative integer",
    "logical_cores": "a non-negative integer",
    "gpus": "a list of GPU names",
    "gpu_driver": "a string",
}


def settings_document(document: dict[str, Any]) -> dict[str, Any]:
    """A profile document (`profile_to_dict`) cut to its name, description and the settings
    that differ from the defaults: what `[provenance.beaten]` keeps."""
    defaults = profile_to_dict(Profile())
    out: dict[str, Any] = {
        "name": document.get("name", ""),
        "description": document.get("description", ""),
    }
    for section in SECTIONS:
        changed = {
            k: copy.deepcopy(v)
            for k, v in (document.get(section) or {}).items()
            if defaults[section].get(k) != v
        }
        if changed:
            out[section] = changed
    return out
