"""The parent's handle on one measuring child process: spawn, read, stop, reap.

Used by single runs (`bench.runner.RunHandle`) and by interleaved comparisons
(`bench.compare`). The child writes its stderr (ORT's native noise, Python tracebacks) to a
log file; when it dies without a word, the last lines of that log say why.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .parent import ensure_spawn_ready
from .protocol import ChildMessage, Done, Error, Stop

STOP_GRACE_S = 3.0
"""How long a child asked to stop may take before it is killed."""


@dataclass(frozen=True)
class Idle:
    """Not sent by the child: nothing came for `idle_s` (only when messages() asks for it)."""


@dataclass(frozen=True)
class ChildDied:
    """Not sent by the child: the parent saw it gone without a Done or an Error."""

    message: str


def death_message(exitcode: int | None, log_path: str) -> str:
    """Why a child process ended without a result: the signal or exit code, and its last
    log lines (its stderr, where ORT and Python write what went wrong)."""
    if exitcode is not None and exitcode < 0:
        try:
            how = f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"killed by signal {-exitcode}"
        if exitcode == -signal.SIGKILL:
            how += " (out of memory?)"
    else:
        how = f"exited with code {exitcode}"
    try:
        lines = Path(log_path).read_text(errors="replace").strip().splitlines()
    except OSError:
        lines = []
    tail = "\n".join(lines[-6:])
    return f"the worker process died ({how})" + (f"; its last output:\n{tail}" if tail else "")


def peak_rss_mb(pid: int | None) -> float | None:
    """A live process's peak resident set (VmHWM) in MiB, read by its parent so a run that
    dies still reports it; None where /proc is not there (not Linux) or the process is gone."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def send_stop(conn: Any) -> None:
    """Ask a child to stop after its current block; a child already gone needs nothing."""
    try:
        conn.send(Stop())
    except (OSError, BrokenPipeError):
        pass


class ChildProcess:
    """One spawn-context child running `target(conn, request, log_path)`."""

    def __init__(
        self, target: Callable[..., None], request: Mapping[str, Any], log_prefix: str
    ) -> None:
        fd, self.log_path = tempfile.mkstemp(prefix=log_prefix, suffix=".log")
        os.close(fd)
        ensure_spawn_ready()  # from a thread of a running Textual app too
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=target, args=(child_conn, request, self.log_path), daemon=True
        )
        self._cancel_at: float | None = None
        self._grace_s = STOP_GRACE_S
        self.killed_after_stop = False
        """The parent killed it: asked to stop, it did not within the grace (stuck in ORT)."""
        try:
            self.process.start()
        except BaseException:  # no child, so nothing else would remove its log
            Path(self.log_path).unlink(missing_ok=True)
            raise
        finally:
            child_conn.close()

    def cancel(self, grace_s: float = STOP_GRACE_S) -> None:
        """Ask the child to stop; it is killed if it has not finished `grace_s` later (0 when
        it cannot listen, e.g. inside ORT's session creation: then nothing is lost)."""
        if self._cancel_at is None:
            self._cancel_at = time.perf_counter()
            send_stop(self._conn)
        self._grace_s = min(self._grace_s, grace_s)

    @property
    def cancelled(self) -> bool:
        return self._cancel_at is not None

    def send(self, message: Any) -> None:
        """Another parent -> child message (a StopUnit); a child already gone needs nothing."""
        try:
            self._conn.send(message)
        except (OSError, BrokenPipeError):
            pass

    def death_message(self) -> str:
        return death_message(self.process.exitcode, self.log_path)

    def messages(
        self, poll_s: float = 0.05, idle_s: float | None = None
    ) -> Iterator[ChildMessage | ChildDied | Idle]:
        """The child's messages up to its Done or Error, or ChildDied; then the child is reaped.
        With `idle_s`, an Idle every `idle_s` without a message (for clocks that must tick)."""
        last = time.perf_counter()
        try:
            while True:
                if self._cancel_at and time.perf_counter() - self._cancel_at >= self._grace_s:
                    self.killed_after_stop = True
                    self.process.kill()
                if not self._conn.poll(poll_s):
                    if not self.process.is_alive() and not self._conn.poll(0):
                        yield ChildDied(self.death_message())
                        return
                    if idle_s is not None and time.perf_counter() - last >= idle_s:
                        last = time.perf_counter()
                        yield Idle()
                    continue
                last = time.perf_counter()
                try:
                    msg: ChildMessage = self._conn.recv()
                except (EOFError, OSError):
                    self.process.join(1.0)
                    yield ChildDied(self.death_message())
                    return
                yield msg
                if isinstance(msg, Done | Error):
                    return
        finally:
            self.close()

    def close(self) -> None:
        """Give the child time to finish (more when it was asked to stop), then kill it;
        close the pipe and remove its log."""
        if self.process.is_alive():
            self.process.join(STOP_GRACE_S if self.cancelled else 0.5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1.0)
        self._conn.close()
        Path(self.log_path).unlink(missing_ok=True)
