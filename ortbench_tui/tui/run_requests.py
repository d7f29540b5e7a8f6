"""Engine requests from what the main screen has selected: a run, a traced run, practices,
a sweep, a comparison. Plain functions (no Textual), so the screen only decides when."""

from __future__ import annotations

import time
from typing import Any

from ortbench_tui.errors import OrtbenchError

from .workspace import ModelEntry, ProfileEntry

TRACE_RUNS = 100
"""Timed runs of a traced run: enough to average node times, few enough to read the trace."""
SWEEP_BUDGET_S = 30.0
"""The default time budget of a sweep from `w` (the prompt lets the user change it)."""


def refusal(entry: ProfileEntry, title: str) -> tuple[str, str] | None:
    """(message, notification title) when this profile cannot be run as it is, else None."""
    if entry.error:
        return entry.error, "This profile cannot be used"
    if entry.invalid:
        return f"fix the invalid values first: {', '.join(sorted(entry.invalid))}", title
    return None


def saved_inputs(model: str) -> Any:
    """The inputs saved for this model by the inputs form (an empty spec when none);
    OrtbenchError when the saved file cannot be read."""
    from ortbench_tui.inputs.spec import InputSpec
    from ortbench_tui.inputs.store import load_saved_spec

    return load_saved_spec(model) or InputSpec()


def _hardware_dict(hardware: Any) -> dict[str, Any] | None:
    return hardware.to_dict() if hardware is not None else None


def run_request(model: ModelEntry, entry: ProfileEntry, hardware: Any) -> Any:
    from ortbench_tui.bench.runner import RunRequest

    return RunRequest(
        model=model.spec,
        profile=entry.profile.copy(),
        label=f"{model.label} × {entry.name}",
        hardware=_hardware_dict(hardware),
        inputs=saved_inputs(model.spec),
    )


def trace_request(model: ModelEntry, entry: ProfileEntry, hardware: Any) -> Any:
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


def working_providers(hardware: Any) -> tuple[list[str] | None, str]:
    """The EPs that work here and why CUDA does not, when the hardware is known."""
    if hardware is None:
        return None, ""  # the job screens find out in a child process
    gpu = next((p.reason for p in hardware.providers if p.name == "CUDAExecutionProvider"), "")
    return list(hardware.working_providers), gpu


def practices_request(model: ModelEntry, entry: ProfileEntry, hardware: Any) -> Any:
    from ortbench_tui.bench.practices import PracticesRequest

    working, gpu = working_providers(hardware)
    return PracticesRequest(
        model=model.spec,
        base=entry.profile.copy(),
        working_providers=working,
        gpu_detail=gpu,
        inputs=saved_inputs(model.spec),
    )


def sweep_request(
    model: ModelEntry, entry: ProfileEntry, text: str, default_budget: float, hardware: Any
) -> Any:
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


def compare_request(model: str, a: Any, b: Any) -> Any:
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
