"""Open-loop load: response time under traffic at a rate, live.

Opened from the main screen (`o`, or "Open-loop load" in the palette) after a prompt for the
rates and settings (`rate=500,1000; workers=1; duration=10; arrivals=poisson`, or
`slo=p99=1ms` without a rate for the --find-max search). While a step runs: the response-time
histogram of the step so far, p99 and queue depth over time (one bar per ~0.1 s), offered
against achieved rate; a table row per finished step. Esc stops the step, keeps what it
measured, and ends the job; m writes the table as Markdown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import numpy as np
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ortbench_tui.errors import OrtbenchError

from ..charts import EIGHTHS
from ..keys import bindings
from ..literal import literal
from ..widgets.histogram import LatencyHistogram
from .job_screen import JobScreen, Start, export_name

if TYPE_CHECKING:
    from ortbench_tui.bench.job import JobFailed
    from ortbench_tui.bench.load import (
        LoadFinished,
        LoadLive,
        LoadRequest,
        LoadStepDone,
        Mix,
        Slo,
        StepSummary,
    )
    from ortbench_tui.profile import Profile

    from ..workspace import ModelEntry, ProfileEntry

COLUMNS = ("profile", "offered/s", "achieved/s", "resp p50", "resp p99", "serv p99", "kept up",
           "SLO")  # fmt: skip
ORDER = (0, 1, 2, 3, 5, 8, 12, 13)
"""`bench.load.report.step_row` columns as shown here (80 columns)."""
DEFAULT_TEXT = "rate=1000; workers=1; duration=10; arrivals=poisson"
HISTORY_TICKS = 600
"""Live ticks (about 0.1 s each) kept for the p99 and queue-depth bars."""
LIVE_SAMPLES = 200_000
"""Response times of the current step kept for the live histogram (the newest)."""


class LoadSettings(TypedDict, total=False):
    """The LoadRequest fields the prompt's text sets (the others keep their defaults)."""

    rates: list[float]
    slo: Slo
    mix: Mix
    workers: int
    seed: int
    duration_s: float
    arrivals: str


def parse_load_text(text: str) -> LoadSettings:
    """`rate=500,1000; workers=2; duration=5; arrivals=constant; slo=p99=1ms;
    mix=sequence=16:50,64:50` -> the LoadRequest fields they set."""
    from ortbench_tui.bench.load import ARRIVALS, parse_mix, parse_rates, parse_slo

    out: LoadSettings = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise OrtbenchError(f"{part!r}: expected KEY=VALUE, e.g. rate=1000")
        if key == "rate":
            out["rates"] = parse_rates(value)
        elif key == "slo":
            out["slo"] = parse_slo(value)
        elif key == "mix":
            out["mix"] = parse_mix(value)
        elif key in ("workers", "seed"):
            try:
                n = int(value)
            except ValueError:
                raise OrtbenchError(f"{key}={value}: expected a whole number") from None
            if n < (1 if key == "workers" else 0):
                raise OrtbenchError(f"{key}={value}: too small")
            if key == "workers":
                out["workers"] = n
            else:
                out["seed"] = n
        elif key == "duration":
            try:
                d = float(value)
            except ValueError:
                raise OrtbenchError(f"duration={value}: expected seconds, e.g. 10") from None
            if not d > 0:
                raise OrtbenchError(f"duration={value}: expected seconds above 0")
            out["duration_s"] = d
        elif key == "arrivals":
            if value not in ARRIVALS:
                raise OrtbenchError(f"arrivals={value}: expected one of {', '.join(ARRIVALS)}")
            out["arrivals"] = value
        else:
            raise OrtbenchError(
                f"{key}: not a load setting (rate, slo, workers, duration, arrivals, seed, mix)"
            )
    if "rates" not in out and "slo" not in out:
        raise OrtbenchError("give rate=R (requests/s), or slo=p99=1ms to search for the rate")
    return out


def load_request(model: str, profile: Profile, text: str) -> LoadRequest:
    from ortbench_tui.bench.load import LoadRequest

    return LoadRequest(model, [profile.copy()], **parse_load_text(text))


def bars(values: list[float], width: int) -> str:
    """The newest `width` values as one line of eighth-blocks, scaled to their maximum."""
    tail = values[-width:] if width > 0 else []
    top = max(tail, default=0.0)
    if top <= 0:
        return " " * len(tail)
    return "".join(EIGHTHS[min(8, int(round(v / top * 8)))] for v in tail)


def rate_chart(steps: list[tuple[str, StepSummary]], width: int) -> list[str]:
    """p99 response time against offered rate: one horizontal bar per step, in the order
    measured, on one linear scale from zero (a step that could not keep up is marked)."""
    from ortbench_tui.text import format_ms

    rows = [(n, s, float(raw)) for n, s in steps if (raw := s.response_ms.get("p99")) is not None]
    if not rows:
        return []
    top = max(p99 for _, _, p99 in rows)
    names = len({n for n, _, _ in rows}) > 1
    labels = [(f"{n} " if names else "") + f"{s.offered_per_s:,.0f}/s" for n, s, _ in rows]
    pad = max(len(x) for x in labels)
    room = max(4, width - pad - 14)
    out = [f"p99 response against offered rate (top {format_ms(top)})"]
    for label, (_, s, p99) in zip(labels, rows, strict=True):
        eighths = int(round(p99 / top * room * 8)) if top > 0 else 0
        bar = "█" * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")
        mark = "" if s.kept_up or s.stopped else " ✗"
        out.append(f"{label.rjust(pad)} {bar.ljust(room)} {format_ms(p99)}{mark}")
    return out


def ask_load(screen: Screen[Any], model: ModelEntry, entry: ProfileEntry, blink: bool) -> None:
    """The rates and settings, checked as they are typed; then the load screen."""
    from .dialogs import ask_job_text

    ask_job_text(
        screen,
        f"Open-loop load on {model.spec} with '{entry.name}'",
        "rate=R[,R2]; workers=N; duration=S; arrivals=poisson|constant (or slo=p99=1ms):",
        DEFAULT_TEXT,
        parse_load_text,
        lambda text: screen.app.push_screen(
            LoadScreen(load_request(model.spec, entry.profile, text))
        ),
        blink,
    )


@dataclass(frozen=True)
class LiveView:
    """What the screen draws of the step being measured, made in the worker thread."""

    profile: str
    rate: float
    offered: float
    achieved: float
    issued: int
    total: int
    queue: int
    samples: np.ndarray
    p50: float | None
    p99: float | None
    p99_series: list[float]
    queue_series: list[float]


class LoadScreen(JobScreen["LoadRequest"]):
    """The live view of a load job: histogram, p99 and queue over time, rates, the steps."""

    WORKER_GROUP = "load"
    TITLE_ID = "#load-title"
    STATUS_ID = "#load-status"
    FAILED_TITLE = "Load failed"

    BINDINGS = bindings("load")

    DEFAULT_CSS = """
    LoadScreen #load-title { height: 1; background: $panel; padding: 0 1; }
    LoadScreen #load-rates { height: 1; padding: 0 1; }
    LoadScreen #load-histogram { height: 1fr; min-height: 6; padding: 0 1; }
    LoadScreen #load-bars { height: auto; min-height: 2; max-height: 9; padding: 0 1; }
    LoadScreen #load-table { height: auto; max-height: 8; }
    LoadScreen #load-status { height: auto; max-height: 5; padding: 0 1; }
    """

    class Live(Message):
        """The step being measured (coalesced: the newest replaces a waiting one)."""

        def __init__(self, view: LiveView) -> None:
            super().__init__()
            self.view = view

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LoadScreen.Live)

    class StepsChanged(Message):
        def __init__(self, rows: list[tuple[str, StepSummary]]) -> None:
            super().__init__()
            self.rows = rows

    def __init__(
        self,
        request: LoadRequest,
        *,
        start: Start[LoadRequest] | None = None,
        save_dir: Path | None = None,
    ) -> None:
        """`request`: a LoadRequest. `start` makes the job (default `bench.load.LoadJob`);
        `save_dir` is where m writes (default: the working folder)."""
        super().__init__(request, start)
        self.save_dir = Path(save_dir) if save_dir else None
        self.result: LoadFinished | None = None
        self.steps: list[tuple[str, StepSummary]] = []
        self.p99_ms: list[float] = []
        self.queue: list[float] = []
        self._current: tuple[str, int] | None = None
        self._responses: list[np.ndarray] = []

    def compose(self) -> ComposeResult:
        yield Static(literal(self._title("starting…")), id="load-title")
        yield Static("", id="load-rates")
        yield LatencyHistogram(id="load-histogram")
        yield Static("", id="load-bars")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="load-table")
        yield Static("", id="load-status")
        yield Footer()

    def _title(self, status: str) -> str:
        req = self.request
        what = (
            f"find max rate for {req.slo.text}"
            if req.find_max and req.slo is not None
            else ", ".join(f"{r:g}/s" for r in req.rates)
        )
        return (
            f"Open-loop load · {req.model} · {what} · {req.arrivals} · {req.workers} thread(s)"
            f" · {status}"
        )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.running = True
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP)
    def _run(self) -> None:
        from ortbench_tui.bench.load import LoadJob

        self._pump(
            lambda: (self._start or LoadJob)(self.request),
            self._event,
            "the load job stopped without a result",
        )

    def _live_view(self, ev: LoadLive) -> LiveView:
        """What the screen draws, made in the worker thread (the UI thread only draws)."""
        live = ev.live
        key = (ev.profile, ev.step)
        if key != self._current:
            self._current, self._responses = key, []
            self.p99_ms, self.queue = [], []
        if live.response_ns.size:
            self._responses.append(live.response_ns)
            self.p99_ms.append(float(np.percentile(live.response_ns, 99)) / 1e6)
        else:
            self.p99_ms.append(0.0)
        self.queue.append(float(live.queue))
        del self.p99_ms[:-HISTORY_TICKS], self.queue[:-HISTORY_TICKS]
        samples = np.concatenate(self._responses) if self._responses else np.empty(0, np.int64)
        if samples.size > LIVE_SAMPLES:
            samples = samples[-LIVE_SAMPLES:]
            self._responses = [samples]
        elapsed = max(live.elapsed_s, 1e-3)
        p50 = float(np.percentile(samples, 50)) / 1e6 if samples.size else None
        p99 = float(np.percentile(samples, 99)) / 1e6 if samples.size else None
        return LiveView(
            profile=ev.profile,
            rate=ev.rate,
            offered=live.issued / elapsed,
            achieved=live.done / elapsed,
            issued=live.issued,
            total=live.total,
            queue=live.queue,
            samples=samples,
            p50=p50,
            p99=p99,
            p99_series=list(self.p99_ms),
            queue_series=list(self.queue),
        )

    def _event(self, ev: object) -> bool:
        """One event of the job (in the worker); True when it is the result."""
        from ortbench_tui.bench.job import JobFailed
        from ortbench_tui.bench.load import LoadFinished, LoadLive, LoadStepDone

        if isinstance(ev, LoadLive):
            self.post_message(self.Live(self._live_view(ev)))
        elif isinstance(ev, LoadStepDone):
            self.steps.append((ev.profile, ev.step))
            self.post_message(self.StepsChanged(list(self.steps)))
        elif isinstance(ev, LoadFinished):
            self.post_message(self.Done(ev))
            return True
        elif isinstance(ev, JobFailed):
            self.post_message(self.Done(error=ev.message))
            return True
        return False

    @on(Live)
    def _live(self, event: Live) -> None:
        if not self.running:
            return
        v = event.view
        self._set_title(f"{v.profile} at {v.rate:g}/s · {v.issued}/{v.total}")
        self.query_one("#load-rates", Static).update(
            literal(f"offered {v.offered:,.0f}/s · achieved {v.achieved:,.0f}/s · queue {v.queue}")
        )
        hist = self.query_one(LatencyHistogram)
        hi = v.p99 * 1.5 if v.p99 else None
        hist.show(v.samples, v.p50, v.p99, hi)
        width = max(10, self.query_one("#load-bars", Static).content_size.width - 12)
        p99_top = max(v.p99_series, default=0.0)
        q_top = max(v.queue_series, default=0.0)
        self.query_one("#load-bars", Static).update(
            Text(
                f"p99   {bars(v.p99_series, width)} {p99_top:.3g} ms\n"
                f"queue {bars(v.queue_series, width)} {q_top:.0f}",
                no_wrap=True,
                overflow="crop",
            )
        )

    @on(StepsChanged)
    def _steps(self, event: StepsChanged) -> None:
        from ortbench_tui.bench.load.report import step_row

        table = self.query_one(DataTable)
        table.clear()
        for name, s in event.rows:
            row = step_row(name, s)
            cells = [Text(row[j]) for j in ORDER]
            if not s.kept_up and not s.stopped:
                cells[6] = Text(row[12], style="bold red")
            table.add_row(*cells)

    @on(JobScreen.Done)
    def _done(self, event: JobScreen.Done) -> None:
        from ortbench_tui.bench.load.report import answer_lines, keep_up_lines, verdict_lines
        from ortbench_tui.bench.load.run import LoadFinished

        if self._finished(event.error):
            return
        res = event.result
        assert isinstance(res, LoadFinished)
        self.result = res
        self._set_title("stopped (kept what was measured)" if res.cancelled else "done")
        lines = Text()
        for line in answer_lines(res.result) + verdict_lines(res.result):
            lines.append(f"{line}\n", style="bold")
        for line in keep_up_lines(res.result):
            lines.append(f"{line}\n", style="red")
        if res.path:
            lines.append(f"saved {res.path} · ", style="dim")
        lines.append("m writes the table as Markdown\n", style="dim")
        self.query_one("#load-status", Static).update(lines)
        if len(self.steps) > 1:
            bars_box = self.query_one("#load-bars", Static)
            chart = rate_chart(self.steps, max(30, bars_box.content_size.width))
            bars_box.update(Text("\n".join(chart), no_wrap=True, overflow="crop"))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return True if self.result is not None else None
        return True

    def action_export(self) -> None:
        from ortbench_tui.bench.load import load_markdown

        if self.result is None:
            return
        text = load_markdown(self.result.result)
        self._write_export((self.save_dir or Path.cwd()) / export_name("load", "md"), text)


class SavedLoad:
    """A load result from the history as a finished job: its events are the saved steps (a
    row each) and then the saved result, so the load screen shows it as it ended live
    (nothing is measured again; the live histogram and bars stay empty). It also stands for
    the request: the screen's title reads `model`, `rates`, `slo`, `find_max`, `arrivals`
    and `workers`, all as saved."""

    def __init__(self, path: Path) -> None:
        from ortbench_tui.bench.load import Slo, load_load
        from ortbench_tui.bench.load.result import steps_of

        self.path = path
        self.result = load_load(path)
        try:
            self.steps = steps_of(self.result)
        except (KeyError, TypeError, AttributeError) as exc:
            raise OrtbenchError(f"{path}: a step of this load result is malformed: {exc}") from None
        load, model = (_block(self.result, key) for key in ("load", "model"))
        self.model = str(model.get("spec") or model.get("name") or "?")
        self.rates = [float(r) for r in load.get("rates") or [] if isinstance(r, int | float)]
        slo = load.get("slo")
        self.slo = (
            Slo(float(slo["percentile"]), float(slo["bound_ms"]), str(slo["text"]))
            if isinstance(slo, dict) and {"percentile", "bound_ms", "text"} <= slo.keys()
            else None
        )
        self.find_max = bool(load.get("find_max")) and self.slo is not None
        self.arrivals = str(load.get("arrivals", "?"))
        self.workers = load.get("workers", "?")

    def events(self) -> Iterator[LoadStepDone | LoadFinished | JobFailed]:
        from ortbench_tui.bench.load import LoadFinished, LoadStepDone

        for name, step in self.steps:
            yield LoadStepDone(name, step)
        cancelled = self.result.get("status") == "cancelled"
        yield LoadFinished(self.result, [], path=self.path, cancelled=cancelled)

    def cancel(self) -> None:
        """Nothing runs."""

    @property
    def cancelled(self) -> bool:
        return False


def _block(result: dict[str, Any], key: str) -> dict[str, Any]:
    value = result.get(key)
    return value if isinstance(value, dict) else {}


def saved_load_screen(path: Path) -> LoadScreen:
    """The load screen over a load result kept in the history; OrtbenchError if it cannot be
    read."""
    from typing import cast

    saved = SavedLoad(path)
    # The screen reads only the title's fields of its request: the saved load has them all.
    request = cast("LoadRequest", saved)
    return LoadScreen(request, start=lambda _request: saved)
