"""Profiles that a job screen writes (the sweep's winner, the practices' best): where they go,
the name they get (asked, with a short default), and the workbench lists the file at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from .dialogs import PromptDialog

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def profile_folder(screen: Screen[Any], save_dir: Path | None) -> Path:
    """`save_dir` when given, else the workbench's save folder (else ./profiles)."""
    if save_dir is not None:
        return save_dir
    workspace = getattr(screen.app, "workspace", None)
    return workspace.save_dir if workspace is not None else Path.cwd() / "profiles"


def free_path(folder: Path, stem: str) -> Path:
    """`folder/stem.toml`, or `stem-2.toml`, `stem-3.toml`… when taken."""
    path = folder / f"{stem}.toml"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}.toml"
        n += 1
    return path


def default_profile_name(model: str, suffix: str = "best") -> str:
    """A short name for a profile found for `model`: the model file's stem and `suffix`
    (`/tmp/models/ch_PP-OCRv4_det_infer.onnx` -> `ch_PP-OCRv4_det_infer-best`). Never
    starts with `-` or `.`: the name is typed after `--profile`, where `-x` reads as an option."""
    stem = Path(model.removeprefix("sample:")).stem
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.")
    return f"{stem}-{suffix}" if stem else suffix


def profile_name_problem(folder: Path, name: str) -> str | None:
    """Why `name` cannot be saved as `folder/name.toml`, or None."""
    if not name:
        return "a profile needs a name"
    if name[0] in "-.":
        return "a name cannot start with '-' or '.' (after --profile it would read as an option)"
    if _NAME.fullmatch(name) is None:
        return "use letters, digits, '-', '_' or '.' (the name becomes the file name)"
    if (folder / f"{name}.toml").exists():
        return f"{name}.toml exists already in {folder}: choose another name"
    return None


def save_new_profile(
    screen: Screen[Any],
    folder: Path,
    default: str,
    write: Callable[[Path], Path],
    on_saved: Callable[[Path], None],
) -> None:
    """Ask for the profile's name (`default`, or `default-2`… when taken), then write it
    with `write(folder/name.toml)`; an existing file is never replaced."""

    def go(name: str | None) -> None:
        if not name:
            return
        try:
            saved = write(folder / f"{name}.toml")
        except OrtbenchError as exc:
            screen.notify(str(exc), title="Cannot save", severity="error")
            return
        workspace = getattr(screen.app, "workspace", None)
        if workspace is not None:
            workspace.adopt(saved)  # in the profile list and the compare picker at once
        on_saved(saved)

    screen.app.push_screen(
        PromptDialog(
            "Save as a profile",
            f"name (saved as NAME.toml in {folder})",
            free_path(folder, default).stem,
            check=lambda name: profile_name_problem(folder, name),
        ),
        go,
    )
