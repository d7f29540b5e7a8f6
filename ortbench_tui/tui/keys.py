"""Every key of the workbench, in one table: the bindings of every screen and dialog, the
palette and the help screen are all generated from it, so none of them can forget an action."""

from __future__ import annotations

import re
from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Command:
    """One user action: its key, its footer word, and the sentence the palette and help show."""

    scope: str
    """Where the key works: a key of SCOPE_TITLES (one screen, dialog or list)."""
    key: str
    """A Textual key name, or several separated by commas (one binding for all of them)."""
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
        """`scope.action`, with the action's arguments when it has any (`compare.export_md`)."""
        name, _, args = self.action.split(".")[-1].partition("(")
        suffix = re.sub(r"\W", "", args)
        return f"{self.scope}.{name}_{suffix}" if suffix else f"{self.scope}.{name}"

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
    "compare": "Comparison",
    "sweep": "Sweep",
    "practices": "Practices check",
    "curve": "Load curve",
    "trace": "Trace",
    "inputs": "Inputs form",
    "help": "This help",
    "confirm": "Yes/no questions",
    "unsaved": "Unsaved edits (asked before they would be lost)",
    "prompt": "Prompts",
    "choice": "Pickers",
    "message": "Messages",
}

COMMANDS: list[Command] = [
    Command("app", "question_mark", "app.help", "Help", "Every key, on one screen"),
    Command("app", "f1", "app.help", "Help", "Every key, on one screen", show=False),
    Command(
        "app",
        "q",
        "app.quit",
        "Quit",
        "Quit ortbench (a run in progress is stopped; unsaved profile edits are asked about)",
    ),
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
    ),
    Command(
        "main",
        "t",
        "trace",
        "Trace",
        palette="Trace operators",
        help="Profile the selected model and profile with ORT's profiler (100 runs): time per "
        "node and op type, and which EP ran each node",
    ),
    Command(
        "main",
        "p",
        "practices",
        "Practices",
        palette="Check practices",
        help="Check the eight latency practices on the selected model, each toggled alone on "
        "the selected profile, with verdicts and CIs",
    ),
    Command(
        "main",
        "w",
        "sweep",
        "Sweep",
        palette="Sweep settings",
        help="Search a grid of settings (threads, IO binding, optimization level; editable) "
        "by successive halving within a time budget",
    ),
    Command(
        "main",
        "v",
        "curve",
        "Curve",
        palette="Load curve",
        help="Latency (p50, p99) and throughput of the selected model across batch sizes, "
        "sequence lengths and concurrent requests, with the knee stated",
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
        show=False,  # in ? and the palette: the footer at 80 columns keeps t c p w
    ),
    Command(
        "models",
        "x",
        "screen.remove_model",
        "Remove",
        "Forget a model added with a (it is remembered across restarts until removed)",
        palette="Remove added model",
        show=False,
    ),
    Command(
        "models",
        "i",
        "screen.model_info",
        "Info",
        palette="Model info",
        help="Inputs, outputs, opset, size, nodes and parameters of the selected model",
        show=False,
    ),
    Command(
        "models",
        "I",
        "screen.edit_inputs",
        "Inputs",
        palette="Edit model inputs",
        help="The selected model's inputs: shapes (size its dynamic dims) and values; saved "
        "per model, used by every run of it",
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
        "Back to the main screen; with unsaved edits, asks: save, keep (marked *), discard",
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
    Command(
        "history",
        "f",
        "filter_host",
        "Host",
        "Show only the runs of the hosts matching a glob (alpha*, (local) for this "
        "machine's own); an empty glob shows every run",
        palette="Filter history by host",
    ),
    Command("history", "escape", "close", "Back", "Back to the main screen"),
    Command("detail", "escape", "close", "Back", "Back to the previous screen"),
    Command("compare", "escape", "stop_or_close", "Stop/Back", "Stop the comparison, or go back"),
    Command(
        "compare",
        "m",
        "export('md')",
        "Markdown",
        "Write the table as Markdown and copy it",
        palette="Export comparison as Markdown",
    ),
    Command(
        "compare",
        "c",
        "export('csv')",
        "CSV",
        "Write the table as CSV and copy it",
        palette="Export comparison as CSV",
    ),
    Command("compare", "r", "rerun", "Again", "Run the comparison again", palette="Compare again"),
    Command("sweep", "escape", "stop_or_close", "Stop/Back", "Stop the sweep, or go back"),
    Command(
        "sweep",
        "s",
        "save_best",
        "Save best",
        "Save the winner as a TOML profile",
        palette="Save the best profile",
    ),
    Command(
        "sweep",
        "m",
        "export",
        "Markdown",
        "Write the ranked table as Markdown",
        palette="Export sweep as Markdown",
    ),
    Command("practices", "escape", "stop_or_close", "Stop/Back", "Stop the check, or go back"),
    Command(
        "practices",
        "s",
        "save_best",
        "Save best",
        "Save the base profile with every practice that was verdict faster applied, as TOML",
        palette="Save the profile with the faster practices",
    ),
    Command(
        "practices",
        "m",
        "export",
        "Markdown",
        "Save the report as Markdown and copy it",
        palette="Export practices as Markdown",
    ),
    Command("curve", "escape", "stop_or_close", "Stop/Back", "Stop the curve, or go back"),
    Command(
        "curve",
        "m",
        "export",
        "Markdown",
        "Write the curve's table as Markdown and copy it",
        palette="Export curve as Markdown",
    ),
    Command("trace", "escape", "close", "Back", "Back to the main screen"),
    Command(
        "trace",
        "s",
        "cycle_sort",
        "Sort",
        "Sort by the next column: total, mean, calls, name, op type, EP",
        palette="Sort trace by the next column",
    ),
    Command(
        "trace",
        "r",
        "reverse_sort",
        "Reverse",
        "Reverse the sort order",
        palette="Reverse trace sort",
    ),
    Command(
        "trace",
        "o",
        "toggle_view",
        "Nodes/op types",
        "Switch between every node and the totals per op type",
        palette="Show nodes or op types",
    ),
    Command("inputs", "ctrl+s", "save", "Save", "Save these inputs for this model", priority=True),
    Command(
        "inputs",
        "ctrl+r",
        "save_and_run",
        "Save & run",
        "Save these inputs and run the model with the selected profile",
        priority=True,
    ),
    Command("inputs", "escape", "cancel", "Cancel", "Close without saving"),
    Command("help", "escape,q,question_mark,f1", "close", "Close", "Close the help"),
    Command("confirm", "y", "answer(True)", "Yes", "Confirm"),
    Command("confirm", "n,escape", "answer(False)", "No", "Cancel"),
    Command("unsaved", "s", "choose('save')", "Save", "Save the edited profiles, then go on"),
    Command(
        "unsaved",
        "k",
        "choose('keep')",
        "Keep",
        "Leave the editor with the edits kept unsaved (marked *; r runs them)",
    ),
    Command("unsaved", "d", "choose('discard')", "Discard", "Throw the edits away, then go on"),
    Command("unsaved", "escape,c", "choose('cancel')", "Cancel", "Go back to where you were"),
    Command("prompt", "escape", "cancel", "Cancel", "Close without a change"),
    Command("choice", "escape", "cancel", "Cancel", "Close without choosing"),
    Command("message", "escape,enter,q", "close", "Close", "Close this message"),
]


def bindings(scope: str) -> list[BindingType]:
    """The BINDINGS of the screen, dialog or widget that owns `scope`."""
    return [c.binding() for c in COMMANDS if c.scope == scope]


def key_label(key: str) -> str:
    """How a key (or a comma-separated list of keys) is written on screen."""
    names = {"question_mark": "?", "escape": "esc", "space": "space"}
    return " / ".join(names.get(k, k) for k in key.split(","))
