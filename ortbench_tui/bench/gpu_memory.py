"""The measuring process's own GPU memory, sampled while it runs.

NVML (the `pynvml` module of the optional nvidia-ml-py package) lists the compute processes
on each GPU with the memory each uses; this process's entry, read at batch boundaries, gives
a peak that counts neither other processes nor a second CUDA context. Without NVML the
figure is None and `note` says why: a device-wide figure is never reported in its place.
"""

from __future__ import annotations

import os
from typing import Any


class GpuMemorySampler:
    """Max over samples of this process's GPU memory (MiB) on every visible GPU."""

    def __init__(self, on_gpu: bool) -> None:
        self.peak_mb: float | None = None
        self.note: str | None = None
        self._nvml: Any = None
        self._handles: list[Any] = []
        if not on_gpu:
            self.note = "no GPU execution provider in use"
            return
        try:
            import pynvml
        except ImportError:
            self.note = "not measured: install nvidia-ml-py for per-process GPU memory"
            return
        try:
            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            self._handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        except Exception as exc:  # NVML raises its own NVMLError family
            self.note = f"not measured: NVML unavailable ({exc})"
            return
        self._nvml = pynvml

    def sample(self) -> None:
        """Read this process's GPU memory now (between batches, never inside the timed loop)."""
        if self._nvml is None:
            return
        pid = os.getpid()
        used = 0
        try:
            for handle in self._handles:
                for proc in self._nvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    if proc.pid == pid and proc.usedGpuMemory is not None:
                        used += int(proc.usedGpuMemory)
        except Exception as exc:
            self.note = f"not measured: NVML query failed ({exc})"
            self._nvml = None
            return
        if used:
            mb = used / 2**20
            self.peak_mb = mb if self.peak_mb is None else max(self.peak_mb, mb)

    def finish(self) -> tuple[float | None, str | None]:
        """(peak MiB or None, why it is None or None); shuts NVML down."""
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception:
                pass
            self._nvml = None
            if self.peak_mb is None and self.note is None:
                # NVML hides per-process figures in some containers (no PID namespace access).
                self.note = "not measured: NVML listed no GPU memory for this process"
        return self.peak_mb, self.note
