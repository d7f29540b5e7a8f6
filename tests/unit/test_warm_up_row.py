"""The practices check's warm-up row: each session's first run (renewed sessions included)
against the steady state, decided by every first run above the steady p95 or by a sign test
over the first runs."""

from __future__ import annotations

import numpy as np
import pytest

from ortbench_tui.bench.compare import SampleSet
from ortbench_tui.bench.practices.report import PracticeRow
from ortbench_tui.bench.practices.rows import (
    WARM_UP_SIDE_LEVEL,
    fill_warm_up,
    median_bounds,
    sign_test_tail,
)
from ortbench_tui.bench.result_record import RunResult, run_record


def test_the_sign_test_tail_is_the_binomial_tail():
    assert sign_test_tail(6, 6) == pytest.approx(1 / 64)
    assert sign_test_tail(5, 5) == pytest.approx(1 / 32)
    assert sign_test_tail(0, 4) == 1.0
    assert sign_test_tail(8, 9) == pytest.approx(10 / 512)


def test_the_median_bounds_are_the_sign_tests_order_statistics():
    xs = [float(x) for x in range(1, 13)]
    # n = 12: P(Bin(12, 1/2) <= 2) = 79/4096 = 0.019 <= 0.025 < P(<= 3) = 0.073
    assert median_bounds(xs, 0.025) == (3.0, 10.0, True)
    assert median_bounds(xs[:6], 0.025) == (1.0, 6.0, True)  # 1/64 <= 0.025
    assert median_bounds(xs[:3], 0.025) == (1.0, 3.0, False)  # too few for any bound


def _result(first: list[float], renewed: list[float]) -> RunResult:
    return run_record(
        {
            "schema": 1,
            "model": {"spec": "m", "path": "m.onnx"},
            "profile": {"name": "base"},
            "latency_ms": {"p50": 1.0},
            "runs": 1,
            "comparison": {"session_first_run_ms": first, "renewed_first_run_ms": renewed},
        }
    )


def _steady(rng: np.random.Generator, sd: float) -> SampleSet:
    """Three sessions of 10 rounds of 40 runs around 8 ms with a wide spread (a busy core)."""
    runs = rng.lognormal(np.log(8e6), sd, (3, 10, 40)).astype(np.int64)
    return SampleSet([s for s in runs], True, "r")


def test_a_busy_steady_spread_past_one_first_run_is_decided_by_the_sign_test():
    """The case met with one core busy: three first sessions, one first run below the steady
    median, so 'all above p95' fails; nine renewed sessions' first runs, all above
    the steady median, decide it (11 of 12 above: P = 13/4096 by chance)."""
    rng = np.random.default_rng(3)
    steady = _steady(rng, 0.3)
    row = PracticeRow("8", "warm-up", "steady-state median vs first run", "measured")
    fill_warm_up(
        row,
        _result([30.0, 7.0, 28.0], [25.0, 27.0, 26.0, 24.0, 29.0, 31.0, 23.0, 22.0, 21.0]),
        steady,
    )
    assert row.verdict == "faster", row.method
    assert "first run of 12 sessions" in row.method and "11 above the steady median" in row.method
    # the interval shown is the one the verdict rests on: wholly below 1
    assert row.ci_low is not None and row.ci_high is not None and row.ci_high < 1.0


def test_without_renewed_sessions_the_same_first_runs_stay_undecided():
    rng = np.random.default_rng(3)
    row = PracticeRow("8", "warm-up", "steady-state median vs first run", "measured")
    fill_warm_up(row, _result([30.0, 7.0, 28.0], []), _steady(rng, 0.3))
    assert row.verdict == "no clear difference"


def test_first_runs_drawn_like_ordinary_runs_are_rarely_called_faster_or_slower():
    """False-failure bound: each side's error is at most 0.0025 (all above p95) + 0.025 (the
    sign test) a repeat; 400 repeats expect at most ~22 wrong in all, and the binomial tail
    beyond 40 is below 1e-4."""
    rng = np.random.default_rng(11)
    wrong = 0
    for _ in range(400):
        steady = _steady(rng, 0.2)
        flat = steady.flat()
        firsts = (rng.choice(flat, 12) / 1e6).tolist()
        row = PracticeRow("8", "warm-up", "", "measured")
        fill_warm_up(row, _result(firsts[:3], firsts[3:]), steady)
        wrong += row.verdict != "no clear difference"
    assert wrong <= 40, wrong
    assert WARM_UP_SIDE_LEVEL <= 0.025
