"""Per-operator tracing: the parser on kept trace files, the worker's trace, the CLI.

tests/data/ort_trace_cpu_conv.json is a REAL trace, recorded on CPU from sample:conv through
the runner (1 first run + 2 warm-up + 5 timed runs). tests/data/
ort_trace_cuda_fallback_SYNTHETIC.json is SYNTHETIC: written by hand in ORT's profiler format
because no GPU was at hand; it imitates a CUDA run where one node (Unique) falls back to CPU
with Memcpy nodes around it. The `gpu` test at the end records a real one and rechecks.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import control_flow_models
import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from ortbench_tui.bench.result_record import (
    MemcpyOp,
    TraceSummary,
    record_dict,
    trace_dict,
    trace_record,
)
from ortbench_tui.bench.runner import RunRequest, run_benchmark
from ortbench_tui.bench.trace import (
    format_trace,
    load_trace_events,
    nested_order,
    node_names,
    summarize_trace,
    trace_section,
    untimed_runs,
)
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.hardware import physical_cores
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.samples import resolve_model
from ortbench_tui.session import build_session_options
from ortbench_tui.text import share_bar

DATA = Path(__file__).parent.parent / "data"
CPU_TRACE = DATA / "ort_trace_cpu_conv.json"
SYNTHETIC_CUDA_TRACE = DATA / "ort_trace_cuda_fallback_SYNTHETIC.json"
CUDA = "CUDAExecutionProvider"
CPU = "CPUExecutionProvider"


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path, monkeypatch):
    """Keep any temp files of the converters and ORT under pytest's tmp_path, not /tmp."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(name="t"), ["session.intra_op_num_threads=1", *sets])


def summary_of(result: dict) -> TraceSummary:
    """A traced run's `trace` section as its record (a summary, not an unreadable trace)."""
    summary = trace_record(result["trace"])
    assert isinstance(summary, TraceSummary), summary
    return summary


def assert_shares_add_up(s: TraceSummary) -> None:
    assert sum(n.share for n in s.nodes) == pytest.approx(s.nodes_share, abs=1e-9)
    assert sum(o.share for o in s.op_types) == pytest.approx(s.nodes_share, abs=1e-9)
    assert sum(p.share for p in s.providers.values()) == pytest.approx(s.nodes_share, abs=1e-9)
    assert s.nodes_share + s.overhead_share == pytest.approx(1.0, abs=1e-12)
    assert s.node_time_us + s.overhead_us == pytest.approx(s.run_time_us)
    # As printed (one decimal of a percent), they still add up within rounding.
    printed = sum(round(n.share * 100, 1) for n in s.nodes) + round(s.overhead_share * 100, 1)
    assert printed == pytest.approx(100.0, abs=0.05 * (len(s.nodes) + 1))


def independent_node_totals(events: list[dict], skip: int) -> dict[str, tuple[int, float]]:
    """calls and total µs per node over the runs after `skip`, straight from the events."""
    runs = sorted(
        (e["ts"], e["ts"] + e["dur"])
        for e in events
        if e.get("cat") == "Session" and e["name"] == "model_run"
    )[skip:]
    out: dict[str, tuple[int, float]] = {}
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time"):
            continue
        if any(a <= e["ts"] <= b for a, b in runs):
            calls, total = out.get(e["name"][: -len("_kernel_time")], (0, 0.0))
            out[e["name"][: -len("_kernel_time")]] = (calls + 1, total + e["dur"])
    return out


# --- the parser on kept files --------------------------------------------------------------------


def test_parser_on_the_recorded_cpu_trace():
    s = summarize_trace(CPU_TRACE, requested_ep=CPU, skip_runs=3)
    assert s.runs_in_trace == 8 and s.skipped_runs == 3 and s.runs == 5
    assert s.file == str(CPU_TRACE)
    events = load_trace_events(CPU_TRACE)
    expected = independent_node_totals(events, skip=3)
    assert {n.name: (n.calls, n.total_us) for n in s.nodes} == expected
    assert all(n.calls == 5 for n in s.nodes)
    assert {n.provider for n in s.nodes} == {CPU}
    assert [n.total_us for n in s.nodes] == sorted((n.total_us for n in s.nodes), reverse=True)
    for n in s.nodes:
        assert n.mean_us == pytest.approx(n.total_us / n.calls)
        assert n.per_run_us == pytest.approx(n.total_us / 5)
        assert not n.fallback and not n.memcpy
    conv = next(o for o in s.op_types if o.op_type == "Conv")
    assert conv.nodes == 3 and conv.calls == 15 and s.op_types[0] is conv
    assert not s.gpu_requested and s.fallback_nodes == []
    assert s.memcpy.nodes == 0 and s.memcpy.total_us == 0
    assert 0.5 < s.nodes_share < 1.0
    assert_shares_add_up(s)
    json.dumps(trace_dict(s), allow_nan=False)


def test_cpu_trace_read_as_a_cuda_request_flags_every_node():
    """The whole session fell back: asked for CUDA, everything ran on CPU."""
    s = summarize_trace(CPU_TRACE, requested_ep=CUDA, skip_runs=3)
    assert s.gpu_requested
    assert s.fallback_nodes == [n.name for n in s.nodes] and len(s.nodes) == 9


def test_parser_on_the_synthetic_cuda_fallback_trace():
    """SYNTHETIC file (hand-written in ORT's format, no GPU used): see the module docstring."""
    events = load_trace_events(SYNTHETIC_CUDA_TRACE)
    assert "SYNTHETIC" in events[0]["args"]["note"]
    s = summarize_trace(SYNTHETIC_CUDA_TRACE, requested_ep=CUDA, skip_runs=1)
    assert s.runs == 2 and s.runs_in_trace == 3
    assert s.run_time_us == 400 + 420 and s.run_mean_us == 410
    by_name = {n.name: n for n in s.nodes}
    assert len(by_name) == 9
    assert s.fallback_nodes == ["unique_tokens"]
    assert by_name["unique_tokens"].fallback and by_name["unique_tokens"].provider == CPU
    assert not any(n.fallback for n in s.nodes if n.provider == CUDA)
    assert by_name["unique_tokens"].total_us == 60 + 64 and s.nodes[0].name == ("unique_tokens")
    m = s.memcpy
    assert m.nodes == 4 and m.calls == 8
    assert m.by_op["MemcpyToHost"] == MemcpyOp(nodes=2, calls=4, total_us=10 + 12 + 11 + 11)
    assert m.by_op["MemcpyFromHost"] == MemcpyOp(nodes=2, calls=4, total_us=12 + 14 + 9 + 9)
    assert m.total_us == 88 and m.share == pytest.approx(88 / 820)
    assert sorted(m.names) == ["Memcpy", "Memcpy_token_0", "Memcpy_token_1", "Memcpy_token_2"]
    assert all(by_name[n].memcpy for n in m.names)
    assert s.providers[CUDA].nodes == 8 and s.providers[CPU].nodes == 1
    assert s.providers[CPU].total_us == 124
    assert s.node_time_us == 372 and s.nodes_share == pytest.approx(372 / 820)
    assert_shares_add_up(s)
    assert any("host-side" in w for w in s.warnings)
    # Asked for CPU, the same placement is no fallback.
    assert summarize_trace(SYNTHETIC_CUDA_TRACE, requested_ep=CPU).fallback_nodes == []


def test_without_skipping_the_cold_run_dominates():
    s = summarize_trace(SYNTHETIC_CUDA_TRACE, requested_ep=CUDA)
    assert s.runs == 3 and s.skipped_runs == 0
    assert s.nodes[0].name == "fc1"  # 2.1 ms in the first run
    assert_shares_add_up(s)


def test_format_trace_is_readable():
    text = format_trace(summarize_trace(SYNTHETIC_CUDA_TRACE, requested_ep=CUDA, skip_runs=1))
    assert "EP placement" in text and "top 9 of 9 nodes" in text
    assert "unique_tokens" in text and "CPU FALLBACK" in text
    assert "memcpy   4 nodes (MemcpyToHost 2, MemcpyFromHost 2), 8 calls" in text
    assert "fallback 1 node ran on CPU although CUDAExecutionProvider was requested" in text
    assert "framework overhead" in text
    short = format_trace(summarize_trace(CPU_TRACE, skip_runs=3), top=2)
    assert "top 2 of 9 nodes" in short and "fallback n/a (CPU requested)" in short
    assert share_bar(0.5, 4) == "██  " and share_bar(1.5, 2) == "██" and share_bar(0, 3) == "   "
    assert share_bar(0.5, 1) == "▌" and share_bar(1 / 8, 1) == "▏"


def test_truncated_and_bad_trace_files(tmp_path):
    text = CPU_TRACE.read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) * 2 // 3])  # the process died mid-write
    events = load_trace_events(cut)
    assert 0 < len(events) < len(load_trace_events(CPU_TRACE))
    assert summarize_trace(cut).nodes
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"traceEvents": json.loads(text)}))
    assert len(load_trace_events(wrapped)) == len(load_trace_events(CPU_TRACE))
    for bad, content in (("nojson.json", "hello"), ("obj.json", '{"a": 1}')):
        (tmp_path / bad).write_text(content)
        with pytest.raises(OrtbenchError, match=bad):
            load_trace_events(tmp_path / bad)
    with pytest.raises(OrtbenchError, match="not found"):
        load_trace_events(tmp_path / "missing.json")
    section = trace_section(tmp_path / "nojson.json", prof())
    assert section["file"].endswith("nojson.json") and "cannot summarize" in section["error"]


def test_skipping_more_runs_than_recorded_keeps_them_all():
    s = summarize_trace(CPU_TRACE, skip_runs=50)
    assert s.runs == 8 and s.skipped_runs == 0 and "none after" in s.warnings[0]


def test_untimed_runs_follow_the_worker():
    assert untimed_runs(prof("run.warmup_runs=7")) == 8
    # The first run sizes the bound outputs: IO binding adds no untimed run.
    assert untimed_runs(prof("run.warmup_runs=7", "run.io_binding=true")) == 8


# --- live traces through the runner ---------------------------------------------------------------


def optimized_node_names(model: str, profile: Profile, out: Path) -> set[str]:
    """The graph ORT runs, saved by ORT itself with the same session options."""
    so = build_session_options(profile, physical_cores())
    so.optimized_model_filepath = str(out)
    ort.InferenceSession(str(resolve_model(model)), so, providers=[CPU])
    return {n.name for n in onnx.load(str(out)).graph.node}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "sets"),
    [
        ("sample:conv", []),
        ("sample:mlp", ["run.io_binding=true"]),
        (
            "sample:encoder",
            ["session.free_dimensions.batch=1", "session.free_dimensions.sequence=8"],
        ),
    ],
)
def test_trace_node_names_match_the_optimized_graph(model, sets, tmp_path, isolated_dirs):
    p = prof("run.timed_runs=20", "run.warmup_runs=3", *sets)
    result = record_dict(run_benchmark(RunRequest(model, p, trace=True)).result)
    assert "error" not in result["trace"], result["trace"]
    s = summary_of(result)
    assert s.runs == 20 and s.skipped_runs == untimed_runs(p)
    assert node_names(s) == optimized_node_names(model, p, tmp_path / "optimized.onnx")
    assert all(n.calls == 20 for n in s.nodes)
    assert_shares_add_up(s)
    assert 0 < s.nodes_share <= 1.0
    assert Path(s.file).is_file() and Path(s.file).is_relative_to(isolated_dirs)
    assert result["providers"]["fallback_nodes"] == []
    json.dumps(result, allow_nan=False)


def test_asking_for_cuda_on_a_cpu_machine_flags_the_fallback_nodes():
    p = prof("provider.name=cuda", 'provider.fallback=["cpu"]', "run.timed_runs=5")
    result = record_dict(run_benchmark(RunRequest("sample:mlp", p, trace=True)).result)
    s = summary_of(result)
    on_cpu = {n.name for n in s.nodes if n.provider == CPU}
    assert set(s.fallback_nodes) == on_cpu
    assert result["providers"]["fallback_nodes"] == s.fallback_nodes
    if result["providers"]["active"][0] == CPU:  # no GPU here: the whole session fell back
        assert on_cpu == node_names(s) and on_cpu


def test_untraced_runs_have_no_trace_section():
    result = record_dict(run_benchmark(RunRequest("sample:tiny", prof("run.timed_runs=5"))).result)
    assert "trace" not in result and result["providers"]["fallback_nodes"] == []


# --- CLI --------------------------------------------------------------------------------------


def test_cli_trace_prints_a_table(capsys):
    code = main(["trace", "sample:conv", "--runs", "10", "--warmup", "2", "--top", "3", "-q"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "EP placement" in out and "CPUExecutionProvider" in out
    assert "top 3 of" in out and "Conv" in out and "framework overhead" in out
    assert "trace    10 runs summarized (3 first/warm-up runs left out)" in out
    assert "(profiler on: includes its overhead)" in out


def test_cli_trace_json(tmp_path, capsys):
    out_file = tmp_path / "trace.json"
    assert main(["trace", "sample:mlp", "--runs", "5", "--json", str(out_file), "-q"]) == 0
    result = json.loads(out_file.read_text())
    assert result["trace"]["runs"] == 5 and result["trace"]["nodes"]
    capsys.readouterr()
    assert main(["trace", "sample:tiny", "--runs", "5", "--json", "-", "-q"]) == 0
    stdout = capsys.readouterr().out
    assert json.loads(stdout)["trace"]["node_count"] >= 1  # only JSON on stdout


def test_cli_trace_bad_input_exits_2(capsys):
    assert main(["trace", "no-such-model.onnx"]) == 2
    assert "model file not found" in capsys.readouterr().err
    assert main(["trace", "sample:tiny", "--set", "run.bogus=1"]) == 2


# --- GPU ---------------------------------------------------------------------------------------


def cpu_fallback_model(path: Path) -> Path:
    """MatMul -> Cast to string and back (no CUDA kernel: runs on CPU) -> MatMul -> Softmax."""
    rng = np.random.default_rng(0)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
        helper.make_node("Cast", ["h"], ["h_str"], name="to_string", to=TensorProto.STRING),
        helper.make_node("Cast", ["h_str"], ["h2"], name="from_string", to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["h2", "w2"], ["z"], name="fc2"),
        helper.make_node("Softmax", ["z"], ["y"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "cpu_fallback",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        [
            numpy_helper.from_array(rng.standard_normal((64, 64)).astype(np.float32), "w1"),
            numpy_helper.from_array(rng.standard_normal((64, 10)).astype(np.float32), "w2"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    onnx.save(model, str(path))
    return path


@pytest.mark.gpu
def test_gpu_trace_flags_cpu_fallback_and_memcpy(tmp_path):
    """A real CUDA trace: the string casts fall back to CPU, with Memcpy nodes around them.
    Set ORTBENCH_RECORD_TRACES=1 to keep it as tests/data/ort_trace_cuda_fallback.json."""
    model = cpu_fallback_model(tmp_path / "fallback.onnx")
    p = prof("provider.name=cuda", "run.timed_runs=20", "run.warmup_runs=3")
    result = record_dict(run_benchmark(RunRequest(str(model), p, trace=True)).result)
    assert result["providers"]["active"][0] == CUDA
    s = summary_of(result)
    providers = {n.name: n.provider for n in s.nodes}
    assert providers["to_string"] == CPU and providers["from_string"] == CPU
    assert providers["fc1"] == CUDA and providers["fc2"] == CUDA
    assert set(s.fallback_nodes) == {n for n, ep in providers.items() if ep == CPU}
    assert result["providers"]["fallback_nodes"] == s.fallback_nodes
    assert s.memcpy.nodes >= 2
    assert s.memcpy.by_op["MemcpyToHost"].nodes >= 1
    assert s.memcpy.by_op["MemcpyFromHost"].nodes >= 1
    assert_shares_add_up(s)
    if os.environ.get("ORTBENCH_RECORD_TRACES") == "1":
        shutil.copy(s.file, DATA / "ort_trace_cuda_fallback.json")


# --- control flow: a subgraph's nodes run inside their If/Loop's kernel call ----------------


def _event(name: str, op: str, ts: float, dur: float) -> dict:
    return {
        "cat": "Node",
        "name": f"{name}_kernel_time",
        "ph": "X",
        "pid": 1,
        "tid": 7,
        "ts": ts,
        "dur": dur,
        "args": {"op_name": op, "provider": CPU},
    }


def _run(ts: float, dur: float) -> dict:
    return {
        "cat": "Session",
        "name": "model_run",
        "ph": "X",
        "pid": 1,
        "tid": 7,
        "ts": ts,
        "dur": dur,
    }


def test_a_loop_node_counts_its_own_time_and_its_body_nodes_sit_under_it():
    """Hand-made events in ORT's shape: a Loop spans 100..300 µs and its body's two nodes
    (50 µs and 100 µs) run inside it; the Loop's own time is the 50 µs left."""
    events = [
        _run(90, 250),
        _event("body_mm", "MatMul", 110, 50),
        _event("body_relu", "Relu", 170, 100),
        _event("repeat", "Loop", 100, 200),
        _event("after", "Sigmoid", 310, 20),
    ]
    s = summarize_trace(events)
    by_name = {n.name: n for n in s.nodes}
    assert by_name["repeat"].total_us == 50 and by_name["repeat"].inclusive_us == 200
    assert by_name["repeat"].subgraph_us == 150 and by_name["repeat"].parent is None
    assert by_name["body_mm"].parent == by_name["body_relu"].parent == "repeat"
    assert s.node_time_us == 220 and s.nodes_share == pytest.approx(220 / 250)
    assert sum(o.share for o in s.op_types) == pytest.approx(220 / 250)
    assert s.op_types[0].op_type == "Relu"  # not the Loop that holds it
    assert not any("overlapped" in w for w in s.warnings)
    order = [(n.name, depth) for n, depth in nested_order(s.nodes)]
    assert order == [("repeat", 0), ("body_relu", 1), ("body_mm", 1), ("after", 0)]
    text = format_trace(s)
    assert text.index("repeat") < text.index("↳ body_relu") < text.index("↳ body_mm")


def _profiled(model: Path, tmp_path: Path, runs: int = 6) -> str:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.enable_profiling = True
    so.profile_file_prefix = str(tmp_path / "cf")
    session = ort.InferenceSession(str(model), so, providers=[CPU])
    x = np.ones((control_flow_models.SIZE, control_flow_models.SIZE), np.float32)
    for _ in range(runs):
        session.run(None, {"x": x})
    return session.end_profiling()


@pytest.mark.parametrize(
    ("build", "parent", "op_type"),
    [
        (control_flow_models.if_model, "choose", "If"),
        (control_flow_models.loop_model, "repeat", "Loop"),
    ],
)
def test_real_control_flow_traces_add_up_to_the_run(build, parent, op_type, tmp_path):
    """A real ORT trace of an If (or Loop) model: before exclusive times the control-flow
    node's span counted its subgraph a second time and node shares passed 100%."""
    trace = _profiled(build(tmp_path / f"{op_type}.onnx"), tmp_path)
    s = summarize_trace(trace, skip_runs=1)
    assert_shares_add_up(s)
    assert 0 < s.nodes_share <= 1.0 + 1e-9
    assert sum(o.share for o in s.op_types) <= 1.0 + 1e-9
    assert not any("overlapped" in w for w in s.warnings)
    holder = next(n for n in s.nodes if n.op_type == op_type)
    children = [n for n in s.nodes if n.parent == parent]
    assert holder.name == parent and holder.parent is None
    assert {n.op_type for n in children} >= {"MatMul", "Relu"}
    # the holder's own time is what its span leaves after its subgraph's nodes
    assert holder.inclusive_us == pytest.approx(
        holder.total_us + sum(n.inclusive_us for n in children)
    )
    order = nested_order(s.nodes)
    at = [n.name for n, _ in order].index(parent)
    assert {n.name for n, _ in order[at + 1 : at + 1 + len(children)]} == {n.name for n in children}
    assert all(depth == 1 for _, depth in order[at + 1 : at + 1 + len(children)])
