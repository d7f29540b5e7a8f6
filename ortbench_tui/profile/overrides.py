"""`--set KEY=VALUE`: one profile key changed from the command line or the TUI."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from typing import Any

from ..errors import OrtbenchError
from .schema import SECTIONS, Profile
from .validation import check_provider_options, profile_from_dict, profile_to_dict


def _parse_literal(raw: str) -> Any:
    """A TOML literal (1, 2.5, true, "x", [1, 2], { a = 1 }), else the raw text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):  # nested past the parser: plain text
        return raw


def apply_override(profile: Profile, assignment: str) -> Profile:
    """Apply one `--set section.key=value` (or `section.table.sub=value`) to a copy."""
    source = f"--set {assignment}"
    if "=" not in assignment:
        raise OrtbenchError(f"{source}: expected KEY=VALUE, e.g. session.intra_op_num_threads=1")
    key, raw = (s.strip() for s in assignment.split("=", 1))
    parts = key.split(".")
    data = profile_to_dict(profile)
    if len(parts) == 1 and parts[0] in ("name", "description"):
        data[parts[0]] = raw
        return profile_from_dict(data, source, complete=False)
    if len(parts) < 2 or parts[0] not in SECTIONS:
        raise OrtbenchError(
            f"{source}: unknown key '{key}' (use section.key with section one of "
            f"{', '.join(SECTIONS)})"
        )
    section, name = parts[0], parts[1]
    known = {f.name: f.metadata for f in fields(SECTIONS[section])}
    if name not in known:
        raise OrtbenchError(
            f"{source}: unknown key '{section}.{name}' (known in [{section}]: {', '.join(known)})"
        )
    kind = known[name]["kind"]
    value = _parse_literal(raw)
    if kind in ("str", "enum", "provider") or (kind == "threads" and raw == "physical"):
        value = raw.strip('"')
    if len(parts) >= 3 and kind in ("dims", "scalars"):
        # Config keys carry dots themselves: session.config_entries.session.x.y=1
        data[section][name][".".join(parts[2:])] = value
    elif len(parts) == 2:
        data[section][name] = value
    else:
        raise OrtbenchError(f"{source}: unknown key '{key}'")
    return profile_from_dict(data, source, complete=False)


def apply_overrides(profile: Profile, assignments: list[str]) -> Profile:
    for assignment in assignments:
        profile = apply_override(profile, assignment)
    if assignments:  # what one --set alone cannot finish (TensorRT's three profile shapes)
        check_provider_options(profile, f"--set {' '.join(assignments)}")
    return profile


def override_label(assignments: list[str]) -> str:
    """A short name for a set of --set assignments: `intra_op_num_threads=1+io_binding=true`.

    Runs and compare columns made with overrides are named `<profile>+<this>`, so two rows of
    the same base profile can be told apart. `name=` and `description=` are not settings.
    """
    pieces = []
    for assignment in assignments:
        key, _, value = (s.strip() for s in assignment.partition("="))
        if key in ("name", "description"):
            continue
        parts = key.split(".")
        short = parts[-2] if parts[-1] == "name" and len(parts) > 1 else parts[-1]
        pieces.append(f"{short}={value}")
    return "+".join(pieces)
