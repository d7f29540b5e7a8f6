"""The run panel: starts a measured run in the engine's worker process and streams it live.

The child process does the timing; a thread worker here reads its events, appends the
samples to a shared buffer and posts a replaceable progress message. A timer redraws the
histogram, the run-index chart and the statistics from the buffer at most ~10 times a
second, whatever the run rate (DESIGN 5: the UI must not perturb the measurement).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Label, ProgressBar
from textual.worker import get_current_worker

from ..charts import live_throughput, stats_items
from ..formatting import Line, result_lines
from ..live import LiveSamples, RedrawThrottle
from .histogram import LatencyHistogram
from .notes import Notes
from .run_chart import RunIndexChart
from .stats_view import StatsView

StartRun = Callable[[Any], Any]
"""RunRequest -> a handle with events() and cancel() (the engine's start_run, or a fake)."""
SaveResult = Callable[[dict[str, Any], np.ndarray], Path]

REDRAW_HZ = 10.0


def _summarize(samples: np.ndarray) -> dict[str, float]:
    from ortbench_tui.bench.stats import summarize

    return summarize(samples)


class RunPanel(Vertical):
    """Progress, live statistics, histogram and run-index chart of one run at a time."""

    DEFAULT_CSS = """
    RunPanel { height: 1fr; }
    RunPanel #run-progress-row { height: 1; }
    RunPanel #run-phase { width: 24; color: $text-muted; }
    RunPanel ProgressBar { width: 1fr; }
    RunPanel ProgressBar Bar { width: 1fr; }
    RunPanel #run-notes-scroll { height: auto; max-height: 6; }
    """

    class Progress(Message):
        """The run moved on (phase and counts); replaceable, so a burst costs one redraw."""

        def __init__(self, phase: str, done: int, total: int | None, elapsed_s: float) -> None:
            super().__init__()
            self.phase, self.done, self.total, self.elapsed_s = phase, done, total, elapsed_s

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RunPanel.Progress)

    class Finished(Message):
        """A run ended with a result (status ok, or cancelled with the partial samples)."""

        def __init__(
            self,
            result: dict[str, Any],
            samples_ns: np.ndarray,
            saved: Path | None,
            save_error: str | None,
        ) -> None:
            super().__init__()
            self.result, self.samples_ns = result, samples_ns
            self.saved, self.save_error = saved, save_error

    class Failed(Message):
        """A run did not give a result: bad input, a crashed worker, an ORT error."""

        def __init__(self, kind: str, message: str, partial: dict[str, Any] | None) -> None:
            super().__init__()
            self.kind, self.message, self.partial = kind, message, partial

    running: reactive[bool] = reactive(False, init=False)
    """True from `start` until the worker's last event has been handled."""

    def __init__(
        self,
        start_run: StartRun,
        save_result: SaveResult | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._start_run = start_run
        self._save_result = save_result
        self._handle: Any = None
        self._cancel_requested = False
        self._request: Any = None
        self.live = LiveSamples()
        self._drawn_version = -1
        self._throttle = RedrawThrottle(REDRAW_HZ)
        self._timer: Timer | None = None
        self.redraws = 0
        """How many times the live view was redrawn (the benchmarks and tests read it)."""
        self.last_result: dict[str, Any] | None = None
        self.last_samples: np.ndarray | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="run-progress-row"):
            yield Label("ready", id="run-phase")
            yield ProgressBar(total=1, show_eta=False, id="run-progress")
        yield StatsView(id="run-stats")
        yield LatencyHistogram(id="run-histogram")
        yield RunIndexChart(id="run-chart")
        with VerticalScroll(id="run-notes-scroll"):
            yield Notes(id="run-notes")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1.0 / REDRAW_HZ, self._tick, pause=True)

    # -- public -------------------------------------------------------------------------------

    def start(self, request: Any) -> None:
        """Start `request` (a RunRequest) in the engine's worker process."""
        if self.running:
            return
        self._request = request
        self._cancel_requested = False
        self._handle = None
        self.live = LiveSamples()
        self._drawn_version = -1
        self.last_result = self.last_samples = None
        self.running = True
        self._set_phase("starting…", 0, 1)
        self.query_one(StatsView).show([])
        self.query_one(LatencyHistogram).clear()
        self.query_one(RunIndexChart).clear()
        self.show_notes([("muted", "starting the worker process…")])
        if self._timer is not None:
            self._timer.resume()
        self._stream(request)

    def cancel(self) -> bool:
        """Ask the child to stop after its current batch; the partial result is kept."""
        if not self.running:
            return False
        self._cancel_requested = True
        handle = self._handle
        if handle is not None:
            handle.cancel()
        self.query_one("#run-phase", Label).update("stopping…")
        return True

    def show_notes(self, lines: list[Line]) -> None:
        self.query_one(Notes).show(lines)

    def show_result(
        self,
        result: dict[str, Any],
        samples_ns: np.ndarray | None,
        saved: str | None = None,
        save_error: str | None = None,
    ) -> None:
        """Draw a finished result (live or from history) with its exact statistics."""
        stats = {**(result.get("latency_ms") or {}), "cv": result.get("cv")}
        stats = {k: (v if isinstance(v, (int, float)) else float("nan")) for k, v in stats.items()}
        self.query_one(StatsView).show(
            stats_items(stats, int(result.get("runs") or 0), result.get("throughput_per_s"))
        )
        samples = samples_ns if samples_ns is not None else np.empty(0, dtype=np.int64)
        self.query_one(LatencyHistogram).show(samples, stats.get("p50"), stats.get("p99"))
        self.query_one(RunIndexChart).show(samples)
        self.show_notes(result_lines(result, saved, save_error))

    # -- the worker ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="bench", description="benchmark")
    def _stream(self, request: Any) -> None:
        from ortbench_tui.bench.runner import Failed, Finished
        from ortbench_tui.errors import OrtbenchError

        worker = get_current_worker()
        try:
            handle = self._start_run(request)
        except OrtbenchError as exc:
            self.post_message(self.Failed("input", str(exc), None))
            return
        self._handle = handle
        if self._cancel_requested:
            handle.cancel()
        live = self.live
        for event in handle.events():
            if worker.is_cancelled and not handle.cancelled:
                handle.cancel()  # the app is closing: stop the child too
            if isinstance(event, Finished):
                saved, save_error = self._save(event.result, event.samples_ns)
                self.post_message(self.Finished(event.result, event.samples_ns, saved, save_error))
                return
            if isinstance(event, Failed):
                self.post_message(self.Failed(event.kind, event.message, event.partial))
                return
            if event.new_samples_ns is not None:
                live.extend(event.new_samples_ns)
            live.set_position(event.phase, event.done, event.total, event.elapsed_s)
            self.post_message(self.Progress(event.phase, event.done, event.total, event.elapsed_s))
        self.post_message(self.Failed("run", "the worker stopped without a result", None))

    def _save(
        self, result: dict[str, Any], samples: np.ndarray
    ) -> tuple[Path | None, str | None]:
        """Keep the run in history (only runs that measured something)."""
        if self._save_result is None or not result.get("runs"):
            return None, None
        try:
            return self._save_result(result, samples), None
        except Exception as exc:  # a full disk, a read-only folder: say so, keep the result
            return None, str(exc)

    # -- handlers -----------------------------------------------------------------------------

    @on(Progress)
    def _on_progress(self, message: Progress) -> None:
        if not self.running:
            return
        self._show_position(message.phase, message.done, message.total, message.elapsed_s)

    def _show_position(self, phase: str, done: int, total: int | None, elapsed_s: float) -> None:
        if self._cancel_requested:
            self.query_one("#run-phase", Label).update("stopping…")
            return
        if phase == "first_run":
            self._set_phase("first run…", 0, 1)
        elif phase == "warmup":
            self._set_phase(f"warm-up {done}/{total}", done, total or 1)
        elif total is not None:
            self._set_phase(f"timed {done}/{total}", done, total)
        else:
            duration = float(self._request.profile.run.duration_s) if self._request else 0.0
            started = self.live.timed_started_s or elapsed_s
            spent = min(max(elapsed_s - started, 0.0), duration)
            self._set_phase(f"timed {spent:.1f}/{duration:g} s", spent, duration or 1)

    def _set_phase(self, text: str, progress: float, total: float) -> None:
        self.query_one("#run-phase", Label).update(text)
        self.query_one(ProgressBar).update(total=total, progress=progress)

    @on(Finished)
    def _on_finished(self, message: Finished) -> None:
        self._stop_timer()
        result = message.result
        self.last_result, self.last_samples = result, message.samples_ns
        status = result.get("status", "ok")
        runs = int(result.get("runs") or 0)
        label = "done" if status == "ok" else f"{status} after {runs} runs"
        bar_total = max(runs, 1)
        self._set_phase(label, bar_total if status == "ok" else runs, bar_total)
        saved = message.saved.name if message.saved else None
        self.show_result(result, message.samples_ns, saved, message.save_error)
        self.running = False

    @on(Failed)
    def _on_failed(self, message: Failed) -> None:
        self._stop_timer()
        what = "bad input" if message.kind == "input" else "run failed"
        self._set_phase(what, 0, 1)
        lines: list[Line] = [("error", f"✗ {what}: {message.message}")]
        if message.partial:
            runs = message.partial.get("runs", 0)
            lines.append(("warning", f"partial result from {runs} runs (not saved)"))
            self.show_result(message.partial, self.live.snapshot()[1])
            lines += result_lines(message.partial)
        self.show_notes(lines)
        self.running = False

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    # -- the redraw timer ---------------------------------------------------------------------

    def _tick(self) -> None:
        live = self.live
        if live.version == self._drawn_version or not self._throttle.due():
            return
        started = self._throttle.start()
        version, samples = live.snapshot()
        self._drawn_version = version
        if samples.size:
            stats = _summarize(samples)
            rate = live_throughput(samples.size, live.elapsed_s, live.timed_started_s)
            self.query_one(StatsView).show(stats_items(stats, int(samples.size), rate))
            self.query_one(LatencyHistogram).show(samples, stats["p50"], stats["p99"])
            self.query_one(RunIndexChart).show(samples)
            self.show_notes([("muted", "Esc stops the run and keeps the partial result")])
        self.redraws += 1
        self._throttle.finish(started)
        # Keep the phase line current even when progress messages were coalesced away.
        if samples.size and not self._cancel_requested:
            self._show_position(live.phase, live.done, live.total, live.elapsed_s)
        self._last_tick = time.perf_counter()
