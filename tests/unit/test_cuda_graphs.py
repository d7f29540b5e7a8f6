"""Reasons a CUDA graph cannot be captured, found before ORT's generic error."""

from __future__ import annotations

from typing import Any

from ortbench_tui.gpu.cuda_graphs import cuda_graph_problems, cuda_graph_requested

CUDA = "CUDAExecutionProvider"
TRT = "TensorrtExecutionProvider"
CPU = "CPUExecutionProvider"


def settings(provider: str = CUDA, io_binding: bool = True, **options: Any) -> dict[str, Any]:
    return {
        "provider": provider,
        "options": options or {"enable_cuda_graph": True},
        "io_binding": io_binding,
    }


def test_a_good_request_has_no_problems():
    placement = {"conv": CUDA, "relu": CUDA}
    assert cuda_graph_problems(settings(), False, "sequential", placement) == []


def test_no_request_no_problems_whatever_the_rest():
    plain = {"provider": CUDA, "options": {}, "io_binding": False}
    assert cuda_graph_problems(plain, True, "parallel", {"a": CPU}) == []


def test_every_reason_is_reported_at_once():
    problems = cuda_graph_problems(settings(io_binding=False), True, "parallel", None)
    assert len(problems) == 3
    assert "io_binding = true" in problems[0]
    assert 'execution_mode = "sequential"' in problems[1]
    assert "fixed shapes" in problems[2] and "free_dimensions" in problems[2]


def test_ort_s_execution_mode_names_are_understood():
    assert cuda_graph_problems(settings(), False, "ORT_PARALLEL")
    assert not cuda_graph_problems(settings(), False, "ORT_SEQUENTIAL")


def test_dynamic_dims_are_named():
    problems = cuda_graph_problems(settings(), ["x.batch", "x.seq"], "sequential")
    assert problems == [
        "CUDA graphs need fixed shapes; x.batch, x.seq are still free: fix them with "
        "session.free_dimensions or --shape"
    ]
    assert "x.batch is still free" in cuda_graph_problems(settings(), ["x.batch"], "sequential")[0]
    assert cuda_graph_problems(settings(), [], "sequential") == []


def test_cpu_nodes_that_need_copies_are_named():
    placement = {"conv": CUDA, "nms": CPU, "topk": CPU, "Memcpy": CUDA, "Memcpy_1": CUDA}
    problems = cuda_graph_problems(settings(), False, "sequential", placement)
    assert problems == [
        "CUDA graphs need every compute node on CUDA; nms, topk run on CPU and need 2 Memcpy nodes"
    ]


def test_cpu_shape_nodes_without_copies_are_allowed_on_cuda():
    placement = {"conv": CUDA, "shape": CPU, "gather_dims": CPU}
    assert cuda_graph_problems(settings(), False, "sequential", placement) == []


def test_tensorrt_needs_every_node():
    placement = {"trt_engine": TRT, "nms": CUDA, "argmax": CPU}
    problems = cuda_graph_problems(
        settings(TRT, trt_cuda_graph_enable=True), False, "sequential", placement
    )
    assert problems == [
        "TensorRT CUDA graphs need every node on TensorRT; argmax, nms run on CPU, CUDA"
    ]


def test_many_nodes_are_counted_not_listed():
    placement = {f"n{i:02d}": CPU for i in range(9)} | {"Memcpy": CUDA}
    problem = cuda_graph_problems(settings(), False, "sequential", placement)[0]
    assert "n00, n01, n02, n03, n04 and 4 more run on CPU" in problem


def test_the_option_on_a_cpu_ep_is_a_problem():
    problems = cuda_graph_problems(
        {"provider": CPU, "options": {"enable_cuda_graph": "1"}, "io_binding": True},
        False,
        "sequential",
        {"a": CPU},
    )
    assert problems == [
        "CUDA graphs are an option of the CUDA and TensorRT EPs, not of CPUExecutionProvider"
    ]


def test_requested_reads_each_ep_s_own_option_in_every_spelling():
    assert cuda_graph_requested(CUDA, {"enable_cuda_graph": True})
    assert cuda_graph_requested(CUDA, {"enable_cuda_graph": "1"})
    assert not cuda_graph_requested(CUDA, {"enable_cuda_graph": "0"})
    assert not cuda_graph_requested(CUDA, {"trt_cuda_graph_enable": True})
    assert cuda_graph_requested(TRT, {"trt_cuda_graph_enable": "true"})
    assert not cuda_graph_requested(CPU, {})
