"""How a job starts from the main screen's selection: may it start (`runnable`, `refusal`),
the questions asked before its screen opens (compare with what? sweep which grid?), the run
and the trace's run in the run panel, and the engine request each job gets from the selected
model and profile (with the model's saved inputs)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError

from ..literal import literal
from ..widgets.run_panel import RunPanel
from ..workspace import ModelEntry, ProfileEntry
from .dialogs import ChoiceDialog
from .model_flows import inputs_ready, saved_inputs

if TYPE_CHECKING:
    from ortbench_tui.bench.compare import CompareRequest
    from ortbench_tui.bench.practices import PracticesRequest
    from ortbench_tui.bench.runner import RunRequest
    from ortbench_tui.bench.sweep import GridAxis, SweepRequest
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.profile import Profile

TRACE_RUNS = 100
"""Timed runs of a traced run: enough to average node times, few enough to read the trace."""
SWEEP_BUDGET_S = 30.0
"""The default time budget of a sweep from `w` (the prompt lets the user change it)."""
DEFAULTS_CHOICE = "@ort-defaults"
"""The compare picker's id for the ORT-defaults baseline (no profile name starts with @)."""


def refusal(entry: ProfileEntry, title: str) -> tuple[str, str] | None:
    """(message, notification title) when this profile cannot be run as it is, else None."""
    if entry.error:
        return entry.error, "This profile cannot be used"
    if entry.invalid:
        return f"fix the invalid values first: {', '.join(sorted(entry.invalid))}", title
    return None


def runnable(
    screen: Screen[Any],
    model: ModelEntry | None,
    entry: ProfileEntry | None,
    *,
    running: bool,
    what: str,
    again: Callable[[], None],
) -> tuple[ModelEntry, ProfileEntry] | None:
    """The selected model and profile, when `what` can start with them (else says why);
    `again` starts it once the inputs form, when it has to ask, is saved."""
    if model is None or entry is None:
        screen.notify("pick a model and a profile first", severity="warning")
        return None
    if running:
        screen.notify(f"a run is going: stop it (esc) before the {what}", severity="warning")
        return None
    refused = refusal(entry, f"No {what}")
    if refused:
        screen.notify(refused[0], title=refused[1], severity="error")
        return None
    if not inputs_ready(screen, model, entry.profile.session.free_dimensions, again):
        return None
    return model, entry


def start_run(
    screen: Screen[Any],
    panel: RunPanel,
    model: ModelEntry | None,
    entry: ProfileEntry | None,
    hardware: HardwareInfo | None,
    again: Callable[[], None],
) -> None:
    """`r`: the selected model with the selected profile in the run panel (else says why);
    `again` starts it once the inputs form, when it has to ask, is saved."""
    if model is None or entry is None:
        screen.notify("pick a model and a profile first", severity="warning")
        return
    refused = refusal(entry, "Not run")
    if refused:
        screen.notify(refused[0], title=refused[1], severity="error")
        return
    if not inputs_ready(screen, model, entry.profile.session.free_dimensions, again):
        return
    panel.start(run_request(model, entry, hardware))


def start_trace(
    screen: Screen[Any],
    panel: RunPanel,
    model: ModelEntry,
    entry: ProfileEntry,
    hardware: HardwareInfo | None,
) -> None:
    """A traced run in the run panel (its worker process, its progress and Esc); the trace
    screen opens when it finishes (`MainScreen.show_trace`)."""
    panel.start(trace_request(model, entry, hardware))
    panel.border_title = literal(f"Trace: {model.spec} × {entry.label}")
    screen.notify(
        f"tracing {model.spec} × {entry.name}: {TRACE_RUNS} runs with ORT's profiler; esc stops",
        title="Trace",
        timeout=4,
    )


def open_practices(
    screen: Screen[Any], model: ModelEntry, entry: ProfileEntry, hardware: HardwareInfo | None
) -> None:
    from .practices import PracticesScreen

    screen.app.push_screen(PracticesScreen(practices_request(model, entry, hardware)))


def ask_compare(
    screen: Screen[Any], model: ModelEntry, entry: ProfileEntry, profiles: list[ProfileEntry]
) -> None:
    """Pick the reference (another usable profile, or ORT defaults), then compare live."""
    others = [e for e in profiles if e is not entry and not e.error and not e.invalid]
    options = [(DEFAULTS_CHOICE, "ORT defaults (the baseline: nothing set)")]
    options += [(e.name, f"{e.label}  {e.profile.description}".rstrip()) for e in others]

    def chosen(key: str | None) -> None:
        if key is None:
            return
        other = next((e for e in others if e.name == key), None)
        if key != DEFAULTS_CHOICE and other is None:
            return
        baseline = other.profile.copy() if other else ort_defaults(entry.profile)
        open_compare(screen, model.spec, baseline, entry.profile.copy())

    screen.app.push_screen(
        ChoiceDialog(
            "Compare profiles",
            f"Compare '{entry.name}' on {model.spec} with (A, the reference):",
            options,
        ),
        chosen,
    )


def open_compare(screen: Screen[Any], model: str, a: Profile, b: Profile) -> None:
    """The live comparison of `a` (the reference) and `b` on `model`."""
    from .compare import ComparisonScreen

    screen.app.push_screen(ComparisonScreen(compare_request(model, a, b)))


def ask_sweep(
    screen: Screen[Any],
    model: ModelEntry,
    entry: ProfileEntry,
    *,
    grid: str,
    budget: float,
    hardware: HardwareInfo | None,
    cursor_blink: bool,
) -> None:
    """Let the user edit the grid and budget (checked as they type), then sweep."""
    from .dialogs import ask_job_text
    from .sweep import SweepScreen

    ask_job_text(
        screen,
        f"Sweep {model.spec} from '{entry.name}'",
        "Axes KEY=V1,V2 and budget=SECONDS, separated by ';':",
        grid,
        lambda text: parse_sweep_text(text, budget),
        lambda text: screen.app.push_screen(
            SweepScreen(sweep_request(model, entry, text, budget, hardware))
        ),
        cursor_blink,
    )


# -- the engine requests ------------------------------------------------------------------


def _hardware_dict(hardware: HardwareInfo | None) -> dict[str, Any] | None:
    return hardware.to_dict() if hardware is not None else None


def run_request(
    model: ModelEntry, entry: ProfileEntry, hardware: HardwareInfo | None
) -> RunRequest:
    from ortbench_tui.bench.runner import RunRequest

    return RunRequest(
        model=model.spec,
        profile=entry.profile.copy(),
        label=f"{model.label} × {entry.name}",
        hardware=_hardware_dict(hardware),
        inputs=saved_inputs(model.spec),
    )


def trace_request(
    model: ModelEntry, entry: ProfileEntry, hardware: HardwareInfo | None
) -> RunRequest:
    """A run of TRACE_RUNS timed runs (never a duration) with ORT's profiler on."""
    from ortbench_tui.bench.runner import RunRequest
    from ortbench_tui.profile import apply_override

    profile = entry.profile.copy()
    for override in (f"run.timed_runs={TRACE_RUNS}", "run.duration_s=0"):
        profile = apply_override(profile, override)
    return RunRequest(
        model=model.spec,
        profile=profile,
        trace=True,
        label=f"{model.label} × {entry.name} (traced)",
        hardware=_hardware_dict(hardware),
        inputs=saved_inputs(model.spec),
    )


def working_providers(hardware: HardwareInfo | None) -> tuple[list[str] | None, str]:
    """The EPs that work here and why CUDA does not, when the hardware is known."""
    if hardware is None:
        return None, ""  # the job screens find out in a child process
    gpu = next((p.reason for p in hardware.providers if p.name == "CUDAExecutionProvider"), "")
    return list(hardware.working_providers), gpu


def practices_request(
    model: ModelEntry, entry: ProfileEntry, hardware: HardwareInfo | None
) -> PracticesRequest:
    from ortbench_tui.bench.compare.until import DecideSettings
    from ortbench_tui.bench.practices import PracticesRequest
    from ortbench_tui.bench.practices.run import DECIDE_BUDGET_S

    working, gpu = working_providers(hardware)
    return PracticesRequest(
        model=model.spec,
        base=entry.profile.copy(),
        working_providers=working,
        gpu_detail=gpu,
        inputs=saved_inputs(model.spec),
        # as `ortbench practices` by default: each fp32 row measured until it is decided
        until_decided=DecideSettings(DECIDE_BUDGET_S),
    )


def sweep_request(
    model: ModelEntry,
    entry: ProfileEntry,
    text: str,
    default_budget: float,
    hardware: HardwareInfo | None,
) -> SweepRequest:
    """The sweep the prompt's text asks for (`parse_sweep_text` has already accepted it)."""
    from ortbench_tui.bench.sweep import SweepRequest

    axes, budget = parse_sweep_text(text, default_budget)
    working, _gpu = working_providers(hardware)
    return SweepRequest(
        model=model.spec,
        base=entry.profile.copy(),
        axes=axes,
        budget_s=budget,
        working_providers=working,
        inputs=saved_inputs(model.spec),
        started=time.perf_counter(),  # the user's Enter: the EP probe before it starts counts
    )


def compare_request(model: str, a: Profile, b: Profile) -> CompareRequest:
    from ortbench_tui.bench.compare import CompareRequest

    return CompareRequest(model=model, profiles=[a, b], interleave=True, inputs=saved_inputs(model))


def default_grid(physical_cores: int | None, budget: float) -> str:
    """Threads 1..physical (at most four steps), IO binding off/on, basic vs all."""
    cores = max(int(physical_cores or 1), 1)
    if cores <= 4:
        threads = list(range(1, cores + 1))
    else:
        threads = sorted({1, cores // 4 or 1, cores // 2, cores})
    axes = [
        f"session.intra_op_num_threads={','.join(map(str, threads))}" if cores > 1 else "",
        "run.io_binding=false,true",
        "session.graph_optimization_level=basic,all",
    ]
    return " ; ".join([a for a in axes if a] + [f"budget={budget:g}"])


def ort_defaults(like: Profile) -> Profile:
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


def parse_sweep_text(text: str, default_budget: float) -> tuple[list[GridAxis], float]:
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
