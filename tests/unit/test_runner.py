"""Measured runs in the worker process: counts, durations, cancel, crashes, bad input."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import types

import numpy as np
import pytest

from ortbench_tui.bench.gpu_memory import GpuMemorySampler
from ortbench_tui.bench.job import JobFailed
from ortbench_tui.bench.protocol import PhaseProgress, SampleBatch
from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.runner import Finished, RunHandle, RunProgress, RunRequest, start_run
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict
from ortbench_tui.samples import sample_path

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


def drain(handle: RunHandle, on_first_batch=None) -> tuple[list, Finished | JobFailed]:
    events = []
    for event in handle.events():
        events.append(event)
        if isinstance(event, RunProgress) and event.phase == "timed" and on_first_batch:
            on_first_batch(handle)
            on_first_batch = None
        if isinstance(event, (Finished, JobFailed)):
            return events, event
    raise AssertionError("events() ended without Finished or JobFailed")


@pytest.mark.parametrize("io_binding", ["false", "true"])
def test_counted_run_gives_a_complete_result(io_binding):
    req = RunRequest(
        "sample:tiny",
        prof("run.timed_runs=300", "run.warmup_runs=7", f"run.io_binding={io_binding}"),
    )
    events, end = drain(start_run(req))
    assert isinstance(end, Finished), end
    r = record_dict(end.result)
    assert DESIGN_KEYS <= r.keys()
    assert r["runs"] == 300 and end.samples_ns.size == 300 and end.samples_ns.dtype == np.int64
    assert r["status"] == "ok" and r["warmup_runs"] == 7
    assert 0 < r["latency_ms"]["min"] <= r["latency_ms"]["p50"] <= r["latency_ms"]["p99"]
    assert r["latency_ms"]["p50"] == pytest.approx(np.median(end.samples_ns) / 1e6)
    assert r["providers"]["active"] == ["CPUExecutionProvider"]
    assert r["session_create_ms"] > 0 and r["first_run_ms"] > 0 and r["rss_peak_mb"] > 10
    # No GPU here: no figure, and the reason instead of a device-wide number.
    assert r["gpu_mem_peak_mb"] is None and r["gpu_mem_note"] == "no GPU execution provider in use"
    assert r["profile"]["run"]["io_binding"] is (io_binding == "true")
    json.dumps(r, allow_nan=False)
    phases = [e.phase for e in events if isinstance(e, RunProgress)]
    assert phases[0] == "first_run" and "warmup" in phases and phases[-1] == "timed"
    streamed = sum(
        e.new_samples_ns.size
        for e in events
        if isinstance(e, RunProgress) and e.new_samples_ns is not None
    )
    assert streamed == 300


def test_rotating_input_sets_with_io_binding_still_computes():
    req = RunRequest(
        "sample:mlp",
        prof("run.timed_runs=50", "run.warmup_runs=2", "run.io_binding=true", "run.input_sets=3"),
    )
    _, end = drain(start_run(req))
    assert isinstance(end, Finished) and end.result.runs == 50


def test_run_by_duration():
    req = RunRequest("sample:tiny", prof("run.duration_s=0.5", "run.warmup_runs=5"))
    _, end = drain(start_run(req))
    assert isinstance(end, Finished)
    assert end.result.runs > 100
    assert 0.45 <= end.result.wall_s < 5.0
    assert end.result.throughput_per_s == pytest.approx(end.result.runs / end.result.wall_s)


def test_cancel_keeps_the_partial_result():
    req = RunRequest("sample:tiny", prof("run.duration_s=60", "run.warmup_runs=1"))
    events, end = drain(start_run(req), on_first_batch=lambda h: h.cancel())
    assert isinstance(end, Finished)
    assert end.result.status == "cancelled"
    assert end.result.runs == end.samples_ns.size > 0
    assert end.result.wall_s < 30  # stopped long before the 60 s it was asked for
    assert any("cancelled" in w for w in end.result.warnings)


def test_killed_worker_becomes_a_failed_result_with_partial_samples():
    req = RunRequest("sample:tiny", prof("run.duration_s=60", "run.warmup_runs=1"))
    _, end = drain(start_run(req), on_first_batch=lambda h: os.kill(h.process.pid, signal.SIGKILL))
    assert isinstance(end, JobFailed) and end.kind == "run"
    assert "killed by SIGKILL" in end.message
    assert end.partial is not None and end.partial.status == "failed"
    assert end.partial.runs > 0


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGINT])
def test_a_terminal_signal_sent_to_the_worker_leaves_the_stop_to_the_parent(signum):
    """A killed tmux session (SIGHUP) and Ctrl-C (SIGINT) reach the worker as well as the app
    or the CLI: the worker must not die of them, so that the parent's cancel keeps the partial
    as "cancelled", not "failed" (or nothing at all)."""

    def hang_up_then_cancel(handle: RunHandle) -> None:
        os.kill(handle.process.pid, signum)
        time.sleep(0.3)  # let the signal land before the Stop: the old worker died of it here
        handle.cancel()

    req = RunRequest("sample:tiny", prof("run.duration_s=60", "run.warmup_runs=1"))
    _, end = drain(start_run(req), on_first_batch=hang_up_then_cancel)
    assert isinstance(end, Finished), getattr(end, "message", end)
    assert end.result.status == "cancelled" and end.result.runs > 0


def exiting_worker(conn, request, log_path):
    """A child that dies the hard way right after saying hello."""
    os.write(2, b"fatal: simulated EP crash\n")
    os._exit(3)


def test_worker_that_exits_is_reported_not_hung():
    handle = RunHandle(RunRequest("sample:tiny", prof()), target=exiting_worker)
    _, end = drain(handle)
    assert isinstance(end, JobFailed) and end.kind == "run"
    assert "exited with code 3" in end.message


@pytest.mark.slow
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
        pytest.fail(f"expected a failure, got a result with warnings {end.result.warnings}")
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
    assert end.result.providers.active[0] == "CUDAExecutionProvider"
    assert end.result.gpu_mem_peak_mb is None or end.result.gpu_mem_peak_mb > 0


def test_pinned_worker_runs_on_the_asked_cpu():
    _, end = drain(
        start_run(RunRequest("sample:tiny", prof("run.pin_cpus=[0]", "run.timed_runs=20")))
    )
    assert isinstance(end, Finished)
    assert end.result.worker_cpus == [0]
    assert not any("shared cores" in w for w in end.result.warnings)


# --- the first run is the session's first inference -----------------------------------------


class QuietPipe:
    """Stands in for the child's pipe: keeps what is sent, never asks to stop."""

    def __init__(self) -> None:
        self.sent: list[object] = []

    def send(self, msg: object) -> None:
        self.sent.append(msg)

    def poll(self, timeout: float | None = None) -> bool:
        return False


@pytest.mark.parametrize("io_binding", ["true", "false"])
def test_first_run_ms_times_the_sessions_very_first_inference(io_binding):
    """The cold first inference is the one reported: with IO binding the output shapes come
    from that timed call, so no untimed inference may come before it."""
    from ortbench_tui.bench.worker import Measurement

    profile = prof(f"run.io_binding={io_binding}", "run.warmup_runs=2", "run.timed_runs=20")
    pipe = QuietPipe()
    m = Measurement(
        pipe, {"model_path": str(sample_path("tiny")), "profile": profile_to_dict(profile)}
    )
    m.setup()
    plain_run = m.sess.run
    inferences: list[str] = []

    def first_is_cold(*args, **kwargs):
        if not inferences:
            time.sleep(0.05)  # a cold start nobody could miss (sample:tiny runs in µs)
        inferences.append("run")
        return plain_run(*args, **kwargs)

    m.sess.run = first_is_cold
    final = m.measure()
    assert inferences, "the session made no plain inference"
    assert final.first_run_ms is not None and final.first_run_ms >= 50, final
    assert isinstance(pipe.sent[0], PhaseProgress) and pipe.sent[0].phase == "first_run"
    timed = sum(x.samples_ns.size for x in pipe.sent if isinstance(x, SampleBatch))
    assert timed == 20


# --- GPU memory: this process's own, from NVML, or None with the reason ----------------------


def fake_nvml(used_by_me: list[int], used_by_others: int) -> types.ModuleType:
    """A stand-in for nvidia-ml-py's pynvml: one GPU, this process and a neighbour on it."""
    nvml = types.ModuleType("pynvml")
    samples = iter(used_by_me)
    nvml.shut = False

    def processes(handle):
        return [
            types.SimpleNamespace(pid=os.getpid(), usedGpuMemory=next(samples)),
            types.SimpleNamespace(pid=os.getpid() + 1, usedGpuMemory=used_by_others),
        ]

    def shutdown():
        nvml.shut = True

    nvml.nvmlInit = lambda: None
    nvml.nvmlDeviceGetCount = lambda: 1
    nvml.nvmlDeviceGetHandleByIndex = lambda i: f"gpu{i}"
    nvml.nvmlDeviceGetComputeRunningProcesses = processes
    nvml.nvmlShutdown = shutdown
    return nvml


def test_gpu_memory_is_the_peak_of_this_process_only(monkeypatch):
    mib = 2**20
    nvml = fake_nvml([100 * mib, 300 * mib, 200 * mib], used_by_others=8000 * mib)
    monkeypatch.setitem(sys.modules, "pynvml", nvml)
    sampler = GpuMemorySampler(on_gpu=True)
    for _ in range(3):
        sampler.sample()
    assert sampler.finish() == (300.0, None)
    assert nvml.shut


def test_gpu_memory_without_a_gpu_or_without_nvml_is_none_with_the_reason(monkeypatch):
    assert GpuMemorySampler(on_gpu=False).finish() == (None, "no GPU execution provider in use")
    monkeypatch.setitem(sys.modules, "pynvml", None)  # nvidia-ml-py not installed
    peak, note = GpuMemorySampler(on_gpu=True).finish()
    assert peak is None and "nvidia-ml-py" in note


def test_gpu_memory_never_falls_back_to_pycuda(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    monkeypatch.setitem(sys.modules, "pycuda", None)  # any import of it would now raise
    sampler = GpuMemorySampler(on_gpu=True)
    sampler.sample()
    assert sampler.finish()[0] is None


def test_a_run_by_count_streams_generic_progress_with_an_eta():
    """Every job's progress is a JobProgress; a run by count estimates the time left from
    the pace of its timed runs so far (none before its first timed batch is in)."""
    from ortbench_tui.bench.job import JobProgress

    profile = prof("run.timed_runs=3000", "run.warmup_runs=5", "run.duration_s=0")
    events, end = drain(start_run(RunRequest("sample:tiny", profile)))
    assert isinstance(end, Finished)
    timed = [e for e in events if isinstance(e, RunProgress) and e.phase == "timed"]
    assert timed and all(isinstance(e, JobProgress) for e in events[:-1])
    assert all(e.eta_s is not None and e.eta_s >= 0 for e in timed)
    assert all(e.total == 3000 for e in timed) and "ETA" in timed[-1].line()


def test_a_run_by_time_says_the_seconds_left_of_it():
    profile = prof("run.duration_s=0.6", "run.warmup_runs=5")
    events, end = drain(start_run(RunRequest("sample:tiny", profile)))
    assert isinstance(end, Finished)
    timed = [e for e in events if isinstance(e, RunProgress) and e.phase == "timed"]
    assert timed and all(e.eta_s is not None and 0 <= e.eta_s <= 0.6 for e in timed)
