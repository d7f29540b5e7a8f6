"""What the workbench shows in its lists: models and profiles found on disk, and their edits.

No Textual here: the lists, the unsaved-changes bookkeeping and the file operations are plain
Python, so they are tested without an app and the widgets stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.fileio import slug
from ortbench_tui.profile import (
    Profile,
    load_profile,
    profile_to_dict,
    save_profile,
    shipped_profiles_dir,
)

SAVE_HEADER = "Saved by the ortbench workbench."


@dataclass
class ModelEntry:
    """One row of the model list."""

    spec: str
    """What the engine is given: `sample:NAME` or a file path."""
    label: str
    """The short text shown in the list."""
    description: str = ""
    origin: str = "sample"
    """sample | light | models (a models folder) | added (by path)."""


@dataclass
class ProfileEntry:
    """A profile as the workbench holds it: the working copy and what is on disk."""

    profile: Profile
    path: Path | None
    """The file it was loaded from or saved to; None until first saved."""
    saved: dict[str, Any] | None
    """profile_to_dict of the file's contents; None when not on disk."""
    writable: bool = True
    """Shipped profiles are read-only: saving one writes a copy to the user's folder."""
    invalid: dict[str, str] = field(default_factory=dict)
    """Form keys the editor could not accept -> the reason (blocks runs and saves)."""
    raw: dict[str, str] = field(default_factory=dict)
    """The text the user typed for the invalid keys, so reopening the editor shows it."""
    error: str | None = None
    """The load error of a file that could not be read (the entry cannot be used)."""
    disk_sha256: str | None = None
    """The file's sha256 when it was read or last saved here: a save over a file that has
    changed since (a hand edit, another ortbench) is refused rather than silently undone."""

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def dirty(self) -> bool:
        """Unsaved changes: the working copy differs from the file, or was never saved."""
        if self.error:
            return False
        return bool(self.invalid) or self.saved != profile_to_dict(self.profile)

    @property
    def label(self) -> str:
        if self.error:
            return f"✗ {self.path.name if self.path else self.name}"
        return self.name + ("*" if self.dirty else "")


class ProfileChangedOnDisk(OrtbenchError):
    """A save would overwrite edits made to the file since it was read."""


def _disk_sha256(path: Path) -> str | None:
    """The file's sha256, or None when it cannot be read (then nothing is compared)."""
    import hashlib

    from ortbench_tui.fileio import PROFILE_LIMIT, read_regular

    try:
        return hashlib.sha256(read_regular(path, PROFILE_LIMIT, "profile file")).hexdigest()
    except OrtbenchError:
        return None


MAX_NAME_CHARS = 100
"""A profile's name becomes its file name: file systems stop at 255 bytes, people far sooner."""


def profile_name_problem(name: str) -> str | None:
    """Why `name` cannot name a profile file, or None."""
    if not name.strip():
        return "a profile needs a name"
    if len(name) > MAX_NAME_CHARS:
        return f"a profile name has at most {MAX_NAME_CHARS} characters (this one {len(name)})"
    if slug(name, "profile") != name:
        return f"'{name}': use letters, digits, '-', '_' or '.' (it becomes the file name)"
    return None


def _onnx_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.glob("*.onnx") if p.is_file())
    except OSError:
        return []


class Workspace:
    """The models and profiles of one workbench session."""

    def __init__(
        self,
        model_dirs: list[Path] | tuple[Path, ...] = (),
        profile_dirs: list[Path] | tuple[Path, ...] = (),
        cwd: Path | None = None,
        include_samples: bool = True,
        include_shipped: bool = True,
        added_models_file: Path | None = None,
    ) -> None:
        """Args:
        model_dirs: extra folders of .onnx files (`--models DIR`).
        profile_dirs: extra folders of .toml profiles (`--profiles DIR`); the first one is
            where new profiles are saved.
        cwd: where `./models` and `./profiles` are looked up (None: do not look).
        include_samples: list the built-in samples and the onnx wheel's light models.
        include_shipped: list the profiles that ship with ortbench.
        added_models_file: where models added with `a` are remembered (None: not kept).
        """
        self.cwd = cwd
        self.model_dirs = [Path(d) for d in model_dirs]
        if cwd is not None:
            self.model_dirs.append(cwd / "models")
        user_dirs = [Path(d) for d in profile_dirs]
        if cwd is not None:
            user_dirs.append(cwd / "profiles")
        self.save_dir = user_dirs[0] if user_dirs else Path.cwd() / "profiles"
        # (folder, writable): user folders first, so a folder that is both wins as writable.
        self.profile_dirs: list[tuple[Path, bool]] = [(d, True) for d in user_dirs]
        if include_shipped:
            self.profile_dirs.append((shipped_profiles_dir(), False))
        self.include_samples = include_samples
        self.added_models_file = added_models_file
        self.forgotten_models: list[str] = []
        """Remembered models whose file is gone (dropped from the list at start-up)."""
        self.models: list[ModelEntry] = []
        self.profiles: list[ProfileEntry] = []

    # -- discovery ----------------------------------------------------------------------------

    def scan(self) -> None:
        """(Re)build both lists from disk; profile files that fail to load become error rows."""
        self.models = self._scan_models()
        self.profiles = self._scan_profiles()

    def _scan_models(self) -> list[ModelEntry]:
        out: list[ModelEntry] = []
        if self.include_samples:
            from ortbench_tui.samples import list_samples

            for s in list_samples():
                label = s.spec.removeprefix("sample:")
                out.append(ModelEntry(s.spec, label, s.description, s.kind))
        seen: set[Path] = set()
        for folder in self.model_dirs:
            for path in _onnx_files(folder):
                if path.resolve() in seen:
                    continue
                seen.add(path.resolve())
                out.append(ModelEntry(str(path), path.name, str(path), "models"))
        return out + self._remembered(out)

    def _remembered(self, listed: list[ModelEntry]) -> list[ModelEntry]:
        from . import added_models

        if self.added_models_file is None:
            return []
        specs = added_models.load(self.added_models_file)
        known = {e.spec for e in listed}
        out = []
        for spec in specs:
            if spec in known:
                continue
            if not spec.startswith("sample:") and not Path(spec).is_file():
                self.forgotten_models.append(spec)
                continue
            known.add(spec)
            out.append(self._added_entry(spec))
        if self.forgotten_models:
            self._remember([e.spec for e in out])
        return out

    @staticmethod
    def _added_entry(spec: str) -> ModelEntry:
        label = spec.removeprefix("sample:") if spec.startswith("sample:") else Path(spec).name
        return ModelEntry(spec, label, spec, "added")

    def _remember(self, specs: list[str]) -> None:
        from . import added_models

        if self.added_models_file is not None:
            added_models.save(self.added_models_file, specs)

    def _added_specs(self) -> list[str]:
        return [e.spec for e in self.models if e.origin == "added"]

    def _scan_profiles(self) -> list[ProfileEntry]:
        out: list[ProfileEntry] = []
        seen: set[Path] = set()
        for folder, writable in self.profile_dirs:
            try:
                files = sorted(folder.glob("*.toml"))
            except OSError:
                continue
            for path in files:
                real = path.resolve()
                if real in seen:
                    continue
                seen.add(real)
                out.append(self.load_entry(path, writable))
        return out

    @staticmethod
    def load_entry(path: Path, writable: bool) -> ProfileEntry:
        try:
            # load_profile refuses a FIFO, a device or an oversized file before reading it,
            # so a hostile file in ./profiles never holds the first frame.
            profile = load_profile(path)
        except OrtbenchError as exc:
            return ProfileEntry(Profile(name=path.stem), path, None, writable, error=str(exc))
        return ProfileEntry(
            profile, path, profile_to_dict(profile), writable, disk_sha256=_disk_sha256(path)
        )

    @property
    def broken_profiles(self) -> list[ProfileEntry]:
        return [e for e in self.profiles if e.error]

    # -- models ---------------------------------------------------------------------------------

    def model_spec(self, text: str) -> str:
        """The spec of a model typed by path (or `sample:NAME`), after checking that it is a
        readable ONNX model: a missing file and an invalid one are refused with the reason."""
        from .added_models import check_model_file

        text = text.strip()
        if not text:
            raise OrtbenchError("no path given")
        if text.startswith("sample:"):
            from ortbench_tui.samples import resolve_model

            resolve_model(text)  # raises for an unknown sample
            return text
        path = Path(text).expanduser()
        if not path.is_absolute() and self.cwd is not None:
            path = self.cwd / path
        check_model_file(path)
        return str(path.resolve())

    def add_model(self, text: str) -> ModelEntry:
        """Add a model by path (or sample spec), remembered across restarts; an existing row
        is returned, not duplicated."""
        spec = self.model_spec(text)
        for entry in self.models:
            if entry.spec == spec:
                return entry
        entry = self._added_entry(spec)
        self.models.append(entry)
        self._remember(self._added_specs())
        return entry

    def remove_model(self, entry: ModelEntry) -> None:
        """Forget a model added with `a` (the file itself is left alone)."""
        if entry.origin != "added":
            raise OrtbenchError(
                f"{entry.label} was not added with a: only added models can be removed here"
            )
        self.models.remove(entry)
        self._remember(self._added_specs())

    # -- profiles -------------------------------------------------------------------------------

    def path_for(self, name: str) -> Path:
        """Where a profile called `name` is saved when it has no file of its own yet."""
        return self.save_dir / f"{slug(name, 'profile')}.toml"

    def find_profile(self, name: str) -> ProfileEntry | None:
        return next((e for e in self.profiles if e.name == name and not e.error), None)

    def save_target(self, entry: ProfileEntry) -> Path:
        """The file `s` writes: the entry's own file, or a new one for read-only/unsaved ones."""
        if entry.path is not None and entry.writable:
            return entry.path
        return self.path_for(entry.name)

    def needs_overwrite_confirm(self, entry: ProfileEntry, target: Path) -> bool:
        """True when `target` exists and is not the entry's own file."""
        if not target.exists():
            return False
        return entry.path is None or not entry.writable or target.resolve() != entry.path.resolve()

    def save(self, entry: ProfileEntry, target: Path, overwrite: bool = False) -> Path:
        """Write the working copy atomically to `target`; the entry then points at it."""
        if entry.invalid:
            keys = ", ".join(sorted(entry.invalid))
            raise OrtbenchError(f"cannot save '{entry.name}': invalid values in {keys}")
        own = entry.path is not None and entry.writable and target.resolve() == entry.path.resolve()
        if own and not overwrite and entry.disk_sha256 is not None:
            now = _disk_sha256(target)
            if now != entry.disk_sha256:
                raise ProfileChangedOnDisk(
                    f"{target} changed on disk since it was read (edited elsewhere): reload "
                    "it, overwrite it, or save as another name"
                )
        # Written over the entry's own file (or the shipped one it copies): comments survive.
        save_profile(
            entry.profile,
            target,
            overwrite=overwrite or own,
            header=SAVE_HEADER,
            based_on=entry.path,
        )
        other = self._entry_at(target)
        if other is not None and other is not entry:
            self.profiles.remove(other)
        entry.path = target
        entry.writable = True
        entry.saved = profile_to_dict(entry.profile)
        entry.disk_sha256 = _disk_sha256(target)
        return target

    def reload(self, entry: ProfileEntry) -> ProfileEntry:
        """The entry's file as it is on disk now, in place of the working copy."""
        if entry.path is None:
            return entry
        fresh = self.load_entry(entry.path, entry.writable)
        self.profiles[self.profiles.index(entry)] = fresh
        return fresh

    def _entry_at(self, path: Path) -> ProfileEntry | None:
        real = path.resolve()
        return next((e for e in self.profiles if e.path and e.path.resolve() == real), None)

    def unique_name(self, base: str) -> str:
        names = {e.name for e in self.profiles}
        if base not in names and not self.path_for(base).exists():
            return base
        i = 2
        while f"{base}-{i}" in names or self.path_for(f"{base}-{i}").exists():
            i += 1
        return f"{base}-{i}"

    def duplicate(self, entry: ProfileEntry, name: str) -> ProfileEntry:
        """A copy under a new name, written at once to the save folder."""
        self.check_new_name(name)
        profile = entry.profile.copy()
        profile.name = name
        copy_entry = ProfileEntry(profile, None, None, True)
        target = self.path_for(name)
        save_profile(profile, target, overwrite=False, header=SAVE_HEADER, based_on=entry.path)
        copy_entry.path = target
        copy_entry.saved = profile_to_dict(profile)
        self.profiles.insert(self.profiles.index(entry) + 1, copy_entry)
        return copy_entry

    def rename(self, entry: ProfileEntry, name: str) -> Path:
        """Rename the profile and its file (new file first, then the old one goes)."""
        if not entry.writable:
            raise OrtbenchError(f"'{entry.name}' ships with ortbench; duplicate it to change it")
        self.check_new_name(name, allow=entry)
        old_path = entry.path
        target = self.path_for(name)
        if target.exists() and (old_path is None or target.resolve() != old_path.resolve()):
            raise OrtbenchError(f"{target} already exists")
        on_disk = entry.saved is not None
        entry.profile.name = name
        if on_disk:
            # Rename what is on disk; unsaved edits stay unsaved.
            from ortbench_tui.profile import profile_from_dict

            stored = profile_from_dict({**entry.saved, "name": name}, source=str(target))  # type: ignore[dict-item]
            stored.provenance = entry.profile.provenance  # a saved best keeps where it won
            same = old_path is not None and target.resolve() == old_path.resolve()
            save_profile(stored, target, overwrite=same, header=SAVE_HEADER, based_on=old_path)
            entry.saved = profile_to_dict(stored)
            if old_path is not None and not same:
                old_path.unlink(missing_ok=True)
        entry.path = target if on_disk else None
        return target

    def delete(self, entry: ProfileEntry) -> None:
        if not entry.writable:
            raise OrtbenchError(f"'{entry.name}' ships with ortbench and cannot be deleted here")
        if entry.path is not None:
            try:
                entry.path.unlink(missing_ok=True)
            except OSError as exc:
                raise OrtbenchError(f"cannot delete {entry.path}: {exc}") from None
        self.profiles.remove(entry)

    def adopt(self, path: Path) -> ProfileEntry:
        """A profile file written elsewhere in the workbench (sweep or practices `s`): listed
        at once, in the profile list and the compare picker."""
        entry = self.load_entry(path, True)
        old = self._entry_at(path)
        if old is not None:
            self.profiles[self.profiles.index(old)] = entry
        else:
            self.profiles.append(entry)
        return entry

    def new_unsaved(self, profile: Profile) -> ProfileEntry:
        entry = ProfileEntry(profile, None, None, True)
        self.profiles.append(entry)
        return entry

    def check_new_name(self, name: str, allow: ProfileEntry | None = None) -> None:
        problem = profile_name_problem(name)
        if problem:
            raise OrtbenchError(problem)
        other = self.find_profile(name)
        if other is not None and other is not allow:
            raise OrtbenchError(f"a profile called '{name}' exists already")
