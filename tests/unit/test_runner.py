"""Measured runs in the worker process: counts, durations, cancel, crashes, bad input."""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

from ortbench_tui.bench.runner import Failed, Finished, Progress, RunHandle, RunRequest, start_run
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile, apply_overrides

DESIGN_KEYS = {
    "schema",
    "ortbench_version",
    "created",
    "model",
    "profile",
    "hardware",
    "providers",
    "session_create_ms",
    "first_run_ms",
    "warmup_runs",
    "runs",
    "wall_s",
    "latency_ms",
    "throughput_per_s",
    "rss_peak_mb",
    "gpu_mem_peak_mb",
    "percentile_method",
    "warnings",
}


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(name="t"), ["session.intra_op_num_threads=1", *sets])


def drain(handle: RunHandle, on_first_batch=None) -> tuple[list, Finished | Failed]:
    events = []
    for event in handle.events():
        events.append(event)
        if isinstance(event, Progress) and event.phase == "timed" and on_first_batch:
            on_first_batch(handle)
            on_first_batch = None
        if isinstance(event, (Finished, Failed)):
            return events, event
    raise AssertionError("events() ended without Finished or Failed")


@pytest.mark.parametrize("io_binding", ["false", "true"])
def test_counted_run_gives_a_complete_result(io_binding):
    req = RunRequest(
        "sample:tiny",
        prof("run.timed_runs=300", "run.warmup_runs=7", f"run.io_binding={io_binding}"),
    )
    events, end = drain(start_run(req))
    assert isinstance(end, Finished), end
    r = end.result
    assert DESIGN_KEYS <= r.keys()
    assert r["runs"] == 300 and end.samples_ns.size == 300 and end.samples_ns.dtype == np.int64
    assert r["status"] == "ok" and r["warmup_runs"] == 7
    assert 0 < r["latency_ms"]["min"] <= r["latency_ms"]["p50"] <= r["latency_ms"]["p99"]
    assert r["latency_ms"]["p50"] == pytest.approx(np.median(end.samples_ns) / 1e6)
    assert r["providers"]["active"] == ["CPUExecutionProvider"]
    assert r["session_create_ms"] > 0 and r["first_run_ms"] > 0 and r["rss_peak_mb"] > 10
    assert r["profile"]["run"]["io_binding"] is (io_binding == "true")
    json.dumps(r, allow_nan=False)
    phases = [e.phase for e in events if isinstance(e, Progress)]
    assert phases[0] == "first_run" and "warmup" in phases and phases[-1] == "timed"
    streamed = sum(
        e.new_samples_ns.size
        for e in events
        if isinstance(e, Progress) and e.new_samples_ns is not None
    )
    assert streamed == 300


def test_rotating_input_sets_with_io_binding_still_computes():
    req = RunRequest(
        "sample:mlp",
        prof("run.timed_runs=50", "run.warmup_runs=2", "run.io_binding=true", "run.input_sets=3"),
    )
    _, end = drain(start_run(req))
    assert isinstance(end, Finished) and end.result["runs"] == 50


def test_run_by_duration():
    req = RunRequest("sample:tiny", prof("run.duration_s=0.5", "run.warmup_runs=5"))
    _, end = drain(start_run(req))
    assert isinstance(end, Finished)
    assert end.result["runs"] > 100
    assert 0.45 <= end.result["wall_s"] < 5.0
    assert end.result["throughput_per_s"] == pytest.approx(
        end.result["runs"] / end.result["wall_s"]
    )


def test_cancel_keeps_the_partial_result():
    req = RunRequest("sample:tiny", prof("run.duration_s=60", "run.warmup_runs=1"))
    events, end = drain(start_run(req), on_first_batch=lambda h: h.cancel())
    assert isinstance(end, Finished)
    assert end.result["status"] == "cancelled"
    assert end.result["runs"] == end.samples_ns.size > 0
    assert end.result["wall_s"] < 30  # stopped long before the 60 s it was asked for
    assert any("cancelled" in w for w in end.result["warnings"])


def test_killed_worker_becomes_a_failed_result_with_partial_samples():
    req = RunRequest("sample:tiny", prof("run.duration_s=60", "run.warmup_runs=1"))
    _, end = drain(start_run(req), on_first_batch=lambda h: os.kill(h.process.pid, signal.SIGKILL))
    assert isinstance(end, Failed) and end.kind == "run"
    assert "killed by SIGKILL" in end.message
    assert end.partial is not None and end.partial["status"] == "failed"
    assert end.partial["runs"] > 0


def exiting_worker(conn, request, log_path):
    """A child that dies the hard way right after saying hello."""
    os.write(2, b"fatal: simulated EP crash\n")
    os._exit(3)


def test_worker_that_exits_is_reported_not_hung():
    handle = RunHandle(RunRequest("sample:tiny", prof()), target=exiting_worker)
    _, end = drain(handle)
    assert isinstance(end, Failed) and end.kind == "run"
    assert "exited with code 3" in end.message


@pytest.mark.parametrize(
    ("model", "sets", "needle"),
    [
        ("sample:tiny", ["run.pin_cpus=[9999]"], "run.pin_cpus"),
        ("sample:encoder", [], "symbolic dim 'batch'"),
        ("sample:tiny", ["provider.name=cuda"], "execution provider not available"),
    ],
)
def test_bad_input_fails_as_input(model, sets, needle):
    import onnxruntime as ort

    if (
        "provider.name=cuda" in sets
        and "CUDAExecutionProvider" not in ort.get_available_providers()
    ):
        pytest.skip("this ORT build does not list CUDA")
    _, end = drain(start_run(RunRequest(model, prof(*sets))))
    if isinstance(end, Finished):
        pytest.fail(f"expected a failure, got a result with warnings {end.result['warnings']}")
    assert end.kind == "input" and needle in end.message


def test_missing_model_fails_before_spawning(tmp_path):
    with pytest.raises(OrtbenchError, match="not found"):
        start_run(RunRequest(str(tmp_path / "none.onnx"), prof()))


@pytest.mark.gpu
def test_cuda_graph_run_on_gpu():
    req = RunRequest(
        "sample:mlp",
        prof(
            "provider.name=cuda",
            "provider.options.enable_cuda_graph=true",
            "run.io_binding=true",
            "run.timed_runs=500",
        ),
    )
    _, end = drain(start_run(req))
    assert isinstance(end, Finished), end
    assert end.result["providers"]["active"][0] == "CUDAExecutionProvider"
    assert end.result["gpu_mem_peak_mb"] is None or end.result["gpu_mem_peak_mb"] > 0


def test_pinned_worker_runs_on_the_asked_cpu():
    _, end = drain(
        start_run(RunRequest("sample:tiny", prof("run.pin_cpus=[0]", "run.timed_runs=20")))
    )
    assert isinstance(end, Finished)
    assert end.result["worker_cpus"] == [0]
    assert not any("shared cores" in w for w in end.result["warnings"])
