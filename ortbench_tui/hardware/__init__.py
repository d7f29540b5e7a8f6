"""What machine the numbers come from, and which ORT execution providers really work on it.

CPU and memory facts live in `cpu`, GPU detection in `nvidia`, EP probing in `providers`, the
whole-machine record in `machine` and its text in `report`. This module re-exports the public
names, so `from ortbench_tui.hardware import ...` is the one import callers need. Engine
package: never imports Textual.
"""

from __future__ import annotations

from .cpu import logical_cores, physical_cores
from .machine import HardwareInfo, detect, detect_isolated, machine_fingerprint
from .nvidia import GpuInfo, detect_gpus, parse_nvidia_smi
from .providers import ProviderProbe, failure_reason, probe_providers
from .report import format_hardware, one_line_summary

__all__ = [
    "GpuInfo",
    "HardwareInfo",
    "ProviderProbe",
    "detect",
    "detect_gpus",
    "detect_isolated",
    "failure_reason",
    "format_hardware",
    "logical_cores",
    "machine_fingerprint",
    "one_line_summary",
    "parse_nvidia_smi",
    "physical_cores",
    "probe_providers",
]
