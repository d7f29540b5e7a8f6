"""Profile files, from any screen: `s` (own file, or a copy of a shipped one), save-as (with
the overwrite question when the target is a different existing file, and the question when
the file changed on disk), duplicate, rename and delete, each with its prompt; unsaved edits
never lost (the question before quitting or leaving the editor: save, keep, discard, cancel);
and the new profiles a job screen writes (the sweep's winner, the practices' best): where they
go, the name they get (asked, with a short default), listed at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Label, Static

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import profile_from_dict

from ..keys import bindings
from ..workbench import Workbench, workbench
from ..workspace import ProfileChangedOnDisk, ProfileEntry, Workspace, profile_name_problem
from .dialogs import DIALOG_CSS, ChoiceDialog, ConfirmDialog, PromptDialog, confirm_then

if TYPE_CHECKING:
    from textual.app import App


def short_path(path: Path | None) -> str:
    if path is None:
        return "not saved"
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def name_check(ws: Workspace, allow: ProfileEntry | None = None) -> Callable[[str], str | None]:
    def check(name: str) -> str | None:
        try:
            ws.check_new_name(name, allow=allow)
        except OrtbenchError as exc:
            return str(exc)
        return None

    return check


def save_entry(
    screen: Screen[Any], entry: ProfileEntry, on_saved: Callable[[], object] | None = None
) -> None:
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
    on_saved: Callable[[], object] | None = None,
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


def save_entry_as(
    screen: Screen[Any], entry: ProfileEntry, on_saved: Callable[[], object] | None = None
) -> None:
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


# -- unsaved edits ------------------------------------------------------------------------

CHOICE_LABELS = {
    "save": "Save (s)",
    "keep": "Keep unsaved (k)",
    "discard": "Discard (d)",
    "cancel": "Cancel (esc)",
}


class UnsavedDialog(ModalScreen[str]):
    """Returns one of `choices`: save, keep, discard or cancel."""

    DEFAULT_CSS = DIALOG_CSS.format(name="UnsavedDialog")
    BINDINGS = bindings("unsaved")

    def __init__(
        self, title: str, question: str, choices: tuple[str, ...] = ("save", "discard", "cancel")
    ) -> None:
        super().__init__()
        self._title, self._question, self.choices = title, question, choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self._title, classes="dialog-title")
            yield Static(self._question, markup=False, id="unsaved-question")
            with Horizontal(classes="dialog-buttons"):
                for choice in self.choices:
                    variant: Literal["primary", "error", "default"] = "default"
                    if choice in ("save", "discard"):
                        variant = "primary" if choice == "save" else "error"
                    yield Button(CHOICE_LABELS[choice], id=choice, variant=variant, compact=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose" and parameters and parameters[0] not in self.choices:
            return False
        return True

    def action_choose(self, choice: str) -> None:
        if choice in self.choices:
            self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "cancel")


def dirty_entries(ws: Workspace) -> list[ProfileEntry]:
    return [e for e in ws.profiles if e.dirty]


def names_of(entries: list[ProfileEntry]) -> str:
    return ", ".join(e.name for e in entries)


def save_all(ws: Workspace, entries: list[ProfileEntry]) -> list[str]:
    """Save each entry to its own file (a shipped one: a copy); the problems, if any.

    A save that would replace a different existing file is not done here (the main screen's
    `s` asks about that): it is reported, so nothing is overwritten behind the user's back.
    """
    problems = []
    for entry in entries:
        if entry.invalid:
            problems.append(f"{entry.name}: invalid values in {', '.join(sorted(entry.invalid))}")
            continue
        target = ws.save_target(entry)
        if ws.needs_overwrite_confirm(entry, target):
            problems.append(f"{entry.name}: {target} exists; save it with s or save-as first")
            continue
        try:
            ws.save(entry, target)
        except OrtbenchError as exc:
            problems.append(str(exc))
    return problems


def discard(ws: Workspace, entry: ProfileEntry) -> None:
    """Back to what is on disk; an entry that was never saved leaves the list."""
    entry.invalid, entry.raw = {}, {}
    if entry.saved is None:
        if entry in ws.profiles:
            ws.profiles.remove(entry)
        return
    provenance = entry.profile.provenance  # not a setting: no edit touches it
    entry.profile = profile_from_dict(dict(entry.saved), source=str(entry.path or entry.name))
    entry.profile.provenance = provenance


def ask_before_leaving(
    screen: Screen[Any], entry: ProfileEntry, leave: Callable[[], object]
) -> None:
    """Leave the editor at once without unsaved edits; else ask: save, keep them (marked *),
    discard, or stay."""
    if not entry.dirty:
        leave()
        return

    def answered(choice: str | None) -> None:
        if choice == "keep":
            leave()
        elif choice == "discard":
            discard(workbench(screen).workspace, entry)
            leave()
        elif choice == "save":
            save_entry(screen, entry, on_saved=leave)

    screen.app.push_screen(
        UnsavedDialog(
            "Unsaved edits",
            f"{entry.name} has unsaved edits. Save them?",
            ("save", "keep", "discard", "cancel"),
        ),
        answered,
    )


def ask_before_quit(app: App[None], quit_now: Callable[[], None]) -> None:
    """Quit at once without unsaved edits; else ask save / discard / cancel first."""
    ws = cast(Workbench, app).workspace
    dirty = dirty_entries(ws)
    if not dirty:
        quit_now()
        return
    if isinstance(app.screen, UnsavedDialog):
        return  # already asking

    def answered(choice: str | None) -> None:
        if choice == "discard":
            quit_now()
        elif choice == "save":
            problems = save_all(ws, dirty)
            if problems:
                app.notify("\n".join(problems), title="Not saved: not quitting", severity="error")
                return
            quit_now()

    app.push_screen(
        UnsavedDialog(
            "Unsaved profile edits",
            f"{names_of(dirty)}: edited and not saved. Save before quitting?",
        ),
        answered,
    )


# -- new profiles from a job screen ------------------------------------------------------

_NEW_PROFILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


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


def new_profile_name_problem(folder: Path, name: str) -> str | None:
    """Why `name` cannot be saved as `folder/name.toml`, or None."""
    if not name:
        return "a profile needs a name"
    if name[0] in "-.":
        return "a name cannot start with '-' or '.' (after --profile it would read as an option)"
    if _NEW_PROFILE_NAME.fullmatch(name) is None:
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
            check=lambda name: new_profile_name_problem(folder, name),
        ),
        go,
    )
