"""The short notes the profile editor shows beside each control, and the provider choices.

Plain functions over what this machine has (cores, working EPs), so they are tested without
a screen; the full documentation of a key is shown for the focused row instead.
"""

from __future__ import annotations

from typing import Any

from ortbench_tui.profile import PROVIDER_ALIASES, ep_full_name

from .form_fields import FieldSpec
from .formatting import short_ep

SHORT_HINTS = {
    "name": "also the file name for new files",
    "session.inter_op_num_threads": "0 = ORT default",
    "session.intra_op_thread_affinities": 'e.g. "1;2"',
    "session.config_entries": '{ "key" = "value" }',
    "provider.fallback": "EP names, e.g. cpu",
    "run.timed_runs": "used when duration_s = 0",
    "run.duration_s": "seconds; 0 = count timed_runs",
    "run.max_duration_s": "seconds at most, with until ±%",
    "run.input_sets": "distinct random inputs",
    "run.inputs_npz": "empty = random inputs",
}
OTHER_OPTIONS_HINT = "{ key = value } for options not listed above"


def field_hint(
    spec: FieldSpec,
    value: Any,
    physical_cores: int | None,
    logical_cores: int | None,
    working_providers: list[str] | None,
) -> str:
    """A short note beside the control of `spec` holding `value`."""
    if spec.kind == "bool":
        return "on" if value else "off"
    if spec.key == "intra_op_num_threads":
        cores = f"{physical_cores} cores" if physical_cores else "the physical cores"
        return f'"physical" = {cores} here · 0 = ORT default'
    if spec.kind == "provider":
        return provider_hint(str(value), working_providers)
    if spec.kind == "cpus":
        return cpus_hint(value, logical_cores)[0]
    if spec.path == "run.until_ci_pct":
        return until_hint(value)
    return SHORT_HINTS.get(spec.path, "")


def until_hint(value: Any) -> str:
    """run.until_ci_pct: an "until ±x%" run replaces runs/duration."""
    try:
        pct = float(value)
    except (TypeError, ValueError):
        return "until ±x% (p50's 95% CI); 0 = off"
    if pct > 0:
        return f"until p50 is known to ±{pct:g}% (runs/duration ignored)"
    return "until ±x% (p50's 95% CI); 0 = off"


def provider_hint(name: str, working_providers: list[str] | None) -> str:
    if working_providers is None:
        return "checking which EPs load here…"
    full = ep_full_name(name)
    works = ", ".join(short_ep(w) for w in working_providers)
    if full in working_providers:
        return f"{short_ep(full)} loads here"
    return f"⚠ {short_ep(full)} does not load here (working: {works})"


def cpus_hint(cpus: list[int], logical_cores: int | None) -> tuple[str, bool]:
    """(hint, warn): the CPUs this machine has, and any asked for that it has not."""
    if not logical_cores:
        return "CPU indices, e.g. 0, 1 · empty = not pinned", False
    top = logical_cores - 1
    bad = [c for c in cpus if c > top]
    if bad:
        return f"⚠ no CPU {', '.join(map(str, bad))} here (CPUs 0-{top})", True
    return f"CPU indices 0-{top}, e.g. 0, 1 · empty = not pinned", False


def dim_hint(name: str, unset: bool, symbolic_dims: list[str]) -> str:
    """Whether a free dimension is one of the model's, and whether the run lacks its value."""
    if name not in symbolic_dims:
        return "not a dim of the selected model"
    return "⚠ unset: the run needs a value" if unset else "symbolic dim of the model"


def provider_choices(current: str, working_providers: list[str] | None) -> list[tuple[str, str]]:
    """(label, name) for the provider Select; EPs that do not load here say so."""
    names = list(PROVIDER_ALIASES)
    if current not in names:
        names.append(current)
    out = []
    for name in names:
        label = name
        if working_providers is not None:
            works = ep_full_name(name) in working_providers
            label += "" if works else " (n/a here)"
        out.append((label, name))
    return out
