"""Session profiles: everything that decides how ORT runs a model, read from and written to TOML.

The profile's shape and defaults live in `schema`, the checks of a parsed document in
`validation`, `--set KEY=VALUE` in `overrides`; this module reads and writes profile files and
re-exports the public names, so `from ortbench_tui.profile import ...` is the one import callers
need.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path

import tomli_w

from ..errors import OrtbenchError
from .overrides import apply_override, apply_overrides
from .schema import (
    EXECUTION_MODES,
    INT8_MODES,
    OPT_LEVELS,
    PRECISIONS,
    PROVIDER_ALIASES,
    SECTIONS,
    Profile,
    ProviderSettings,
    RunSettings,
    SessionSettings,
    ep_full_name,
    field_specs,
    knob,
)
from .validation import check_value, profile_from_dict, profile_to_dict


def load_profile(path: str | Path) -> Profile:
    """Read a profile TOML file. The name defaults to the file's stem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise OrtbenchError(f"profile file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OrtbenchError(f"cannot read profile {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrtbenchError(f"{path}: not valid TOML: {exc}") from None
    data.setdefault("name", path.stem)
    return profile_from_dict(data, source=str(path))


def dumps_profile(profile: Profile, header: str = "") -> str:
    """The TOML text of a profile, with an optional comment header."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    body = tomli_w.dumps(profile_to_dict(profile))
    return ("\n".join(lines) + "\n\n" if lines else "") + body


def atomic_write_text(path: Path, text: str, overwrite: bool = False) -> None:
    """Write through a temp file and os.replace, so a crash never leaves half a file."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OrtbenchError(f"{path} already exists (choose another name or allow overwriting)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OrtbenchError(f"cannot write {path}: {exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OrtbenchError(f"cannot write {path}: {exc}") from None


def save_profile(
    profile: Profile, path: str | Path, overwrite: bool = False, header: str = ""
) -> Path:
    """Save atomically; an existing file is replaced only when `overwrite` is true."""
    path = Path(path)
    atomic_write_text(path, dumps_profile(profile, header), overwrite=overwrite)
    return path


__all__ = [
    "EXECUTION_MODES",
    "INT8_MODES",
    "OPT_LEVELS",
    "PRECISIONS",
    "PROVIDER_ALIASES",
    "SECTIONS",
    "Profile",
    "ProviderSettings",
    "RunSettings",
    "SessionSettings",
    "apply_override",
    "apply_overrides",
    "atomic_write_text",
    "check_value",
    "dumps_profile",
    "ep_full_name",
    "field_specs",
    "knob",
    "load_profile",
    "profile_from_dict",
    "profile_to_dict",
    "save_profile",
]
