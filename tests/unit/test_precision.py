"""Reduced precision: fp16 / int8 derivation, its cache, its errors, and the accuracy figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from ortbench_tui import precision
from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.runner import RunRequest, run_benchmark
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.feeds import make_feeds
from ortbench_tui.models import inspect_model
from ortbench_tui.precision import (
    accuracy_figures,
    accuracy_lines,
    accuracy_report,
    derive_model,
    derived_dir,
    plan_derivation,
)
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.samples import sample_path

PRECISIONS = {
    "fp16": ["run.precision=fp16"],
    "int8-dynamic": ["run.precision=int8", "run.int8_mode=dynamic"],
    "int8-static": ["run.precision=int8", "run.int8_mode=static"],
}


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(name="t"), ["session.intra_op_num_threads=1", *sets])


def cpu_run(path: Path, feeds: list[dict[str, np.ndarray]]) -> list[list[np.ndarray]]:
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return [sess.run(None, feed) for feed in feeds]


def numpy_figures(ref: list[np.ndarray], got: list[np.ndarray]) -> tuple[float, float, float]:
    """The three figures, written out plainly (the check of accuracy_figures)."""
    r = np.concatenate([a.astype(np.float64).ravel() for a in ref])
    g = np.concatenate([a.astype(np.float64).ravel() for a in got])
    err = np.abs(r - g)
    cos = float(r @ g / (np.sqrt(r @ r) * np.sqrt(g @ g)))
    return float(err.max()), float(err.mean()), cos


def layernorm_with_stats_model(path: Path) -> Path:
    """LayerNormalization exposing its Mean / InvStdDev outputs: valid in fp32; the fp16
    converter turns those outputs to float16, which the op's type constraint (U) forbids."""
    graph = helper.make_graph(
        [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], name="ln")],
        "ln_stats",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4]),
            helper.make_tensor_value_info("mean", TensorProto.FLOAT, [2, 1]),
            helper.make_tensor_value_info("inv", TensorProto.FLOAT, [2, 1]),
        ],
        [
            numpy_helper.from_array(np.ones(4, np.float32), "s"),
            numpy_helper.from_array(np.zeros(4, np.float32), "b"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.save(model, str(path))
    return path


# --- accuracy figures ---------------------------------------------------------------------------


def test_accuracy_figures_match_numpy():
    rng = np.random.default_rng(7)
    ref = [rng.standard_normal((3, 5)).astype(np.float32) for _ in range(4)]
    got = [(r + rng.normal(0, 1e-2, r.shape)).astype(np.float32) for r in ref]
    fig = accuracy_figures(ref, got)
    max_err, mean_err, cos = numpy_figures(ref, got)
    assert fig["max_abs_err"] == pytest.approx(max_err, rel=1e-12)
    assert fig["mean_abs_err"] == pytest.approx(mean_err, rel=1e-12)
    assert fig["cosine"] == pytest.approx(cos, rel=1e-12)
    assert fig["ref_max_abs"] == pytest.approx(max(float(np.abs(r).max()) for r in ref))
    assert fig["elements"] == 60 and fig["nonfinite"] == 0
    # Exact copies: no error, cosine 1.
    same = accuracy_figures(ref, [r.copy() for r in ref])
    assert same["max_abs_err"] == 0.0 and same["cosine"] == pytest.approx(1.0)


def test_accuracy_figures_leave_out_non_finite_values_and_count_them():
    ref = [np.array([1.0, 2.0, 3.0, 4.0], np.float32)]
    got = [np.array([1.5, np.inf, 3.0, np.nan], np.float32)]
    fig = accuracy_figures(ref, got)
    assert fig["nonfinite"] == 2
    assert fig["max_abs_err"] == pytest.approx(0.5)
    assert fig["mean_abs_err"] == pytest.approx(0.25)
    r, g = np.array([1.0, 3.0]), np.array([1.5, 3.0])
    assert fig["cosine"] == pytest.approx(r @ g / np.linalg.norm(r) / np.linalg.norm(g))
    zeros = accuracy_figures([np.zeros(3)], [np.zeros(3)])
    assert zeros["cosine"] == 1.0 and zeros["max_abs_err"] == 0.0
    nothing = accuracy_figures([np.array([np.nan])], [np.array([1.0])])
    assert nothing["max_abs_err"] is None and nothing["cosine"] is None


def test_accuracy_report_matches_a_numpy_computation_on_real_models():
    src = sample_path("mlp")
    p = prof(*PRECISIONS["fp16"])
    derived = derive_model(src, p)
    feeds = make_feeds(inspect_model(src).inputs, {}, seed=3, sets=3)
    report = accuracy_report(src, derived, feeds, p)
    ref = [outs[0] for outs in cpu_run(src, feeds)]
    got = [outs[0] for outs in cpu_run(derived, feeds)]
    max_err, mean_err, cos = numpy_figures(ref, got)
    y = report["y"]
    assert y["max_abs_err"] == pytest.approx(max_err, rel=1e-9)
    assert y["mean_abs_err"] == pytest.approx(mean_err, rel=1e-9)
    assert y["cosine"] == pytest.approx(cos, rel=1e-9)
    assert y["input_sets"] == 3 and y["precision"] == "fp16" and y["reference"] == "fp32"
    assert 0 < y["max_abs_err"] < 0.05 and y["cosine"] > 0.999


def test_accuracy_lines():
    fig = accuracy_figures([np.array([1.0, 2.0])], [np.array([1.0, 2.5])])
    assert accuracy_lines({"y": fig}) == [
        "y: cosine 0.99654576 · max abs err 0.5 · mean abs err 0.25 (ref max 2)"
    ]
    assert accuracy_lines({"error": "accuracy check failed: x"}) == ["accuracy check failed: x"]
    assert accuracy_lines(None) == [] and accuracy_lines({"s": {"skipped": "not a tensor"}}) == [
        "s: not a tensor"
    ]


def test_accuracy_report_does_not_raise(tmp_path):
    report = accuracy_report(tmp_path / "nope.onnx", tmp_path / "nope.onnx", [], prof())
    assert list(report) == ["error"] and "accuracy check failed" in report["error"]


# --- derivation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("sample", ["mlp", "conv"])
@pytest.mark.parametrize("tag", list(PRECISIONS))
def test_samples_convert_load_and_stay_accurate(sample, tag):
    src = sample_path(sample)
    p = prof(*PRECISIONS[tag])
    derived = derive_model(src, p)
    assert derived.is_file() and derived.parent == derived_dir()
    assert str(derived).startswith(os.environ["ORTBENCH_CACHE_DIR"]) and tag in derived.name
    model = onnx.load(str(derived))
    ops = {n.op_type for n in model.graph.node}
    if tag == "fp16":
        assert any(i.data_type == TensorProto.FLOAT16 for i in model.graph.initializer)
    elif tag == "int8-dynamic":
        assert ops & {"DynamicQuantizeLinear", "MatMulInteger", "ConvInteger"}
    else:
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops
    # keep_io_types: the same float32 inputs and outputs, so the same feeds work.
    src_info, der_info = inspect_model(src), inspect_model(derived)
    assert [t.to_dict() for t in der_info.inputs] == [t.to_dict() for t in src_info.inputs]
    assert [(t.name, t.dtype) for t in der_info.outputs] == [
        (t.name, t.dtype) for t in src_info.outputs
    ]
    feeds = make_feeds(src_info.inputs, {}, seed=0, sets=4)
    report = accuracy_report(src, derived, feeds, p)
    (figures,) = report.values()
    assert figures["nonfinite"] == 0
    assert figures["cosine"] > (0.999 if tag == "fp16" else 0.99)
    assert 0 < figures["max_abs_err"] < (0.01 if tag == "fp16" else 0.1) * figures["ref_max_abs"]


@pytest.mark.parametrize("tag", ["fp16", "int8-dynamic"])
def test_models_with_external_data_keep_it_beside_the_derived_model(tmp_path, tag, fresh_cache):
    src_model = onnx.load(str(sample_path("mlp")))
    src = tmp_path / "ext" / "mlp_ext.onnx"
    src.parent.mkdir()
    onnx.save(src_model, str(src), save_as_external_data=True, location="mlp_ext.weights")
    assert inspect_model(src).external_data
    derived = derive_model(src, prof(*PRECISIONS[tag]))
    data = derived.with_name(derived.name + ".data")
    assert data.is_file() and data.stat().st_size > 100_000
    feeds = make_feeds(inspect_model(src).inputs, {}, sets=2)
    report = accuracy_report(src, derived, feeds, prof(*PRECISIONS[tag]))
    assert report["y"]["cosine"] > 0.99


def test_fp32_is_the_model_itself(fresh_cache):
    src = sample_path("tiny")
    assert derive_model(src, prof()) == src
    assert not derived_dir().exists() or not any(derived_dir().glob("tiny-*"))


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """A cache of its own, so no other test's derived model can answer for this one."""
    monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_second_call_does_not_convert_again(monkeypatch, fresh_cache):
    src = sample_path("mlp")
    p = prof("run.precision=fp16", "run.input_seed=11")  # the seed does not matter for fp16
    calls = []
    real = precision.fp16.convert_to_fp16

    def counting(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(precision.fp16, "convert_to_fp16", counting)
    first = derive_model(src, p)
    assert len(calls) == 1 and first.is_relative_to(fresh_cache)
    stamp = first.stat().st_mtime_ns

    def must_not_run(*args):
        raise AssertionError("converted a second time")

    monkeypatch.setattr(precision.fp16, "convert_to_fp16", must_not_run)
    assert derive_model(src, p) == first
    assert derive_model(src, prof("run.precision=fp16")) == first
    assert first.stat().st_mtime_ns == stamp
    meta = first.with_suffix(".json").read_text()
    assert plan_derivation(src, p).source_sha256 in meta
    assert not list(first.parent.glob(".tmp-*")), "temp folders left behind"


def test_cache_key_follows_source_and_settings(tmp_path):
    src = sample_path("mlp")
    fp16 = plan_derivation(src, prof("run.precision=fp16")).path
    dyn = plan_derivation(src, prof(*PRECISIONS["int8-dynamic"])).path
    static = plan_derivation(src, prof(*PRECISIONS["int8-static"])).path
    static_seed = plan_derivation(src, prof(*PRECISIONS["int8-static"], "run.input_seed=5")).path
    static_sets = plan_derivation(src, prof(*PRECISIONS["int8-static"], "run.input_sets=2")).path
    assert len({fp16, dyn, static, static_seed, static_sets}) == 5
    # Same bytes elsewhere: same entry (keyed by content, not path); other bytes: another.
    copy = tmp_path / "copy.onnx"
    copy.write_bytes(src.read_bytes())
    assert (
        plan_derivation(copy, prof("run.precision=fp16")).path.name.split("-")[1:]
        == (fp16.name.split("-")[1:])
    )
    other = plan_derivation(sample_path("conv"), prof("run.precision=fp16")).path
    assert other != fp16


def test_static_calibration_applies_free_dimensions():
    src = sample_path("encoder")
    dims = ["session.free_dimensions.batch=2", "session.free_dimensions.sequence=5"]
    p = prof(*PRECISIONS["int8-static"], *dims)
    plan = plan_derivation(src, p)
    assert plan.calibration is not None and len(plan.calibration) == p.run.input_sets
    assert plan.calibration[0]["tokens"].shape == (2, 5, 64)
    derived = derive_model(src, p)
    feeds = make_feeds(inspect_model(src).inputs, {"batch": 2, "sequence": 5}, sets=2)
    report = accuracy_report(src, derived, feeds, p)
    assert report["hidden"]["cosine"] > 0.99
    other = plan_derivation(
        src, prof(*PRECISIONS["int8-static"], *dims[:1], "session.free_dimensions.sequence=6")
    )
    assert other.path != plan.path


def test_static_calibration_reads_inputs_npz(tmp_path):
    src = sample_path("mlp")
    sets = np.random.default_rng(9).standard_normal((3, 1, 256)).astype(np.float32)
    npz = tmp_path / "calib.npz"
    np.savez(npz, x=sets)
    p = prof(*PRECISIONS["int8-static"], f'run.inputs_npz="{npz}"')
    plan = plan_derivation(src, p)
    assert plan.calibration is not None and len(plan.calibration) == 3
    np.testing.assert_array_equal(plan.calibration[1]["x"], sets[1])
    assert derive_model(src, p).is_file()


# --- failures -----------------------------------------------------------------------------------


def test_fp16_failure_names_step_node_and_op(tmp_path, fresh_cache):
    model = layernorm_with_stats_model(tmp_path / "ln.onnx")
    ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])  # fine in fp32
    with pytest.raises(OrtbenchError) as err:
        derive_model(model, prof("run.precision=fp16"))
    msg = str(err.value)
    assert msg.startswith("fp16 conversion of ln.onnx failed at node 'ln' (op LayerNormalization)")
    assert ".tmp-" not in msg
    assert not list(derived_dir().glob("ln-*")), "no cache entry"
    assert not list(derived_dir().glob(".tmp-*")), "temp folder left behind"


def test_int8_failure_names_the_node_the_quantizer_was_on(monkeypatch, fresh_cache):
    """Simulated: a quantizer that breaks while handling one node (found from its frames)."""

    def broken_quantizer(src, dst, large):
        model = onnx.load(str(src))
        for node in model.graph.node:
            if node.op_type == "Gemm" and node.name == "fc1":
                raise ValueError("unsupported weight layout")

    monkeypatch.setattr(precision.int8, "quantize_int8_dynamic", broken_quantizer)
    with pytest.raises(OrtbenchError) as err:
        derive_model(sample_path("mlp"), prof(*PRECISIONS["int8-dynamic"]))
    assert str(err.value) == (
        "int8 quantization of mlp.onnx failed at node 'fc1' (op Gemm): unsupported weight layout"
    )


def test_failing_node_found_from_tensor_names_in_the_message(tmp_path):
    """quantize_dynamic on a graph whose weight has no producer: the message names the tensor."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
        "dangling",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    )
    path = tmp_path / "dangling.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(OrtbenchError) as err:
        derive_model(path, prof(*PRECISIONS["int8-dynamic"]))
    assert "int8 quantization of dangling.onnx failed at node 'mm' (op MatMul)" in str(err.value)


def test_calibration_failures_name_the_calibration_step(monkeypatch, fresh_cache):
    # Real: a symbolic dim with no size cannot be calibrated; the message says how to set it.
    with pytest.raises(OrtbenchError) as err:
        derive_model(sample_path("encoder"), prof(*PRECISIONS["int8-static"]))
    msg = str(err.value)
    assert msg.startswith("calibration for int8 static quantization of encoder.onnx")
    assert "'batch'" in msg and "session.free_dimensions.batch" in msg
    # Simulated: calibration data the model rejects, so ORT fails inside the calibrator
    # (quantize_static's own calibrate.py); the step is still named.
    bad = [{"image": np.zeros((1, 3, 32, 32), np.float32)}]
    monkeypatch.setattr(precision.plan, "calibration_feeds", lambda path, profile: bad)
    with pytest.raises(OrtbenchError) as err:
        derive_model(sample_path("conv"), prof(*PRECISIONS["int8-static"]))
    assert str(err.value).startswith("calibration of conv.onnx failed")
    assert "image" in str(err.value), err.value


# --- through the real runner ----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sample", "tag"),
    [("mlp", "fp16"), ("conv", "fp16"), ("mlp", "int8-dynamic"), ("conv", "int8-static")],
)
def test_runner_reports_accuracy_next_to_latency(sample, tag):
    p = prof(*PRECISIONS[tag], "run.timed_runs=20", "run.warmup_runs=2", "run.input_sets=2")
    result = record_dict(run_benchmark(RunRequest(f"sample:{sample}", p)).result)
    assert result["status"] == "ok" and result["runs"] == 20
    assert result["profile"]["run"]["precision"] == tag.split("-")[0]
    (name, figures), *_ = result["accuracy"].items()
    assert name == inspect_model(sample_path(sample)).outputs[0].name
    assert figures["input_sets"] == 2 and figures["nonfinite"] == 0
    assert figures["cosine"] > (0.999 if tag == "fp16" else 0.99)
    assert 0 < figures["max_abs_err"] < figures["ref_max_abs"]
    assert figures["mean_abs_err"] <= figures["max_abs_err"]


def test_fp32_runs_report_no_accuracy():
    result = record_dict(run_benchmark(RunRequest("sample:tiny", prof("run.timed_runs=5"))).result)
    assert "accuracy" not in result


def test_failed_conversion_fails_only_that_run(tmp_path):
    model = layernorm_with_stats_model(tmp_path / "ln.onnx")
    short = ["run.timed_runs=5", "run.warmup_runs=1"]
    with pytest.raises(OrtbenchError, match=r"fp16 conversion of ln\.onnx failed at node 'ln'"):
        run_benchmark(RunRequest(str(model), prof("run.precision=fp16", *short)))
    fp32 = record_dict(run_benchmark(RunRequest(str(model), prof(*short))).result)
    assert fp32["status"] == "ok" and fp32["runs"] == 5 and "accuracy" not in fp32


def test_precision_and_trace_modules_do_not_import_textual():
    code = (
        "import sys\n"
        "import ortbench_tui.precision, ortbench_tui.bench.trace, ortbench_tui.commands.trace\n"
        "sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules)"
        " else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --- INT8 that quantized nothing says so -------------------------------------------------------


def test_quantization_summary_counts_int8_nodes_and_finds_none_in_an_add_only_model():
    from ortbench_tui.precision.int8 import quantization_note, quantization_summary

    int8 = prof("run.precision=int8", "run.int8_mode=dynamic")
    mlp = sample_path("mlp")
    summary = quantization_summary(precision.derive_model(mlp, int8), mlp)
    assert summary["quantized_nodes"] > 0 and summary["by_op"].get("MatMulInteger", 0) > 0
    assert summary["nodes"] == len(onnx.load(str(mlp)).graph.node)
    tiny = sample_path("tiny")  # no MatMul/Conv/Gemm: dynamic quantization has nothing to do
    none = quantization_summary(precision.derive_model(tiny, int8), tiny)
    assert none["quantized_nodes"] == 0 and none["by_op"] == {}
    assert "quantized none of the" in (quantization_note(none) or "")


def test_an_int8_run_that_quantized_nothing_warns_and_the_practices_row_says_so(capsys):
    from ortbench_tui.bench.practices.report import PracticeRow
    from ortbench_tui.bench.practices.rows import fill_accuracy
    from ortbench_tui.cli import main

    code = main(
        ["run", "sample:tiny", "--set", "run.precision=int8", "--set", "run.int8_mode=dynamic",
         "--runs", "5", "--warmup", "1", "--no-history", "-q"]
    )  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "quantization: INT8 quantized none of the" in out
    assert "warning: INT8 quantized none of the" in out
    record = run_benchmark(
        RunRequest("sample:tiny", prof("run.precision=int8", "run.timed_runs=5"))
    ).result
    result = record_dict(record)
    assert result["quantization"]["quantized_nodes"] == 0
    row = PracticeRow("7b", "INT8", "int8 vs fp32", "measured")
    fill_accuracy(row, record)
    assert row.quantized_nodes == 0 and "NO node quantized" in row.accuracy_text()
