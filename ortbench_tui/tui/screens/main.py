"""The main screen: machine line, model and profile lists, model/profile panels, the run,
and what the run's end says (a notification, or the trace a traced run ends on). What its
keys start lives with its concept: `job_start` (jobs from the selection), `profile_files`,
`model_flows` and `recheck`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.text import format_ms

from ..columns import middle_ellipsis
from ..formatting import entry_readiness, result_status, result_warnings
from ..keys import bindings
from ..literal import literal
from ..messages import ModelInspected
from ..widgets.footer import WorkbenchFooter
from ..widgets.lists import ModelList, ProfileList
from ..widgets.panels import HardwareLine, ModelDetails, ProfileSummary
from ..widgets.run_panel import RunPanel
from ..workbench import Workbench, workbench
from ..worker_errors import WorkerErrors
from ..workspace import ModelEntry, ProfileEntry
from .job_start import (
    SWEEP_BUDGET_S,
    ask_compare,
    ask_sweep,
    default_grid,
    open_practices,
    runnable,
    start_run,
    start_trace,
)
from .model_flows import (
    ask_model_path,
    inspect_spec,
    notify_load_problems,
    open_inputs_form,
    remove_model,
    show_model_info,
)
from .profile_files import (
    delete_entry,
    duplicate_entry,
    rename_entry,
    save_entry,
    save_entry_as,
    usable_profile,
)

WORKBENCH_ACTIONS = ("trace", "compare", "practices", "sweep", "curve", "load")
"""Actions that need a model and a profile, and no run going."""
WORKBENCH_ACTION_OF = {"comparison": "compare", "practices check": "practices"}
"""`_runnable`'s words for the actions, where they differ from the action's name."""

if TYPE_CHECKING:
    from ortbench_tui.bench.result_record import RunResult


def run_title(model: str, profile: str, width: int) -> str:
    """`Run: MODEL × PROFILE` in a panel `width` wide: the profile `r` will use is kept whole
    (up to half the room) and the model shortened in the middle, so a long path never hides
    it. A path shows from its file name on."""
    from pathlib import PurePath

    room = max(width - 6, 20)  # the border's corners and padding
    fixed = len("Run:  × ")
    profile = middle_ellipsis(profile, max(room // 2, room - fixed - 12))
    shown = model if model.startswith("sample:") else PurePath(model).name or model
    shown = middle_ellipsis(shown, max(room - fixed - len(profile), 8))
    return f"Run: {shown} × {profile}"


class MainScreen(WorkerErrors, Screen[None]):
    """Everything at a glance; the run is the star."""

    BINDINGS = bindings("main")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.current_model: ModelEntry | None = None
        self.current_profile: ProfileEntry | None = None
        self.show_profiles = False
        """Narrow layout: which list the switcher column shows."""
        self.told_won_elsewhere: set[str] = set()
        """Profiles (by file) whose won-elsewhere notice was shown: once a session each."""

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield HardwareLine(id="hardware")
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                yield Static("▸Models◂  Profiles   (l)", id="list-switch")
                yield ModelList(id="models")
                yield ProfileList(id="profiles")
            with Vertical(id="work"):
                with Horizontal(id="details"):
                    yield ModelDetails(id="model-details")
                    yield ProfileSummary(id="profile-summary")
                run = RunPanel(self.workbench.start_run, self.workbench.save_result, id="run")
                run.border_title = "Run"
                yield run
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        ws = self.workbench.workspace
        self.query_one(ModelList).set_entries(ws.models, keep=self.workbench.initial_model)
        self.query_one(ProfileList).set_entries(ws.profiles, keep=self._initial_profile())
        self.query_one(ModelList).focus()
        self.watch(self.app, "hardware", self._hardware_changed)
        self.watch(self.app, "hardware_error", self._hardware_changed, init=False)
        self.watch(self.run_panel, "running", self._running_changed, init=False)
        notify_load_problems(self, ws)

    def _initial_profile(self) -> ProfileEntry | None:
        name = self.workbench.initial_profile
        ws = self.workbench.workspace
        found = ws.find_profile(name) if name else None
        return found or next((e for e in ws.profiles if not e.error), None)

    @property
    def workbench(self) -> Workbench:
        return workbench(self)

    @property
    def run_panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    # -- state flowing in ---------------------------------------------------------------------

    def _hardware_changed(self, _value: object) -> None:
        info = self.workbench.hardware
        line = self.query_one(HardwareLine)
        if info is not None:
            line.show_info(info)
        elif self.workbench.hardware_error:
            line.show_error(self.workbench.hardware_error)
        self._refresh_profile_views()

    def _running_changed(self, running: bool) -> None:
        self.refresh_bindings()
        if not running:
            self.query_one(ProfileList).refresh_labels()
            # The selection may have moved during the run: the title and figures follow it.
            self._refresh_title()
            self._refresh_readiness()

    @on(ModelList.Picked)
    def _model_picked(self, event: ModelList.Picked) -> None:
        self.current_model = event.entry
        cached = self.workbench.model_infos.get(event.entry.spec)
        details = self.query_one(ModelDetails)
        if cached is None:
            details.show_pending(event.entry.spec)
            self._inspect(event.entry.spec)
        else:
            details.show_value(event.entry.spec, cached)
        self._refresh_title()
        self._refresh_readiness()

    @on(ProfileList.Picked)
    def _profile_picked(self, event: ProfileList.Picked) -> None:
        left = self.current_profile
        if left is not None and left is not event.entry and left.dirty:
            # Nothing is lost by moving on (q asks before quitting), but say where edits are.
            self.notify(
                f"{left.name} keeps its unsaved edits (marked *): s saves them",
                title="Unsaved edits",
                timeout=4,
            )
        self.current_profile = event.entry
        self._refresh_profile_views()

    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def _inspect(self, spec: str) -> None:
        self.post_message(inspect_spec(spec))

    @on(ModelInspected)
    def _model_inspected(self, event: ModelInspected) -> None:
        value = event.info if event.info is not None else OrtbenchError(event.error or "")
        self.workbench.model_infos[event.spec] = value
        if self.current_model is not None and self.current_model.spec == event.spec:
            self.query_one(ModelDetails).show_value(event.spec, value)
            self._refresh_readiness()
        if event.error:
            self.notify(event.error, title="Bad model", severity="error", timeout=8)

    def symbolic_dims(self) -> list[str]:
        if self.current_model is None:
            return []
        info = self.workbench.model_infos.get(self.current_model.spec)
        # the inputs' named dims only: output dims follow from them and are never asked for
        return list(getattr(info, "input_dims", []) or [])

    def unsized_dims(self) -> list[str]:
        """Input dims neither the saved inputs nor a file size (the profile's free_dimensions
        are checked by the readiness lines)."""
        if self.current_model is None:
            return []
        info = self.workbench.model_infos.get(self.current_model.spec)
        if info is None:
            return []  # not read yet (the first frame): nothing of the engine to import
        from ortbench_tui.models import ModelInfo

        from ..input_rows import unsized_input_dims
        from .model_flows import saved_inputs

        if not isinstance(info, ModelInfo):
            return []
        try:
            spec = saved_inputs(self.current_model.spec)
        except OrtbenchError:
            return info.input_dims  # unreadable: the inputs form says so when opened
        return unsized_input_dims(info.inputs, spec)

    def _refresh_profile_views(self) -> None:
        entry = self.current_profile
        if entry is not None:
            self.query_one(ProfileSummary).show_profile(entry, self.workbench.physical_cores)
        self._refresh_title()
        self._refresh_readiness()
        self.refresh_bindings()  # k (re-check) is there only for a profile with provenance
        self._tell_won_elsewhere(entry)

    def _tell_won_elsewhere(self, entry: ProfileEntry | None) -> None:
        from .recheck import won_elsewhere

        notice = won_elsewhere(entry, self.workbench.hardware)
        if not notice or entry is None:
            return
        key = str(entry.path or entry.name)
        if key not in self.told_won_elsewhere:
            self.told_won_elsewhere.add(key)
            self.notify(notice, title="Re-check this profile?", severity="warning", timeout=10)

    def _refresh_title(self) -> None:
        if self.run_panel.running:
            return  # the title names the pair being measured until it ends
        model = self.current_model.spec if self.current_model else "no model"
        profile = self.current_profile.label if self.current_profile else "no profile"
        width = self.run_panel.size.width or self.size.width or 80
        self.run_panel.border_title = literal(run_title(model, profile, width))

    def on_resize(self) -> None:
        self._refresh_title()

    def _pair(self) -> tuple[str, str] | None:
        if self.current_model is None or self.current_profile is None:
            return None
        return (self.current_model.spec, self.current_profile.name)

    def readiness(self) -> list[tuple[str, str]]:
        return entry_readiness(self.current_profile, self.unsized_dims(), self.workbench.hardware)

    def _refresh_readiness(self) -> None:
        panel = self.run_panel
        pair = self._pair()
        if panel.running or (panel.outcome_key is not None and panel.outcome_key == pair):
            return  # the outcome of this model and profile's last run stays on screen
        if panel.show_pair(pair):
            return  # this pair's last result this session (never another pair's figures)
        lines = self.readiness()
        if not lines and self.current_model and self.current_profile:
            model, profile = self.current_model.spec, self.current_profile.name
            lines = [("muted", f"ready: r runs {model} with {profile}")]
        panel.show_notes(lines)

    def on_screen_resume(self) -> None:
        """Back from the editor or a dialog: the list, labels and checks may have changed."""
        self._reload_profiles(keep=self.current_profile or self._initial_profile())

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        running = self.is_mounted and self.query(RunPanel) and self.run_panel.running
        if action == "stop":
            return True if running else False
        if action in ("run", "edit", "rename", "delete", "duplicate", "save", "save_as"):
            return None if running else True
        if action == "recheck":
            entry = self.current_profile
            if entry is None or entry.error or entry.profile.provenance is None:
                return False  # only a profile saved by --save-best has a contest to re-run
            return None if running else True
        if action in WORKBENCH_ACTIONS:
            if self.current_model is None or self.current_profile is None:
                return False
            return None if running else True
        return True

    def action_run(self) -> None:
        model, entry = self.current_model, self.current_profile
        start_run(self, self.run_panel, model, entry, self.workbench.hardware, self.action_run)

    def _runnable(self, what: str) -> tuple[ModelEntry, ProfileEntry] | None:
        """The selected model and profile, when `what` can start with them (else says why)."""
        again = getattr(self, f"action_{WORKBENCH_ACTION_OF.get(what, what)}")
        pair = (self.current_model, self.current_profile)
        return runnable(self, *pair, running=self.run_panel.running, what=what, again=again)

    def action_trace(self) -> None:
        """A traced run in the run panel (its worker process, its progress and Esc); the
        trace screen opens when it finishes (`_run_finished`)."""
        picked = self._runnable("trace")
        if picked is not None:
            start_trace(self, self.run_panel, *picked, self.workbench.hardware)

    def action_compare(self) -> None:
        picked = self._runnable("comparison")
        if picked is not None:
            ask_compare(self, *picked, self.workbench.workspace.profiles)

    def action_recheck(self) -> None:
        """The contest the selected profile won, run again (`ortbench check --profile`)."""
        from .recheck import start_recheck

        entry = self.current_profile
        if entry is None or entry.profile.provenance is None or self.run_panel.running:
            return
        start_recheck(self, entry)

    def action_practices(self) -> None:
        picked = self._runnable("practices check")
        if picked is not None:
            open_practices(self, *picked, self.workbench.hardware)

    def action_sweep(self) -> None:
        picked = self._runnable("sweep")
        if picked is None:
            return
        app = self.workbench
        ask_sweep(
            self,
            *picked,
            grid=default_grid(app.physical_cores, SWEEP_BUDGET_S),
            budget=SWEEP_BUDGET_S,
            hardware=app.hardware,
            cursor_blink=app.cursor_blink,
        )

    def action_curve(self) -> None:
        from .curve import ask_curve

        picked = self._runnable("curve")
        if picked is not None:
            app = self.workbench
            ask_curve(self, *picked, self.symbolic_dims(), app.hardware, app.cursor_blink)

    def action_load(self) -> None:
        from .load import ask_load

        picked = self._runnable("load")
        if picked is not None:
            ask_load(self, *picked, self.workbench.cursor_blink)

    def action_stop(self) -> None:
        if self.run_panel.cancel():
            self.notify("stopping: the partial result is kept", timeout=3)

    def action_edit(self) -> None:
        from .editor import EditorScreen

        entry = self.current_profile
        if entry is None:
            return
        if entry.error:
            self.notify(
                entry.error, title="This profile file cannot be edited here", severity="error"
            )
            return
        self.app.push_screen(EditorScreen(entry, self.symbolic_dims()))

    def action_history(self) -> None:
        from .history import HistoryScreen

        self.app.push_screen(HistoryScreen())

    def action_switch_list(self) -> None:
        self.show_profiles = not self.show_profiles
        sidebar = self.query_one("#sidebar")
        sidebar.set_class(self.show_profiles, "-show-profiles")
        switch = self.query_one("#list-switch", Static)
        switch.update(
            "  Models ▸Profiles◂ (l)" if self.show_profiles else "▸Models◂  Profiles   (l)"
        )
        target = ProfileList if self.show_profiles else ModelList
        self.query_one(target).focus()

    # profile files ---------------------------------------------------------------------------

    def action_save(self) -> None:
        entry = usable_profile(self, self.current_profile)
        if entry is not None:
            save_entry(self, entry, on_saved=lambda: self._reload_profiles(keep=entry))

    def action_save_as(self) -> None:
        entry = usable_profile(self, self.current_profile)
        if entry is not None:
            save_entry_as(self, entry, on_saved=lambda: self._reload_profiles(keep=entry))

    def action_duplicate(self) -> None:
        entry = usable_profile(self, self.current_profile)
        if entry is not None:
            duplicate_entry(self, entry, on_done=lambda copy: self._reload_profiles(keep=copy))

    def action_rename(self) -> None:
        entry = usable_profile(self, self.current_profile)
        if entry is not None:
            rename_entry(self, entry, on_done=lambda: self._reload_profiles(keep=entry))

    def action_delete(self) -> None:
        # A file that cannot be read can still be deleted.
        if self.current_profile is not None:
            delete_entry(self, self.current_profile, on_done=self._reload_profiles)

    def _reload_profiles(self, keep: ProfileEntry | None = None) -> None:
        plist = self.query_one(ProfileList)
        plist.set_entries(self.workbench.workspace.profiles, keep=keep)
        if plist.current is not None:
            self.current_profile = plist.current
        self._refresh_profile_views()

    # models ----------------------------------------------------------------------------------

    def action_add_model(self) -> None:
        def added(entry: ModelEntry) -> None:
            mlist = self.query_one(ModelList)
            mlist.set_entries(self.workbench.workspace.models, keep=entry.spec)
            mlist.focus()

        ask_model_path(self, added)

    def action_remove_model(self) -> None:
        model = self.current_model
        if model is None:
            return

        def removed() -> None:
            mlist = self.query_one(ModelList)
            mlist.set_entries(self.workbench.workspace.models)
            mlist.focus()

        remove_model(self, model, removed)

    def action_model_info(self) -> None:
        if self.current_model is not None:
            show_model_info(self, self.current_model)

    def action_edit_inputs(self) -> None:
        if self.current_model is None:
            return
        entry = self.current_profile
        free = entry.profile.session.free_dimensions if entry and not entry.error else {}
        open_inputs_form(self, self.current_model, free, then=self.action_run)

    # -- run outcomes: a notification for a finished or failed run, the trace a traced run
    # ends on ---------------------------------------------------------------------------------

    @on(RunPanel.Finished)
    def _run_finished(self, event: RunPanel.Finished) -> None:
        from msgspec import UNSET

        if event.result.trace is not UNSET:
            self.show_trace(event.result)
        else:
            self.notify_finished(event.result, event.save_error)

    @on(RunPanel.Failed)
    def _run_failed(self, event: RunPanel.Failed) -> None:
        title = "Bad input" if event.kind == "input" else "Run failed"
        self.notify(event.message, title=title, severity="error", timeout=10)

    def notify_finished(self, result: RunResult, save_error: str | None) -> None:
        """Latency in one line; the EP fallback and a failed save to history stand out."""
        from msgspec import UnsetType

        lat = result.latency_ms
        status = result_status(result)
        p50, p99 = (None if isinstance(v, UnsetType) else v for v in (lat.p50, lat.p99))
        text = f"p50 {format_ms(p50)} · p99 {format_ms(p99)} · {result.runs} runs"
        title = "Run finished" if status == "ok" else f"Run {status}"
        self.notify(text, title=title, timeout=5)
        if any(w.startswith("FALLBACK:") for w in result_warnings(result)):
            self.notify(
                "the requested EP did not run this model; see the run panel",
                title="EP fallback",
                severity="error",
                timeout=10,
            )
        if save_error:
            self.notify(save_error, title="Not saved to history", severity="error", timeout=10)

    def show_trace(self, result: RunResult) -> None:
        """A traced run ended: open its trace, or say why there is none."""
        from msgspec import UnsetType

        from ortbench_tui.bench.result_record import ResultProblem, UnreadableTrace, trace_record

        from .trace import TraceScreen

        section = result.trace
        status = result_status(result)
        if status != "ok" or not isinstance(section, dict):
            self.notify(
                f"the traced run was {status}: no trace to show",
                title="Trace",
                severity="warning",
            )
            return
        try:
            summary = trace_record(section)
        except ResultProblem as exc:
            self.notify(str(exc), title="Trace unreadable", severity="error", timeout=10)
            return
        if isinstance(summary, UnreadableTrace):
            self.notify(summary.error, title="Trace incomplete", severity="error", timeout=10)
        model = "?" if isinstance(result.model.name, UnsetType) else result.model.name
        profile = result.profile.get("name", "?")
        self.app.push_screen(TraceScreen(summary, f"{model} × {profile}"))
