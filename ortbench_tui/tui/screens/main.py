"""The main screen: machine line, model and profile lists, model/profile panels, the run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from ortbench_tui.errors import OrtbenchError

from ..formatting import model_lines, readiness_lines
from ..keys import bindings
from ..messages import ModelInspected
from ..widgets.footer import WorkbenchFooter
from ..widgets.lists import ModelList, ProfileList
from ..widgets.panels import HardwareLine, ModelDetails, ProfileSummary
from ..widgets.run_panel import RunPanel
from ..worker_errors import WorkerErrors
from ..workspace import ModelEntry, ProfileEntry
from .dialogs import ChoiceDialog, ConfirmDialog, MessageDialog, PromptDialog
from .profile_files import name_check, save_entry, save_entry_as, short_path

if TYPE_CHECKING:
    from ..app import OrtbenchApp

WORKBENCH_ACTIONS = ("trace", "compare", "practices", "sweep")
"""Actions that need a model and a profile, and no run going."""
DEFAULTS_CHOICE = "@ort-defaults"
"""The compare picker's id for the ORT-defaults baseline (no profile name starts with @)."""
TRACE_RUNS = 100
"""Timed runs of a traced run: enough to average node times, few enough to read the trace."""


class MainScreen(WorkerErrors, Screen[None]):
    """Everything at a glance; the run is the star."""

    BINDINGS = bindings("main")
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]

    app: OrtbenchApp  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="main")
        self.current_model: ModelEntry | None = None
        self.current_profile: ProfileEntry | None = None
        self.show_profiles = False
        """Narrow layout: which list the switcher column shows."""

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
                run = RunPanel(self.app.start_run, self.app.save_result, id="run")
                run.border_title = "Run"
                yield run
        yield WorkbenchFooter()

    def on_mount(self) -> None:
        ws = self.app.workspace
        self.query_one(ModelList).set_entries(ws.models, keep=self.app.initial_model)
        self.query_one(ProfileList).set_entries(ws.profiles, keep=self._initial_profile())
        self.query_one(ModelList).focus()
        self.watch(self.app, "hardware", self._hardware_changed)
        self.watch(self.app, "hardware_error", self._hardware_changed, init=False)
        self.watch(self.run_panel, "running", self._running_changed, init=False)
        for entry in ws.broken_profiles:
            self.notify(
                entry.error or "",
                title="A profile file could not be read",
                severity="error",
                timeout=10,
            )

    def _initial_profile(self) -> ProfileEntry | None:
        name = self.app.initial_profile
        ws = self.app.workspace
        found = ws.find_profile(name) if name else None
        return found or next((e for e in ws.profiles if not e.error), None)

    @property
    def run_panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    # -- state flowing in ---------------------------------------------------------------------

    def _hardware_changed(self, _value: Any) -> None:
        info = self.app.hardware
        line = self.query_one(HardwareLine)
        if info is not None:
            line.show_info(info)
        elif self.app.hardware_error:
            line.show_error(self.app.hardware_error)
        self._refresh_profile_views()

    def _running_changed(self, running: bool) -> None:
        self.refresh_bindings()
        if not running:
            self.query_one(ProfileList).refresh_labels()

    @on(ModelList.Picked)
    def _model_picked(self, event: ModelList.Picked) -> None:
        self.current_model = event.entry
        cached = self.app.model_infos.get(event.entry.spec)
        details = self.query_one(ModelDetails)
        if cached is None:
            details.show_pending(event.entry.spec)
            self._inspect(event.entry.spec)
        else:
            self._show_model(event.entry.spec, cached)
        self._refresh_title()
        self._refresh_readiness()

    @on(ProfileList.Picked)
    def _profile_picked(self, event: ProfileList.Picked) -> None:
        self.current_profile = event.entry
        self._refresh_profile_views()

    @work(thread=True, exclusive=True, group="inspect", exit_on_error=False)
    def _inspect(self, spec: str) -> None:
        from ortbench_tui.models import inspect_model
        from ortbench_tui.samples import resolve_model

        try:
            info = inspect_model(resolve_model(spec))
        except OrtbenchError as exc:
            self.post_message(ModelInspected(spec, None, str(exc)))
            return
        self.post_message(ModelInspected(spec, info, None))

    @on(ModelInspected)
    def _model_inspected(self, event: ModelInspected) -> None:
        value: Any = event.info if event.info is not None else OrtbenchError(event.error or "")
        self.app.model_infos[event.spec] = value
        if self.current_model is not None and self.current_model.spec == event.spec:
            self._show_model(event.spec, value)
            self._refresh_readiness()
        if event.error:
            self.notify(event.error, title="Bad model", severity="error", timeout=8)

    def _show_model(self, spec: str, value: Any) -> None:
        details = self.query_one(ModelDetails)
        if isinstance(value, OrtbenchError):
            details.show_error(spec, str(value))
        else:
            details.show_info(spec, value)

    def symbolic_dims(self) -> list[str]:
        if self.current_model is None:
            return []
        info = self.app.model_infos.get(self.current_model.spec)
        return list(getattr(info, "symbolic_dims", []) or [])

    def _refresh_profile_views(self) -> None:
        entry = self.current_profile
        if entry is not None:
            self.query_one(ProfileSummary).show_profile(entry, self.app.physical_cores)
        self._refresh_title()
        self._refresh_readiness()

    def _refresh_title(self) -> None:
        model = self.current_model.spec if self.current_model else "no model"
        profile = self.current_profile.label if self.current_profile else "no profile"
        self.run_panel.border_title = f"Run: {model} × {profile}"

    def _pair(self) -> tuple[str, str] | None:
        if self.current_model is None or self.current_profile is None:
            return None
        return (self.current_model.spec, self.current_profile.name)

    def readiness(self) -> list[tuple[str, str]]:
        entry = self.current_profile
        if entry is None:
            return [("warning", "⚠ no profile selected")]
        if entry.error:
            return [("error", f"✗ {entry.error}")]
        hw = self.app.hardware
        return readiness_lines(
            entry.profile,
            entry.invalid,
            self.symbolic_dims(),
            hw.working_providers if hw is not None else None,
            hw.logical_cores if hw is not None else None,
        )

    def _refresh_readiness(self) -> None:
        panel = self.run_panel
        if panel.running or (panel.outcome_key is not None and panel.outcome_key == self._pair()):
            return  # the outcome of this model and profile's last run stays on screen
        lines = self.readiness()
        if not lines and self.current_model and self.current_profile:
            lines = [
                (
                    "muted",
                    f"ready: r runs {self.current_model.spec} with {self.current_profile.name}",
                )
            ]
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
        if action in WORKBENCH_ACTIONS:
            if self.current_model is None or self.current_profile is None:
                return False
            return None if running else True
        return True

    def action_run(self) -> None:
        from ortbench_tui.bench.runner import RunRequest

        model, entry = self.current_model, self.current_profile
        if model is None or entry is None:
            self.notify("pick a model and a profile first", severity="warning")
            return
        if entry.error:
            self.notify(entry.error, title="This profile cannot be used", severity="error")
            return
        if entry.invalid:
            keys = ", ".join(sorted(entry.invalid))
            self.notify(f"fix the invalid values first: {keys}", title="Not run", severity="error")
            return
        hardware = getattr(self.app, "hardware", None)
        request = RunRequest(
            model=model.spec,
            profile=entry.profile.copy(),
            label=f"{model.label} × {entry.name}",
            hardware=hardware.to_dict() if hardware is not None else None,
        )
        self.run_panel.start(request)

    def _runnable(self, what: str) -> tuple[ModelEntry, ProfileEntry] | None:
        """The selected model and profile, when `what` can start with them (else says why)."""
        model, entry = self.current_model, self.current_profile
        if model is None or entry is None:
            self.notify("pick a model and a profile first", severity="warning")
            return None
        if self.run_panel.running:
            self.notify(f"a run is going: stop it (esc) before the {what}", severity="warning")
            return None
        if entry.error:
            self.notify(entry.error, title="This profile cannot be used", severity="error")
            return None
        if entry.invalid:
            keys = ", ".join(sorted(entry.invalid))
            self.notify(
                f"fix the invalid values first: {keys}", title=f"No {what}", severity="error"
            )
            return None
        return model, entry

    def _working_providers(self) -> tuple[list[str] | None, str]:
        """The EPs that work here and why CUDA does not, when the hardware is known."""
        hw = self.app.hardware
        if hw is None:
            return None, ""  # the screens find out in a child process
        gpu = next((p.reason for p in hw.providers if p.name == "CUDAExecutionProvider"), "")
        return list(hw.working_providers), gpu

    def action_trace(self) -> None:
        """A traced run in the run panel (its worker process, its progress and Esc); the
        trace screen opens when it finishes (`_run_finished`)."""
        from ortbench_tui.bench.runner import RunRequest
        from ortbench_tui.profile import apply_override

        picked = self._runnable("trace")
        if picked is None:
            return
        model, entry = picked
        profile = entry.profile.copy()
        for override in (f"run.timed_runs={TRACE_RUNS}", "run.duration_s=0"):
            profile = apply_override(profile, override)
        hardware = self.app.hardware
        request = RunRequest(
            model=model.spec,
            profile=profile,
            trace=True,
            label=f"{model.label} × {entry.name} (traced)",
            hardware=hardware.to_dict() if hardware is not None else None,
        )
        self.run_panel.start(request)
        self.run_panel.border_title = f"Trace: {model.spec} × {entry.label}"
        self.notify(
            f"tracing {model.spec} × {entry.name}: {TRACE_RUNS} runs with ORT's profiler; "
            "esc stops",
            title="Trace",
            timeout=4,
        )

    def action_compare(self) -> None:
        picked = self._runnable("comparison")
        if picked is None:
            return
        model, entry = picked
        others = [
            e
            for e in self.app.workspace.profiles
            if e is not entry and not e.error and not e.invalid
        ]
        options = [(DEFAULTS_CHOICE, "ORT defaults (the baseline: nothing set)")]
        options += [(e.name, f"{e.label}  {e.profile.description}".rstrip()) for e in others]

        def chosen(key: str | None) -> None:
            if key is None:
                return
            other = next((e for e in others if e.name == key), None)
            if key != DEFAULTS_CHOICE and other is None:
                return
            baseline = other.profile.copy() if other else ort_defaults(entry.profile)
            self._open_compare(model.spec, baseline, entry.profile.copy())

        self.app.push_screen(
            ChoiceDialog(
                "Compare profiles",
                f"Compare '{entry.name}' on {model.spec} with (A, the reference):",
                options,
            ),
            chosen,
        )

    def _open_compare(self, model: str, a: Any, b: Any) -> None:
        from ortbench_tui.bench.compare import CompareRequest

        from .compare import ComparisonScreen

        request = CompareRequest(model=model, profiles=[a, b], interleave=True)
        self.app.push_screen(ComparisonScreen(request))

    def action_practices(self) -> None:
        from ortbench_tui.bench.practices import PracticesRequest

        from .practices import PracticesScreen

        picked = self._runnable("practices check")
        if picked is None:
            return
        model, entry = picked
        working, gpu = self._working_providers()
        request = PracticesRequest(
            model=model.spec,
            base=entry.profile.copy(),
            working_providers=working,
            gpu_detail=gpu,
        )
        self.app.push_screen(PracticesScreen(request))

    def default_grid(self) -> str:
        """Threads 1..physical (at most four steps), IO binding off/on, basic vs all."""
        cores = max(int(self.app.physical_cores or 1), 1)
        if cores <= 4:
            threads = list(range(1, cores + 1))
        else:
            threads = sorted({1, cores // 4 or 1, cores // 2, cores})
        axes = [
            f"session.intra_op_num_threads={','.join(map(str, threads))}" if cores > 1 else "",
            "run.io_binding=false,true",
            "session.graph_optimization_level=basic,all",
        ]
        return " ; ".join([a for a in axes if a] + [f"budget={self.SWEEP_BUDGET_S:g}"])

    SWEEP_BUDGET_S = 30.0
    """The default time budget of a sweep from `w` (the prompt lets the user change it)."""

    def action_sweep(self) -> None:
        picked = self._runnable("sweep")
        if picked is None:
            return
        model, entry = picked

        def check(text: str) -> str | None:
            try:
                parse_sweep_text(text, self.SWEEP_BUDGET_S)
            except OrtbenchError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if not text:
                return
            from ortbench_tui.bench.sweep import SweepRequest

            from .sweep import SweepScreen

            axes, budget = parse_sweep_text(text, self.SWEEP_BUDGET_S)
            working, _gpu = self._working_providers()
            request = SweepRequest(
                model=model.spec,
                base=entry.profile.copy(),
                axes=axes,
                budget_s=budget,
                working_providers=working,
            )
            self.app.push_screen(SweepScreen(request))

        self.app.push_screen(
            PromptDialog(
                f"Sweep {model.spec} from '{entry.name}'",
                "Axes KEY=V1,V2 and budget=SECONDS, separated by ';':",
                self.default_grid(),
                check=check,
                cursor_blink=self.app.cursor_blink,
            ),
            done,
        )

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

    def _usable_profile(self) -> ProfileEntry | None:
        entry = self.current_profile
        if entry is None:
            self.notify("no profile selected", severity="warning")
            return None
        if entry.error:
            self.notify(entry.error, title="This profile file cannot be used", severity="error")
            return None
        return entry

    def action_save(self) -> None:
        entry = self._usable_profile()
        if entry is not None:
            save_entry(self, entry, on_saved=lambda: self._reload_profiles(keep=entry))

    def action_save_as(self) -> None:
        entry = self._usable_profile()
        if entry is not None:
            save_entry_as(self, entry, on_saved=lambda: self._reload_profiles(keep=entry))

    def action_duplicate(self) -> None:
        entry = self._usable_profile()
        if entry is None:
            return
        ws = self.app.workspace

        def done(name: str | None) -> None:
            if not name:
                return
            try:
                copy = ws.duplicate(entry, name)
            except OrtbenchError as exc:
                self.notify(str(exc), title="Not duplicated", severity="error")
                return
            self._reload_profiles(keep=copy)
            self.notify(f"duplicated as {copy.name} ({short_path(copy.path)})")

        self.app.push_screen(
            PromptDialog(
                "Duplicate profile",
                f"Name of the copy of '{entry.name}':",
                ws.unique_name(f"{entry.name}-copy"),
                check=name_check(ws),
                cursor_blink=self.app.cursor_blink,
            ),
            done,
        )

    def action_rename(self) -> None:
        entry = self._usable_profile()
        if entry is None:
            return
        ws = self.app.workspace
        if not entry.writable:
            self.notify(
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
                self.notify(str(exc), title="Not renamed", severity="error")
                return
            self._reload_profiles(keep=entry)
            self.notify(f"renamed to {name}")

        self.app.push_screen(
            PromptDialog(
                "Rename profile",
                f"New name for '{entry.name}':",
                entry.name,
                check=name_check(ws, allow=entry),
                cursor_blink=self.app.cursor_blink,
            ),
            done,
        )

    def action_delete(self) -> None:
        entry = (
            self._usable_profile()
            if self.current_profile and not self.current_profile.error
            else self.current_profile
        )
        if entry is None:
            return
        ws = self.app.workspace
        if not entry.writable:
            self.notify(
                f"'{entry.name}' ships with ortbench and cannot be deleted here", severity="warning"
            )
            return
        where = f"\nThis deletes {entry.path}." if entry.path else ""

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                ws.delete(entry)
            except OrtbenchError as exc:
                self.notify(str(exc), title="Not deleted", severity="error")
                return
            self._reload_profiles()
            self.notify(f"deleted {entry.name}")

        self.app.push_screen(
            ConfirmDialog(
                "Delete profile", f"Delete the profile '{entry.name}'?{where}", yes="Delete"
            ),
            done,
        )

    def _reload_profiles(self, keep: ProfileEntry | None = None) -> None:
        plist = self.query_one(ProfileList)
        plist.set_entries(self.app.workspace.profiles, keep=keep)
        if plist.current is not None:
            self.current_profile = plist.current
        self._refresh_profile_views()

    # models ----------------------------------------------------------------------------------

    def action_add_model(self) -> None:
        ws = self.app.workspace

        def check(text: str) -> str | None:
            try:
                ws.add_model(text)
            except OrtbenchError as exc:
                return str(exc)
            return None

        def done(text: str | None) -> None:
            if not text:
                return
            entry = ws.add_model(text)
            mlist = self.query_one(ModelList)
            mlist.set_entries(ws.models, keep=entry.spec)
            mlist.focus()

        self.app.push_screen(
            PromptDialog(
                "Add a model",
                "Path to an .onnx file (or sample:NAME):",
                "",
                check=check,
                cursor_blink=self.app.cursor_blink,
            ),
            done,
        )

    def action_model_info(self) -> None:
        model = self.current_model
        if model is None:
            return
        value = self.app.model_infos.get(model.spec)
        if value is None:
            self.notify("still reading the model…")
            return
        if isinstance(value, OrtbenchError):
            self.app.push_screen(
                MessageDialog(f"Model: {model.spec}", [("error", f"✗ {value}")], error=True)
            )
            return
        lines = model_lines(value)
        ops = ", ".join(f"{op}×{n}" for op, n in value.op_type_counts.items())
        lines[-1] = ("muted", f"ops: {ops}") if ops else lines[-1]
        self.app.push_screen(MessageDialog(f"Model: {model.spec}", lines))

    # -- run outcomes -------------------------------------------------------------------------

    @on(RunPanel.Finished)
    def _run_finished(self, event: RunPanel.Finished) -> None:
        from ortbench_tui.text import format_ms

        if "trace" in event.result:
            self._trace_finished(event.result)
            return

        lat = event.result.get("latency_ms") or {}
        status = event.result.get("status", "ok")
        p50, p99 = lat.get("p50"), lat.get("p99")
        text = f"p50 {format_ms(p50)} · p99 {format_ms(p99)} · {event.result.get('runs')} runs"
        title = "Run finished" if status == "ok" else f"Run {status}"
        self.notify(text, title=title, timeout=5)
        if any(w.startswith("FALLBACK:") for w in event.result.get("warnings") or []):
            self.notify(
                "the requested EP did not run this model; see the run panel",
                title="EP fallback",
                severity="error",
                timeout=10,
            )
        if event.save_error:
            self.notify(
                event.save_error, title="Not saved to history", severity="error", timeout=10
            )

    @on(RunPanel.Failed)
    def _run_failed(self, event: RunPanel.Failed) -> None:
        title = "Bad input" if event.kind == "input" else "Run failed"
        self.notify(event.message, title=title, severity="error", timeout=10)

    def _trace_finished(self, result: dict[str, Any]) -> None:
        from .trace import TraceScreen

        summary = result.get("trace")
        status = result.get("status", "ok")
        if status != "ok" or not isinstance(summary, dict):
            self.notify(
                f"the traced run was {status}: no trace to show",
                title="Trace",
                severity="warning",
            )
            return
        if summary.get("error"):
            self.notify(summary["error"], title="Trace incomplete", severity="error", timeout=10)
        model = (result.get("model") or {}).get("name", "?")
        profile = (result.get("profile") or {}).get("name", "?")
        self.app.push_screen(TraceScreen(summary, f"{model} × {profile}"))


def ort_defaults(like: Any) -> Any:
    """ORT's defaults as a profile, measured like `like`: the same counts, inputs and free
    dimensions, so only the tuning differs between the two."""
    from ortbench_tui.profile import Profile

    base = Profile(name="ort-defaults", description="ORT defaults: nothing set")
    run, mine = base.run, like.run
    run.warmup_runs, run.timed_runs, run.duration_s = (
        mine.warmup_runs,
        mine.timed_runs,
        mine.duration_s,
    )
    run.input_seed, run.input_sets = mine.input_seed, mine.input_sets
    run.inputs_npz = mine.inputs_npz
    run.pin_cpus = list(mine.pin_cpus)
    base.session.free_dimensions = dict(like.session.free_dimensions)
    return base


def parse_sweep_text(text: str, default_budget: float) -> tuple[list[Any], float]:
    """'KEY=V1,V2 ; KEY=... ; budget=30' -> (grid axes, budget in seconds)."""
    from ortbench_tui.bench.sweep import parse_grid

    specs, budget = [], default_budget
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        if part.replace(" ", "").startswith("budget="):
            raw = part.split("=", 1)[1].strip().removesuffix("s").strip()
            try:
                budget = float(raw)
            except ValueError:
                raise OrtbenchError(f"budget={raw}: expected seconds, e.g. budget=30") from None
            if budget <= 0:
                raise OrtbenchError("budget must be positive")
            continue
        specs.append(part)
    return parse_grid(specs), budget
