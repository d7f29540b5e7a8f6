"""Profiles that a job screen writes (the sweep's winner, the practices' best): where they go,
a second save asks before writing `-2`, and the workbench lists the file at once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from .dialogs import ConfirmDialog


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


def save_new_profile(
    screen: Screen[Any],
    path: Path,
    previous: Path | None,
    write: Callable[[Path], Path],
    on_saved: Callable[[Path], None],
) -> None:
    """Write with `write(path)`; when this screen saved once already (`previous`), ask first."""

    def go() -> None:
        try:
            saved = write(path)
        except OrtbenchError as exc:
            screen.notify(str(exc), title="Cannot save", severity="error")
            return
        workspace = getattr(screen.app, "workspace", None)
        if workspace is not None:
            workspace.adopt(saved)  # in the profile list and the compare picker at once
        on_saved(saved)

    if previous is None:
        go()
        return
    screen.app.push_screen(
        ConfirmDialog(
            "Save another copy?",
            f"{previous.name} was saved already. Write another copy as {path.name}?",
            yes="Save a copy",
        ),
        lambda yes: go() if yes else None,
    )
