"""The machine, as the workbench shows it: the header line, and how it is detected.

Probing EPs imports onnxruntime and creates sessions with fds 1 and 2 redirected (see
`quiet.native_output_captured`); inside the UI process that would swallow Textual's screen
updates (Textual draws to fd 2). So the UI uses the engine's `detect_isolated`, which runs
the probe in a child interpreter, and the UI process never imports onnxruntime for it.
"""

from __future__ import annotations

from typing import Any


def detect() -> Any:
    """HardwareInfo from a child process (raises OrtbenchError when that fails)."""
    from ortbench_tui.hardware import detect_isolated

    return detect_isolated()


def _gib(mb: int | None) -> str:
    return "?" if not mb else f"{mb / 1024:.0f} GiB"


def header_line(info: Any) -> str:
    """CPU, cores, memory, GPUs with SM counts, ORT version, the EPs that really work."""
    if info.gpus:
        gpus = []
        for g in info.gpus:
            sms = f"{g.sm_count} SMs" if g.sm_count else "SMs ?"
            gpus.append(f"{g.name} ({sms}, {_gib(g.memory_mb)})")
        gpu = ", ".join(gpus)
    else:
        gpu = "no GPU"
    eps = ", ".join(n.removesuffix("ExecutionProvider") for n in info.working_providers) or "none"
    return (
        f"{info.cpu_model} · {info.physical_cores} phys / {info.logical_cores} log cores · "
        f"{_gib(info.memory_mb)} · {gpu} · ORT {info.ort_version} · EPs: {eps}"
    )
