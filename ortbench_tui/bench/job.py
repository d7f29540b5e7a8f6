"""The one shape of every job: run, compare, sweep, practices, curve, trace, load, fleet.

A job is started from a typed request, runs one or more child processes, and yields a stream
of events: `JobProgress` (generic, the same for every job), job-specific events the job's own
screen may draw (samples, rows, points), and exactly one closing event, the job's result type
or `JobFailed`. `cancel()` may be called from any thread; a cancelled job still closes with
its result (marked partial) or with a `JobFailed` that carries what was measured.

`drive()` is the one way to follow a job to its end; the CLI's one progress line and the
TUI's one job screen both read `JobProgress` and nothing else to show progress.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..errors import OrtbenchError, RunFailed

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


@dataclass(frozen=True)
class JobProgress:
    """Where a job stands: the same record for every job, so one line or one bar shows it."""

    phase: str
    """What the job is doing now, in words a user reads (e.g. "warm-up", "round 3", "b=4")."""
    done: float
    """Units of work done in this phase (runs, rounds, points, seconds)."""
    total: float | None
    """Units in all, or None when the phase runs until something decides it."""
    elapsed_s: float
    """Wall time since the job started, set-up included."""
    eta_s: float | None
    """Estimated wall time still to go for the whole job, or None when unknown."""
    detail: str = ""
    """One short line of job-specific state (a running verdict, a current p50)."""

    @property
    def fraction(self) -> float | None:
        if self.total is None or self.total <= 0:
            return None
        return min(1.0, max(0.0, self.done / self.total))

    def line(self) -> str:
        """`timed 400/1000 · 3.2 s · ETA 4.8 s · detail`: what the CLI's line and the TUI's
        job title show, the same for every job."""
        count = _count(self.done) + (f"/{_count(self.total)}" if self.total else "")
        parts = [f"{self.phase} {count}", f"{self.elapsed_s:.1f} s"]
        parts.append(f"ETA {format_eta(self.eta_s)}")
        if self.detail:
            parts.append(self.detail)
        return " · ".join(parts)


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_eta(seconds: float | None) -> str:
    """Seconds still to go, to a precision that means something: `?`, `8 s`, `3 min 10 s`."""
    if seconds is None:
        return "?"
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


@dataclass(frozen=True)
class JobFailed:
    """A job that ended without its result. `kind` is "input" (bad input, exit 2) or "run"
    (a run that started and failed, exit 1); `partial` is what was measured before, if any."""

    kind: str
    message: str
    partial: Any = None


class Job(Protocol[R_co]):
    """What every job handle offers its faces."""

    def events(self) -> Iterator[Any]:
        """JobProgress and job-specific events, closed by one R or one JobFailed."""
        ...

    def cancel(self) -> None:
        """Stop soon, keeping what was measured (thread-safe)."""
        ...

    @property
    def cancelled(self) -> bool: ...


def eta_from_fraction(elapsed_s: float, fraction: float | None) -> float | None:
    """The remaining time if the rest goes as fast as what is done (None before 2% is done)."""
    if fraction is None or fraction < 0.02:
        return None
    if fraction >= 1.0:
        return 0.0
    return elapsed_s * (1.0 - fraction) / fraction


def fraction_from_eta(elapsed_s: float, eta_s: float | None) -> float | None:
    """The share of a step done, by time: `elapsed_s` in, `eta_s` to go (None when the step
    cannot tell). A step bounded by a time cap gets its share from the cap, not its count."""
    if eta_s is None:
        return None
    whole = max(elapsed_s, 0.0) + max(eta_s, 0.0)
    return 1.0 if whole <= 0 else max(elapsed_s, 0.0) / whole


def eta_from_budget(
    started: float, budget_s: float | None, now: float | None = None
) -> float | None:
    """The remaining time of a job bounded by a wall-clock budget."""
    if budget_s is None:
        return None
    now = time.perf_counter() if now is None else now
    return max(0.0, budget_s - (now - started))


def drive(
    job: Job[R],
    result_type: type[R],
    on_event: Callable[[Any], None] | None = None,
    what: str = "job",
) -> R:
    """Follow `job` to its end and return its result. A `JobFailed` becomes OrtbenchError
    (kind "input", exit 2) or RunFailed (exit 1); every event, the closing one included,
    goes to `on_event` first, so a caller that must keep a partial sees it."""
    for event in job.events():
        if on_event is not None:
            on_event(event)
        if isinstance(event, result_type):
            return event
        if isinstance(event, JobFailed):
            if event.kind == "input":
                raise OrtbenchError(event.message)
            raise RunFailed(event.message)
    raise RunFailed(f"the {what} stopped without a result")
