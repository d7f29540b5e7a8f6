"""The parent side of a measured run: start the worker process, stream its events, build the result.

Used the same way by the CLI (`run_benchmark`, blocking) and by the TUI (`start_run` and
`RunHandle.events()` in a thread worker, `RunHandle.cancel()` from Esc).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import OrtbenchError, RunFailed
from ..profile import Profile, profile_to_dict
from .worker import worker_main

STOP_GRACE_S = 3.0
T = TypeVar("T")


@dataclass
class RunRequest:
    """One measured run: a model (path or sample:NAME), a profile, and what to keep."""

    model: str
    profile: Profile
    trace: bool = False
    label: str = ""
    hardware: dict[str, Any] | None = None
    """Detected by the caller with EP probing (the TUI has it); else the worker's own view."""


@dataclass
class Progress:
    """The worker's position: phase is first_run, warmup or timed."""

    phase: str
    done: int
    total: int | None
    elapsed_s: float
    new_samples_ns: np.ndarray | None = None


@dataclass
class Finished:
    result: dict[str, Any]
    samples_ns: np.ndarray


@dataclass
class Failed:
    """kind is "input" (the user can fix it, exit 2) or "run" (it broke mid-run, exit 1)."""

    kind: str
    message: str
    partial: dict[str, Any] | None = None


Event = Progress | Finished | Failed


class SampleBuffer:
    """Growing int64 storage for streamed samples (amortised doubling, no per-sample work)."""

    def __init__(self, capacity: int = 4096) -> None:
        self._data = np.empty(capacity, dtype=np.int64)
        self.size = 0

    def extend(self, batch: np.ndarray) -> None:
        need = self.size + batch.size
        if need > self._data.size:
            grown = np.empty(max(need, self._data.size * 2), dtype=np.int64)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size : need] = batch
        self.size = need

    def view(self) -> np.ndarray:
        return self._data[: self.size]


def death_message(exitcode: int | None, log_path: str) -> str:
    """Why a worker process ended without a result: the signal or exit code, and its last
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


def send_stop(conn: Any) -> None:
    """Ask a worker to stop after its current block; a worker already gone needs nothing."""
    try:
        conn.send("stop")
    except (OSError, BrokenPipeError):
        pass


def close_worker(process: Any, conn: Any, log_path: str, cancelling: bool) -> None:
    """Reap a worker: give it time to finish (more when it was asked to stop), then kill it;
    close the pipe and remove its log."""
    if process.is_alive():
        process.join(STOP_GRACE_S if cancelling else 0.5)
    if process.is_alive():
        process.kill()
        process.join(1.0)
    conn.close()
    Path(log_path).unlink(missing_ok=True)


def traces_dir() -> Path:
    """Raw ORT profiler traces are kept beside the history (open them in Perfetto)."""
    from .results import results_dir

    folder = results_dir().parent / "traces"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ensure_spawn_ready() -> None:
    """Start multiprocessing's resource tracker now: started lazily from inside a Textual app
    it fails (`bad value(s) in fds_to_keep`, stderr has fileno -1)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


class RunHandle:
    """A running worker process. Iterate `events()`; call `cancel()` from any thread."""

    def __init__(self, request: RunRequest, target: Callable[..., None] = worker_main) -> None:
        """`target` is the child's entry point; tests swap in one that crashes on purpose."""
        from ..models import file_sha256
        from ..samples import resolve_model

        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        fd, self.log_path = tempfile.mkstemp(prefix="ortbench-worker-", suffix=".log")
        os.close(fd)
        self.profiling_prefix = str(traces_dir() / "ort") if request.trace else None
        child_request = {
            "model_path": str(self.model_path),
            "profile": profile_to_dict(request.profile),
            "profiling_prefix": self.profiling_prefix,
        }
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe(duplex=True)
        self.process = ctx.Process(
            target=target, args=(child_conn, child_request, self.log_path), daemon=True
        )
        self.started = time.perf_counter()
        self.process.start()
        child_conn.close()
        self._cancel_at: float | None = None
        self.samples = SampleBuffer()
        self.meta: dict[str, Any] = {}

    def cancel(self) -> None:
        """Ask the worker to stop after its current batch (~100 ms); partial results are kept."""
        if self._cancel_at is None:
            self._cancel_at = time.perf_counter()
            send_stop(self._conn)

    @property
    def cancelled(self) -> bool:
        return self._cancel_at is not None

    def _death_message(self) -> str:
        return death_message(self.process.exitcode, self.log_path)

    def events(self, poll_s: float = 0.05) -> Iterator[Event]:
        """Yield progress until the run finishes, fails, or the worker dies."""
        profile = self.request.profile
        timed_total = None if profile.run.duration_s > 0 else profile.run.timed_runs
        try:
            while True:
                if self._cancel_at and time.perf_counter() - self._cancel_at > STOP_GRACE_S:
                    self.process.kill()
                if not self._conn.poll(poll_s):
                    if not self.process.is_alive() and not self._conn.poll(0):
                        yield Failed("run", self._death_message(), self._partial())
                        return
                    continue
                try:
                    msg = self._conn.recv()
                except (EOFError, OSError):
                    self.process.join(1.0)
                    yield Failed("run", self._death_message(), self._partial())
                    return
                elapsed = time.perf_counter() - self.started
                kind = msg[0]
                if kind == "meta":
                    self.meta = msg[1]
                elif kind == "progress":
                    yield Progress(msg[1], msg[2], msg[3], elapsed)
                elif kind == "batch":
                    self.samples.extend(msg[2])
                    yield Progress("timed", self.samples.size, timed_total, elapsed, msg[2])
                elif kind == "done":
                    result = self._build(msg[1])
                    yield Finished(result, self.samples.view().copy())
                    return
                elif kind == "error":
                    yield Failed(msg[1], msg[2], self._partial())
                    return
        finally:
            self.close()

    def _partial(self) -> dict[str, Any] | None:
        """What a failed or killed run still measured, marked as such."""
        if not self.samples.size:
            return None
        return self._build({"cancelled": self.cancelled, "failed": True, "warnings": []})

    def _build(self, final: dict[str, Any]) -> dict[str, Any]:
        from .results import build_result

        return build_result(
            model_spec=self.request.model,
            model_path=self.model_path,
            model_sha256=self.model_sha256,
            profile=self.request.profile,
            meta=self.meta,
            final=final,
            samples_ns=self.samples.view(),
            hardware=self.request.hardware,
        )

    def close(self) -> None:
        close_worker(self.process, self._conn, self.log_path, self._cancel_at is not None)


def start_run(request: RunRequest) -> RunHandle:
    """Spawn the worker for `request` (bad model paths fail here, before any process starts)."""
    return RunHandle(request)


def drain(
    events: Iterable[Any], done: type[T], on_event: Callable[[Any], None] | None, what: str
) -> T:
    """Follow an event stream to its end: return the `done` event; raise OrtbenchError for bad
    input and RunFailed for a failed run. Shared by run, compare, sweep and practices."""
    for event in events:
        if on_event:
            on_event(event)
        if isinstance(event, done):
            return event
        if isinstance(event, Failed):
            if event.kind == "input":
                raise OrtbenchError(event.message)
            raise RunFailed(event.message)
    raise RunFailed(f"the {what} stopped without a result")


def run_benchmark(request: RunRequest, on_event: Callable[[Event], None] | None = None) -> Finished:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drain(start_run(request).events(), Finished, on_event, "worker")
