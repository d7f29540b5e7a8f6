"""Compare and curve keep their samples in a SampleStore, not in the parent's memory.

A stand-in child streams synthetic samples through the real pipe (fast, deterministic: no
timing is asserted). Mid-run, the arrays reachable from the job object are counted; keeping
the blocks in lists, as before, holds every sample received so far and fails.
"""

from __future__ import annotations

import gc
import types
from pathlib import Path

import numpy as np
import pytest

from ortbench_tui.bench.compare import CompareFinished, CompareProgress, CompareRequest, CompareRun
from ortbench_tui.bench.curve import CurveFinished, CurvePointDone, CurveRequest, CurveRun
from ortbench_tui.bench.curve.result import load_curve_samples
from ortbench_tui.bench.protocol import (
    Block,
    CurveFinal,
    Done,
    InterleavedFinal,
    PointDone,
    RunFinal,
    Schedule,
    SessionReady,
)
from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.sample_store import spill_dir
from ortbench_tui.bench.stats import EXACT_LIMIT, HISTOGRAM_METHOD, PERCENTILE_METHOD
from ortbench_tui.profile import Profile, apply_overrides

BLOCK = 50_000
ROUNDS = 24
"""Per session 1.2 M samples: past the store's exact limit, so it keeps no in-memory copy."""
META = {"providers": {"requested": ["CPUExecutionProvider"], "active": ["CPUExecutionProvider"]}}


def block_of(unit: int, round_: int) -> np.ndarray:
    return np.random.default_rng([unit, round_]).integers(2_000, 40_000, BLOCK, dtype=np.int64)


def streaming_child(conn, request, log_path):
    """Stands in for the interleaved child: every unit's blocks, round after round."""
    n = len(request["profiles"])
    for u in range(n):
        conn.send(SessionReady(u, META))
    conn.send(Schedule(ROUNDS, [BLOCK] * n, [0] * n))
    for r in range(ROUNDS):
        for u in range(n):
            conn.send(Block(r, u, block_of(u, r)))
    finals = [RunFinal(None, 1.0, False) for _ in range(n)]
    conn.send(Done(InterleavedFinal(finals, ROUNDS)))


def array_elements_held(root: object) -> int:
    """Elements of every numpy array reachable from `root` (its attributes, their contents,
    the cells of its closures), modules and classes left out."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type | types.ModuleType):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            total += obj.size
            continue
        if isinstance(obj, types.FunctionType):  # its closure, not its module's globals
            stack += [c.cell_contents for c in obj.__closure__ or ()]
            continue
        stack += gc.get_referents(obj)
    return total


def spill_files() -> list[Path]:
    folder = spill_dir()
    return sorted(folder.iterdir()) if folder.exists() else []


def prof(name: str) -> Profile:
    return apply_overrides(Profile(name=name), [f"run.timed_runs={2 * BLOCK * ROUNDS}"])


@pytest.mark.slow
def test_interleaved_compare_streams_its_samples_to_stores_not_memory(isolated_dirs):
    assert BLOCK * ROUNDS > EXACT_LIMIT
    request = CompareRequest(
        "sample:tiny", [prof("a"), prof("b")], sessions=2, reps=200, save_history=True
    )
    run = CompareRun(request, interleave_target=streaming_child)
    held, files_mid = None, []
    end = None
    for ev in run.events():
        if isinstance(ev, CompareProgress) and ev.phase == "timed" and held is None:
            if ev.done == ROUNDS:  # the last round has begun: nearly every sample is in
                held = array_elements_held(run)
                files_mid = spill_files()
        if isinstance(ev, CompareFinished):
            end = ev
    assert isinstance(end, CompareFinished), end
    received = 4 * BLOCK * (ROUNDS - 1)
    # Bounded by blocks (lengths, sums) and each store's histogram, not by the 4.6 M samples.
    assert held is not None and held < received // 10, f"{held} array elements held"
    assert len(files_mid) == 4  # one spill file per session while it runs ...
    assert spill_files() == []  # ... removed once the comparison is built
    # The results and their saved samples are what was streamed, session after session.
    units = [(s, p) for s in range(2) for p in range(2)]
    for p, record in enumerate(end.results):
        result = record_dict(record)
        mine = [u for u, (_, q) in enumerate(units) if q == p]
        expected = np.concatenate([block_of(u, r) for u in mine for r in range(ROUNDS)])
        assert result["runs"] == expected.size
        assert result["percentile_method"] == HISTOGRAM_METHOD
        assert result["comparison"]["session_runs"] == [BLOCK * ROUNDS] * 2
        saved = np.load(Path(result["history_path"]).with_suffix(".npy"))
        np.testing.assert_array_equal(saved, expected)
        np.testing.assert_array_equal(end.samples[p], expected)


POINT = 200_000
LEVELS = [1, 2, 3, 4]


def point_samples(index: int) -> np.ndarray:
    return np.random.default_rng([99, index]).integers(2_000, 40_000, POINT, dtype=np.int64)


def streaming_curve_child(conn, request, log_path):
    """Stands in for the curve's worker: every point's samples, all at once, as it sends them."""
    conn.send(SessionReady(0, META))
    for point in request["points"][request["start"] :]:
        i = point["index"]
        conn.send(PointDone(i, point_samples(i), 1.0, {"items_per_request": 1}))
    conn.send(Done(CurveFinal(False)))


def test_curve_keeps_each_points_samples_in_a_store_not_memory(isolated_dirs):
    profile = apply_overrides(Profile(name="p"), [f"run.timed_runs={POINT}"])
    request = CurveRequest("sample:tiny", profile, concurrency=LEVELS, save_history=True)
    run = CurveRun(request, target=streaming_curve_child)
    held, files_mid, done = None, [], None
    for ev in run.events():
        if isinstance(ev, CurvePointDone) and len(ev.points) == len(LEVELS):
            held = array_elements_held(run)  # every point measured, the curve not yet built
            files_mid = spill_files()
        done = ev
    assert isinstance(done, CurveFinished), done
    # Bounded by the points' figures, not by the 800 000 samples received.
    assert held is not None and held < len(LEVELS) * POINT // 10, f"{held} array elements held"
    assert len(files_mid) == len(LEVELS)  # one store's file per point while it runs ...
    assert spill_files() == []  # ... removed once the curve is built
    assert done.result.percentile_method == PERCENTILE_METHOD
    assert all(p.requests == POINT for p in done.points)
    assert done.path is not None
    saved = load_curve_samples(done.path)
    assert sorted(saved) == sorted(done.samples) == [f"point_{i}" for i in range(len(LEVELS))]
    for i in range(len(LEVELS)):
        np.testing.assert_array_equal(saved[f"point_{i}"], point_samples(i))
        np.testing.assert_array_equal(done.samples[f"point_{i}"], point_samples(i))
