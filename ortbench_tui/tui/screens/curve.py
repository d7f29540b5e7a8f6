"""Load curve: latency and throughput across dim sizes and concurrency, point by point.

Opened from the main screen (`v`, or "Load curve" in the palette) after a prompt for the
dims and levels (`batch=1,4,16; concurrency=1,2,4`). The table fills as each point is
measured, the chart under it shows p50 and p99 and items/s against the swept value, and the
knee is stated under the table when the curve ends. Esc stops the curve and keeps the points
measured; m writes the table as Markdown.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.text import printable

from ..keys import bindings
from ..literal import literal
from ..widgets.curve_chart import CurveChart

if TYPE_CHECKING:
    from ortbench_tui.bench.curve import CurveFinished, CurveRequest, PointResult
    from ortbench_tui.hardware import HardwareInfo
    from ortbench_tui.profile import Profile

    from ..workspace import ModelEntry, ProfileEntry

from .job_screen import JobScreen, Start, export_name

COLUMNS = ("point", "p50", "p99", "req/s", "items/s", "p50 95% CI", "CV", "status")
"""The curve's columns as shown here (`_points` picks them from a `PointRow`): what the curve is
about first, so it fits in 80 columns."""


ALIAS_OVER = 6
"""Dim names longer than this get a short alias in the point column (legend below)."""


def dim_aliases(names: list[str]) -> dict[str, str]:
    """Short, distinct aliases for long dim names (`encoder_sequence_length` -> `e`,
    `batch_size` and `beam_width` -> `ba`, `be`): the shortest prefix no other dim shares.
    Short names keep themselves; {} when none is long."""
    if not any(len(n) > ALIAS_OVER for n in names):
        return {}
    aliases: dict[str, str] = {}
    for name in names:
        if len(name) <= ALIAS_OVER:
            continue
        others = [o for o in names if o != name]
        size = 1
        while size < len(name) and any(o.startswith(name[:size]) for o in others):
            size += 1
        alias = name[:size]
        aliases[name] = alias if alias not in names else name
    return aliases


def point_label(point: PointResult, aliases: dict[str, str]) -> str:
    """The point's label with its dims under their aliases: `e=128 b=4 C=2`."""
    dims = " ".join(f"{aliases.get(k, k)}={v}" for k, v in point.dims.items())
    return " ".join(part for part in (dims, f"C={point.concurrency}") if part)


def alias_legend(aliases: dict[str, str]) -> str:
    return " · ".join(f"{a} = {name}" for name, a in aliases.items() if a != name)


def default_curve_text(symbolic_dims: list[str]) -> str:
    """The prompt's first text: the first named dim swept, the others at one size."""
    parts = [f"{d}={'1,4,16' if i == 0 else '16'}" for i, d in enumerate(symbolic_dims)]
    return "; ".join([*parts, "concurrency=1,2,4"])


def parse_curve_text(text: str) -> tuple[dict[str, list[int]], list[int]]:
    """`batch=1,4; sequence=64; concurrency=1,2` -> dims and concurrency levels."""
    from ortbench_tui.bench.curve import parse_concurrency, parse_dims

    dims: list[str] = []
    levels: str | None = None
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name = part.rpartition("=")[0].strip()
        if name in ("concurrency", "C"):
            levels = part.rpartition("=")[2]
        else:
            dims.append(part)
    return parse_dims(dims), parse_concurrency(levels)


def curve_request(
    model: str, profile: Profile, text: str, hardware: HardwareInfo | None
) -> CurveRequest:
    """The curve the prompt asks for, on the inputs saved for the model (as every job)."""
    from ortbench_tui.bench.curve import CurveRequest

    from .model_flows import saved_inputs

    dims, levels = parse_curve_text(text)
    return CurveRequest(
        model,
        profile.copy(),
        dims=dims,
        concurrency=levels,
        hardware=hardware.to_dict() if hardware is not None else None,
        inputs=saved_inputs(model),
    )


def ask_curve(
    screen: Screen[Any],
    model: ModelEntry,
    entry: ProfileEntry,
    dims: list[str],
    hardware: HardwareInfo | None,
    blink: bool,
) -> None:
    """The dims and levels, checked as they are typed; then the curve screen."""
    from .dialogs import ask_job_text

    def start(text: str) -> None:
        try:
            request = curve_request(model.spec, entry.profile, text, hardware)
        except OrtbenchError as exc:  # the saved inputs cannot be read
            screen.notify(str(exc), title="Saved inputs unreadable", severity="error")
            return
        screen.app.push_screen(CurveScreen(request))

    ask_job_text(
        screen,
        f"Load curve of {model.spec} with '{entry.name}'",
        "Dims NAME=V1,V2 and concurrency=C1,C2, separated by ';':",
        default_curve_text(dims),
        parse_curve_text,
        start,
        blink,
    )


class CurveScreen(JobScreen["CurveRequest"]):
    """The live table and chart of a load curve."""

    WORKER_GROUP = "curve"
    TITLE_ID = "#curve-title"
    STATUS_ID = "#curve-status"
    FAILED_TITLE = "Curve failed"

    BINDINGS = bindings("curve")

    DEFAULT_CSS = """
    CurveScreen #curve-title { height: 1; background: $panel; padding: 0 1; }
    CurveScreen #curve-table { height: 1fr; min-height: 4; }
    CurveScreen #curve-chart { height: 10; padding: 0 1; }
    CurveScreen #curve-status { height: auto; max-height: 5; padding: 0 1; }
    """

    class Progress(Message):
        """Where the curve is (coalesced: the newest replaces a waiting one)."""

        def __init__(self, status: str) -> None:
            super().__init__()
            self.status = status

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CurveScreen.Progress)

    class PointsChanged(Message):
        def __init__(self, points: list[PointResult]) -> None:
            super().__init__()
            self.points = points

    def __init__(
        self,
        request: CurveRequest,
        *,
        start: Start[CurveRequest] | None = None,
        save_dir: Path | None = None,
    ) -> None:
        """`request`: a CurveRequest. `start` makes the run (default `bench.curve.CurveRun`);
        `save_dir` is where m offers to write (default: the data dir's exports)."""
        super().__init__(request, start)
        self.save_dir = Path(save_dir) if save_dir else None
        self.result: CurveFinished | None = None
        self.points: list[PointResult] = []
        self.aliases: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(literal(self._title("starting…")), id="curve-title")
        yield DataTable(cursor_type="row", zebra_stripes=True, id="curve-table")
        yield CurveChart(id="curve-chart")
        yield Static("", id="curve-status")
        yield Footer()

    def _title(self, status: str) -> str:
        n = len(self.request.points())
        return f"Load curve · {self.request.model} · {n} points · {status}"

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.running = True
        self._run()

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP)
    def _run(self) -> None:
        from ortbench_tui.bench.curve import CurveRun

        self._pump(
            lambda: (self._start or CurveRun)(self.request),
            self._event,
            "the curve stopped without a result",
        )

    def _event(self, ev: object) -> bool:
        """One event of the curve (in the worker); True when it is the result."""
        from ortbench_tui.bench.curve import CurveFinished, CurvePointDone, CurveProgress

        if isinstance(ev, CurveProgress):
            self.post_message(self.Progress(ev.line()))
        elif isinstance(ev, CurvePointDone):
            self.post_message(self.PointsChanged(list(ev.points)))
        elif isinstance(ev, CurveFinished):
            self.post_message(self.PointsChanged(list(ev.points)))
            self.post_message(self.Done(ev))
            return True
        return False

    @on(Progress)
    def _progress(self, event: Progress) -> None:
        if self.running:
            self._set_title(event.status)

    @on(PointsChanged)
    def _points(self, event: PointsChanged) -> None:
        from ortbench_tui.bench.curve import point_row

        self.points = event.points
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        names = list(dict.fromkeys(k for p in event.points for k in p.dims))
        self.aliases = dim_aliases(names)
        for p in event.points:
            row = point_row(p)
            shown = (point_label(p, self.aliases), row.p50, row.p99, row.requests_per_s,
                     row.items_per_s, row.p50_ci, row.cv)  # fmt: skip
            if p.status == "ok":
                cells = [Text(c) for c in (*shown, row.status)]
            elif p.status == "failed":
                cells = [*(Text(c) for c in shown), Text("failed", style="bold red")]
            else:
                cells = [Text(c, style="dim") for c in (*shown, p.status)]
            table.add_row(*cells, key=str(p.index))
        if cursor is not None and 0 <= cursor < table.row_count:
            table.move_cursor(row=cursor)
        self.query_one(CurveChart).show([p for p in event.points if p.status != "not run"])

    @on(JobScreen.Done)
    def _done(self, event: JobScreen.Done) -> None:
        from ortbench_tui.bench.curve import CurveFinished

        if self._finished(event.error):
            return
        res = event.result
        assert isinstance(res, CurveFinished)
        self.result = res
        self._set_title("stopped" if res.cancelled else "done")
        lines = Text()
        for knee in res.result.knee_lines():
            lines.append(f"{knee}\n", style="bold")
        for p in res.failed:
            lines.append(f"✗ {p.label}: {p.error.splitlines()[0] if p.error else ''}\n", "red")
        for w in res.result.warning_texts():  # the time cap among them, as the CLI says
            lines.append(f"⚠ {printable(w, True)}\n", style="yellow")
        if res.path:
            lines.append(f"saved {res.path} · ", style="dim")
        legend = alias_legend(self.aliases)
        if legend:
            lines.append(f"{legend}\n", style="dim")
        lines.append("m writes the table as Markdown\n", style="dim")
        self.query_one("#curve-status", Static).update(lines)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "export":
            return True if self.result is not None else None
        return True

    def action_export(self) -> None:
        from ortbench_tui.bench.curve import curve_markdown

        if self.result is None:
            return
        text = curve_markdown(self.result.result, self.result.points)
        self._export(self.save_dir, export_name("curve", "md"), text)


class SavedCurve:
    """A curve from the history as a finished job: its one event is the saved result, so the
    curve screen shows it as it showed it live (nothing is measured again)."""

    def __init__(self, path: Path) -> None:
        from ortbench_tui.bench.curve import curve_points, load_curve, load_curve_samples
        from ortbench_tui.bench.result_record import given

        self.path = path
        self.result = load_curve(path)
        self.samples = load_curve_samples(path)
        model = self.result.model
        self.model = str(given(model.path, None) or given(model.name, None))
        self.saved_points = curve_points(self.result)

    def points(self) -> list[PointResult]:
        return self.saved_points

    def events(self) -> Iterator[CurveFinished]:
        from ortbench_tui.bench.curve import CurveFinished

        failed = [p for p in self.saved_points if p.status == "failed"]
        yield CurveFinished(
            self.result, self.samples, self.saved_points, path=self.path, failed=failed
        )

    def cancel(self) -> None:
        """Nothing runs."""

    @property
    def cancelled(self) -> bool:
        return False


def saved_curve_screen(path: Path) -> CurveScreen:
    """The curve screen over a curve kept in the history; OrtbenchError if it cannot be read."""
    from typing import cast

    saved = SavedCurve(path)
    # The screen reads only `model` and `points()` of its request: the saved curve has both.
    request = cast("CurveRequest", saved)
    return CurveScreen(request, start=lambda _request: saved)
