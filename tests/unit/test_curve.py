"""Load curves: points measured in the worker, their figures, the knee, failures, comparisons.

Real runs on sample:encoder (symbolic batch and sequence) and sample:mlp with few requests
per point, so the file stays within a minute or so on two busy cores. The figures are
checked for what must hold whatever the load (ordering of percentiles, items/s = batch x
requests/s, the CI around the p50), not for speed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from ortbench_tui.bench.compare import VERDICTS
from ortbench_tui.bench.curve import (
    CurveFinished,
    CurveRequest,
    CurveRun,
    PointResult,
    batch_knee,
    compare_curves,
    concurrency_knee,
    knee_lines,
    load_curve,
    load_curve_samples,
    parse_concurrency,
    parse_dims,
    run_curve,
)
from ortbench_tui.bench.curve.worker import curve_main
from ortbench_tui.bench.results import list_history, save_to_history
from ortbench_tui.bench.runner import RunRequest, run_benchmark
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile, apply_overrides


def quick(runs: int = 60, warmup: int = 4) -> Profile:
    return apply_overrides(
        Profile(name="quick"),
        [f"run.timed_runs={runs}", f"run.warmup_runs={warmup}", "session.intra_op_num_threads=1"],
    )


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def odd_batch_fails(tmp_path: Path) -> str:
    """x [batch, 3] reshaped to [2, -1]: any even batch runs, an odd batch is an ORT error."""
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [2, -1])
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])],
        "odd",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, None])],
        [shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "odd.onnx"
    onnx.save(model, path)
    return str(path)


# -- parsing and bad input (exit 2) ---------------------------------------------------------


def test_dims_and_levels_parse():
    assert parse_dims(["batch=1,8,32", "sequence=128"]) == {"batch": [1, 8, 32], "sequence": [128]}
    assert parse_dims(["a=b=2,3"]) == {"a=b": [2, 3]}  # split at the last '='
    assert parse_concurrency("1,2,4") == [1, 2, 4]
    assert parse_concurrency(None) == [1]


@pytest.mark.parametrize(
    "texts, needle",
    [
        (["batch=0,2"], "0 is below 1"),
        (["batch=1,,2"], "comma-separated list"),
        (["batch=1,x"], "'x' is not an integer"),
        (["batch=2,2"], "2 is given twice"),
        (["=1,2"], "expected NAME=V1,V2"),
        (["batch=1", "batch=2"], "given twice"),
    ],
)
def test_bad_dims_are_refused(texts, needle):
    with pytest.raises(OrtbenchError, match=needle):
        parse_dims(texts)


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--dim", "heads=1,2"], "no input dim named 'heads'; its named dims: batch (tokens), "
         "sequence (tokens)"),
        (["--dim", "batch=0,2", "--dim", "sequence=8"], "0 is below 1"),
        (["--dim", "batch=2", "--dim", "sequence=8", "--concurrency", "0,1"], "0 is below 1"),
        (["--dim", "batch=2", "--dim", "sequence=8", "--concurrency", "1,two"], "not an integer"),
        (["--dim", "batch=2"], "symbolic dim 'sequence'"),
    ],
)  # fmt: skip
def test_curve_cli_bad_input_exits_2(capsys, argv, needle):
    code, out, err = run_cli(capsys, "curve", "sample:encoder", *argv)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_a_model_without_named_dims_says_so(capsys):
    code, _, err = run_cli(capsys, "curve", "sample:mlp", "--dim", "batch=1,2")
    assert code == 2 and "it has no named dims to sweep" in err


# -- real points --------------------------------------------------------------------------


def check_sane(p: PointResult, runs: int) -> None:
    lat = p.latency_ms
    assert p.ok, p.error
    assert p.requests == runs
    assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
    assert lat["min"] <= lat["mean"] <= lat["max"]
    assert p.cv is not None and p.cv >= 0
    assert p.p50_ci is not None and p.p50_ci[0] <= lat["p50"] <= p.p50_ci[1]
    assert p.requests_per_s is not None and p.items_per_s is not None
    assert p.items_per_s == pytest.approx(p.items_per_request * p.requests_per_s, rel=1e-12)
    assert p.requests_per_s == pytest.approx(p.requests / p.wall_s, rel=1e-12)


@pytest.mark.slow
def test_batch_sweep_on_the_encoder_keeps_one_session_and_sizes_each_point():
    request = CurveRequest(
        "sample:encoder", quick(), dims={"batch": [1, 4], "sequence": [8]}, concurrency=[1]
    )
    done = run_curve(request)
    assert isinstance(done, CurveFinished) and not done.failed
    assert [p.dims for p in done.points] == [
        {"batch": 1, "sequence": 8},
        {"batch": 4, "sequence": 8},
    ]
    for p, batch in zip(done.points, (1, 4), strict=True):
        check_sane(p, 60)
        assert p.items_per_request == batch
        assert p.shapes == {"tokens": [batch, 8, 64]}
    assert done.result.kind == "curve"
    assert done.result.knee_lines() and done.result.knee_lines()[0].startswith("knee: batch=")
    assert done.path is not None and done.path.exists()
    saved = load_curve_samples(done.path)
    assert sorted(saved) == ["point_0", "point_1"]
    assert all(saved[f"point_{i}"].size == 60 for i in range(2))
    # the profile's free_dimensions for a swept dim does not fix the session's shape
    fixed = apply_overrides(quick(30), ["session.free_dimensions.batch=1"])
    again = run_curve(CurveRequest("sample:encoder", fixed, {"batch": [2], "sequence": [4]}))
    assert again.points[0].ok and again.points[0].shapes == {"tokens": [2, 4, 64]}


def test_concurrency_sweep_on_the_mlp():
    done = run_curve(CurveRequest("sample:mlp", quick(80), concurrency=[1, 2]))
    assert [p.concurrency for p in done.points] == [1, 2]
    for p in done.points:
        check_sane(p, 80)
        assert p.items_per_request == 1 and p.items_per_s == p.requests_per_s
    assert done.result.knee_lines()[0].startswith("knee: ")
    # the C=2 point split its requests between two threads on one session
    raw = load_curve_samples(done.path)
    assert raw["point_1"].size == 80


def test_without_io_binding_too():
    profile = apply_overrides(quick(40), ["run.io_binding=false"])
    done = run_curve(CurveRequest("sample:mlp", profile, concurrency=[2], save_history=False))
    check_sane(done.points[0], 40)
    assert done.path is None


def test_a_failing_point_is_reported_and_the_others_kept(capsys, tmp_path):
    model = odd_batch_fails(tmp_path)
    code, out, err = run_cli(
        capsys, "curve", model, "--dim", "batch=2,3,4", "--runs", "30", "--warmup", "2",
        "--json", str(tmp_path / "c.json"),
    )  # fmt: skip
    assert code == 1
    assert "1 point(s) failed: batch=3 C=1" in err
    data = json.loads((tmp_path / "c.json").read_text())
    status = [p["status"] for p in data["points"]]
    assert status == ["ok", "failed", "ok"]
    assert "Reshape" in data["points"][1]["error"] or "shape" in data["points"][1]["error"]
    assert data["failed"] == ["batch=3 C=1"]
    assert "failed: 1 of 3 points" in out


def dies_at_point_1(conn: Any, request: dict[str, Any], log_path: str) -> None:
    """The curve's worker, except that it dies (as on an OOM kill) at point 1."""
    from ortbench_tui.bench.curve import worker

    measure = worker.CurveWorker.measure

    def measure_or_die(self: Any, point: dict[str, Any]) -> None:
        if point["index"] == 1:
            os._exit(9)
        measure(self, point)

    worker.CurveWorker.measure = measure_or_die  # type: ignore[method-assign]
    curve_main(conn, request, log_path)


@pytest.mark.slow
def test_a_worker_that_dies_fails_its_point_and_a_fresh_one_goes_on():
    request = CurveRequest("sample:mlp", quick(20), concurrency=[1, 2, 4], save_history=False)
    run = CurveRun(request, target=dies_at_point_1)
    events = list(run.events())
    done = events[-1]
    assert isinstance(done, CurveFinished)
    assert [p.status for p in done.points] == ["ok", "failed", "ok"]
    assert "exited with code 9" in done.points[1].error


def test_stop_keeps_the_points_measured():
    request = CurveRequest("sample:mlp", quick(30), concurrency=[1, 2, 4], save_history=False)
    run = CurveRun(request)
    done = None
    for ev in run.events():
        if getattr(ev, "point", None) is not None and type(ev).__name__ == "CurvePointDone":
            run.cancel()
        done = ev
    assert isinstance(done, CurveFinished) and done.cancelled
    assert done.points[0].ok
    assert {p.status for p in done.points[1:]} <= {"ok", "not run"}
    assert done.result.status == "cancelled"


# -- the knee on made-up points -----------------------------------------------------------


def pt(i: int, c: int = 1, batch: int | None = None, rps: float = 100.0, p99: float = 1.0):
    dims = {"batch": batch} if batch is not None else {}
    items = batch or 1
    return PointResult(
        i, dims, c, requests=100, wall_s=1.0, items_per_request=items,
        latency_ms={"p50": p99 / 2, "p99": p99}, requests_per_s=rps, items_per_s=rps * items,
    )  # fmt: skip


def test_batch_knee_is_the_smallest_batch_within_5_percent_of_the_best():
    points = [pt(0, batch=1, rps=1000), pt(1, batch=8, rps=200), pt(2, batch=16, rps=101),
              pt(3, batch=32, rps=52)]  # fmt: skip  # items/s 1000, 1600, 1616, 1664
    (line,) = batch_knee(points, "batch")
    assert line.startswith(
        "knee: batch=8 gives 1 600 items/s, within 5% of the best (1 664 at batch=32)"
    )
    points[3] = pt(3, batch=32, rps=60)  # 1920 items/s: only the best is within 5%
    (line,) = batch_knee(points, "batch")
    assert line.startswith("knee: batch=32 gives the best items/s (1 920)")


def test_concurrency_knee_is_where_p99_outgrows_throughput():
    points = [pt(0, 1, rps=100, p99=1.0), pt(1, 2, rps=190, p99=1.1), pt(2, 4, rps=250, p99=3.0),
              pt(3, 8, rps=260, p99=6.0)]  # fmt: skip
    (line,) = concurrency_knee(points)
    assert line.startswith("knee: C=2 (190 req/s, p99 1.1 ms); beyond it, C=4 grows p99 2.73x "
                           "for 1.32x throughput")  # fmt: skip
    flat = [pt(0, 1, rps=100, p99=1.0), pt(1, 2, rps=200, p99=1.5)]
    assert concurrency_knee(flat)[0].startswith("knee: none up to C=2")


def test_knee_lines_only_for_swept_axes_and_failed_points_left_out():
    one = [pt(0, 1, batch=4)]
    assert knee_lines(one, "batch") == []
    bad = pt(1, 2, batch=4)
    bad.status = "failed"
    assert knee_lines([pt(0, 1, batch=4), bad], "batch") == []  # one usable point: no knee


# -- history and comparisons --------------------------------------------------------------


@pytest.mark.slow
def test_history_lists_curves_and_compare_reads_two_curves(capsys, tmp_path, isolated_dirs):
    run = run_benchmark(RunRequest("sample:tiny", quick(20)))
    save_to_history(run.result, run.samples_ns)
    a = run_curve(CurveRequest("sample:mlp", quick(120), concurrency=[1, 2]))
    b = run_curve(CurveRequest("sample:mlp", quick(120), concurrency=[1, 2]))
    history = list_history()
    # The run and both curves, each curve as what it is (it opens in the curve screen).
    assert sorted(e.kind for e in history) == ["curve", "curve", "run"]
    assert load_curve(a.path).points[0].status == "ok"
    comp = compare_curves(a.path, b.path)
    assert [r.label for r in comp.rows] == ["C=1", "C=2"]
    for r in comp.rows:
        assert r.ci is not None and r.ci[0] <= r.ratio <= r.ci[1]
        assert r.verdict in VERDICTS
    code, out, _ = run_cli(capsys, "compare", str(a.path), str(b.path))
    assert code == 0 and "B/A [95% CI]" in out and "C=2" in out
    other = run_curve(CurveRequest("sample:mlp", quick(20), concurrency=[1]))
    code, _, err = run_cli(capsys, "compare", str(a.path), str(other.path))
    assert code == 2 and "another grid" in err


def test_a_curve_file_without_samples_compares_without_a_ci(tmp_path):
    done = run_curve(CurveRequest("sample:mlp", quick(40), concurrency=[1]))
    copy = tmp_path / "b.json"
    copy.write_text(done.path.read_text())
    comp = compare_curves(done.path, copy)
    assert comp.rows[0].ratio == pytest.approx(1.0) and comp.rows[0].ci is None
    assert comp.rows[0].note == "no raw samples: no CI"
    assert np.isfinite(comp.rows[0].a_p50_ms)


def test_curve_cli_reads_the_saved_inputs_when_asked(capsys, tmp_path):
    """`--inputs saved` is the spec the TUI saved, read as every other job reads it."""
    import input_models

    from ortbench_tui.inputs import spec_from_flags
    from ortbench_tui.inputs.store import save_spec

    model = str(input_models.gather_table(tmp_path))
    save_spec(model, spec_from_flags(values=["ids=int:3..3"]))
    argv = ["--dim", "batch=1", "--runs", "4", "--warmup", "1", "--no-history", "-q"]
    code, out, err = run_cli(capsys, "curve", model, *argv, "--inputs", "saved", "--json", "-")
    assert code == 0, err
    assert json.loads(out)["inputs"] == {"inputs": {"ids": {"values": "int:3..3"}}}
