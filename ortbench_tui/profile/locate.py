"""Where profiles live, and a profile NAME turned into its file.

Three places, in this order: the profiles that ship with ortbench, `./profiles` of the current
folder, and the user's profile folder (`$ORTBENCH_DATA_DIR/profiles`, else platformdirs'
`user_data_dir("ortbench")/profiles`). A name matches a file by its stem or by the `name` it
declares; a name found in more than one place is an error naming every candidate, so a run
never silently picks one of two different files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..data_dir import data_dir
from ..errors import OrtbenchError
from ..fileio import PROFILE_LIMIT, read_toml

SHIPPED = "shipped"
LOCAL = "./profiles"
USER = "user folder"


def shipped_profiles_dir() -> Path:
    """The profiles that ship with ortbench (next to the package)."""
    return Path(__file__).resolve().parent.parent.parent / "profiles"


def user_profiles_dir() -> Path:
    """The user's own profiles: $ORTBENCH_DATA_DIR/profiles, else the user data dir."""
    return data_dir() / "profiles"


def profile_folders(cwd: Path | None = None) -> list[tuple[str, Path]]:
    """(where, folder) in resolution order."""
    cwd = Path.cwd() if cwd is None else cwd
    return [
        (SHIPPED, shipped_profiles_dir()),
        (LOCAL, cwd / "profiles"),
        (USER, user_profiles_dir()),
    ]


@dataclass
class ProfileLocation:
    """One profile file as `ortbench profiles` lists it."""

    name: str
    """The `name` the file declares (its stem when it declares none)."""
    where: str
    """shipped | ./profiles | user folder"""
    path: Path
    description: str = ""
    provider: str = "cpu"
    error: str = ""
    """Why the file cannot be read (the row is still listed, so the user can fix it)."""

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "description": self.description,
            "provider": self.provider,
            "where": self.where,
            "path": str(self.path),
            "error": self.error,
        }


def _peek(path: Path, where: str) -> ProfileLocation:
    """Name, description and provider, read without validating the whole profile."""
    try:  # one bad file (a FIFO, deep nesting, bad TOML) is listed with its error, never fatal
        data = read_toml(path, PROFILE_LIMIT, "profile file")
    except OrtbenchError as exc:
        return ProfileLocation(path.stem, where, path, error=str(exc))
    provider = data.get("provider")
    provider_name = provider.get("name", "cpu") if isinstance(provider, dict) else "cpu"
    return ProfileLocation(
        str(data.get("name") or path.stem),
        where,
        path,
        str(data.get("description", "")),
        str(provider_name),
    )


def list_profiles(cwd: Path | None = None) -> list[ProfileLocation]:
    """Every profile file in the three places, in resolution order; one file listed once."""
    out: list[ProfileLocation] = []
    seen: set[Path] = set()
    for where, folder in profile_folders(cwd):
        try:
            files = sorted(p for p in folder.glob("*.toml") if p.is_file())
        except OSError:
            continue
        for path in files:
            real = path.resolve()
            if real not in seen:
                seen.add(real)
                out.append(_peek(path, where))
    return out


def _looks_like_path(text: str) -> bool:
    return text.endswith(".toml") or os.sep in text or "/" in text or text.startswith(".")


def resolve_profile_path(text: str, cwd: Path | None = None) -> Path:
    """A profile argument (a path, or a NAME) as the file to load."""
    path = Path(text).expanduser()
    if path.is_file() or _looks_like_path(text):
        return path
    found = [loc for loc in list_profiles(cwd) if text in (loc.name, loc.path.stem)]
    if len(found) == 1:
        return found[0].path
    if not found:
        known = sorted({loc.path.stem for loc in list_profiles(cwd)})
        raise OrtbenchError(
            f"profile '{text}': no such file, and no profile of that name in the shipped "
            f"profiles, ./profiles or {user_profiles_dir()} (known: {', '.join(known) or 'none'}; "
            "see `ortbench profiles`)"
        )
    candidates = "; ".join(f"{loc.path} ({loc.where})" for loc in found)
    raise OrtbenchError(
        f"profile '{text}' is ambiguous: {len(found)} files match ({candidates}); "
        "give the path of the one you mean"
    )
