"""The machine, as the workbench learns it: detection in a subprocess, and its header line.

Probing EPs imports onnxruntime and creates sessions with fds 1 and 2 redirected (see
`quiet.native_output_captured`); inside the UI process that would swallow Textual's screen
updates (Textual draws to fd 2). So the probe runs in `python -m ortbench_tui detect --json`
style subprocess, and the UI process never imports onnxruntime for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from ortbench_tui.errors import OrtbenchError

DETECT_CODE = (
    "import json, sys\n"
    "from ortbench_tui.hardware import detect\n"
    "sys.stdout.write(json.dumps(detect(probe_eps=True).to_dict()))\n"
)


def hardware_from_dict(data: dict[str, Any]) -> Any:
    """Rebuild a HardwareInfo from its to_dict() (the engine has no from_dict yet)."""
    from ortbench_tui.hardware import GpuInfo, HardwareInfo, ProviderProbe

    load = data.get("load_avg")
    return HardwareInfo(
        cpu_model=str(data.get("cpu_model", "unknown CPU")),
        physical_cores=int(data.get("physical_cores") or 1),
        logical_cores=int(data.get("logical_cores") or 1),
        memory_mb=int(data.get("memory_mb") or 0),
        cpu_governor=data.get("cpu_governor"),
        cpu_freq_mhz=data.get("cpu_freq_mhz"),
        load_avg=tuple(load) if load else None,  # type: ignore[arg-type]
        gpus=[GpuInfo(**g) for g in data.get("gpus", [])],
        gpu_status=str(data.get("gpu_status", "")),
        ort_version=str(data.get("ort_version", "?")),
        providers=[ProviderProbe(**p) for p in data.get("providers", [])],
        os=str(data.get("os", "")),
        python=str(data.get("python", "")),
    )


def detect_in_subprocess(timeout_s: float = 120.0) -> Any:
    """`detect(probe_eps=True)` in a child interpreter; raises OrtbenchError on failure."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", DETECT_CODE],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=timeout_s, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise OrtbenchError(f"hardware detection failed: {exc}") from None
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise OrtbenchError(f"hardware detection failed: {tail[0]}")
    try:
        return hardware_from_dict(json.loads(proc.stdout))
    except (ValueError, TypeError) as exc:
        raise OrtbenchError(f"hardware detection gave unreadable output: {exc}") from None


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
