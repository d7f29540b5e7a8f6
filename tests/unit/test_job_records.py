"""The curve and load result records (bench/job_records.py): files written by ortbench convert
to them and back unchanged, and a hand-edited file is refused on read with the file and the
field named, where the readers used to fail later (KeyError, TypeError) or read garbage."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ortbench_tui.bench.curve import CurveRequest, load_curve, run_curve
from ortbench_tui.bench.job_records import (
    CurveResult,
    LoadResult,
    curve_record,
    load_record,
    record_dict,
)
from ortbench_tui.bench.load import LoadRequest, load_load, run_load
from ortbench_tui.bench.load.result import steps_of
from ortbench_tui.bench.result_record import ResultProblem
from ortbench_tui.bench.results import scan_history
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile, apply_overrides

DATA = Path(__file__).parent.parent / "data"


def one_thread(name: str, runs: int = 40) -> Profile:
    return apply_overrides(
        Profile(name=name),
        ["session.intra_op_num_threads=1", "run.warmup_runs=2", f"run.timed_runs={runs}"],
    )


@pytest.fixture(scope="module")
def curve_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A curve measured now: two concurrency levels on sample:mlp."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORTBENCH_DATA_DIR", str(tmp_path_factory.mktemp("curve-data")))
        done = run_curve(CurveRequest("sample:mlp", one_thread("quick"), concurrency=[1, 2]))
    assert done.path is not None
    return done.path


@pytest.fixture(scope="module")
def load_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A load job measured now: two profiles (so a comparison) at two rates on sample:tiny."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORTBENCH_DATA_DIR", str(tmp_path_factory.mktemp("load-data")))
        request = LoadRequest(
            "sample:tiny", [one_thread("a"), one_thread("b")], rates=[200, 400], duration_s=0.3
        )
        done = run_load(request)
    assert done.path is not None
    return done.path


def with_find_max(data: dict[str, Any]) -> None:
    """What --find-max adds: the SLO, each step's decision and the answer (as it writes them)."""
    data["load"]["slo"] = {"text": "p99=1ms", "percentile": 99.0, "bound_ms": 1.0}
    data["load"]["find_max"] = True
    for step in data["profiles"][0]["steps"]:
        step["decision"] = {
            "percentile_ms": 0.5, "ci_ms": [0.4, 0.6], "outcome": "met",
            "reason": "the 95% CI lies under the bound", "slo": "p99=1ms", "retry": False,
        }  # fmt: skip
    data["profiles"][0]["find_max"] = {
        "max_rate": 400.0, "lowest_not_met": None, "bracket": [400.0, None],
        "tolerance": 0.05, "steps": 2, "note": "",
    }  # fmt: skip


def test_a_curve_written_now_and_by_0_1_0_round_trips_with_the_same_keys_and_values(curve_file):
    for path in [curve_file, DATA / "results-0.1.0" / "curve.json"]:
        data = json.loads(path.read_text())
        record = curve_record(data)
        assert isinstance(record, CurveResult) and len(record.points) == len(data["points"])
        assert record_dict(record) == data
        assert json.loads(json.dumps(record_dict(record))) == data
        assert record_dict(load_curve(path)) == data


def test_a_load_result_written_now_round_trips_with_the_same_keys_and_values(load_file):
    data = json.loads(load_file.read_text())
    assert data["comparisons"]  # two profiles: the comparison is in the file
    searched = copy.deepcopy(data)
    with_find_max(searched)
    for each in [data, searched]:
        record = load_record(each)
        assert isinstance(record, LoadResult) and len(record.profiles) == 2
        assert record_dict(record) == each
        assert json.loads(json.dumps(record_dict(record))) == each
    assert load_load(load_file) == data


def edit(source: Path, target: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = json.loads(source.read_text())
    change(data)
    target.write_text(json.dumps(data))
    return target


def p50_as_text(data: dict[str, Any]) -> None:
    data["points"][0]["latency_ms"]["p50"] = "0.12"


def no_rate(data: dict[str, Any]) -> None:
    del data["profiles"][0]["steps"][1]["rate"]


def served_as_text(data: dict[str, Any]) -> None:
    data["profiles"][1]["steps"][0]["served"] = "200"


def negative_p99(data: dict[str, Any]) -> None:
    data["profiles"][0]["steps"][0]["response_ms"]["p99"] = -1.0


def model_as_text(data: dict[str, Any]) -> None:
    data["model"] = "sample:tiny"


def test_a_curve_with_a_wrong_typed_point_is_refused_naming_the_file_and_field(
    curve_file, tmp_path
):
    """Before: the curve read, then `compare` divided a string by a string (TypeError), and
    the curve screen showed `0.12` as if measured."""
    path = edit(curve_file, tmp_path / "p50-curve.json", p50_as_text)
    with pytest.raises(OrtbenchError) as caught:
        load_curve(path)
    assert str(caught.value) == (
        f"{path}: points[0].latency_ms.p50 must be a number or null, got a string"
    )
    path = edit(curve_file, tmp_path / "dims-curve.json", lambda d: d["points"][1].pop("dims"))
    with pytest.raises(OrtbenchError, match=r"dims-curve\.json: points\[1\] has no dims$"):
        load_curve(path)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (no_rate, "profiles[0].steps[1] has no rate"),
        (served_as_text, "profiles[1].steps[0].served must be a whole number, got a string"),
        (
            negative_p99,
            "profiles[0].steps[0].response_ms.p99 must be a finite number >= 0, got -1.0",
        ),
        (model_as_text, "model must be an object, got a string"),
    ],
    ids=["no rate", "served as text", "negative p99", "model as text"],
)
def test_a_load_result_with_a_bad_field_is_refused_naming_the_file_and_field(
    load_file, tmp_path, change, problem
):
    """Before: load_load returned it; then `steps_of` raised TypeError (no rate), the report
    formatted "200" as a count, or the history showed a negative p99."""
    path = edit(load_file, tmp_path / "bad-load.json", change)
    with pytest.raises(OrtbenchError) as caught:
        load_load(path)
    assert str(caught.value) == f"{path}: {problem}"


def test_the_history_skips_a_bad_curve_or_load_file_with_the_field_named(
    curve_file, load_file, isolated_dirs
):
    folder = isolated_dirs / "results"
    folder.mkdir(parents=True, exist_ok=True)
    edit(curve_file, folder / "a-curve.json", p50_as_text)
    edit(load_file, folder / "b-load.json", no_rate)
    edit(load_file, folder / "c-load.json", lambda d: None)
    scan = scan_history()
    assert [e.path.name for e in scan.entries] == ["c-load.json"]
    assert {p.name: why for p, why in scan.skipped} == {
        "a-curve.json": "points[0].latency_ms.p50 must be a number or null, got a string",
        "b-load.json": "profiles[0].steps[1] has no rate",
    }


def test_kind_schema_and_the_list_of_items_keep_their_messages():
    with pytest.raises(ResultProblem, match=r"^not an ortbench curve \(kind is not 'curve'\)$"):
        curve_record({"schema": 1, "kind": "load", "points": []})
    with pytest.raises(ResultProblem, match="^curve schema 2, this ortbench reads 1$"):
        curve_record({"schema": 2, "kind": "curve", "points": []})
    with pytest.raises(ResultProblem, match="^a curve without its list of points$"):
        curve_record({"schema": 1, "kind": "curve", "model": {}, "profile": {}})
    with pytest.raises(ResultProblem, match="^a load result without its list of profiles$"):
        load_record({"schema": 1, "kind": "load"})
    with pytest.raises(ResultProblem, match=r"^not an ortbench load result \(missing load\)$"):
        load_record({"schema": 1, "kind": "load", "model": {}, "profiles": []})


def test_a_load_result_read_gives_the_steps_the_report_uses(load_file):
    steps = steps_of(load_load(load_file))
    assert [(name, s.rate) for name, s in steps] == [
        ("a", 200), ("a", 400), ("b", 200), ("b", 400),
    ]  # fmt: skip
