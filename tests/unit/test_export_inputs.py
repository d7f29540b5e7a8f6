"""Exported Markdown names the inputs it was measured on (a table without shapes cannot be
compared with anyone else's)."""

from __future__ import annotations

from ortbench_tui.bench.curve import curve_markdown
from ortbench_tui.bench.curve.points import PointResult
from ortbench_tui.bench.job_records import CurveResult
from ortbench_tui.bench.result_record import ModelRecord
from ortbench_tui.bench.run_inputs import inputs_markdown


def test_inputs_markdown_names_each_input_with_dtype_shape_and_values():
    records = [
        {"name": "x", "dtype": "float32", "shape": [1, 3, 640, 640], "source": {"spec": "normal"}},
        {"name": "mask", "dtype": "int64", "shape": [1, 128], "source": {}},
    ]
    line = inputs_markdown(records)
    assert line == "Inputs: `x` float32 1x3x640x640 (normal), `mask` int64 1x128."
    assert inputs_markdown([]) == "Inputs: unrecorded."


def test_curve_markdown_lists_the_shapes_of_its_points():
    points = [
        PointResult(0, {"batch": 1}, 1, shapes={"tokens": [1, 128]}),
        PointResult(1, {"batch": 8}, 1, shapes={"tokens": [8, 128]}),
        PointResult(2, {"batch": 8}, 2, shapes={"tokens": [8, 128]}),
    ]
    result = CurveResult(
        schema=1,
        kind="curve",
        model=ModelRecord(name="bert-base"),
        profile={"name": "p"},
        points=[p.record() for p in points],
        knee=[],
    )
    md = curve_markdown(result, points)
    assert "Inputs: `tokens` 1x128; `tokens` 8x128." in md.splitlines()
