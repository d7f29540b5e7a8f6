"""The profile -> SessionOptions/providers mapping (pure, every key), and real fallback checks."""

from __future__ import annotations

import pytest

from ortbench_tui.errors import OrtbenchError, RunFailed
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.session import (
    build_session_options,
    check_providers,
    create_session,
    profile_problems,
    provider_list,
    session_settings,
)


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(), list(sets))


def test_defaults_are_ort_defaults():
    spec = session_settings(Profile(), physical_cores=4)
    assert spec["graph_optimization_level"] == "ORT_ENABLE_ALL"
    assert spec["execution_mode"] == "ORT_SEQUENTIAL"
    assert spec["intra_op_num_threads"] == 0 and spec["inter_op_num_threads"] == 0
    assert spec["enable_cpu_mem_arena"] is True and spec["enable_mem_pattern"] is True
    assert spec["config_entries"] == {"session.intra_op.allow_spinning": "1"}


@pytest.mark.parametrize(
    ("assignment", "key", "expected"),
    [
        ("session.graph_optimization_level=disable", "graph_optimization_level", "ORT_DISABLE_ALL"),
        ("session.graph_optimization_level=basic", "graph_optimization_level", "ORT_ENABLE_BASIC"),
        (
            "session.graph_optimization_level=extended",
            "graph_optimization_level",
            "ORT_ENABLE_EXTENDED",
        ),
        ("session.execution_mode=parallel", "execution_mode", "ORT_PARALLEL"),
        ("session.intra_op_num_threads=physical", "intra_op_num_threads", 4),
        ("session.intra_op_num_threads=3", "intra_op_num_threads", 3),
        ("session.inter_op_num_threads=2", "inter_op_num_threads", 2),
        ("session.enable_cpu_mem_arena=false", "enable_cpu_mem_arena", False),
        ("session.enable_mem_pattern=false", "enable_mem_pattern", False),
        ("session.free_dimensions.batch=8", "free_dimensions", {"batch": 8}),
    ],
)
def test_session_keys_map(assignment, key, expected):
    assert session_settings(prof(assignment), physical_cores=4)[key] == expected


def test_config_entries_spinning_and_affinities():
    spec = session_settings(
        prof(
            "session.allow_spinning=false",
            "session.intra_op_thread_affinities=1;2",
            "session.config_entries.session.set_denormal_as_zero=1",
        ),
        physical_cores=4,
    )
    assert spec["config_entries"] == {
        "session.intra_op.allow_spinning": "0",
        "session.intra_op_thread_affinities": "1;2",
        "session.set_denormal_as_zero": "1",
    }


def test_real_session_options_carry_the_mapping():
    so = build_session_options(
        prof(
            "session.graph_optimization_level=basic",
            "session.intra_op_num_threads=physical",
            "session.inter_op_num_threads=2",
            "session.enable_mem_pattern=false",
            "session.execution_mode=parallel",
            "session.allow_spinning=false",
        ),
        physical_cores=3,
    )
    import onnxruntime as ort

    assert so.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    assert so.execution_mode == ort.ExecutionMode.ORT_PARALLEL
    assert (so.intra_op_num_threads, so.inter_op_num_threads) == (3, 2)
    assert so.enable_mem_pattern is False
    assert so.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def test_cpu_provider_list():
    assert provider_list(Profile()) == [("CPUExecutionProvider", {})]


def test_cuda_options_become_strings():
    p = prof(
        "provider.name=cuda",
        "provider.options.enable_cuda_graph=true",
        'provider.options.cudnn_conv_algo_search="HEURISTIC"',
        "provider.options.gpu_mem_limit=4294967296",
        "provider.options.device_id=1",
        "provider.options.arena_extend_strategy=kSameAsRequested",
    )
    assert provider_list(p) == [
        (
            "CUDAExecutionProvider",
            {
                "enable_cuda_graph": "1",
                "cudnn_conv_algo_search": "HEURISTIC",
                "gpu_mem_limit": "4294967296",
                "device_id": "1",
                "arena_extend_strategy": "kSameAsRequested",
            },
        ),
        ("CPUExecutionProvider", {}),
    ]


def test_tensorrt_options_and_fallback_order():
    p = prof(
        "provider.name=tensorrt",
        "provider.options.trt_fp16_enable=true",
        "provider.options.trt_int8_enable=false",
        "provider.options.trt_engine_cache_enable=true",
        'provider.options.trt_engine_cache_path="cache"',
        "provider.options.trt_max_workspace_size=2147483648",
        'provider.fallback=["cuda"]',
    )
    names = [n for n, _ in provider_list(p)]
    assert names == ["TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"]
    assert provider_list(p)[0][1] == {
        "trt_fp16_enable": "1",
        "trt_int8_enable": "0",
        "trt_engine_cache_enable": "1",
        "trt_engine_cache_path": "cache",
        "trt_max_workspace_size": "2147483648",
    }


def test_cuda_graph_problems():
    p = prof(
        "provider.name=cuda",
        "provider.options.enable_cuda_graph=true",
        "session.execution_mode=parallel",
    )
    problems = profile_problems(p)
    assert any("io_binding" in x for x in problems)
    assert any("parallel" in x for x in problems)
    ok = prof(
        "provider.name=cuda", "provider.options.enable_cuda_graph=true", "run.io_binding=true"
    )
    assert profile_problems(ok) == []
    assert profile_problems(prof("provider.options.enable_cuda_graph=true", "run.io_binding=true"))


def test_check_providers_fallback_error_and_allowed_warning():
    cuda = prof("provider.name=cuda")
    with pytest.raises(OrtbenchError, match="CUDAExecutionProvider did not load"):
        check_providers(cuda, ["CPUExecutionProvider"])
    allowed = prof("provider.name=cuda", 'provider.fallback=["cpu"]')
    report = check_providers(allowed, ["CPUExecutionProvider"])
    assert report.fallback and "FALLBACK" in report.warnings[0]
    fine = check_providers(cuda, ["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert not fine.fallback and not fine.warnings


def _cuda_really_works() -> bool:
    from ortbench_tui.hardware import probe_providers

    return any(p.name == "CUDAExecutionProvider" and p.works for p in probe_providers())


def test_real_fallback_is_detected_without_gpu():
    """ORT lists CUDA here and silently runs on CPU; ortbench must refuse, loudly."""
    import onnxruntime as ort

    from ortbench_tui.samples import sample_path

    if "CUDAExecutionProvider" not in ort.get_available_providers() or _cuda_really_works():
        pytest.skip("needs an ORT build that lists CUDA on a machine where it cannot load")
    with pytest.raises(OrtbenchError, match="execution provider not available"):
        create_session(sample_path("tiny"), prof("provider.name=cuda"), 2)
    sess, report, create_ms = create_session(
        sample_path("tiny"), prof("provider.name=cuda", 'provider.fallback=["cpu"]'), 2
    )
    assert report.fallback and report.active == ["CPUExecutionProvider"]
    assert create_ms > 0


def _session_raising(monkeypatch, exc: Exception) -> None:
    import onnxruntime as ort

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(ort, "InferenceSession", fail)


def test_out_of_memory_at_session_creation_is_a_failed_run(monkeypatch):
    """Good input on a device that ran out of memory: exit 1, not "bad input"."""
    from onnxruntime.capi.onnxruntime_pybind11_state import RuntimeException

    from ortbench_tui.samples import sample_path

    oom = RuntimeException(
        "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Exception during initialization: "
        "CUDA failure 2: out of memory ; GPU=0 ; expr=cudaMalloc((void**)&p, size);"
    )
    _session_raising(monkeypatch, oom)
    with pytest.raises(RunFailed, match="CUDA failure 2: out of memory"):
        create_session(sample_path("tiny"), prof(), 2)


@pytest.mark.parametrize("name", ["Fail", "RuntimeException", "EPFail"])
def test_ort_failures_of_good_input_are_failed_runs(monkeypatch, name):
    from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

    from ortbench_tui.samples import sample_path

    error = getattr(ort_errors, name)(f"[ONNXRuntimeError] : 1 : {name} : the EP gave up")
    _session_raising(monkeypatch, error)
    with pytest.raises(RunFailed, match="the EP gave up"):
        create_session(sample_path("tiny"), prof(), 2)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("InvalidGraph", "Load model from m.onnx failed:This is an invalid model."),
        ("InvalidArgument", "Invalid model. Node input 'zz' is not a graph input"),
        ("InvalidProtobuf", "Load model from m.onnx failed:Protobuf parsing failed."),
        ("NoSuchFile", "Load model from m.onnx failed: File doesn't exist"),
        ("NotImplemented", "Could not find an implementation for NoSuchOp(17) node"),
        # A Fail while reading the model (opset or IR too new) is still the model's fault.
        ("Fail", "Load model from m.onnx failed: Unsupported model IR version: 99"),
    ],
)
def test_model_and_argument_problems_stay_bad_input(monkeypatch, name, message):
    from onnxruntime.capi import onnxruntime_pybind11_state as ort_errors

    from ortbench_tui.samples import sample_path

    _session_raising(monkeypatch, getattr(ort_errors, name)(message))
    with pytest.raises(OrtbenchError, match="could not create a session"):
        create_session(sample_path("tiny"), prof(), 2)


def test_a_real_file_that_is_not_onnx_is_bad_input(tmp_path):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model at all")
    with pytest.raises(OrtbenchError, match="Protobuf parsing failed"):
        create_session(garbage, prof(), 2)


@pytest.mark.gpu
def test_cuda_session_is_active_on_gpu():
    from ortbench_tui.samples import sample_path

    sess, report, _ = create_session(sample_path("mlp"), prof("provider.name=cuda"), 2)
    assert report.active[0] == "CUDAExecutionProvider" and not report.fallback
