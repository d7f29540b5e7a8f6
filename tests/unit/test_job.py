"""The one job shape: generic progress with an ETA, one CLI progress line, drive()."""

from __future__ import annotations

import io

import pytest

from ortbench_tui.bench.job import (
    JobFailed,
    JobProgress,
    drive,
    eta_from_budget,
    eta_from_fraction,
    format_eta,
)
from ortbench_tui.commands.progress import ProgressLine
from ortbench_tui.errors import OrtbenchError, RunFailed


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


class _ListJob:
    """A job made of a fixed list of events."""

    def __init__(self, events: list[object]) -> None:
        self._events = events
        self._cancelled = False

    def events(self):
        yield from self._events

    def cancel(self) -> None:
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled


def test_the_line_says_phase_count_elapsed_eta_and_detail():
    p = JobProgress("timed", 400, 1000, 3.21, 4.8, "CI ±1.8%")
    assert p.line() == "timed 400/1,000 · 3.2 s · ETA 4.8 s · CI ±1.8%"
    assert JobProgress("warmup", 3, None, 0.5, None).line() == "warmup 3 · 0.5 s · ETA ?"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "?"), (3.25, "3.2 s"), (42.4, "42 s"), (190, "3 min 10 s"), (7300, "2 h 01 min")],
)
def test_eta_is_written_to_a_precision_that_means_something(seconds, text):
    assert format_eta(seconds) == text


def test_eta_from_what_is_done_and_from_a_budget():
    assert eta_from_fraction(10.0, 0.25) == pytest.approx(30.0)
    assert eta_from_fraction(10.0, 0.01) is None  # too early to say
    assert eta_from_fraction(10.0, 1.0) == 0.0
    assert eta_from_budget(100.0, 30.0, now=110.0) == pytest.approx(20.0)
    assert eta_from_budget(100.0, 30.0, now=140.0) == 0.0
    assert eta_from_budget(100.0, None) is None


def test_the_progress_line_draws_any_jobs_progress_on_a_terminal(monkeypatch):
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    line = ProgressLine(True)
    line(JobProgress("round", 2, 5, 1.0, 12.0, "leading #3"))
    line(object())  # a job-specific event: not drawn
    line.clear()
    text = err.getvalue()
    assert "round 2/5 · 1.0 s · ETA 12 s · leading #3" in text
    assert text.endswith("\r\033[K")


def test_notes_stay_as_lines_also_off_a_terminal_and_progress_does_not(monkeypatch):
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    line = ProgressLine(True, notes=lambda e: f"note {e}" if isinstance(e, int) else None)
    line(JobProgress("timed", 1, 2, 0.1, None))
    line(7)
    line.clear()
    assert err.getvalue() == "note 7\n"


def test_quiet_writes_nothing(monkeypatch):
    err = _Tty()
    monkeypatch.setattr("sys.stderr", err)
    line = ProgressLine(False, notes=lambda e: "note")
    line(JobProgress("timed", 1, 2, 0.1, None))
    line.clear()
    assert err.getvalue() == ""


def test_drive_returns_the_result_and_shows_every_event_first():
    seen: list[object] = []
    progress = JobProgress("timed", 1, 2, 0.1, 0.1)
    assert drive(_ListJob([progress, "result"]), str, seen.append) == "result"
    assert seen == [progress, "result"]


def test_drive_turns_a_failure_into_the_error_of_its_kind():
    with pytest.raises(OrtbenchError, match="bad key"):
        drive(_ListJob([JobFailed("input", "bad key")]), str)
    with pytest.raises(RunFailed, match="worker died"):
        drive(_ListJob([JobFailed("run", "worker died")]), str)
    with pytest.raises(RunFailed, match="the sweep stopped without a result"):
        drive(_ListJob([]), str, what="sweep")


def test_a_sweep_round_ranked_prints_its_table_by_stage_not_by_wording(monkeypatch):
    """The CLI once found a round's end by `" done:" in message`; the stage says it now."""
    from ortbench_tui.bench.sweep import SweepUpdate
    from ortbench_tui.commands.sweep import sweep_notes

    ended = SweepUpdate("round", 1, 2, 0.5, None, "", [], "round_done", message="round one over")
    streaming = SweepUpdate("round", 1, 2, 0.5, None, "", [], "measuring", message="x done: y")
    note = sweep_notes(ended)
    assert note is not None and "round one over" in note and "\n" in note.strip()
    assert sweep_notes(streaming) is None
