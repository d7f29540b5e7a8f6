"""The one entry point of every measuring child process (single runs, interleaved
comparisons, curves): redirect its native output to the log the parent reads, prepare it
(ORT's logger quiet, CPUs pinned where the profile asks), run the job's body, turn any
failure into an `Error` message, flush and close. `bench/worker.py`, `bench/interleave.py`
and `bench/curve/worker.py` each plug in only their body.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from .protocol import Error
from .run_inputs import run_error_message

if TYPE_CHECKING:
    from ..feeds import PreparedInputs


class Prepares(Protocol):
    """A measurement, as far as a failure's message needs it: the inputs it prepared."""

    prepared: PreparedInputs | None


R = TypeVar("R")
"""The child's request: a `protocol` TypedDict (RunChildRequest, InterleaveChildRequest, ...)."""


@dataclass
class ChildContext(Generic[R]):
    """What a child's body gets: the pipe, the request, and where to list the measurements
    it builds (a failure is explained with the inputs they prepared)."""

    conn: Any
    request: R
    measurements: Sequence[Prepares] = field(default_factory=list)

    def prepared(self) -> PreparedInputs | None:
        return next((m.prepared for m in self.measurements if m.prepared), None)


def run_child(
    conn: Any,
    request: R,
    log_path: str,
    pin_cpus: list[int],
    body: Callable[[ChildContext[R]], None],
) -> None:
    """Run `body` as the child's whole life: redirect, prepare, body, error, flush, close."""
    # Ctrl-C and a hang-up reach the whole foreground process group of the terminal, this
    # child included (a killed tmux session, a dropped SSH client). The parent decides what
    # they mean: it stops this child with a Stop and keeps the partial measurement. A child
    # that died of the signal first (or raised KeyboardInterrupt mid-batch) would race the
    # parent and could lose that partial. If the parent itself is gone, the pipe's end stops
    # this child (StopListener); a parent that gets no answer kills it after its grace.
    for signum in (signal.SIGHUP, signal.SIGINT):
        signal.signal(signum, signal.SIG_IGN)
    redirect_native_output(log_path)
    child = ChildContext(conn, request)
    try:
        prepare_child(pin_cpus)
        body(child)
    except Exception as exc:
        send_error(conn, exc, child.prepared())
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        conn.close()


def redirect_native_output(log_path: str) -> None:
    """Send this process's fd 1 and 2 (ORT's C++ noise) to a log the parent can read."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def prepare_child(pin_cpus: list[int]) -> None:
    """Quiet ORT's logger and pin this process where the profile asks."""
    import onnxruntime as ort

    from ..errors import OrtbenchError

    ort.set_default_logger_severity(3)
    if pin_cpus:
        try:
            os.sched_setaffinity(0, pin_cpus)
        except (OSError, ValueError) as exc:
            message = f"run.pin_cpus = {pin_cpus}: cannot pin the worker: {exc}"
            raise OrtbenchError(message) from None


def send_error(conn: Any, exc: Exception, prepared: PreparedInputs | None = None) -> None:
    """Bad input is the user's to fix ("input", exit 2); anything else is a failed run ("run",
    exit 1) whose traceback goes to the worker's log for the parent to quote. ORT failing
    on the inputs fed is explained with them (bench.run_inputs.run_error_message)."""
    from ..errors import OrtbenchError, RunFailed

    if isinstance(exc, OrtbenchError):
        conn.send(Error("input", str(exc)))
        return
    if isinstance(exc, RunFailed):  # ortbench's own sentence: never "ortbench_tui.errors..."
        print(traceback.format_exc(), file=sys.stderr)
        conn.send(Error("run", str(exc)))
        return
    explained = run_error_message(exc, prepared)
    if explained is not None:
        print(traceback.format_exc(), file=sys.stderr)
        conn.send(Error("run", explained))
        return
    print(traceback.format_exc(), file=sys.stderr)
    conn.send(Error("run", "".join(traceback.format_exception_only(exc)).strip()))
