"""The GPU paths wired end to end on a CPU machine: preload, detect's fixes, option checks
before any session, TensorRT's options/phase/outcome, CUDA graph checks, cancel during a build.

TensorRT and CUDA do not load here, so ORT falls back to CPU exactly as on a machine without
a GPU; what is checked is what ortbench hands ORT and says, captured with fakes.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ortbench_tui import session_gpu
from ortbench_tui.bench import gpu_session
from ortbench_tui.bench.job import JobFailed
from ortbench_tui.bench.protocol import PhaseProgress
from ortbench_tui.bench.runner import RunHandle, RunProgress, RunRequest
from ortbench_tui.bench.worker import Measurement
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.gpu.libs import PreloadReport
from ortbench_tui.hardware import providers as probe_module
from ortbench_tui.hardware.machine import HardwareInfo
from ortbench_tui.hardware.report import format_hardware
from ortbench_tui.models import TensorInfo
from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict
from ortbench_tui.samples import sample_path
from ortbench_tui.session import create_session
from ortbench_tui.session_gpu import BUILD_PHASE

TRT = "TensorrtExecutionProvider"


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(name="t"), ["session.intra_op_num_threads=1", *sets])


class FakeConn:
    """The worker's pipe, in process: records what the worker sends."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> None:
        self.sent.append(message)

    def poll(self, timeout: float = 0.0) -> bool:
        return False

    def recv(self) -> Any:
        raise EOFError


@pytest.fixture
def recorded_sessions(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The providers argument of every InferenceSession made (the real one is still made)."""
    import onnxruntime as ort

    real = ort.InferenceSession
    seen: list[Any] = []

    def recording(path: Any, sess_options: Any = None, providers: Any = None) -> Any:
        seen.append(providers)
        return real(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(ort, "InferenceSession", recording)
    return seen


@pytest.fixture
def preload_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def fake() -> PreloadReport:
        calls.append(1)
        return PreloadReport(problems=("JobFailed to load libcudnn.so.9: simulated",))

    monkeypatch.setattr(session_gpu, "preload_gpu_libraries", fake)
    session_gpu._preload_once.cache_clear()
    yield calls
    session_gpu._preload_once.cache_clear()


# -- 1. preload ------------------------------------------------------------------------------


def test_a_gpu_session_preloads_once_and_reports_what_failed(preload_calls):
    cuda = prof("provider.name=cuda", 'provider.fallback=["cpu"]')
    model = sample_path("tiny")
    _sess, report, _ms = create_session(model, cuda, 1)
    create_session(model, cuda, 1)
    assert preload_calls == [1]  # once per process
    assert report.warnings[0] == "GPU library preload: JobFailed to load libcudnn.so.9: simulated"
    assert report.fallback  # the fallback is reported as before


def test_a_cpu_session_does_not_preload(preload_calls):
    _sess, report, _ms = create_session(sample_path("tiny"), prof(), 1)
    assert preload_calls == [] and report.warnings == []


def test_the_detection_probe_preloads_first(monkeypatch: pytest.MonkeyPatch):
    from ortbench_tui.gpu import libs

    calls: list[int] = []
    monkeypatch.setattr(libs, "preload_gpu_libraries", lambda: calls.append(1) or PreloadReport())
    probe_module.probe_providers.cache_clear()
    try:
        probes = probe_module.probe_providers()
    finally:
        probe_module.probe_providers.cache_clear()
    assert calls == [1] and any(p.name == "CPUExecutionProvider" and p.works for p in probes)


# -- 2. detect says the fix -------------------------------------------------------------------


def test_detect_gives_the_fix_for_the_real_failure_here():
    probe_module.probe_providers.cache_clear()
    probes = {p.name: p for p in probe_module.probe_providers()}
    cuda = probes["CUDAExecutionProvider"]
    if cuda.works:
        pytest.skip("CUDA works here")
    assert cuda.fix is not None and "libcublasLt.so.13" in cuda.fix
    assert "pip install 'ortbench-tui[cuda]'" in cuda.fix
    assert probes["CPUExecutionProvider"].fix is None


class _FakeOrt:
    """An onnxruntime whose CUDA EP is listed but does not load for want of cuDNN."""

    class SessionOptions:
        log_severity_level = 0

    class InferenceSession:
        def __init__(self, model: bytes, sess_options: Any, providers: list[str]) -> None:
            raise RuntimeError("libcudnn.so.9: cannot open shared object file: No such file")


def test_detect_fix_with_a_fake_failure_in_text_and_json():
    probe = probe_module._probe_one(_FakeOrt(), "CUDAExecutionProvider", b"")
    assert not probe.works and probe.fix is not None and "cuDNN 9" in probe.fix
    info = HardwareInfo.from_dict(
        {
            "cpu_model": "x",
            "physical_cores": 1,
            "logical_cores": 1,
            "memory_mb": 1,
            "providers": [probe.to_dict()],
        }
    )
    assert info.to_dict()["providers"][0]["fix"] == probe.fix
    text = format_hardware(info)
    assert f"    fix    {probe.fix}" in text


def test_old_results_without_fix_still_load():
    old = {"name": "CUDAExecutionProvider", "listed": True, "works": False, "reason": "r"}
    assert probe_module.ProviderProbe(**old).fix is None


# -- 3. options checked before any session ----------------------------------------------------


@pytest.fixture
def no_run(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a session was started")

    monkeypatch.setattr("ortbench_tui.bench.runner.start_run", refuse)


def test_cli_refuses_a_bad_cuda_option_before_any_session(capsys, no_run):
    code = main(
        [
            "run",
            "sample:tiny",
            "--set",
            "provider.name=cuda",
            "--set",
            "provider.options.cudnn_conv_algo_search=FASTEST",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "cudnn_conv_algo_search = 'FASTEST'" in err
    assert "EXHAUSTIVE | HEURISTIC | DEFAULT" in err


def test_cli_refuses_a_typo_in_a_toml_profile_listing_the_valid_options(
    capsys, no_run, tmp_path: Path
):
    path = tmp_path / "trt.toml"
    path.write_text('[provider]\nname = "tensorrt"\noptions = { trt_fp16_enabled = true }\n')
    code = main(["run", "sample:tiny", "--profile", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and str(path) in err
    assert "has no option 'trt_fp16_enabled'; did you mean trt_fp16_enable?" in err
    assert "trt_timing_cache_enable" in err  # the list of valid ones


# -- 4. TensorRT: options handed to ORT, phase, outcome ----------------------------------------


def trt_measurement(*sets: str) -> tuple[Measurement, FakeConn]:
    profile = prof(
        "provider.name=tensorrt",
        'provider.fallback=["cpu"]',
        "session.free_dimensions={ batch = 2, sequence = 8 }",
        *sets,
    )
    conn = FakeConn()
    request = {"model_path": str(sample_path("encoder")), "profile": profile_to_dict(profile)}
    return Measurement(conn, request), conn


def test_a_tensorrt_profile_hands_ort_caches_and_shape_profiles(recorded_sessions):
    m, conn = trt_measurement("provider.options.trt_fp16_enable=true")
    meta = m.setup()
    name, options = recorded_sessions[-1][0]
    assert name == TRT
    assert options["trt_fp16_enable"] == "1"
    assert options["trt_engine_cache_enable"] == "1" and options["trt_timing_cache_enable"] == "1"
    root = session_gpu.tensorrt_cache_root()
    engines = Path(options["trt_engine_cache_path"])
    assert engines.parent == root / "engines" and engines.is_dir()
    assert Path(options["trt_timing_cache_path"]).parent == root / "timing"
    shapes = {i.name: m.feeds[0][i.name].shape for i in m.sess.get_inputs()}
    expected = ",".join(f"{n}:{'x'.join(map(str, s))}" for n, s in shapes.items())
    for key in ("trt_profile_min_shapes", "trt_profile_opt_shapes", "trt_profile_max_shapes"):
        assert options[key] == expected
    assert "2x8" in expected  # the resolved batch and sequence
    # The build phase is announced before the session; the result says where it came from.
    assert conn.sent and conn.sent[0] == PhaseProgress(BUILD_PHASE, 0, None)
    assert meta["tensorrt"]["cache_dir"] == str(engines)
    assert meta["tensorrt"]["engine_from_cache"] is None  # TensorRT did not load here
    # ... and the fallback is reported as today.
    assert meta["providers"]["fallback"] and any("FALLBACK" in w for w in m.warnings)


def test_user_set_tensorrt_values_win(recorded_sessions, tmp_path: Path):
    mine = tmp_path / "mine"
    m, _conn = trt_measurement(
        f'provider.options.trt_engine_cache_path="{mine}"',
        "provider.options.trt_timing_cache_enable=false",
        'provider.options.trt_profile_min_shapes="input_ids:1x1"',
        'provider.options.trt_profile_opt_shapes="input_ids:2x8"',
        'provider.options.trt_profile_max_shapes="input_ids:4x16"',
    )
    m.setup()
    options = recorded_sessions[-1][0][1]
    assert options["trt_engine_cache_path"] == str(mine) and mine.is_dir()
    assert options["trt_timing_cache_enable"] == "0" and "trt_timing_cache_path" not in options
    assert options["trt_profile_max_shapes"] == "input_ids:4x16"


def test_a_cuda_profile_hands_ort_its_options_unchanged(recorded_sessions):
    profile = prof(
        "provider.name=cuda",
        'provider.fallback=["cpu"]',
        "provider.options.cudnn_conv_algo_search=HEURISTIC",
    )
    conn = FakeConn()
    m = Measurement(
        conn, {"model_path": str(sample_path("tiny")), "profile": profile_to_dict(profile)}
    )
    meta = m.setup()
    assert recorded_sessions[-1][0] == (
        "CUDAExecutionProvider",
        {"cudnn_conv_algo_search": "HEURISTIC"},
    )
    assert conn.sent == [] and meta["tensorrt"] is None


def test_the_outcome_tells_a_cached_engine_from_a_build(tmp_path: Path):
    engines = tmp_path / "engines"
    engines.mkdir()
    (engines / "old.engine").write_bytes(b"x")
    options = session_gpu.GpuOptions({}, tensorrt=True, engine_cache_dir=engines)
    setup = gpu_session.GpuSessionSetup(
        options, {"old.engine": (1, (engines / "old.engine").stat().st_mtime_ns)}
    )
    cached = setup.outcome(120.0, [TRT, "CPUExecutionProvider"])
    assert cached is not None and cached["engine_from_cache"] is True and cached["build_s"] == 0.0
    (engines / "new.engine").write_bytes(b"yy")
    built = setup.outcome(4500.0, [TRT])
    assert built is not None and built["engine_from_cache"] is False and built["build_s"] == 4.5


def building_worker(conn: Any, request: dict[str, Any], log_path: str) -> None:
    """A child stuck in a TensorRT build: it never reads the parent's Stop."""
    conn.send(PhaseProgress(BUILD_PHASE, 0, None))
    time.sleep(60)


def test_the_build_phase_ticks_and_a_cancel_kills_the_worker_at_once():
    handle = RunHandle(RunRequest("sample:tiny", prof()), target=building_worker)
    ticks: list[int] = []
    end = None
    cancelled_at = None
    for event in handle.events():
        if isinstance(event, RunProgress) and event.phase == BUILD_PHASE:
            ticks.append(event.done)
            if len(ticks) == 3 and cancelled_at is None:
                cancelled_at = time.perf_counter()
                handle.cancel()
        elif isinstance(event, JobFailed):
            end = event
    assert cancelled_at is not None
    waited = time.perf_counter() - cancelled_at
    assert isinstance(end, JobFailed) and "cancelled while building TensorRT engine" in end.message
    # The kill follows the next poll (50 ms), not the 3 s grace a listening worker gets.
    assert waited < 2.0, waited
    assert ticks[0] == 0 and ticks == sorted(ticks)
    assert not handle.process.is_alive()


# -- 5. CUDA graphs --------------------------------------------------------------------------


def test_cli_refuses_a_cuda_graph_without_io_binding_naming_the_reason(capsys):
    code = main(
        [
            "run",
            "sample:tiny",
            "--runs",
            "5",
            "--no-history",
            "--set",
            "provider.name=cuda",
            "--set",
            "provider.options.enable_cuda_graph=true",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "CUDA graphs need io_binding = true" in err


def test_free_dims_stop_a_cuda_graph_before_any_session():
    inputs = [TensorInfo("ids", "int64", ["batch", "sequence"])]
    graph = prof(
        "provider.name=cuda", "provider.options.enable_cuda_graph=true", "run.io_binding=true"
    )
    with pytest.raises(OrtbenchError, match=r"fixed shapes; ids\.batch, ids\.sequence are"):
        gpu_session.prepare_gpu_session(graph, Path("m.onnx"), inputs, {"ids": (1, 8)})
    fixed = apply_overrides(graph, ["session.free_dimensions={ batch = 1, sequence = 8 }"])
    setup = gpu_session.prepare_gpu_session(fixed, Path("m.onnx"), inputs, {"ids": (1, 8)})
    assert setup.options.provider_options == {"enable_cuda_graph": True}


def test_a_failed_capture_names_the_nodes_from_the_trace(tmp_path: Path):
    profile = prof(
        "provider.name=tensorrt",
        'provider.fallback=["cpu"]',
        "provider.options.trt_cuda_graph_enable=true",
        "run.io_binding=true",
    )
    model = sample_path("mlp")
    import numpy as np

    from ortbench_tui.models import inspect_model

    info = inspect_model(model)
    feed = {
        t.name: np.ones(
            [1 if not isinstance(d, int) or d < 1 else d for d in t.shape], dtype=np.float32
        )
        for t in info.inputs
    }

    def placement() -> dict[str, str]:
        return gpu_session.placement_without_graph(model, profile, 1, feed, tmp_path)

    ort_error = RuntimeError(
        "This session cannot use the graph capture feature as requested by the user as all "
        "compute graph nodes have not been partitioned to the TensorRT execution provider"
    )
    better = gpu_session.explain_capture_failure(ort_error, profile, placement)
    assert isinstance(better, OrtbenchError)
    assert "TensorRT CUDA graphs need every node on TensorRT" in str(better)
    assert "run on CPU" in str(better)
    # Other errors pass through untouched.
    other = ValueError("something else")
    assert gpu_session.explain_capture_failure(other, profile, placement) is other
