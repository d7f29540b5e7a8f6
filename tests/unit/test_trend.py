"""The trend rule over history: a real step is named, noise alone is not (stated bounds)."""

from __future__ import annotations

import json
import math

import numpy as np

from ortbench_tui.bench.results import results_dir
from ortbench_tui.bench.trend import ALPHA, MIN_SIDE, find_step, trends
from ortbench_tui.cli import main


def test_a_step_is_found_where_it_is():
    rng = np.random.default_rng(7)
    series = list(rng.normal(0.0, 0.03, 10)) + list(rng.normal(math.log(1.12), 0.03, 8))
    found = find_step(series)
    assert found is not None
    index, ratio, low, high, p = found
    assert index == 10 and 1.05 < ratio < 1.2 and low > 1.0 and high > ratio and p <= ALPHA


def test_noise_alone_is_not_flagged_in_19_of_20_histories():
    """20 seeded histories of 5% noise: the rule's false-step rate is at most 1% each, so
    two or more flags happen with probability 1.7% (binomial 20, 0.01); the seeds are fixed,
    so the outcome is deterministic."""
    flagged = 0
    for seed in range(20):
        rng = np.random.default_rng(100 + seed)
        flagged += find_step(list(rng.normal(0.0, 0.05, 16))) is not None
    assert flagged <= 1


def test_one_slow_run_is_not_a_step():
    series = [0.0, 0.01, -0.01, 0.0, 0.005, -0.005, 0.0, 0.01, math.log(1.5)]
    assert find_step(series) is None
    assert find_step([0.0] * (2 * MIN_SIDE - 1)) is None


def _write_run(i: int, p50: float, ort: str, sha: str = "a" * 64) -> None:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    result = {
        "schema": 1,
        "created": f"2026-11-{i + 1:02d}T10:00:00+00:00",
        "status": "ok",
        "model": {"spec": "sample:mlp", "path": "/m.onnx", "sha256": sha, "name": "sample:mlp"},
        "profile": {"name": "p", "session": {"intra_op_num_threads": 1}},
        "hardware": {"ort_version": ort, "cpu_model": "Test CPU"},
        "providers": {"requested": ["CPUExecutionProvider"], "active": ["CPUExecutionProvider"]},
        "warmup_runs": 1,
        "runs": 100,
        "wall_s": 1.0,
        "latency_ms": {"p50": p50, "p99": p50 * 1.5, "mean": p50, "min": p50, "max": p50},
        "percentile_method": "exact",
        "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 256]}],
        "warnings": [],
    }
    (folder / f"run-{i:02d}.json").write_text(json.dumps(result))


def test_history_trend_names_the_step_and_the_ort_upgrade(capsys):
    rng = np.random.default_rng(5)
    for i in range(14):
        slower = i >= 8
        p50 = 0.14 * (1.15 if slower else 1.0) * math.exp(rng.normal(0, 0.02))
        _write_run(i, p50, "1.32.0" if slower else "1.31.1")
    assert main(["history", "--trend", "sample:mlp", "--json", "-"]) == 0
    (trend,) = json.loads(capsys.readouterr().out)
    assert trend["changes"] == [{"index": 8, "what": "ORT 1.32.0"}]
    step = trend["step"]
    assert step["index"] == 8 and step["text"].startswith("p50 +1")
    assert "since ORT 1.32.0 (2026-11-09)" in step["text"]
    assert main(["history", "--trend", "sample:mlp"]) == 0
    out = capsys.readouterr().out
    assert "STEP ORT 1.32.0" in out and "step: p50 +" in out


def test_trends_group_by_profile_settings_and_skip_failed_runs():
    _write_run(0, 0.1, "1.31.1")
    _write_run(1, 0.1, "1.31.1")
    path = results_dir() / "run-01.json"
    data = json.loads(path.read_text())
    data["profile"]["session"]["intra_op_num_threads"] = 2
    path.write_text(json.dumps(data))
    _write_run(2, 0.1, "1.31.1")
    data = json.loads((results_dir() / "run-02.json").read_text())
    data["status"] = "cancelled"
    (results_dir() / "run-02.json").write_text(json.dumps(data))
    from ortbench_tui.bench.results import load_result

    loaded = [(p, load_result(p)) for p in sorted(results_dir().glob("*.json"))]
    groups = trends(loaded)
    assert sorted(len(t.points) for t in groups) == [1, 1]
