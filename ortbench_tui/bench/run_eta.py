"""How long a single run has left, and the time cap that bounds a measurement by count.

A run by count (run.timed_runs) is capped by run.max_duration_s (default 60 s), so the default
1000 runs end in bounded time however slow the model is; a run by time ends at its duration,
a run until a precision at its cap. Every face shows the same ETA from `run_eta`.

The same cap bounds every other measurement by count: each profile's timed runs in a
comparison (interleaved or sequential) and each point of a load curve; they state it with
`capped_warning` and bound their ETA with `capped_eta`.
"""

from __future__ import annotations

from typing import Any

from .job import eta_from_fraction


def count_cap_s(run: Any) -> float:
    """The time cap of runs by count (run.max_duration_s), 0 when none applies: runs by time
    and until a precision have their own end, and a cap of 0 means none."""
    if run.duration_s > 0 or run.until_ci_pct > 0:
        return 0.0
    return float(max(run.max_duration_s, 0.0))


CAPPED = "stopped at the time cap"
"""How `capped_warning` starts (a comparison gathers its profiles' lines by it)."""


def capped_warning(done: int, planned: int, cap_s: float) -> str:
    """Said with the result when the cap, not the count, ended the timed runs."""
    return (
        f"{CAPPED}: {done} of {planned} timed runs in {cap_s:g} s "
        "(run.max_duration_s; --max-duration S to run longer, 0 for no cap)"
    )


def is_capped_warning(text: str) -> bool:
    return text.startswith(CAPPED)


def capped_eta(eta: float | None, cap_s: float, timed_s: float, pace: float = 1.0) -> float | None:
    """An ETA from the pace so far, no later than the cap's end (`timed_s` into the timed
    runs it bounds; a cap of 0 bounds nothing). `pace`: wall seconds per second the cap
    counts, where untimed work comes between the timed runs (an interleaved block's
    re-warm)."""
    if not cap_s:
        return eta
    left = max(cap_s - max(timed_s, 0.0), 0.0) * max(pace, 1.0)
    return left if eta is None else min(eta, left)


def run_eta(run: Any, done: int, total: float | None, timed_s: float) -> float | None:
    """Seconds left of the timed runs, `timed_s` into them with `done` of `total` made; for a
    run until a precision, the most it can take. None while too little is done to tell."""
    timed_s = max(timed_s, 0.0)
    if run.duration_s > 0:
        return max(float(run.duration_s) - timed_s, 0.0)
    if run.until_ci_pct > 0:
        return max(float(run.max_duration_s) - timed_s, 0.0)
    eta = eta_from_fraction(timed_s, done / total) if total else None
    return capped_eta(eta, count_cap_s(run), timed_s)


def eta_text(seconds: float | None) -> str:
    """``ETA 42 s``, ``ETA 3 min 5 s``; "" when unknown."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    return f"ETA {s // 60} min {s % 60} s" if s >= 60 else f"ETA {s} s"


__all__ = [
    "CAPPED",
    "capped_eta",
    "capped_warning",
    "count_cap_s",
    "eta_text",
    "is_capped_warning",
    "run_eta",
]
