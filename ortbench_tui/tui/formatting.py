"""Words for what the screens show: a result's outcome lines, a profile's summary, a model's.

Plain functions returning (severity, text) lines or strings; no Textual, so they are tested
directly and the widgets only choose colours by severity. A result is read as its record
(`bench.result_record.RunResult`), imported lazily like the engine's modules: this module is
on the first frame's path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ortbench_tui.profile import Profile, ep_full_name
from ortbench_tui.text import format_ms, human_bytes, human_count

if TYPE_CHECKING:
    from ortbench_tui.bench.ci_stop import CiWidthState
    from ortbench_tui.bench.result_record import RunResult
    from ortbench_tui.dims import Dim
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.models import ModelInfo

    from .workspace import ProfileEntry

Line = tuple[str, str]
"""(severity, text); severity is one of ok, info, muted, warning, error."""


def short_ep(name: str) -> str:
    return name.removesuffix("ExecutionProvider") or name


def when(created: str) -> str:
    """'2026-05-09T07:35:25+00:00' -> '2026-05-09 07:35' (the file's own clock, UTC)."""
    return created.replace("T", " ")[:16] if created else "?"


def _ms(value: object) -> str:
    return format_ms(float(value)) if isinstance(value, (int, float)) else "-"


def active_eps(result: RunResult) -> list[str]:
    """The EPs that ran the session, as the result recorded them ([] when it did not)."""
    from msgspec import UNSET

    providers = result.providers
    if providers is UNSET or providers.active is UNSET:
        return []
    return list(providers.active)


def provider_line(result: RunResult) -> Line:
    """Active EPs against the request; a fallback is an error line."""
    from msgspec import UNSET

    providers = result.providers
    fell_back = providers is not UNSET and providers.fallback is True
    wanted = ep_full_name(str(result.profile.get("provider", {}).get("name", "cpu")))
    active = active_eps(result)
    shown = ", ".join(short_ep(a) for a in active) or "none"
    if active and active[0] == wanted and not fell_back:
        return ("ok", f"EPs: {shown} (as requested)")
    return ("error", f"EPs: FALLBACK: asked for {short_ep(wanted)}, ran on {shown}")


def accuracy_notes(result: RunResult) -> list[Line]:
    """A reduced-precision run's accuracy against fp32, one line per output."""
    from msgspec import UNSET

    accuracy = result.accuracy
    if accuracy is UNSET or not accuracy:
        return []
    # Lazily: the precision module is the engine's; the UI imports it only when it has to.
    from ortbench_tui.precision import accuracy_lines

    precision = (result.profile.get("run") or {}).get("precision", "")
    head = f"accuracy of {precision} vs fp32" if precision else "accuracy vs fp32"
    severity = "error" if accuracy.get("error") else "info"
    lines: list[Line] = [(severity, f"{head} · {line}") for line in accuracy_lines(accuracy)]
    quantization = result.quantization
    if isinstance(quantization, dict):
        from ortbench_tui.precision.int8 import quantization_note

        none = quantization.get("quantized_nodes") == 0
        lines.append(("warning" if none else "info", f"int8 · {quantization_note(quantization)}"))
    return lines


def stop_lines(result: RunResult) -> list[Line]:
    """An "until ±x%" run: what stopped it (precision reached, or its time cap) and the CI."""
    stopping = result.stopping
    if not isinstance(stopping, dict) or stopping.get("rule") != "precision":
        return []
    from ortbench_tui.bench.run_watch import describe_stop

    try:
        text = describe_stop(stopping)
    except (KeyError, TypeError, ValueError):  # a hand-edited history file
        return [("warning", "⚠ stopped by its precision rule (its record is incomplete)")]
    reached = stopping.get("stopped_by") == "precision reached"
    return [("ok" if reached else "warning", text)]


def ci_width_label(state: CiWidthState | None, target_pct: float, spent_s: float) -> str:
    """The run panel's phase label while an "until ±x%" run goes (24 columns at most)."""
    half = getattr(state, "half_width", None)
    now = f"±{half:.1%}" if half is not None else "…"
    return f"until ±{target_pct:g}%: {now} · {spent_s:.0f} s"[:24]


def memory_text(result: RunResult) -> str:
    """`peak RSS 212 MiB · GPU memory 1.2 GiB peak` as the CLI prints it; the GPU part says
    why when it was not measured (no GPU, or no NVML)."""
    rss = result.rss_peak_mb
    text = f"peak RSS {rss:.0f} MiB" if isinstance(rss, (int, float)) else "peak RSS n/a"
    gpu = result.gpu_mem_peak_mb
    active = (active_eps(result) or ["CPUExecutionProvider"])[0]
    note = result.gpu_mem_note
    if isinstance(gpu, (int, float)):
        text += f" · GPU memory peak {gpu:.0f} MiB"
    elif isinstance(note, str) and note and active != "CPUExecutionProvider":
        text += f" · GPU memory: {note}"
    return text


def result_status(result: RunResult) -> str:
    """ok, cancelled or failed (a file without a status is ok)."""
    from msgspec import UNSET

    return "ok" if result.status is UNSET else result.status


def result_warnings(result: RunResult) -> list[str]:
    """The run's warnings ([] for a file without any)."""
    from msgspec import UNSET

    return [] if result.warnings is UNSET else result.warnings


def result_lines(
    result: RunResult, saved: str | None = None, save_error: str | None = None
) -> list[Line]:
    """What a finished (or cancelled) run says under its histogram."""
    from msgspec import UNSET

    lines: list[Line] = []
    status = result_status(result)
    if status == "cancelled":
        lines.append(("warning", f"cancelled: partial result from {result.runs} runs"))
    lines.append(provider_line(result))
    lines += accuracy_notes(result)
    if result.trace is not UNSET:
        lines.append(
            ("muted", "traced run: the latency includes the profiler's overhead (not saved)")
        )
    threads = result.intra_op_threads
    warmup = 0 if result.warmup_runs is UNSET else result.warmup_runs
    timing = (
        f"create {_ms(result.session_create_ms)} · first run "
        f"{_ms(result.first_run_ms)} · {result.runs} runs after "
        f"{warmup} warm-up"
    )
    if threads is not None and threads is not UNSET:
        timing += f" · intra-op threads {threads}"
    lines.append(("info", timing))
    lines.append(("info", memory_text(result)))
    lines += stop_lines(result)
    for warning in result_warnings(result):
        if warning.startswith("cancelled:"):
            continue
        severity = "error" if warning.startswith("FALLBACK:") else "warning"
        lines.append((severity, f"⚠ {warning}" if severity == "warning" else f"✗ {warning}"))
    if saved:
        lines.append(("muted", f"saved to history as {saved}"))
    if save_error:
        lines.append(("error", f"✗ not saved to history: {save_error}"))
    return lines


def profile_summary(profile: Profile, physical_cores: int | None) -> list[tuple[str, str]]:
    """(label, value) pairs of the settings that matter most, for the main screen."""
    s, p, r = profile.session, profile.provider, profile.run
    threads = s.intra_op_num_threads
    if threads == "physical":
        threads_text = f"physical ({physical_cores})" if physical_cores else "physical"
    else:
        threads_text = "ORT default" if threads == 0 else str(threads)
    timed = f"{r.duration_s:g} s" if r.duration_s > 0 else f"{r.timed_runs} runs"
    on = {True: "on", False: "off"}
    pairs = [
        ("provider", p.name + (f" +{len(p.options)} opt" if p.options else "")),
        ("opt level", s.graph_optimization_level),
        ("intra-op", threads_text),
        ("inter-op", "ORT default" if s.inter_op_num_threads == 0 else str(s.inter_op_num_threads)),
        ("mode", s.execution_mode),
        ("spinning", on[s.allow_spinning]),
        ("arena", on[s.enable_cpu_mem_arena]),
        ("mem pattern", on[s.enable_mem_pattern]),
        ("io binding", on[r.io_binding]),
        ("precision", r.precision),
        ("warm-up", str(r.warmup_runs)),
        ("timed", timed),
    ]
    if s.free_dimensions:
        pairs.append(("free dims", " ".join(f"{k}={v}" for k, v in s.free_dimensions.items())))
    if r.pin_cpus:
        pairs.append(("pin cpus", ",".join(map(str, r.pin_cpus))))
    return pairs


def _shape(shape: list[Dim], has_shape: bool = True) -> str:
    if not has_shape:
        return "[?]"
    return "[" + ", ".join("?" if d is None else str(d) for d in shape) + "]"


def model_lines(info: ModelInfo) -> list[Line]:
    """A model's details as lines: inputs, outputs, symbolic dims, opset, size, nodes, params."""
    lines: list[Line] = []
    for tensor in info.inputs:
        lines.append(
            (
                "info",
                f"in  {tensor.name}: {tensor.type_text} {_shape(tensor.shape, tensor.has_shape)}",
            )
        )
    for tensor in info.outputs:
        lines.append(
            ("info", f"out {tensor.name}: {tensor.dtype} {_shape(tensor.shape, tensor.has_shape)}")
        )
    if info.input_dims:  # output dims follow from the inputs': nothing to size
        lines.append(("warning", "symbolic dims: " + ", ".join(info.input_dims)))
    lines.append(
        (
            "muted",
            f"opset {info.opset} · {human_bytes(info.file_size_bytes)} · "
            f"{info.node_count} nodes · {human_count(info.parameter_count)} params",
        )
    )
    top = list(info.op_type_counts.items())[:4]
    if top:
        lines.append(("muted", "ops: " + ", ".join(f"{op}×{n}" for op, n in top)))
    return lines


def failed_lines(
    kind: str,
    message: str,
    partial: RunResult | None,
    streamed_runs: int,
    saved: str | None = None,
    save_error: str | None = None,
) -> list[Line]:
    """Why a run gave no full result, and what it measured before (kept in history as a
    partial result when the worker got that far)."""
    what = "bad input" if kind == "input" else "run failed"
    lines: list[Line] = [("error", f"✗ {what}: {message}")]
    if partial is not None:
        runs = partial.runs
        kept = f"saved as {saved}" if saved else f"not saved: {save_error or 'history is off'}"
        lines.append(("warning", f"partial result from {runs} runs ({kept})"))
        lines += result_lines(partial)
    elif streamed_runs:
        lines.append(
            ("warning", f"{streamed_runs} runs were measured before it failed (not saved)")
        )
    return lines


def entry_readiness(
    entry: ProfileEntry | None, symbolic_dims: list[str], hardware: HardwareInfo | None
) -> list[Line]:
    """`readiness_lines` of a profile list entry (a workspace ProfileEntry, or None)."""
    if entry is None:
        return [("warning", "⚠ no profile selected")]
    if entry.error:
        return [("error", f"✗ {entry.error}")]
    return readiness_lines(
        entry.profile,
        entry.invalid,
        symbolic_dims,
        hardware.working_providers if hardware is not None else None,
        hardware.logical_cores if hardware is not None else None,
    )


def readiness_lines(
    profile: Profile,
    invalid: dict[str, str],
    symbolic_dims: list[str],
    working_providers: list[str] | None,
    logical_cores: int | None,
) -> list[Line]:
    """Why this model and profile may not run, said before `r` is pressed."""
    from ortbench_tui.session import profile_problems

    lines: list[Line] = []
    for key, reason in sorted(invalid.items()):
        lines.append(("error", f"✗ invalid {key}: {reason}"))
    for problem in profile_problems(profile):
        lines.append(("error", f"✗ {problem}"))
    missing = [d for d in symbolic_dims if d not in profile.session.free_dimensions]
    if missing:
        lines.append(
            (
                "warning",
                "⚠ input dims without a size: "
                + ", ".join(missing)
                + " (size them in the inputs form: I)",
            )
        )
    want = profile.provider_ep
    if working_providers is not None and want not in working_providers:
        allowed = {ep_full_name(n) for n in profile.provider.fallback}
        works = ", ".join(short_ep(w) for w in working_providers) or "none"
        if allowed & set(working_providers):
            lines.append(
                (
                    "warning",
                    f"⚠ {short_ep(want)} does not load here; the run falls back (working: {works})",
                )
            )
        else:
            lines.append(("error", f"✗ {short_ep(want)} does not load here (working: {works})"))
    if logical_cores:
        bad = [c for c in profile.run.pin_cpus if c >= logical_cores]
        if bad:
            lines.append(
                ("error", f"✗ run.pin_cpus {bad}: this machine has CPUs 0-{logical_cores - 1}")
            )
    return lines


def inputs_text(inputs: object) -> str:
    """`x float32 [1, 3, 224, 224]; mask int64 [1, 128]` from a result's `inputs` records."""
    if not isinstance(inputs, list):
        return ""
    parts = []
    for record in inputs:
        if not isinstance(record, dict):
            continue
        shape = record.get("shape")
        dims = ", ".join(str(d) for d in shape) if isinstance(shape, list) else "?"
        parts.append(f"{record.get('name', '?')} {record.get('dtype', '?')} [{dims}]")
    return "; ".join(parts)
