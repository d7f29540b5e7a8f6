"""Every key of the workbench, in one table: the bindings, the palette and the help screen
are all generated from it, so none of them can forget an action."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Command:
    """One user action: its key, its footer word, and the sentence the palette and help show."""

    scope: str
    """app | main | models | profiles | editor | history | detail | help"""
    key: str
    action: str
    title: str
    help: str
    show: bool = True
    priority: bool = False
    palette: str = ""
    """The command's name in the palette, when the footer word is too short to say it."""

    @property
    def palette_title(self) -> str:
        return self.palette or self.title

    @property
    def id(self) -> str:
        return f"{self.scope}.{self.action.split('.')[-1].split('(')[0]}"

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.title,
            show=self.show,
            priority=self.priority,
            tooltip=self.help,
            id=self.id,
        )


SCOPE_TITLES = {
    "app": "Everywhere",
    "main": "Main screen",
    "models": "Model list",
    "profiles": "Profile list",
    "editor": "Profile editor",
    "history": "History",
    "detail": "A past run / comparison",
}

COMMANDS: list[Command] = [
    Command("app", "question_mark", "app.help", "Help", "Every key, on one screen"),
    Command("app", "f1", "app.help", "Help", "Every key, on one screen", show=False),
    Command("app", "q", "app.quit", "Quit", "Quit ortbench (a run in progress is stopped)"),
    Command(
        "main",
        "r",
        "run",
        "Run",
        palette="Run benchmark",
        help="Run the selected model with the selected profile: warm-up, then timed runs "
        "in a separate worker process",
    ),
    Command(
        "main",
        "escape",
        "stop",
        "Stop",
        palette="Stop the run",
        help="Stop the run within a fraction of a second; the partial result is kept",
    ),
    Command(
        "main",
        "e",
        "edit",
        "Edit",
        palette="Edit profile",
        help="Edit the selected profile: every key, checked as you type",
    ),
    Command(
        "main",
        "s",
        "save",
        "Save",
        "Save the selected profile as TOML (atomically)",
        palette="Save profile",
    ),
    Command(
        "main",
        "S",
        "save_as",
        "Save as",
        "Save the selected profile under a new name",
        palette="Save profile as",
        show=False,
    ),
    Command(
        "main",
        "h",
        "history",
        "History",
        "Past runs: open one to see its histogram, pick two to compare",
    ),
    Command(
        "main",
        "c",
        "compare",
        "Compare",
        palette="Compare profiles",
        help="Compare the selected profile with another one (or ORT defaults) on the selected "
        "model, interleaved: medians, p99s, ratio with its 95% CI and a verdict",
        show=False,
    ),
    Command(
        "main",
        "t",
        "trace",
        "Trace",
        palette="Trace operators",
        help="Profile the selected model and profile with ORT's profiler (100 runs): time per "
        "node and op type, and which EP ran each node",
        show=False,
    ),
    Command(
        "main",
        "p",
        "practices",
        "Practices",
        palette="Check practices",
        help="Check the eight latency practices on the selected model, each toggled alone on "
        "the selected profile, with verdicts and CIs",
        show=False,
    ),
    Command(
        "main",
        "w",
        "sweep",
        "Sweep",
        palette="Sweep settings",
        help="Search a grid of settings (threads, IO binding, optimization level; editable) "
        "by successive halving within a time budget",
        show=False,
    ),
    Command(
        "main",
        "l",
        "switch_list",
        "Lists",
        palette="Switch list",
        help="Move between the model list and the profile list",
    ),
    Command(
        "models",
        "a",
        "screen.add_model",
        "Add",
        "Add an .onnx model by its path",
        palette="Add model",
    ),
    Command(
        "models",
        "i",
        "screen.model_info",
        "Info",
        palette="Model info",
        help="Inputs, outputs, opset, size, nodes and parameters of the selected model",
    ),
    Command(
        "profiles",
        "d",
        "screen.duplicate",
        "Copy",
        "Copy the selected profile under a new name",
        palette="Duplicate profile",
    ),
    Command(
        "profiles",
        "n",
        "screen.rename",
        "Rename",
        "Rename the selected profile and its file",
        palette="Rename profile",
    ),
    Command(
        "profiles",
        "x",
        "screen.delete",
        "Delete",
        "Delete the selected profile's file (asks first)",
        palette="Delete profile",
    ),
    Command(
        "editor", "ctrl+s", "save", "Save", "Save this profile as TOML (atomically)", priority=True
    ),
    Command(
        "editor",
        "ctrl+o",
        "save_as",
        "Save as",
        "Save this profile under a new name",
        priority=True,
    ),
    Command(
        "editor",
        "escape",
        "close",
        "Back",
        "Back to the main screen; unsaved changes are kept and marked *",
    ),
    Command("history", "enter", "open", "Open", "Open the highlighted run: histogram and details"),
    Command("history", "space", "pick", "Pick", "Pick (or unpick) a run; pick two to compare"),
    Command(
        "history",
        "c",
        "compare",
        "Compare",
        "Compare the two picked runs: ratio of medians with its 95% CI and a verdict",
    ),
    Command(
        "history",
        "v",
        "side_by_side",
        "Side by side",
        "The two picked runs side by side: every statistic, times and EPs",
        show=False,
    ),
    Command("history", "escape", "close", "Back", "Back to the main screen"),
    Command("detail", "escape", "close", "Back", "Back to the previous screen"),
]


def bindings(scope: str) -> list[Binding]:
    return [c.binding() for c in COMMANDS if c.scope == scope]


def commands(*scopes: str) -> list[Command]:
    return [c for c in COMMANDS if c.scope in scopes]


def key_label(key: str) -> str:
    return {"question_mark": "?", "escape": "esc", "space": "space"}.get(key, key)
