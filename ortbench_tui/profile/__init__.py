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
from .locate import (
    ProfileLocation,
    list_profiles,
    resolve_profile_path,
    shipped_profiles_dir,
    user_profiles_dir,
)
from .overrides import apply_override, apply_overrides, override_label
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
from .toml_edit import edit_profile_text
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
    profile: Profile,
    path: str | Path,
    overwrite: bool = False,
    header: str = "",
    based_on: str | Path | None = None,
) -> Path:
    """Save atomically; an existing file is replaced only when `overwrite` is true.

    The text is an edit of `based_on` (default: the file being overwritten), so its comments
    and layout survive; `header` is added only to a file written from scratch or as a copy.
    """
    path = Path(path)
    source = Path(based_on) if based_on is not None else (path if overwrite else None)
    text = _edited_text(profile, source, header if source != path else "")
    if text is None:
        text = dumps_profile(profile, header)
    atomic_write_text(path, text, overwrite=overwrite)
    return path


def _edited_text(profile: Profile, source: Path | None, header: str) -> str | None:
    """The profile written over `source`'s text; None when there is no readable, valid one."""
    if source is None or not source.is_file():
        return None
    try:
        old_text = source.read_text(encoding="utf-8")
        old = profile_to_dict(load_profile(source))
    except (OrtbenchError, OSError, UnicodeDecodeError):
        return None
    text = edit_profile_text(old_text, old, profile_to_dict(profile))
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    if lines and not text.startswith(lines[0]):
        text = "\n".join(lines) + "\n\n" + text
    return text


def load_profile_arg(text: str | Path, cwd: Path | None = None) -> Profile:
    """A profile given on the command line: a TOML path, or a NAME (see `locate`)."""
    return load_profile(resolve_profile_path(str(text), cwd))


__all__ = [
    "EXECUTION_MODES",
    "INT8_MODES",
    "OPT_LEVELS",
    "PRECISIONS",
    "PROVIDER_ALIASES",
    "SECTIONS",
    "Profile",
    "ProfileLocation",
    "ProviderSettings",
    "RunSettings",
    "SessionSettings",
    "apply_override",
    "apply_overrides",
    "atomic_write_text",
    "check_value",
    "dumps_profile",
    "edit_profile_text",
    "ep_full_name",
    "field_specs",
    "knob",
    "list_profiles",
    "load_profile",
    "load_profile_arg",
    "override_label",
    "profile_from_dict",
    "profile_to_dict",
    "resolve_profile_path",
    "save_profile",
    "shipped_profiles_dir",
    "user_profiles_dir",
]
