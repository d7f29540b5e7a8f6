"""Why a comparison could not decide: the blocker named from the parts of its spread, and the
word a user reads in the CLI, the JSON and the TUI (via the pair's stop note)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ortbench_tui.bench.compare.until import state_dict, stop_note
from ortbench_tui.bench.level_bootstrap import Spread
from ortbench_tui.bench.stopping import NO_CLEAR, SequentialComparison
from ortbench_tui.bench.undecided import why_undecided


def spread(ratio: float, sd_rounds: float, sd_sessions: float, sessions_df: int = 4) -> Spread:
    return Spread(math.log(ratio), sd_rounds, sd_sessions, 40, sessions_df)


@pytest.mark.parametrize(
    ("sp", "interfered", "blocked"),
    [
        (spread(1.05, 0.005, 0.03), None, "sessions"),
        (spread(1.05, 0.03, 0.002), None, "rounds"),
        (spread(1.05, 0.03, 0.002), 0.5, "interference"),
        (spread(1.05, 0.03, 0.002), 0.05, "rounds"),
        (spread(1.011, 0.03, 0.01), None, "margin"),
    ],
)
def test_the_larger_part_of_the_spread_is_named(sp, interfered, blocked):
    why = why_undecided(sp, 0.99, 0.01, interfered)
    assert why.blocked_by == blocked
    assert math.isclose(why.sessions_share + why.rounds_share, 1.0)
    assert why.advice and blocked in why.text()


def test_a_comparison_that_runs_out_of_budget_says_why():
    """Sessions 6% apart within each profile, rounds tight: the sessions part blocks it, and
    the stop note (CLI and TUI) and the JSON say so."""
    rng = np.random.default_rng(3)
    offsets = [0.94, 1.0, 1.06]
    rule = SequentialComparison(max_rounds=10, seed=1)
    for _ in range(10):
        a = [rng.normal(100_000 * o, 500, 50) for o in offsets]
        b = [rng.normal(103_000 * o, 500, 50) for o in offsets[::-1]]
        rule.add_round(a, b, interrupted=0)
    state = rule.state()
    assert state.verdict == NO_CLEAR and state.why is not None
    assert state.why.blocked_by == "sessions"
    assert state.why.interfered == 0.0 and state.interrupted == 0.0
    assert "blocked by sessions" in stop_note(state)
    d = state_dict(state)
    assert d["blocked_by"] == "sessions" and d["spread_shares"]["sessions"] > 0.5
    assert d["interrupted_blocks"] == 0.0
    assert "more sessions at once" in d["advice"]
