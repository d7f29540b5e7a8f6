"""Keep ONNX Runtime's native noise off the terminal, and keep it readable for reasons.

ORT's C++ logger writes to fd 2, and the Python package prints its "EP Error ... Falling
back" banner for TensorRT with `print()`, i.e. to fd 1 via whatever `sys.stdout` is. Under
pytest or Textual `sys.stdout`/`sys.stderr` are Python objects with no usable fileno, so the
capture works on the raw fds 1 and 2 with dup/dup2 and swaps the Python streams as well.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_FDS = (1, 2)


@dataclass
class Captured:
    """What the block wrote to fds 1 and 2 (and sys.stdout/sys.stderr); filled on exit."""

    text: str = ""


def _fd_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _flush_python_streams() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # a closed or exotic stream must not break the capture
            pass


@contextlib.contextmanager
def native_output_captured() -> Iterator[Captured]:
    """Redirect fds 1 and 2 (and sys.stdout/err) into a temp file for the block.

    Restores everything even when the block raises. Fds that are not open are left alone.
    Note: Textual draws to fd 2, so in a running TUI this also swallows screen updates for
    the duration; keep such blocks short or run them before the app starts.
    """
    captured = Captured()
    _flush_python_streams()
    with tempfile.TemporaryFile() as sink:
        saved: dict[int, int] = {}
        old_out, old_err = sys.stdout, sys.stderr
        # Python-level writes go to the same file through their own fd (closed at exit).
        py_stream = io.TextIOWrapper(
            os.fdopen(os.dup(sink.fileno()), "wb", buffering=0),
            encoding="utf-8",
            errors="replace",
            line_buffering=True,
            write_through=True,
        )
        try:
            for fd in _FDS:
                if _fd_open(fd):
                    saved[fd] = os.dup(fd)
                    os.dup2(sink.fileno(), fd)
            sys.stdout = sys.stderr = py_stream
            yield captured
        finally:
            with contextlib.suppress(Exception):
                py_stream.flush()
            sys.stdout, sys.stderr = old_out, old_err
            for fd, copy in saved.items():
                os.dup2(copy, fd)
                os.close(copy)
            with contextlib.suppress(Exception):
                py_stream.close()
            sink.seek(0)
            captured.text = sink.read().decode("utf-8", errors="replace")


def import_onnxruntime() -> Any:
    """onnxruntime, imported the first time with fds 1 and 2 captured: building its
    environment at import writes warnings straight to fd 2 (with a read-only HOME: "Failed to
    persist telemetry device ID", from ORT's telemetry_1ds.cc), past any logger severity."""
    if "onnxruntime" not in sys.modules:
        with native_output_captured():
            import onnxruntime  # noqa: F401
    return sys.modules["onnxruntime"]


_logging_quieted = False


def quiet_ort_logging() -> None:
    """Raise ORT's default logger to ERROR once, so warnings stop cluttering terminals."""
    global _logging_quieted
    if _logging_quieted:
        return
    import_onnxruntime().set_default_logger_severity(3)
    _logging_quieted = True
