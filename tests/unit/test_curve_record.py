"""The curve job's typed record end to end: the curve is built as a `CurveResult`, carried as
one, written as JSON only where a file is written, and read back by one check (`load_curve`).
Files written before the record read back and write the same text; a curve measured now is
written with the keys of those files, in their order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ortbench_tui.bench.curve import curve_points, format_curve, load_curve
from ortbench_tui.bench.job_records import CurveResult, curve_record, record_dict
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError

BEFORE = Path(__file__).parent.parent / "data" / "curve-before-typed-build"
FILES = [BEFORE / "curve.json", BEFORE / "curve-history.json"]


def written(data: Any) -> str:
    """The text ortbench writes for a JSON object (`write_job_json`, `--json FILE`)."""
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_a_curve_written_before_the_record_reads_back_and_writes_the_same_text(path):
    record = load_curve(path)
    assert isinstance(record, CurveResult)
    assert written(record_dict(record)) == path.read_text()
    assert written(record_dict(curve_record(json.loads(path.read_text())))) == path.read_text()
    points = curve_points(record)
    assert [p.label for p in points] == [
        "batch=1 sequence=8 C=1",
        "batch=1 sequence=8 C=2",
        "batch=2 sequence=8 C=1",
        "batch=2 sequence=8 C=2",
    ]
    assert all(p.ok and p.p50_ci and p.latency_ms["p50"] for p in points)
    assert format_curve(record, points).startswith("curve · sample:encoder · profile ort-defaults")


def key_order(data: Any) -> Any:
    """The keys of a JSON object, nested, in their order; a list by its first item. The open
    sections (the profile, the machine, the input spec) are left to their own code."""
    if isinstance(data, dict):
        return [(k, None if k in ("profile", "hardware", "inputs") else key_order(v))
                for k, v in data.items()]  # fmt: skip
    if isinstance(data, list):
        return [key_order(data[0])] if data else []
    return None


def test_a_curve_measured_now_is_written_with_the_keys_of_todays_files(capsys, tmp_path):
    out = tmp_path / "curve.json"
    code = main(
        ["curve", "sample:encoder", "--dim", "batch=1,2", "--dim", "sequence=8",
         "--concurrency", "1,2", "--runs", "20", "--warmup", "2", "--json", str(out), "-q"]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    as_json = json.loads(out.read_text())
    kept = json.loads(Path(as_json["saved"]).read_text())
    assert key_order(as_json) == key_order(json.loads(FILES[0].read_text()))
    assert key_order(kept) == key_order(json.loads(FILES[1].read_text()))
    assert kept == {k: v for k, v in as_json.items() if k != "saved"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda d: d["per_point"].update(warmup_runs=-1),
         "per_point.warmup_runs must be a whole number >= 0, got -1"),
        (lambda d: d["grid"].update(concurrency="1,2"),
         "grid.concurrency must be a list, got a string"),
        (lambda d: d["points"][2].update(p50_ci=[0.1]),
         "points[2].p50_ci must be a list of length >= 2, got 1 item"),
    ],
)  # fmt: skip
def test_a_bad_curve_file_is_refused_naming_the_file_and_the_key(tmp_path, change, problem):
    data = json.loads(FILES[1].read_text())
    change(data)
    path = tmp_path / "bad-curve.json"
    path.write_text(written(data))
    with pytest.raises(OrtbenchError) as caught:
        load_curve(path)
    assert str(caught.value) == f"{path}: {problem}"
