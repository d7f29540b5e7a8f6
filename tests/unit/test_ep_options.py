"""EP option checks that catch a typo on any machine, before a session is made."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.gpu.ep_options import (
    CATALOGUE,
    CATALOGUE_ORT_VERSION,
    installed_ort_version,
    known_options,
    option_help,
    validate_provider_options,
    value_problem,
)

CUDA = "CUDAExecutionProvider"
TRT = "TensorrtExecutionProvider"
SHIPPED_PROFILES = Path(__file__).resolve().parents[2] / "profiles"


def error_of(ep: str, options: dict[str, object], version: tuple[int, int] = (1, 31)) -> str:
    with pytest.raises(OrtbenchError) as info:
        validate_provider_options(ep, options, ort_version=version)
    return str(info.value)


def test_the_seed_options_pass():
    validate_provider_options(
        CUDA,
        {
            "enable_cuda_graph": True,
            "cudnn_conv_algo_search": "EXHAUSTIVE",
            "arena_extend_strategy": "kSameAsRequested",
            "do_copy_in_default_stream": True,
            "gpu_mem_limit": 2 * 1024**3,
            "device_id": 0,
        },
    )
    validate_provider_options(
        TRT,
        {
            "trt_fp16_enable": True,
            "trt_engine_cache_enable": True,
            "trt_engine_cache_path": "trt-cache",
            "trt_max_workspace_size": 2147483648,
            "trt_builder_optimization_level": 5,
            "trt_auxiliary_streams": -1,
        },
    )


def test_shipped_profiles_pass():
    import tomllib

    for path in sorted(SHIPPED_PROFILES.glob("*.toml")):
        provider = tomllib.loads(path.read_text()).get("provider", {})
        name = {"cuda": CUDA, "tensorrt": TRT}.get(provider.get("name", "cpu"), "other")
        validate_provider_options(name, provider.get("options", {}))


def test_a_wrong_enum_value_names_the_option_and_the_valid_values():
    message = error_of(CUDA, {"cudnn_conv_algo_search": "FASTEST"})
    assert "cudnn_conv_algo_search" in message and "'FASTEST'" in message
    assert "EXHAUSTIVE | HEURISTIC | DEFAULT" in message


def test_an_enum_in_the_wrong_case_says_how_ort_spells_it():
    assert "ORT spells it 'EXHAUSTIVE'" in error_of(CUDA, {"cudnn_conv_algo_search": "exhaustive"})


def test_a_negative_workspace_is_out_of_range():
    message = error_of(TRT, {"trt_max_workspace_size": -1})
    assert "trt_max_workspace_size = -1: out of range" in message
    assert "an integer >= 0" in message


def test_a_bounded_integer_names_its_range():
    message = error_of(TRT, {"trt_builder_optimization_level": 6})
    assert "from 0 to 5" in message


def test_an_unknown_option_suggests_the_close_one_and_lists_the_valid_ones():
    message = error_of(CUDA, {"cudnn_conv_algo_serch": "DEFAULT"})
    assert "no option 'cudnn_conv_algo_serch'" in message
    assert "did you mean cudnn_conv_algo_search?" in message
    assert "enable_cuda_graph" in message and "1.31" in message


def test_an_option_of_the_other_gpu_ep_is_unknown():
    assert "did you mean trt_cuda_graph_enable?" in error_of(TRT, {"enable_cuda_graph": True})


def test_an_unknown_option_without_close_match_has_no_guess():
    assert "did you mean" not in error_of(CUDA, {"zzz": 1})


@pytest.mark.parametrize(
    ("ep", "options", "fragment"),
    [
        (CUDA, {"enable_cuda_graph": "yes"}, "not a boolean"),
        (CUDA, {"enable_cuda_graph": 2}, "not a boolean"),
        (CUDA, {"device_id": "zero"}, "not an integer"),
        (CUDA, {"device_id": True}, "a boolean where ORT parses an integer"),
        (CUDA, {"gpu_mem_limit": 1.5}, "a decimal number"),
        (CUDA, {"cudnn_conv_algo_search": 1}, "expected a string, got int"),
        (TRT, {"trt_engine_cache_path": 3}, "expected a string"),
        (TRT, {"trt_profile_min_shapes": "x:1x3,y"}, "NAME:DIMxDIM"),
        (TRT, {"trt_tactic_sources": "-CUDNN,+CUBLASS"}, "unknown tactic source '+CUBLASS'"),
        (TRT, {"trt_ep_context_embed_mode": 2}, "out of range"),
    ],
)
def test_wrong_types_and_values(ep: str, options: dict[str, object], fragment: str):
    assert fragment in error_of(ep, options)


@pytest.mark.parametrize("value", [True, False, 0, 1, "1", "0", "true", "False", "TRUE"])
def test_booleans_in_every_spelling_ort_parses(value: object):
    assert value_problem(CATALOGUE[CUDA]["use_tf32"], value) is None


def test_integers_may_come_as_strings_as_ort_receives_them():
    validate_provider_options(TRT, {"trt_max_workspace_size": "2147483648", "device_id": "1"})


def test_a_partial_shape_profile_is_refused():
    message = error_of(TRT, {"trt_profile_min_shapes": "x:1x3", "trt_profile_max_shapes": "x:8x3"})
    assert "without trt_profile_opt_shapes" in message


def test_a_full_shape_profile_passes():
    validate_provider_options(
        TRT,
        {
            "trt_profile_min_shapes": "x:1x3,mask:1x1",
            "trt_profile_opt_shapes": "x:4x3,mask:4x1",
            "trt_profile_max_shapes": "x:8x3,mask:8x1",
        },
    )


def test_cpu_and_third_party_eps_pass_through_untouched():
    validate_provider_options("CPUExecutionProvider", {"anything": "goes"})
    validate_provider_options("OpenVINOExecutionProvider", {"device_type": "GPU"})


def test_a_newer_ort_may_have_options_the_catalogue_does_not_know():
    validate_provider_options(CUDA, {"brand_new_option": 1}, ort_version=(1, 32))
    # known options are still checked
    assert "FASTEST" in error_of(CUDA, {"cudnn_conv_algo_search": "FASTEST"}, (2, 0))


def test_the_installed_ort_is_the_catalogued_one():
    assert installed_ort_version() == CATALOGUE_ORT_VERSION


@pytest.mark.slow
def test_the_catalogue_holds_every_option_name_in_the_installed_provider_libraries():
    """Option names sit together in the providers' .rodata; new or renamed ones show up here."""
    import onnxruntime

    capi = Path(onnxruntime.__file__).parent / "capi"
    for ep, library, pattern in [
        (TRT, "libonnxruntime_providers_tensorrt.so", r"trt_[a-z0-9_]+"),
        (CUDA, "libonnxruntime_providers_cuda.so", r"(cudnn|tunable_op|gpu_external)_[a-z0-9_]+"),
    ]:
        path = capi / library
        if not path.is_file():
            pytest.skip(f"{library} not in this onnxruntime")
        try:
            out = subprocess.run(["strings", str(path)], capture_output=True, text=True).stdout
        except FileNotFoundError:
            pytest.skip("no `strings` here")
        in_library = {s for s in out.splitlines() if re.fullmatch(pattern, s)}
        options = set(CATALOGUE[ep])
        # strings also finds non-option words with the same prefix; option ones are exact
        catalogued = {n for n in options if re.fullmatch(pattern, n)}
        assert catalogued <= in_library, sorted(catalogued - in_library)
        if ep == TRT:
            assert in_library <= options, sorted(in_library - options)


def test_the_editor_listing_has_every_option_with_its_values_and_doc():
    rows = option_help(CUDA)
    assert [r[0] for r in rows] == [o.name for o in known_options(CUDA)]
    search = next(r for r in rows if r[0] == "cudnn_conv_algo_search")
    assert search[1] == "EXHAUSTIVE | HEURISTIC | DEFAULT; default 'EXHAUSTIVE'"
    limit = next(r for r in rows if r[0] == "gpu_mem_limit")
    assert "default no limit" in limit[1]
    graph = next(r for r in option_help(TRT) if r[0] == "trt_cuda_graph_enable")
    assert graph[1] == "true or false; default false" and graph[2]
    assert option_help("CPUExecutionProvider") == []
    assert all(doc for _, _, doc in option_help(TRT))
