"""Result files written by an earlier ortbench still open (tests/data/results-0.1.0/)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ortbench_tui.bench.curve import is_curve_file, load_curve
from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.results import load_result, read_samples, scan_history

OLD = Path(__file__).parent.parent / "data" / "results-0.1.0"


def test_a_run_written_by_0_1_0_opens_with_its_figures_and_samples():
    result = record_dict(load_result(OLD / "run.json"))
    assert result["status"] == "ok" and result["runs"] == 300
    assert result["latency_ms"]["p50"] > 0 and result["model"]["name"] == "sample:tiny"
    samples, why = read_samples(OLD / "run.json")
    assert why == "" and samples is not None and samples.size == 300


def test_a_partial_run_written_by_0_1_0_opens_as_cancelled():
    result = record_dict(load_result(OLD / "partial.json"))
    assert result["status"] == "cancelled" and result["runs"] > 0


def test_the_runs_of_a_comparison_written_by_0_1_0_open_as_results(tmp_path):
    data = json.loads((OLD / "compare.json").read_text())
    assert {"mode", "profiles", "pairs"} <= set(data["comparison"])
    for i, run in enumerate(data["results"]):
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps(run))
        assert record_dict(load_result(path))["runs"] == run["runs"]


def test_a_curve_written_by_0_1_0_opens_as_a_curve():
    assert is_curve_file(OLD / "curve.json")
    curve = load_curve(OLD / "curve.json")
    assert len(curve.points) == 2 and curve.status == "ok"


def test_history_written_by_0_1_0_is_listed(tmp_path):
    for name in ("run.json", "run.npy", "partial.json"):
        shutil.copy(OLD / name, tmp_path / name)
    scan = scan_history(tmp_path)
    assert len(scan.entries) == 2 and not scan.skipped


@pytest.mark.parametrize("name", ["run.json", "partial.json"])
def test_offline_compare_reads_results_of_0_1_0(name):
    from ortbench_tui.bench.compare import compare_files

    comparison, results = compare_files([OLD / "run.json", OLD / name])
    assert len(results) == 2 and comparison.pairs
