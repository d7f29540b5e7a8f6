"""The run panel: starts a measured run in the engine's worker process and streams it live.

The child process does the timing; a thread worker here reads its events (the run's store
counts the samples into a log histogram and per-batch sums as they arrive; the live view reads
that store) and posts a replaceable progress message. A timer
redraws the histogram, the run-index chart and the statistics from those at most ~10 times a
second, whatever the run rate and however long it has run (ARCHITECTURE.md §6.1: the UI must
not perturb the measurement; a frame costs the histogram's buckets and the batches, never the
samples).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.worker import get_current_worker

from ..charts import histogram_upper, live_throughput, stats_items
from ..formatting import Line, failed_lines, result_lines
from ..live import LiveSamples, RedrawThrottle
from ..run_phase import end_phase, planned_runs, position
from ..worker_errors import WorkerErrors
from .histogram import LatencyHistogram
from .notes import Notes
from .run_chart import RunIndexChart
from .run_position import RunPosition
from .stats_view import StatsView

if TYPE_CHECKING:
    import numpy as np

    from ortbench_tui.bench.ci_stop import CiWidthState
    from ortbench_tui.bench.result_record import RunResult
    from ortbench_tui.bench.results import Samples
    from ortbench_tui.bench.runner import RunRequest

    from ..workbench import RunJob, SaveResult, StartRun

Outcome: TypeAlias = "tuple[RunResult, np.ndarray, str | None, str | None]"
"""(result as saved, its record, samples, history file name, why it was not saved)."""

REDRAW_HZ = 10.0
CHART_INTERVAL_S = 0.5
"""The live histogram and run-index chart are redrawn at most this often (the figures and
the progress line at REDRAW_HZ): after the first seconds a chart's shape moves slowly, and its
~30 lines were most of the app's CPU at 10 frames a second."""


class RunPanel(WorkerErrors, Vertical):
    """Progress, live statistics, histogram and run-index chart of one run at a time."""

    DEFAULT_CSS = """
    RunPanel { height: 1fr; }
    RunPanel #run-notes-scroll { height: auto; max-height: 6; }
    """

    class Progress(Message):
        """The run moved on (phase and counts); replaceable, so a burst costs one redraw."""

        def __init__(
            self,
            phase: str,
            done: int,
            total: float | None,
            elapsed_s: float,
            eta_s: float | None = None,
        ) -> None:
            super().__init__()
            self.phase, self.done, self.total, self.elapsed_s = phase, done, total, elapsed_s
            self.eta_s = eta_s

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, RunPanel.Progress)

    class Finished(Message):
        """A run ended with a result (status ok, or cancelled with the partial samples)."""

        def __init__(
            self,
            result: RunResult,
            samples_ns: np.ndarray,
            saved: Path | None,
            save_error: str | None,
        ) -> None:
            super().__init__()
            self.result, self.samples_ns = result, samples_ns
            """The result's record as the engine built it (and saved it)."""
            self.saved, self.save_error = saved, save_error

    class Failed(Message):
        """A run did not give a result: bad input, a crashed worker, an ORT error."""

        def __init__(
            self,
            kind: str,
            message: str,
            partial: RunResult | None,
            saved: Path | None = None,
            save_error: str | None = None,
        ) -> None:
            super().__init__()
            self.kind, self.message, self.partial = kind, message, partial
            """What the run measured before it failed, read through its record."""
            self.saved, self.save_error = saved, save_error

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
        self._handle: RunJob | None = None
        self._cancel_requested = False
        self._request: RunRequest | None = None
        self.live = LiveSamples()
        self._drawn_version = -1
        self._throttle = RedrawThrottle(REDRAW_HZ)
        self._timer: Timer | None = None
        self._shown_phase = ""
        self.redraws = 0
        """How many times the live view was redrawn (the benchmarks and tests read it)."""
        self._charts_drawn_at = -CHART_INTERVAL_S
        self.last_result: RunResult | None = None
        self.outcome_key: tuple[str, str] | None = None
        """(model, profile name) of the run whose outcome the panel shows."""
        self.last_samples: np.ndarray | None = None
        self.outcomes: dict[tuple[str, str], Outcome] = {}
        """The last finished result of each (model, profile name) this session, so a switch
        back to a pair shows its figures, and a switch to another never shows these."""
        self.precision: CiWidthState | None = None
        """An "until ±x%" run: the rule's state at its last look (the live CI width)."""
        self.shifts: list[int] = []
        """Run indices where the latency shifted so far (marked in the run chart)."""

    def compose(self) -> ComposeResult:
        yield RunPosition("ready", id="run-position")
        yield StatsView(id="run-stats")
        yield LatencyHistogram(id="run-histogram")
        yield RunIndexChart(id="run-chart")
        with VerticalScroll(id="run-notes-scroll"):
            yield Notes(id="run-notes")

    def on_mount(self) -> None:
        self._timer = self.set_interval(1.0 / REDRAW_HZ, self._tick, pause=True)

    # -- public -------------------------------------------------------------------------------

    def start(self, request: RunRequest) -> None:
        """Start `request` (a RunRequest) in the engine's worker process."""
        if self.running:
            return
        self._request = request
        self.outcome_key = (request.model, request.profile.name)
        self._cancel_requested = False
        self._handle = None
        self.live = LiveSamples()
        self._drawn_version = -1
        self.last_result = self.last_samples = None
        self.precision, self.shifts = None, []
        self.running = True
        self._shown_phase = ""
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
        self._set_phase("stopping…", None, None)
        return True

    def show_pair(self, key: tuple[str, str] | None) -> bool:
        """Show the last result of `key` (True), or clear the figures when there is none."""
        if self.running:
            return False
        outcome = self.outcomes.get(key) if key is not None else None
        if outcome is None:
            self.outcome_key = None
            self.last_result = self.last_samples = None
            self._set_phase("ready", 0, 1)
            self.query_one(StatsView).show([])
            self.query_one(LatencyHistogram).clear()
            self.query_one(RunIndexChart).clear()
            return False
        result, samples, saved, save_error = outcome
        self.outcome_key = key
        self.last_result, self.last_samples = result, samples
        self._show_end_phase(result)
        self.show_result(result, samples, saved, save_error)
        return True

    def show_notes(self, lines: list[Line]) -> None:
        self.query_one(Notes).show(lines)

    def show_result(
        self,
        result: RunResult,
        samples_ns: np.ndarray | None,
        saved: str | None = None,
        save_error: str | None = None,
        live: LiveSamples | None = None,
    ) -> None:
        """Draw a finished result (live or from history) with its exact statistics. `live`:
        the run just streamed, whose histogram and batch sums stand in for samples that are
        missing (a failed run) or too many to read again (past a million runs)."""
        import msgspec

        figures: dict[str, object] = {**msgspec.to_builtins(result.latency_ms), "cv": result.cv}
        stats = {
            k: (v if isinstance(v, (int, float)) else float("nan")) for k, v in figures.items()
        }
        throughput = result.throughput_per_s
        self.query_one(StatsView).show(
            stats_items(stats, result.runs, throughput if isinstance(throughput, float) else None)
        )
        from ortbench_tui.bench.stats import EXACT_LIMIT

        recorded = [] if result.shifts is msgspec.UNSET else result.shifts
        runs = [s.get("run") for s in recorded if isinstance(s, dict)]
        shifts = [r for r in runs if isinstance(r, int)]
        upper = histogram_upper(stats, result.runs)
        exact = samples_ns is not None and samples_ns.size <= EXACT_LIMIT
        if live is not None and live.size and not exact:
            hist = live.histogram_copy()[1]
            self.query_one(LatencyHistogram).show(hist, stats.get("p50"), stats.get("p99"), upper)
            self.query_one(RunIndexChart).show_batches(*live.batch_sums(), shifts)
        else:
            self.query_one(LatencyHistogram).show(
                samples_ns, stats.get("p50"), stats.get("p99"), upper
            )
            self.query_one(RunIndexChart).show(samples_ns, shifts)
        self.show_notes(result_lines(result, saved, save_error))

    # -- the worker ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="bench", description="benchmark")
    def _stream(self, request: RunRequest) -> None:
        from ortbench_tui.bench.job import JobFailed
        from ortbench_tui.bench.runner import Finished
        from ortbench_tui.bench.sample_store import SampleStore
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
        # The run's store, when the handle has one: the live view reads its counts (each
        # sample is counted once), and a long run is linked from disk when saved.
        store = getattr(handle, "samples", None)
        store = store if isinstance(store, SampleStore) else None
        if store is not None:
            live.share(store)
        timed_posted = False
        for event in handle.events():
            if worker.is_cancelled and not handle.cancelled:
                handle.cancel()  # the app is closing: stop the child too
            if isinstance(event, Finished):
                kept = store if store is not None else event.samples_ns
                saved, save_error = self._save(event.result, kept)
                self.post_message(self.Finished(event.result, event.samples_ns, saved, save_error))
                return
            if isinstance(event, JobFailed):
                # A worker that died mid-run (killed, out of memory, a crashing EP) still
                # measured something: keep it in history like the CLI does.
                saved, save_error = (
                    self._save(event.partial, store)
                    if event.partial and store is not None
                    else (None, None)
                )
                self.post_message(
                    self.Failed(event.kind, event.message, event.partial, saved, save_error)
                )
                return
            if event.new_samples_ns is not None and not live.shared:
                live.extend(event.new_samples_ns)
            if event.precision is not None:
                self.precision = event.precision
            if event.shifts is not None:
                self.shifts = list(event.shifts)
            done = int(event.done)
            live.set_position(event.phase, done, event.total, event.elapsed_s, event.eta_s)
            if event.phase == "timed" and timed_posted:
                continue  # the redraw timer shows the timed phase from `live`
            timed_posted = event.phase == "timed"
            self.post_message(
                self.Progress(event.phase, done, event.total, event.elapsed_s, event.eta_s)
            )
        self.post_message(self.Failed("run", "the worker stopped without a result", None))

    def _save(self, result: RunResult, samples: Samples) -> tuple[Path | None, str | None]:
        """Keep the run in history (only runs that measured something, and not traced ones:
        the profiler's overhead is in their latency, as `ortbench trace` says too). The
        engine's save takes the record as the engine built it, so it is passed on untouched."""
        from msgspec import UNSET

        if self._save_result is None or not result.runs or result.trace is not UNSET:
            return None, None
        try:
            return self._save_result(result, samples), None
        except Exception as exc:  # a full disk, a read-only folder: say so, keep the result
            return None, str(exc)

    # -- handlers -----------------------------------------------------------------------------

    @on(Progress)
    def _on_progress(self, message: Progress) -> None:
        # During the timed phase the redraw timer shows the position (one repaint per tick);
        # here only the phases before it, and the switch into it.
        if not self.running or (message.phase == "timed" and self._shown_phase == "timed"):
            return
        self._show_position(
            message.phase, message.done, message.total, message.elapsed_s, message.eta_s
        )

    def _show_position(
        self,
        phase: str,
        done: int,
        total: float | None,
        elapsed_s: float,
        eta_s: float | None = None,
    ) -> None:
        self._shown_phase = phase
        if self._cancel_requested:
            self._set_phase("stopping…", None, None)
            return
        shown = position(
            phase,
            done,
            total,
            elapsed_s,
            request=self._request,
            timed_started_s=self.live.timed_started_s,
            precision=self.precision,
            eta_s=eta_s,
        )
        self._set_phase(*shown)

    def _set_phase(self, text: str, progress: float | None, total: float | None) -> None:
        """Phase text and progress bar (None: the bar stays); unchanged, no repaint."""
        self.query_one(RunPosition).show(text, progress, total)

    @on(Finished)
    def _on_finished(self, message: Finished) -> None:
        from msgspec import UNSET

        self._stop_timer()
        result = message.result
        self.last_result, self.last_samples = result, message.samples_ns
        self._show_end_phase(result)
        saved = message.saved.name if message.saved else None
        if self.outcome_key is not None and result.trace is UNSET:
            self.outcomes[self.outcome_key] = (
                result,
                message.samples_ns,
                saved,
                message.save_error,
            )
        self.show_result(result, message.samples_ns, saved, message.save_error, live=self.live)
        self.running = False

    def _show_end_phase(self, result: RunResult) -> None:
        text, bar = end_phase(result, self._planned_runs())
        if bar is None:
            self._set_phase(text, 1, 1)
            return
        self._set_phase(text, bar[1], bar[0])

    def _planned_runs(self) -> int | None:
        return planned_runs(self.live.total, self._request)

    @on(Failed)
    def _on_failed(self, message: Failed) -> None:
        self._stop_timer()
        streamed = self.live.size
        if message.partial is not None:  # the bar stays at the share measured
            self._show_end_phase(message.partial)
            self.show_result(message.partial, None, live=self.live)
        else:
            self._set_phase("bad input" if message.kind == "input" else "run failed", 0, 1)
            if streamed:
                self._draw_live()
        saved = message.saved.name if message.saved else None
        self.show_notes(
            failed_lines(
                message.kind,
                message.message,
                message.partial,
                streamed,
                saved,
                message.save_error,
            )
        )
        self.running = False

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    # -- the redraw timer ---------------------------------------------------------------------

    def _draw_live(self) -> int:
        """Statistics, histogram and run-index chart of the run so far; returns its version.

        All from the live log histogram (percentiles to 3 significant digits; mean, min and
        max exact) and the per-batch sums: a redraw costs the same at the sixtieth minute as
        at the first. The result's figures (exact up to a million runs) arrive at the end.
        """
        from ortbench_tui.bench.stats import summarize_histogram

        live = self.live
        version, hist = live.histogram_copy()
        stats = summarize_histogram(hist)
        rate = live_throughput(hist.count, live.elapsed_s, live.timed_started_s)
        self.query_one(StatsView).show(stats_items(stats, hist.count, rate))
        now = time.perf_counter()
        if now - self._charts_drawn_at >= CHART_INTERVAL_S:
            self._charts_drawn_at = now
            self.query_one(LatencyHistogram).show(
                hist, stats["p50"], stats["p99"], histogram_upper(stats, hist.count)
            )
            self.query_one(RunIndexChart).show_batches(*live.batch_sums(), self.shifts)
        note = "Esc stops the run and keeps the partial result"
        self.show_notes([("muted", note + " · live percentiles to 3 significant digits")])
        return version

    def _tick(self) -> None:
        live = self.live
        if live.version == self._drawn_version or not self._throttle.due():
            return
        self._throttle.start()
        size = live.size
        self._drawn_version = self._draw_live() if size else live.version
        self.redraws += 1
        # The position (progress messages of the timed phase are not drawn one by one).
        if size and not self._cancel_requested:
            self._show_position(live.phase, live.done, live.total, live.elapsed_s, live.eta_s)
