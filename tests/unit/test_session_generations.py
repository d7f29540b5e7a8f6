"""Sessions sampled, not fixed: `--until-decided` retires its sessions every few rounds, and the
stopping rule resamples every generation of them. Simulated streams with the structure measured
on the 2-core VMs (issue 25): each ORT session has its own speed (a few per cent, for its whole
life), the machine drifts from round to round (shared by the blocks of one round), and every
block has its own scatter. What is checked: A against A stays honest, and a 5% difference that
three fixed sessions cannot decide is decided once sessions are sampled."""

from __future__ import annotations

import numpy as np
import pytest

from ortbench_tui.bench.level_bootstrap import ratio_spread, sketch_block
from ortbench_tui.bench.stopping import FASTER, SLOWER, SequentialComparison

SESSIONS = 3
SESSION_SD = 0.03
"""Session-to-session spread of one profile (the six fresh mlp sessions: 135-161 µs)."""
ROUND_SD = 0.08
"""Round-to-round drift of the machine, hitting every block of a round alike."""
BLOCK_SD = 0.01
RUNS = 40


def simulate(
    rng: np.random.Generator, ratio: float, rounds: int, generation_rounds: int
) -> SequentialComparison:
    """Feed one comparison until it stops or `rounds` run out; fresh session effects every
    `generation_rounds` rounds (0: the same sessions throughout)."""
    rule = SequentialComparison(
        max_rounds=rounds, reps=400, seed=int(rng.integers(1 << 30)),
        first_look=generation_rounds or 10, generation_rounds=generation_rounds,
    )  # fmt: skip
    effects = rng.normal(0, SESSION_SD, (2, SESSIONS))
    for r in range(rounds):
        if generation_rounds and r and r % generation_rounds == 0:
            effects = rng.normal(0, SESSION_SD, (2, SESSIONS))
        drift = rng.normal(0, ROUND_SD)
        sides = []
        for side, centre in enumerate((1.0, ratio)):
            blocks = []
            for s in range(SESSIONS):
                level = (
                    100_000 * centre * np.exp(drift + effects[side, s] + rng.normal(0, BLOCK_SD))
                )
                blocks.append(level * rng.lognormal(0, 0.05, RUNS))
            sides.append(blocks)
        rule.add_round(sides[0], sides[1], interrupted=0)
        if rule.should_stop():
            break
    rule.finish()
    return rule


@pytest.mark.slow
def test_a_against_a_with_sampled_sessions_is_honest():
    """Guarantee under test: "faster"/"slower" for A against A in at most alpha = 5% of
    comparisons. 60 simulated comparisons, each up to 40 rounds (sessions renewed every 5);
    the test allows 9 wrong verdicts. False-failure bound: were the rule exactly at its 5%,
    P(Binomial(60, 0.05) >= 10) = 0.0009; a rule that called 20% would pass with
    P(Binomial(60, 0.2) <= 9) = 0.18, so the test catches a gross break, not a small one."""
    rng = np.random.default_rng(2025)
    wrong = sum(simulate(rng, 1.0, 40, 5).state().verdict in (FASTER, SLOWER) for _ in range(60))
    assert wrong <= 9


@pytest.mark.slow
def test_a_five_percent_difference_is_decided_once_sessions_are_sampled():
    """5% slower, sessions 3% apart: with the same three sessions throughout the sessions part
    gets Student t on 4 degrees of freedom and stays wider than the difference; sessions
    renewed every 5 rounds give it dozens. Ten comparisons each way, 60 rounds at most.
    On this simulation (seed 7): sampled sessions decided 10 of 10 (after 10-60 rounds; the
    last look's half-width ~2.5% against a 3.9% gap to the margin), fixed sessions 0 of 10
    (half-width 7-12%); the test asks for 7 against at most 3.
    False-failure bound: at 90% and 10% the chance of missing either is below 0.01."""
    rng = np.random.default_rng(7)
    sampled = [simulate(rng, 1.05, 60, 5).state() for _ in range(10)]
    fixed = [simulate(rng, 1.05, 60, 0).state() for _ in range(10)]
    assert sum(s.verdict == SLOWER for s in sampled) >= 7
    assert sum(s.verdict == SLOWER for s in fixed) <= 3
    assert not any(s.verdict == FASTER for s in sampled + fixed)


def test_generations_resample_their_own_rounds_and_count_all_sessions():
    """Four generations of 3 sessions, 5 rounds each: the sessions part has 2 x 4 x (3 - 1)
    degrees of freedom (sessions are compared within their generation) and the rounds part
    20 rounds, not 5."""
    rng = np.random.default_rng(0)
    a = np.stack([[sketch_block(rng.normal(100, 3, 30)) for _ in range(5)] for _ in range(12)])
    b = a * 1.02
    sp = ratio_spread(a, b, reps=200, rng=rng, generations=4)
    assert sp.rounds == 20 and sp.session_df == 16
    with pytest.raises(ValueError, match="generations of equal size"):
        ratio_spread(a[:10], b[:10], reps=50, rng=rng, generations=4)


def test_a_generation_longer_than_the_first_look_is_refused():
    with pytest.raises(ValueError, match="first look"):
        SequentialComparison(max_rounds=100, generation_rounds=20)
