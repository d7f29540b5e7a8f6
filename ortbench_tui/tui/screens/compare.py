"""Compare: two or more profiles on one model, live (interleaved by default) or from files.

A self-contained screen: give it a `CompareRequest` (a live comparison, run in a thread
worker that reads the engine's event stream) or result file paths (offline). It shows the
table of `ortbench compare` (medians, p99s, ratio of medians with its 95% CI, verdict), the
histograms of all profiles overlaid (one colour per profile, bars side by side per bin, on
one log-spaced axis), the verdict sentences, the method and the warnings.

Keys: escape stops a running comparison (what was measured is kept and compared) or goes
back; m writes the table as Markdown, c as CSV (in the export folder, and copied to the
clipboard), r runs the comparison again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Static

from ortbench_tui.bench.buffer import SampleBuffer
from ortbench_tui.text import format_ms

from ..columns import Column, fill_table
from ..keys import bindings
from ..literal import Cell, literal
from ..widgets.overlay_histogram import OverlayHistogram

if TYPE_CHECKING:
    from ortbench_tui.bench.compare import CompareRequest
    from ortbench_tui.bench.compare.model import Comparison

from .job_screen import JobScreen, Start, export_name

REDRAW_S = 0.1
"""The live histogram redraws at most ten times a second (ARCHITECTURE.md §6.1)."""
TABLE_COLUMNS = (
    Column("#", 0),
    Column("profile", 4, min_width=14, flex=True),
    Column("runs", 6),
    Column("median", 1),
    Column("p99", 3),
    Column("vs A (95% CI)", 1),
    Column("verdict", 2),
)
"""The engine's table columns (#, profile, runs, median, p99, vs A, verdict), chosen by the
width: the verdict and the ratio first; long profile names shortened in the middle."""


VERDICT_COLOURS = {"faster": "green", "slower": "red", "equal within margin": "cyan"}
"""A decided verdict's colour; "no clear difference" stays plain."""


# --- the screen ------------------------------------------------------------------------------


class ComparisonScreen(JobScreen["CompareRequest | None"]):
    """A live or offline comparison with verdicts, overlaid histograms and exports."""

    WORKER_GROUP = "compare"
    TITLE_ID = "#cmp-title"
    STATUS_ID = "#cmp-notes"
    FAILED_TITLE = "Comparison failed"

    BINDINGS = bindings("compare")

    DEFAULT_CSS = """
    ComparisonScreen #cmp-title { height: 1; background: $panel; padding: 0 1; }
    ComparisonScreen #cmp-table { height: auto; max-height: 8; }
    ComparisonScreen OverlayHistogram { height: 1fr; min-height: 6; padding: 0 1; }
    ComparisonScreen #cmp-notes-scroll { height: auto; max-height: 7; padding: 0 1; }
    """

    class Progressed(Message):
        """The comparison moved on (coalesced: only the newest waits in the queue)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ComparisonScreen.Progressed)

    class Done(JobScreen.Done):
        """A comparison is ready, with every profile's samples (or failed: `error`)."""

        def __init__(
            self,
            comparison: Comparison | None = None,
            samples: list[np.ndarray] | None = None,
            error: str | None = None,
        ) -> None:
            super().__init__(comparison, error)
            self.comparison, self.samples = comparison, samples

    def __init__(
        self,
        request: CompareRequest | None = None,
        *,
        result_paths: list[Path] | None = None,
        start: Start[CompareRequest | None] | None = None,
        export_dir: Path | None = None,
    ) -> None:
        """`request`: a CompareRequest for a live run; or `result_paths` for saved results.
        `start` makes the run (default `bench.compare.start_compare`); `export_dir` is where
        m and c offer to write (default: the data dir's exports)."""
        super().__init__(request, start)
        if (request is None) == (result_paths is None):
            raise ValueError("give a CompareRequest or result paths, not both")
        self.result_paths = [Path(p) for p in result_paths] if result_paths else None
        self.export_dir = Path(export_dir) if export_dir else None
        self.comparison: Comparison | None = None
        self._live: list[SampleBuffer] = []
        self._drawn_versions: list[int] = []
        self.exported: list[Path] = []
        self._rows: Sequence[Sequence[Cell]] = []

    @property
    def labels(self) -> list[str]:
        if self.request is not None:
            from ortbench_tui.bench.compare import LETTERS, unique_names

            names = unique_names(self.request.profiles)
        elif self.comparison is not None:
            return [f"{p.label} {p.name}" for p in self.comparison.profiles]
        else:
            return []
        return [f"{LETTERS[i % 26]} {n}" for i, n in enumerate(names)]

    def compose(self) -> ComposeResult:
        yield Static(literal(self._title("starting…")), id="cmp-title")
        table: DataTable[str] = DataTable(cursor_type="row", id="cmp-table")
        yield table
        yield OverlayHistogram(id="cmp-histogram")
        with VerticalScroll(id="cmp-notes-scroll"):
            yield Static("", id="cmp-notes")
        yield Footer()

    def _title(self, status: str) -> str:
        if self.request is not None:
            mode = "interleaved" if self.request.interleave else "sequential"
            what = f"{self.request.model} · {len(self.request.profiles)} profiles · {mode}"
        else:
            what = f"{len(self.result_paths or [])} saved results"
        return f"Compare · {what} · {status}"

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._fill([])
        table.focus()
        self.set_interval(REDRAW_S, self._redraw_live)
        self._begin()

    def _begin(self) -> None:
        self.comparison = None
        self.running = True
        self._fill([])
        self.query_one("#cmp-notes", Static).update("")
        if self.request is not None:
            self._live = [SampleBuffer() for _ in self.request.profiles]
            self._drawn_versions = []
            self.query_one(OverlayHistogram).show([], self.labels)
            self._run_live()
        else:
            self._run_offline()
        self.refresh_bindings()

    # -- workers ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP)
    def _run_live(self) -> None:
        from ortbench_tui.bench.compare import start_compare

        request = self.request
        assert request is not None  # a live comparison has its request
        self._pump(
            lambda: self._start(request) if self._start else start_compare(request),
            self._live_event,
            "the comparison stopped without a result",
        )

    def _live_event(self, ev: object) -> bool:
        """One event of a live comparison (in the worker); True when it is the result."""
        from ortbench_tui.bench.compare import CompareFinished, CompareProgress

        if isinstance(ev, CompareProgress):
            if ev.new_samples_ns is not None and ev.profile is not None:
                self._live[ev.profile].extend(ev.new_samples_ns)
            self.post_message(self.Progressed(ev.line()))
        elif isinstance(ev, CompareFinished):
            self.post_message(self.Done(ev.comparison, ev.samples))
            return True
        return False

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP)
    def _run_offline(self) -> None:
        from ortbench_tui.bench.compare import compare_files
        from ortbench_tui.bench.results import load_samples
        from ortbench_tui.errors import OrtbenchError

        paths: list[str | Path] = list(self.result_paths or [])
        try:
            comp, _ = compare_files(paths)
        except OrtbenchError as exc:
            self.post_message(self.Done(error=str(exc)))
            return
        samples = []
        for p in self.result_paths or []:
            try:
                s = load_samples(p)
            except (OSError, ValueError):
                s = None
            samples.append(np.empty(0, np.int64) if s is None else np.asarray(s, np.int64))
        self.post_message(self.Done(comp, samples))

    # -- updates ------------------------------------------------------------------------------

    def _redraw_live(self) -> None:
        if not self.running or self.request is None:
            return
        if [buffer.version for buffer in self._live] == self._drawn_versions:
            return
        snapshots = [buffer.snapshot() for buffer in self._live]
        self._drawn_versions = [version for version, _ in snapshots]
        samples = [s for _, s in snapshots]
        self.query_one(OverlayHistogram).show(samples, self.labels)
        rows = []
        for label, s in zip(self.labels, samples, strict=True):
            med = format_ms(float(np.median(s)) / 1e6) if s.size else "-"
            p99 = format_ms(float(np.percentile(s, 99)) / 1e6) if s.size else "-"
            rows.append((label[0], label[2:], str(s.size), med, p99, "…", "measuring"))
        self._fill(rows)

    def _fill(self, rows: Sequence[Sequence[Cell]]) -> None:
        self._rows = rows
        table = self.query_one(DataTable)
        fill_table(table, TABLE_COLUMNS, rows, self.size.width, [str(i) for i in range(len(rows))])

    def on_resize(self) -> None:
        self._fill(self._rows)

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        self._set_title(event.text)

    @on(Done)
    def _done(self, event: Done) -> None:
        if self._finished(event.error):
            return
        comparison = event.comparison
        assert comparison is not None  # a Done without an error carries its comparison
        self.comparison = comparison
        self._show(comparison, event.samples or [])

    def _show(self, comp: Comparison, samples: list[np.ndarray]) -> None:
        from ortbench_tui.bench.compare import table_rows

        rows = []
        for i, row in enumerate(table_rows(comp)):
            cells: list[Cell] = list(row)
            pair = comp.pairs[i - 1] if i else None
            if pair is not None and pair.verdict in VERDICT_COLOURS:
                colour = VERDICT_COLOURS[pair.verdict]
                cells[-1] = Text(row[-1], style=f"bold {colour}")
            rows.append(tuple(cells))
        self._fill(rows)
        self.query_one(OverlayHistogram).show(samples, self.labels)
        notes = Text()
        for pair in comp.pairs:
            notes.append(pair.sentence() + "\n")
            if pair.differs:
                notes.append("  differs: " + "; ".join(pair.differs[:4]) + "\n", style="dim")
        notes.append(f"CI: {comp.method}\n", style="dim")
        for w in comp.warnings:
            notes.append(f"⚠ {w}\n", style="yellow")
        self.query_one("#cmp-notes", Static).update(notes)
        status = "done" if not any("cancelled" in w for w in comp.warnings) else "cancelled"
        self._set_title(status)

    # -- actions ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return True if self.comparison is not None else None
        if action == "rerun":
            return True if (self.request is not None and not self.running) else None
        return True

    def action_rerun(self) -> None:
        if self.request is not None and not self.running:
            self._begin()

    def action_export(self, kind: str) -> None:
        from ortbench_tui.bench.compare import comparison_csv, comparison_markdown

        if self.comparison is None:
            self.notify("nothing to export yet", severity="warning")
            return
        text = (
            comparison_markdown(self.comparison)
            if kind == "md"
            else comparison_csv(self.comparison)
        )
        self._export(self.export_dir, export_name("compare", kind), text, self.exported.append)
