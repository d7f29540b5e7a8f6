"""The whole machine in one record: what `ortbench detect` shows and every result carries."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from ..errors import OrtbenchError
from ..text import first_line
from .cpu import (
    cpu_freq_mhz,
    cpu_governor,
    cpu_model_name,
    load_avg,
    logical_cores,
    memory_mb,
    physical_cores,
)
from .nvidia import GpuInfo, detect_gpus
from .providers import ProviderProbe, probe_providers, unprobed_providers


@dataclass
class HardwareInfo:
    cpu_model: str
    physical_cores: int
    logical_cores: int
    memory_mb: int
    cpu_governor: str | None
    cpu_freq_mhz: float | None
    load_avg: tuple[float, float, float] | None
    gpus: list[GpuInfo]
    gpu_status: str
    ort_version: str
    providers: list[ProviderProbe]
    os: str
    python: str

    @property
    def working_providers(self) -> list[str]:
        return [p.name for p in self.providers if p.works]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the `hardware` section of result files and `ortbench detect --json`."""
        return {
            "cpu_model": self.cpu_model,
            "physical_cores": self.physical_cores,
            "logical_cores": self.logical_cores,
            "memory_mb": self.memory_mb,
            "cpu_governor": self.cpu_governor,
            "cpu_freq_mhz": self.cpu_freq_mhz,
            "load_avg": list(self.load_avg) if self.load_avg is not None else None,
            "gpus": [g.to_dict() for g in self.gpus],
            "gpu_status": self.gpu_status,
            "ort_version": self.ort_version,
            "providers": [p.to_dict() for p in self.providers],
            "working_providers": self.working_providers,
            "os": self.os,
            "python": self.python,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HardwareInfo:
        """The inverse of to_dict (for `detect_isolated` and saved results)."""
        load = data.get("load_avg")
        return cls(
            cpu_model=data["cpu_model"],
            physical_cores=data["physical_cores"],
            logical_cores=data["logical_cores"],
            memory_mb=data["memory_mb"],
            cpu_governor=data.get("cpu_governor"),
            cpu_freq_mhz=data.get("cpu_freq_mhz"),
            load_avg=tuple(load) if load else None,
            gpus=[GpuInfo(**g) for g in data.get("gpus", [])],
            gpu_status=data.get("gpu_status", ""),
            ort_version=data.get("ort_version", ""),
            providers=[ProviderProbe(**p) for p in data.get("providers", [])],
            os=data.get("os", ""),
            python=data.get("python", ""),
        )


def machine_fingerprint(hardware: dict[str, Any]) -> dict[str, Any]:
    """What must match for two measurements to be compared, from a `to_dict` record: the ORT
    version and the machine (CPU model, cores, GPUs and driver where known). Baselines and
    saved best profiles record it."""
    gpus = hardware.get("gpus") or []
    return {
        "ort_version": str(hardware.get("ort_version") or ""),
        "cpu_model": str(hardware.get("cpu_model") or ""),
        "physical_cores": hardware.get("physical_cores"),
        "logical_cores": hardware.get("logical_cores"),
        "gpus": sorted(str(g.get("name")) for g in gpus),
        "gpu_driver": next((str(g.get("driver")) for g in gpus if g.get("driver")), ""),
    }


def detect_isolated(timeout_s: float = 60.0) -> HardwareInfo:
    """`detect()` in a child process: for the UI process, which must neither import
    onnxruntime (start-up time) nor redirect its own fd 2 while Textual draws there."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ortbench_tui", "detect", "--json", "-"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise OrtbenchError(
                f"hardware detection failed (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-500:] or 'no output'}"
            )
        return HardwareInfo.from_dict(json.loads(proc.stdout))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError) as exc:
        raise OrtbenchError(f"hardware detection failed: {exc}") from None


def _ort_version() -> str:
    try:
        from ..quiet import import_onnxruntime

        ort = import_onnxruntime()

        return str(ort.__version__)
    except Exception as exc:
        return f"unavailable ({first_line(exc)})"


def detect(probe_eps: bool = True) -> HardwareInfo:
    """Everything `ortbench detect` shows. Without `probe_eps`, reuse a cached probe if any."""
    if probe_eps or probe_providers.cache_info().currsize:
        providers = probe_providers()
    else:
        providers = unprobed_providers()
    gpus, gpu_status = detect_gpus()
    return HardwareInfo(
        cpu_model=cpu_model_name(),
        physical_cores=physical_cores(),
        logical_cores=logical_cores(),
        memory_mb=memory_mb(),
        cpu_governor=cpu_governor(),
        cpu_freq_mhz=cpu_freq_mhz(),
        load_avg=load_avg(),
        gpus=gpus,
        gpu_status=gpu_status,
        ort_version=_ort_version(),
        providers=list(providers),
        os=platform.platform(),
        python=platform.python_version(),
    )
