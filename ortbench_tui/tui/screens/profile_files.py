"""What happens to profile files from any screen: `s` (own file, or a copy of a shipped one),
save-as (with the overwrite question when the target is a different existing file),
duplicate, rename and delete, each with its prompt."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from ..workbench import workbench
from ..workspace import ProfileChangedOnDisk, ProfileEntry, profile_name_problem
from .dialogs import ChoiceDialog, ConfirmDialog, PromptDialog, confirm_then


def short_path(path: Path | None) -> str:
    if path is None:
        return "not saved"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def name_check(ws: Any, allow: ProfileEntry | None = None) -> Any:
    def check(name: str) -> str | None:
        try:
            ws.check_new_name(name, allow=allow)
        except OrtbenchError as exc:
            return str(exc)
        return None

    return check


def save_entry(screen: Screen[Any], entry: ProfileEntry, on_saved: Any = None) -> None:
    """`s`: save to the entry's own file; a different existing file is overwritten only after
    a yes; a shipped profile is saved as a copy in the user's profile folder."""
    ws = workbench(screen).workspace
    if entry.invalid:
        keys = ", ".join(sorted(entry.invalid))
        screen.notify(f"fix the invalid values first: {keys}", title="Not saved", severity="error")
        return
    target = ws.save_target(entry)

    def write(overwrite: bool) -> None:
        was_shipped = not entry.writable
        try:
            ws.save(entry, target, overwrite=overwrite)
        except ProfileChangedOnDisk as exc:  # never silently undo either side's edits
            ask_changed_on_disk(screen, entry, str(exc), lambda: write(True), on_saved)
            return
        except OrtbenchError as exc:
            screen.notify(str(exc), title="Not saved", severity="error", timeout=10)
            return
        note = " (a copy: shipped profiles are read-only)" if was_shipped else ""
        screen.notify(f"saved {short_path(target)}{note}", title="Saved")
        if on_saved:
            on_saved()

    if ws.needs_overwrite_confirm(entry, target):
        screen.app.push_screen(
            ConfirmDialog(
                "Overwrite?",
                f"{target} exists and is a different file. Replace it?",
                yes="Overwrite",
            ),
            lambda yes: write(True) if yes else None,
        )
    else:
        write(False)


def ask_changed_on_disk(
    screen: Screen[Any],
    entry: ProfileEntry,
    why: str,
    overwrite: Callable[[], None],
    on_saved: Any = None,
) -> None:
    """The file was edited elsewhere since it was read: reload it (the edits here go),
    overwrite it (the edits there go), save as another name (both kept), or cancel."""
    ws = workbench(screen).workspace

    def chosen(choice: str | None) -> None:
        if choice == "overwrite":
            overwrite()
        elif choice == "save-as":
            save_entry_as(screen, entry, on_saved)
        elif choice == "reload":
            ws.reload(entry)
            screen.notify(f"reloaded {short_path(entry.path)}", title="Reloaded")
            if on_saved:
                on_saved()

    screen.app.push_screen(
        ChoiceDialog(
            "Changed on disk",
            why,
            [
                ("reload", "Reload the file (drop the edits made here)"),
                ("overwrite", "Overwrite the file (drop the edits made there)"),
                ("save-as", "Save as another name (keep both)"),
            ],
        ),
        chosen,
    )


def save_entry_as(screen: Screen[Any], entry: ProfileEntry, on_saved: Any = None) -> None:
    """Save under a new name; the entry follows the new file, the old file stays as it was."""
    app = workbench(screen)
    ws = app.workspace
    if entry.invalid:
        keys = ", ".join(sorted(entry.invalid))
        screen.notify(f"fix the invalid values first: {keys}", title="Not saved", severity="error")
        return

    def check(name: str) -> str | None:
        return profile_name_problem(name)

    def write(name: str, overwrite: bool) -> None:
        old_path, old_name, old_writable = entry.path, entry.profile.name, entry.writable
        target = ws.path_for(name)
        entry.profile.name = name
        try:
            ws.save(entry, target, overwrite=overwrite)
        except OrtbenchError as exc:
            entry.profile.name = old_name
            screen.notify(str(exc), title="Not saved", severity="error", timeout=10)
            return
        if old_path is not None and old_path.exists() and old_path.resolve() != target.resolve():
            kept = ws.load_entry(old_path, old_writable)
            ws.profiles.insert(ws.profiles.index(entry), kept)
        screen.notify(f"saved as {short_path(target)}", title="Saved")
        if on_saved:
            on_saved()

    def named(name: str | None) -> None:
        if not name:
            return
        target = ws.path_for(name)
        try:
            exists = target.exists()
        except OSError as exc:  # a name the file system refuses: say so, keep the edits
            screen.notify(f"{target}: {exc.strerror}", title="Not saved", severity="error")
            return
        if exists and (entry.path is None or target.resolve() != entry.path.resolve()):
            screen.app.push_screen(
                ConfirmDialog(
                    "Overwrite?",
                    f"{target} exists and is a different file. Replace it?",
                    yes="Overwrite",
                ),
                lambda yes: write(name, True) if yes else None,
            )
        else:
            write(name, entry.path is not None and target.resolve() == entry.path.resolve())

    screen.app.push_screen(
        PromptDialog(
            "Save profile as",
            f"New name for '{entry.name}' (saved in {ws.save_dir}):",
            ws.unique_name(entry.name),
            check=check,
            cursor_blink=app.cursor_blink,
        ),
        named,
    )


def usable_profile(screen: Screen[Any], entry: ProfileEntry | None) -> ProfileEntry | None:
    """`entry` when there is one and its file could be read (else says why, and None)."""
    if entry is None:
        screen.notify("no profile selected", severity="warning")
        return None
    if entry.error:
        screen.notify(entry.error, title="This profile file cannot be used", severity="error")
        return None
    return entry


def duplicate_entry(
    screen: Screen[Any], entry: ProfileEntry, on_done: Callable[[ProfileEntry], None]
) -> None:
    """Ask for a name, then write a copy; `on_done` gets the copy."""
    app = workbench(screen)
    ws = app.workspace

    def done(name: str | None) -> None:
        if not name:
            return
        try:
            copy = ws.duplicate(entry, name)
        except OrtbenchError as exc:
            screen.notify(str(exc), title="Not duplicated", severity="error")
            return
        on_done(copy)
        screen.notify(f"duplicated as {copy.name} ({short_path(copy.path)})")

    screen.app.push_screen(
        PromptDialog(
            "Duplicate profile",
            f"Name of the copy of '{entry.name}':",
            ws.unique_name(f"{entry.name}-copy"),
            check=name_check(ws),
            cursor_blink=app.cursor_blink,
        ),
        done,
    )


def rename_entry(screen: Screen[Any], entry: ProfileEntry, on_done: Callable[[], None]) -> None:
    """Ask for a new name, then rename the profile and its file (not a shipped one)."""
    app = workbench(screen)
    ws = app.workspace
    if not entry.writable:
        screen.notify(
            f"'{entry.name}' ships with ortbench; duplicate it (d) to change it",
            severity="warning",
        )
        return

    def done(name: str | None) -> None:
        if not name or name == entry.name:
            return
        try:
            ws.rename(entry, name)
        except OrtbenchError as exc:
            screen.notify(str(exc), title="Not renamed", severity="error")
            return
        on_done()
        screen.notify(f"renamed to {name}")

    screen.app.push_screen(
        PromptDialog(
            "Rename profile",
            f"New name for '{entry.name}':",
            entry.name,
            check=name_check(ws, allow=entry),
            cursor_blink=app.cursor_blink,
        ),
        done,
    )


def delete_entry(screen: Screen[Any], entry: ProfileEntry, on_done: Callable[[], None]) -> None:
    """Ask first, then delete the profile's file (not a shipped one)."""
    ws = workbench(screen).workspace
    if not entry.writable:
        screen.notify(
            f"'{entry.name}' ships with ortbench and cannot be deleted here", severity="warning"
        )
        return
    where = f"\nThis deletes {entry.path}." if entry.path else ""

    confirm_then(
        screen,
        ConfirmDialog("Delete profile", f"Delete the profile '{entry.name}'?{where}", yes="Delete"),
        lambda: ws.delete(entry),
        "Not deleted",
        on_done,
        f"deleted {entry.name}",
    )
