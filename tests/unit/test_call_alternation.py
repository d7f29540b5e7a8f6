"""Call-level alternation: where it is safe, the interleaved child lets one session of each
profile take turns call by call (A, B, B, A, ...), so that whatever the machine does during
that stretch of a round hits both alike; the bootstrap then draws those sessions as pairs.

The schedule's pieces are checked directly, the child for real on sample:tiny (which mode it
chose and that a group's blocks are the same length), and the paired resampling on streams
simulated with the structure call-level alternation leaves: every group's stretch of a round
has its own machine speed, shared by the group's sessions."""

from __future__ import annotations

import numpy as np
import pytest

from ortbench_tui.bench.compare import CompareRequest, run_compare
from ortbench_tui.bench.interleave import (
    alternated_loop,
    alternates_calls,
    call_groups,
    cycles_per_group,
)
from ortbench_tui.bench.level_bootstrap import ratio_spread
from ortbench_tui.bench.protocol import ScheduleRequest
from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.stopping import FASTER, SLOWER, SequentialComparison
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.samples import sample_path


def schedule(**extra: object) -> ScheduleRequest:
    base: ScheduleRequest = {
        "timed_runs": 100,
        "duration_s": 0.0,
        "min_rounds": 10,
        "block_s": 0.05,
    }
    base.update(extra)  # type: ignore[typeddict-item]
    return base


def test_the_members_of_a_group_take_turns_each_cycle_in_rotated_order():
    seen: list[str] = []
    calls = [
        [(lambda tag=tag: seen.append(tag), ()) for tag in ("a0", "a1")],
        [(lambda: seen.append("x"), ())],  # not a member: never called
        [(lambda tag=tag: seen.append(tag), ()) for tag in ("b0", "b1", "b2")],
    ]
    out = np.zeros((2, 4), dtype=np.int64)
    alternated_loop(calls, [0, 2], out, [0, 0, 1], 4)
    # AB BA AB BA; each member steps through its own calls from its offset
    assert seen == ["a0", "b1", "b2", "a1", "a0", "b0", "b1", "a1"]
    assert (out > 0).all()


def test_groups_are_one_session_of_each_profile():
    assert call_groups(6, 2) == [[0, 1], [2, 3], [4, 5]]
    assert call_groups(3, 3) == [[0, 1, 2]]


def test_calls_alternate_only_where_no_thread_pool_needs_its_cores_back():
    assert alternates_calls(schedule(alternate_within=2), [False, False], on_cpu=True)
    assert not alternates_calls(schedule(alternate_within=2), [False, True], on_cpu=True)
    assert not alternates_calls(schedule(alternate_within=2), [False, False], on_cpu=False)
    assert not alternates_calls(schedule(), [False, False], on_cpu=True)  # no groups asked
    forced = schedule(alternate_within=2, alternation="call")
    assert alternates_calls(forced, [True, True], on_cpu=True)
    blocks = schedule(alternate_within=2, alternation="block")
    assert not alternates_calls(blocks, [False, False], on_cpu=True)


def test_a_group_round_lasts_as_long_as_its_blocks_would_have():
    # 100 runs of 10 µs and 10 runs of 100 µs: 2 ms of blocks; one cycle is 110 µs
    assert cycles_per_group([0, 1], [100, 10], [10_000, 100_000]) == 18
    assert cycles_per_group([0, 1], [50, 50], [10_000, 10_000]) == 50


def one_thread(name: str) -> Profile:
    return apply_overrides(
        Profile(name=name), ["session.intra_op_num_threads=1", "run.warmup_runs=5"]
    )


@pytest.mark.parametrize(
    ("threads", "mode", "expected"),
    [(1, "auto", "call"), (2, "auto", "block"), (1, "block", "block")],
)
def test_the_child_alternates_calls_for_single_threaded_sessions(threads, mode, expected):
    profiles = [
        apply_overrides(
            Profile(name=n),
            [f"session.intra_op_num_threads={threads}", "run.warmup_runs=5", "run.timed_runs=400"],
        )
        for n in ("a", "b")
    ]
    req = CompareRequest(str(sample_path("tiny")), profiles, sessions=2, alternation=mode)
    done = run_compare(req)
    infos = [record_dict(r)["comparison"] for r in done.results if r is not None]
    assert {i["alternation"] for i in infos} == {expected}
    assert all(sum(i["session_runs"]) == done.samples[k].size for k, i in enumerate(infos))
    sets = [s for s in done.sets if s is not None]
    # a group's sessions (the i-th of each profile) took the same number of calls per round
    assert [x.shape for x in sets[0].sessions] == [x.shape for x in sets[1].sessions]
    paired = "resampled in pairs" in done.comparison.method
    assert paired == (expected == "call")
    # Pooled sessions spin after their blocks: the child waited for them to park (at least
    # one 10 ms slice a block); sessions without a pool never wait.
    settled = {i["pools_settled_s"] for i in infos}
    assert len(settled) == 1 and (settled.pop() > 0) == (threads > 1)


# --- the paired resampling, simulated ----------------------------------------------------

SESSIONS = 3
SESSION_SD = 0.01
"""Each ORT session's own speed, for its whole life."""
STRETCH_SD = 0.05
"""The machine's speed over one group's stretch of a round: shared by the group's sessions
(their calls alternated), not by the other groups'."""
RUNS = 40


def simulate(
    rng: np.random.Generator, ratio: float, rounds: int, paired: bool, generation_rounds: int = 5
) -> SequentialComparison:
    rule = SequentialComparison(
        max_rounds=rounds, reps=400, seed=int(rng.integers(1 << 30)),
        first_look=generation_rounds, generation_rounds=generation_rounds, paired_sessions=paired,
    )  # fmt: skip
    effects = rng.normal(0, SESSION_SD, (2, SESSIONS))
    for r in range(rounds):
        if r and r % generation_rounds == 0:
            effects = rng.normal(0, SESSION_SD, (2, SESSIONS))
        stretch = rng.normal(0, STRETCH_SD, SESSIONS)
        sides = [
            [
                100_000
                * centre
                * np.exp(stretch[s] + effects[side, s])
                * rng.lognormal(0, 0.05, RUNS)
                for s in range(SESSIONS)
            ]
            for side, centre in enumerate((1.0, ratio))
        ]
        rule.add_round(sides[0], sides[1], interrupted=0)
        if rule.should_stop():
            break
    rule.finish()
    return rule


@pytest.mark.slow
def test_a_against_a_with_paired_sessions_is_honest():
    """Guarantee under test: "faster"/"slower" for A against A in at most alpha = 5% of
    comparisons. 60 simulated comparisons, up to 40 rounds each; the test allows 9 wrong.
    False-failure bound: at exactly 5%, P(Binomial(60, 0.05) >= 10) = 0.0009."""
    rng = np.random.default_rng(2026)
    wrong = sum(
        simulate(rng, 1.0, 40, paired=True).state().verdict in (FASTER, SLOWER) for _ in range(60)
    )
    assert wrong <= 9


@pytest.mark.slow
def test_pairing_the_sessions_decides_what_unpaired_sessions_cannot():
    """3% slower; each group's stretch of a round 5% off the others', sessions 1% apart. Drawn
    unpaired, the stretches look like session differences and the interval stays wide; drawn
    as pairs they cancel. Ten comparisons each way, 30 rounds at most (seed 11): the test asks
    paired for at least 8 "slower" and unpaired for at most 4. False-failure bound: with the
    rates seen here (10 of 10 and 0 of 10) either miss has a chance below 0.01."""
    rng = np.random.default_rng(11)
    paired = [simulate(rng, 1.03, 30, paired=True).state() for _ in range(10)]
    unpaired = [simulate(rng, 1.03, 30, paired=False).state() for _ in range(10)]
    assert sum(s.verdict == SLOWER for s in paired) >= 8
    assert sum(s.verdict == SLOWER for s in unpaired) <= 4
    assert not any(s.verdict == FASTER for s in paired + unpaired)


def test_paired_sessions_count_one_degree_of_freedom_per_pair():
    rng = np.random.default_rng(0)
    a = rng.normal(100, 3, (12, 5, 16))
    sp = ratio_spread(a, a * 1.02, reps=100, rng=rng, generations=4, paired_sessions=True)
    assert sp.session_df == 12 - 4
    with pytest.raises(ValueError, match="as many sessions"):
        ratio_spread(a, a[:8], reps=50, rng=rng, generations=4, paired_sessions=True)


@pytest.mark.parametrize(("threads", "every"), [(1, 4), (2, 5)])
def test_until_decided_call_by_call_renews_its_sessions_more_often(threads, every):
    """Call by call, what limits a verdict is the number of session pairs, so the child keeps
    each pair for 4 rounds (CALL_GENERATION_ROUNDS) of 10 ms stretches; blocks keep 5. The
    parent's rule counts generations as the child made them (its Schedule says)."""
    from ortbench_tui.bench.compare.until import DecideSettings

    profiles = [
        apply_overrides(
            Profile(name=n), [f"session.intra_op_num_threads={threads}", "run.warmup_runs=5"]
        )
        for n in ("a", "b")
    ]
    req = CompareRequest(
        str(sample_path("tiny")), profiles, sessions=2, until_decided=DecideSettings(2.0)
    )
    done = run_compare(req)
    assert f"sessions renewed every {every} rounds" in done.comparison.method
    assert ("resampled in pairs" in done.comparison.method) == (threads == 1)


def test_until_decided_eta_counts_the_budget_from_the_timed_rounds():
    """The budget is of timed rounds, so the ETA shown while setting up is the whole budget
    and, once timing starts, the budget less the timed time: it used to count from the job's
    start and read low by the set-up (a spawn, imports, sessions: a second or more)."""
    from ortbench_tui.bench.compare import CompareRun
    from ortbench_tui.bench.compare.request import CompareProgress
    from ortbench_tui.bench.compare.until import DecideSettings

    budget = 3.0
    req = CompareRequest(
        str(sample_path("tiny")),
        [one_thread("a"), one_thread("b")],
        sessions=2,
        until_decided=DecideSettings(budget),
    )
    etas = {}
    for ev in CompareRun(req).events():
        if isinstance(ev, CompareProgress) and ev.phase not in etas:
            etas[ev.phase] = ev.eta_s
    assert etas["setup"] == pytest.approx(budget, abs=0.05)
    assert etas["timed"] is not None and etas["timed"] > budget - 0.3


@pytest.mark.parametrize(("renewal_s", "most"), [(1.0, 40), (0.0, None)])
def test_the_look_plan_counts_what_renewing_the_sessions_costs(renewal_s, most):
    """The plan is fixed from the pace of the first two rounds, which renew no session: the
    sessions' creation times (1 s for all of them, every 4 rounds) must be added, or a 10 s
    budget is planned for far more rounds, and looks, than it can hold."""
    from ortbench_tui.bench.compare.until import DecideSettings, UntilDecided

    until = UntilDecided([(0, 0), (0, 1)], 2, 0.01, DecideSettings(10.0), 0, lambda m: None)
    until.generation_rounds, until.renewal_s = 4, renewal_s
    rng = np.random.default_rng(0)
    for _ in range(2):  # two quick rounds: the plan is fixed after them
        for unit in (0, 1):
            until.add_block(unit, rng.normal(1e6, 1e4, 20).astype(np.int64))
    (rule,) = until.rules
    assert rule is not None
    last = rule.plan.rounds[-1]
    # 10 s over 0.25 s a round (the renewal's share; the rounds themselves took no time)
    assert 36 <= last <= most if most is not None else last > 1000
