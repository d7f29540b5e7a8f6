"""The three sequential rules, fed fixed seeded streams, give exactly the states recorded in
`tests/data/sequential_rules_golden.json`: the same looks at the same round counts, the same
levels, the same bootstrap draws (so the same intervals, to the last bit), the same verdicts,
stop reasons and ETAs. A change to how the rules are built must not move any of them.

To record the file afresh (only on purpose, when a rule's behaviour is meant to change):
`PYTHONPATH=$PWD python tests/unit/test_rule_golden.py`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ortbench_tui.bench.ci_stop import SequentialCiWidth
from ortbench_tui.bench.stopping import SequentialComparison
from ortbench_tui.bench.sweep.decide import RoundDecider

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "sequential_rules_golden.json"


def blocks(rng: np.random.Generator, median: float, n: int, sigma: float = 0.1) -> np.ndarray:
    return rng.lognormal(math.log(median), sigma, n).astype(np.int64)


def state_dict(state: Any) -> dict[str, Any] | None:
    if state is None:
        return None
    out = dataclasses.asdict(state)
    if out.get("why") is not None:
        out["why"] = state.why.to_dict()
    return out


def comparison(
    ratio: float,
    max_rounds: int,
    sessions: int = 1,
    generation_rounds: int = 0,
    feed: int | None = None,
    seed: int = 3,
) -> dict[str, Any]:
    """Rounds of A and B (`sessions` blocks of each per round) until the rule stops or `feed`
    rounds are fed; then `finish`."""
    rng = np.random.default_rng(100 + seed)
    rule = SequentialComparison(
        max_rounds, margin=0.01, reps=200, points=8, seed=seed,
        first_look=generation_rounds or 10, generation_rounds=generation_rounds,
    )  # fmt: skip
    looks = []
    for r in range(feed if feed is not None else max_rounds):
        a = [blocks(rng, 1e6, 32) for _ in range(sessions)]
        b = [blocks(rng, 1e6 * ratio, 32) for _ in range(sessions)]
        hit = int(rng.integers(0, 2 * sessions + 1)) if sessions > 1 else None
        s = rule.add_round(a if sessions > 1 else a[0], b if sessions > 1 else b[0],
                           elapsed_s=0.1 * (r + 1), interrupted=hit)  # fmt: skip
        if s is not None:
            looks.append([r + 1, state_dict(s)])
        if rule.should_stop():
            break
    final = rule.finish(elapsed_s=0.1 * (rule.rounds + 1))
    return {
        "looks": looks,
        "final": state_dict(final),
        "history": rule.history,
        "spreads": [[sp.estimate, *sp.interval(0.95)] for sp in rule.spreads],
    }


def ci_width(
    target: float,
    max_blocks: int | None = None,
    samples: int = 40_000,
    chunk: int = 130,
    seed: int = 5,
) -> dict[str, Any]:
    rng = np.random.default_rng(200 + seed)
    stream = blocks(rng, 1e6, samples, sigma=0.2)
    rule = SequentialCiWidth(target, block_runs=50, max_blocks=max_blocks, reps=300, seed=seed)
    looks = []
    for i in range(0, stream.size, chunk):
        s = rule.add_samples(stream[i : i + chunk], elapsed_s=(i + chunk) / 1000)
        if s is not None:
            looks.append([i + chunk, state_dict(s)])
        if rule.should_stop():
            break
    final = rule.finish(elapsed_s=stream.size / 1000 + 1)
    return {"looks": looks, "final": state_dict(final)}


def round_decider(ratios: list[float], max_rounds: int, seed: int = 4) -> dict[str, Any]:
    rng = np.random.default_rng(300 + seed)
    events: list[list[Any]] = []
    d: RoundDecider

    def rounds() -> list[int]:
        return [d.blocks(c) for c in range(len(ratios))]

    d = RoundDecider(
        len(ratios), max_rounds, 0.01,
        drop=lambda i: events.append(["drop", i, rounds()]),
        end=lambda: events.append(["end", rounds()]),
        seed=seed, names=[10 + c for c in range(len(ratios))],
    )  # fmt: skip
    for _ in range(max_rounds):
        for c, ratio in enumerate(ratios):
            d.add_block(c, blocks(rng, 1e6 * ratio, 40))
        if d.ended:
            break
    return {
        "events": events,
        "dropped": {str(k): v for k, v in d.dropped.items()},
        "looks_done": d.looks_done,
        "rounds": rounds(),
    }


SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "comparison_slower": lambda: comparison(1.03, 160),
    "comparison_faster_sessions": lambda: comparison(0.97, 160, sessions=3, seed=4),
    "comparison_a_against_a_generations": lambda: comparison(
        1.0, 60, sessions=3, generation_rounds=5
    ),
    "comparison_equal": lambda: comparison(1.001, 320, seed=6),
    "comparison_time_out": lambda: comparison(1.004, 400, feed=37, seed=7),
    "comparison_time_out_on_a_look": lambda: comparison(1.004, 400, feed=20, seed=8),
    "comparison_too_short": lambda: comparison(1.2, 400, feed=3, seed=9),
    "ci_width_reached": lambda: ci_width(0.01),
    "ci_width_max_blocks": lambda: ci_width(0.002, max_blocks=20),
    "ci_width_time_out": lambda: ci_width(0.001, samples=1_730),
    "ci_width_too_short": lambda: ci_width(0.02, samples=160),
    "round_decider_five": lambda: round_decider([1.0, 1.02, 1.005, 1.3, 1.08], 80),
    "round_decider_ends": lambda: round_decider([1.2, 1.0], 80, seed=5),
    "round_decider_close": lambda: round_decider([1.0, 1.01, 1.02, 0.997], 60, seed=6),
}


def as_json(data: Any) -> Any:
    """Through JSON and back: tuples become lists, the way the recorded file reads."""
    return json.loads(json.dumps(data))


@pytest.mark.parametrize("case", sorted(SCENARIOS))
def test_sequential_rules_match_their_recorded_states(case: str) -> None:
    golden = json.loads(GOLDEN.read_text())
    assert as_json(SCENARIOS[case]()) == golden[case]  # floats compared exactly


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps({k: f() for k, f in SCENARIOS.items()}, indent=1) + "\n")
