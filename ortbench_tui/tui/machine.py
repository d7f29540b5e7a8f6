"""The machine, as the workbench shows it: the header line, and how it is detected.

Probing EPs imports onnxruntime and creates sessions with fds 1 and 2 redirected (see
`quiet.native_output_captured`); inside the UI process that would swallow Textual's screen
updates (Textual draws to fd 2). So the UI uses the engine's `detect_isolated`, which runs
the probe in a child interpreter, and the UI process never imports onnxruntime for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ortbench_tui.hardware import HardwareInfo


def detect() -> HardwareInfo:
    """HardwareInfo from a child process (raises OrtbenchError when that fails)."""
    from ortbench_tui.hardware import detect_isolated

    return detect_isolated()


def header_line(info: HardwareInfo) -> str:
    """CPU, cores, memory, GPUs with SM counts, ORT version, the EPs that really work."""
    from ortbench_tui.hardware import one_line_summary

    return one_line_summary(info)
