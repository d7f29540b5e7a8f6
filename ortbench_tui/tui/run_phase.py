"""What the run panel's phase label and progress bar say at each point of a run.

Plain functions of the run's position, its request and its stopping rule; no Textual, so the
widget only draws what they return. The engine's names (the GPU session's build phase, the
ETA format) are imported when a run is under way: the run panel imports this module for the
main screen's first frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .formatting import ci_width_label, result_status

if TYPE_CHECKING:
    from ortbench_tui.bench.ci_stop import CiWidthState
    from ortbench_tui.bench.result_record import RunResult
    from ortbench_tui.bench.runner import RunRequest

Shown = tuple[str, float | None, float | None]
"""(label, progress, total); a None progress or total leaves the bar as it is."""


def until_pct(request: RunRequest | None) -> float:
    """The request's "until ±x%" target, 0 when it runs for a count or a duration."""
    return float(request.profile.run.until_ci_pct) if request else 0.0


def position(
    phase: str,
    done: int,
    total: float | None,
    elapsed_s: float,
    *,
    request: RunRequest | None,
    timed_started_s: float | None,
    precision: CiWidthState | None,
    eta_s: float | None = None,
) -> Shown:
    """The label and bar of a run in progress; a timed phase with an estimate ends in `~ETA`."""
    label, progress, total_shown = _position(
        phase, done, total, elapsed_s, request, timed_started_s, precision
    )
    if phase == "timed" and eta_s is not None:
        from ..bench.job import format_eta

        label = f"{label} ~{format_eta(eta_s)}"
    return label, progress, total_shown


def _position(
    phase: str,
    done: int,
    total: float | None,
    elapsed_s: float,
    request: RunRequest | None,
    timed_started_s: float | None,
    precision: CiWidthState | None,
) -> Shown:
    from ..session_gpu import BUILD_PHASE, BUILD_PHASE_TEXT

    if phase == BUILD_PHASE:  # done counts the build's seconds; Esc kills the worker
        return f"{BUILD_PHASE_TEXT}… {done} s", None, None
    if phase == "first_run":
        return "first run…", 0, 1
    if phase == "warmup":
        return f"warm-up {done}/{total}", done, total or 1
    started = timed_started_s or elapsed_s
    run = getattr(getattr(request, "profile", None), "run", None)
    eta = ""
    if run is not None:
        from ortbench_tui.bench.run_eta import eta_text, run_eta

        eta = eta_text(run_eta(run, done, total, elapsed_s - started))
        eta = f"  · {eta}" if eta else ""
    if total is not None:
        return f"timed {done}/{total}{eta}", done, total
    target = until_pct(request)
    if target > 0 and request is not None:  # a target comes only with a request
        cap = float(request.profile.run.max_duration_s)
        spent = min(max(elapsed_s - started, 0.0), cap)
        return ci_width_label(precision, target, spent) + eta, spent, cap
    duration = float(request.profile.run.duration_s) if request else 0.0
    spent = min(max(elapsed_s - started, 0.0), duration)
    return f"timed {spent:.1f}/{duration:g} s{eta}", spent, duration or 1


def planned_runs(streamed_total: float | None, request: RunRequest | None) -> int | None:
    """How many timed runs the run meant to make, when it said or its profile fixes it."""
    if streamed_total:
        return int(streamed_total)
    run = getattr(getattr(request, "profile", None), "run", None)
    if run is None or (getattr(run, "duration_s", 0) or 0) > 0:
        return None
    timed = getattr(run, "timed_runs", None)
    return int(timed) if isinstance(timed, int) and timed > 0 else None


def end_phase(result: RunResult, planned: int | None) -> tuple[str, tuple[int, int] | None]:
    """The label of a finished run and its bar as (total, progress); None for a full bar.

    A stopped run's bar stays at the share it measured; when how far it got is unknown (a
    duration run), an empty bar, never a full one."""
    status = result_status(result)
    if status == "ok":
        return "done", None
    runs = result.runs
    bar = (planned, runs) if planned and runs < planned else (1, 0)
    run = result.profile.get("run") or {}
    wall_s = result.wall_s
    duration, wall = run.get("duration_s") or 0, wall_s if isinstance(wall_s, float) else 0
    if not planned and duration > 0 and wall > 0:  # a duration run: the share of its time
        bar = (1000, min(999, round(1000 * wall / duration)))
    return f"{status} after {runs} runs", bar
