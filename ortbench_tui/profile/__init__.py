"""Session profiles: everything that decides how ORT runs a model, read from and written to TOML.

The profile's shape and defaults live in `schema`, the checks of a parsed document in
`validation`, `--set KEY=VALUE` in `overrides`, one key's value tagged with its kind (what an
editor speaks) in `setting`; this module reads and writes profile files and
re-exports the public names, so `from ortbench_tui.profile import ...` is the one import callers
need.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..errors import OrtbenchError
from ..fileio import PROFILE_LIMIT, read_regular, read_toml, write_atomic
from .locate import (
    ProfileLocation,
    list_profiles,
    resolve_profile_path,
    shipped_profiles_dir,
    user_profiles_dir,
)
from .overrides import apply_override, apply_overrides, override_label
from .provenance import Provenance, machine_text, mismatch, mismatch_line
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
    Scalar,
    SessionSettings,
    ep_full_name,
    field_specs,
    knob,
)
from .setting import (
    CpuList,
    DimTable,
    EpNames,
    Flag,
    Kind,
    Number,
    ScalarTable,
    SettingValue,
    Text,
    ThreadCount,
    WholeNumber,
    read_setting,
    setting_value,
    write_setting,
)
from .validation import (
    check_value,
    profile_document,
    profile_from_dict,
    profile_to_dict,
    provenance_from_dict,
    settings_document,
)


def load_profile(path: str | Path) -> Profile:
    """Read a profile TOML file. The name defaults to the file's stem; a relative
    `run.inputs_npz` means relative to the profile's folder."""
    path = Path(path)
    data = read_toml(path, PROFILE_LIMIT, "profile file")
    data.setdefault("name", path.stem)
    run = data.get("run")
    if isinstance(run, dict) and isinstance(run.get("inputs_npz"), str) and run["inputs_npz"]:
        npz = Path(run["inputs_npz"]).expanduser()
        run["inputs_npz"] = str(npz if npz.is_absolute() else path.parent.absolute() / npz)
    return profile_from_dict(data, source=str(path))


def dumps_profile(profile: Profile, header: str = "") -> str:
    """The TOML text of a profile, with an optional comment header."""
    import tomli_w  # only when a profile is written: the TUI reads profiles at start

    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    body = tomli_w.dumps(profile_document(profile))
    return ("\n".join(lines) + "\n\n" if lines else "") + body


def atomic_write_text(
    path: Path, text: str, overwrite: bool = False, make_parents: bool = True
) -> None:
    """Write through fileio.write_atomic: a crash never leaves half a file, and with
    `overwrite` false an existing file is never replaced, even by a racing process. The CLI
    passes make_parents=False for paths the user typed: a missing folder is a bad path."""
    write_atomic(path, text, overwrite=overwrite, make_parents=make_parents)


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
    npz = Path(profile.run.inputs_npz)
    if profile.run.inputs_npz and npz.is_relative_to(path.parent.absolute()):
        # load_profile made it absolute; a file beside the profile stays relative to it
        relative = str(npz.relative_to(path.parent.absolute()))
        profile = dataclasses.replace(
            profile, run=dataclasses.replace(profile.run, inputs_npz=relative)
        )
    source = Path(based_on) if based_on is not None else (path if overwrite else None)
    text = _edited_text(profile, source, header if source != path else "")
    if text is None:
        text = dumps_profile(profile, header)
    atomic_write_text(path, text, overwrite, make_parents=True)
    return path


def _edited_text(profile: Profile, source: Path | None, header: str) -> str | None:
    """The profile written over `source`'s text; None when there is no readable, valid one."""
    if source is None or not source.is_file():
        return None
    try:
        old_text = read_regular(source, PROFILE_LIMIT, "profile file").decode("utf-8-sig")
        old = profile_document(load_profile(source))
    except (OrtbenchError, OSError, UnicodeDecodeError):
        return None
    from .toml_edit import edit_profile_text  # tomlkit: only when a profile is saved

    text = edit_profile_text(old_text, old, profile_document(profile))
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
    "CpuList",
    "DimTable",
    "EpNames",
    "Flag",
    "Kind",
    "Number",
    "Profile",
    "ProfileLocation",
    "Provenance",
    "ProviderSettings",
    "RunSettings",
    "Scalar",
    "ScalarTable",
    "SessionSettings",
    "SettingValue",
    "Text",
    "ThreadCount",
    "WholeNumber",
    "apply_override",
    "apply_overrides",
    "atomic_write_text",
    "check_value",
    "dumps_profile",
    "ep_full_name",
    "field_specs",
    "knob",
    "list_profiles",
    "machine_text",
    "mismatch",
    "mismatch_line",
    "load_profile",
    "load_profile_arg",
    "override_label",
    "profile_document",
    "profile_from_dict",
    "profile_to_dict",
    "provenance_from_dict",
    "read_setting",
    "resolve_profile_path",
    "save_profile",
    "setting_value",
    "settings_document",
    "shipped_profiles_dir",
    "user_profiles_dir",
    "write_setting",
]
