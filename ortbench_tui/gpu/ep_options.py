"""The CUDA and TensorRT EP options ONNX Runtime understands, checked before any session exists.

ORT validates provider options only when the provider library loads, so on a machine without a
GPU a typo such as `cudnn_conv_algo_search = "FASTEST"` passes silently and the run falls back
to CPU. This catalogue (names read from the option parsers in onnxruntime-gpu 1.31's provider
libraries; types, ranges and defaults from ORT's documentation) lets every machine reject it.
CPU and third-party EPs pass through untouched: ortbench does not know their options.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import OrtbenchError

CATALOGUE_ORT_VERSION = (1, 31)
"""The onnxruntime-gpu release the catalogue was read from."""

SIZE_MAX = 2**64 - 1


@dataclass(frozen=True)
class EpOption:
    """One provider option: how ORT parses it and what it does."""

    name: str
    kind: str
    """bool | int | enum | str | shapes | tactics | address"""
    default: Any
    doc: str
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int = SIZE_MAX

    def expected(self) -> str:
        """What a valid value looks like, for error messages and the editor."""
        if self.kind == "enum":
            return " | ".join(self.choices)
        if self.kind == "int":
            return f"an integer {_range_text(self.minimum, self.maximum)}"
        return _KIND_TEXT[self.kind]


_KIND_TEXT = {
    "bool": "true or false",
    "str": "a string",
    "shapes": 'a string "input:1x3x224x224,other:1x128"',
    "tactics": 'a string such as "-CUDNN,+CUBLAS"',
    "address": "a pointer as a non-negative integer (only for programs embedding ORT)",
}


def _range_text(low: int, high: int) -> str:
    if high == SIZE_MAX:
        return f">= {low}"
    return f"from {low} to {high}"


def _bool(name: str, default: bool, doc: str) -> EpOption:
    return EpOption(name, "bool", default, doc)


def _int(name: str, default: int, doc: str, minimum: int = 0, maximum: int = SIZE_MAX) -> EpOption:
    return EpOption(name, "int", default, doc, minimum=minimum, maximum=maximum)


def _str(name: str, doc: str, kind: str = "str") -> EpOption:
    return EpOption(name, kind, "", doc)


_STREAM_OPTIONS = (
    _bool("has_user_compute_stream", False, "run on a caller-supplied CUDA stream"),
    EpOption("user_compute_stream", "address", 0, "the caller's cudaStream_t (with the above)"),
)

CUDA_OPTIONS = (
    _int("device_id", 0, "GPU index"),
    *_STREAM_OPTIONS,
    _int("gpu_mem_limit", SIZE_MAX, "bytes the device arena may hold; the default is no limit"),
    EpOption(
        "arena_extend_strategy",
        "enum",
        "kNextPowerOfTwo",
        "how the device arena grows: in powers of two, or by what is asked",
        choices=("kNextPowerOfTwo", "kSameAsRequested"),
    ),
    EpOption(
        "cudnn_conv_algo_search",
        "enum",
        "EXHAUSTIVE",
        "cuDNN convolution algorithm choice: benchmark all, heuristics, or the implicit GEMM",
        choices=("EXHAUSTIVE", "HEURISTIC", "DEFAULT"),
    ),
    _bool("do_copy_in_default_stream", True, "copies on the compute stream (required by graphs)"),
    _bool("cudnn_conv_use_max_workspace", True, "let cuDNN use its largest workspace"),
    _bool("cudnn_conv1d_pad_to_nc1d", False, "pad 1-D convolutions as [N,C,1,D] not [N,C,D,1]"),
    _bool("enable_cuda_graph", False, "capture the graph on the first run and replay it"),
    _bool("enable_cudnn", True, "use cuDNN kernels; false falls back to non-cuDNN kernels"),
    _bool("enable_skip_layer_norm_strict_mode", False, "SkipLayerNorm accumulates in fp32"),
    _bool("prefer_nhwc", False, "NHWC layout for convolutions and friends"),
    _bool("use_ep_level_unified_stream", False, "one stream for the whole EP"),
    _bool("use_tf32", True, "allow TF32 math on Ampere and newer"),
    _bool("fuse_conv_bias", False, "fuse Conv + bias with cuDNN frontend"),
    _int("sdpa_kernel", 0, "attention kernel bitmask; 0 lets ORT choose"),
    _bool("tunable_op_enable", False, "use TunableOp kernels"),
    _bool("tunable_op_tuning_enable", False, "let TunableOp tune online"),
    _int("tunable_op_max_tuning_duration_ms", 0, "time cap per TunableOp tuning; 0 = none"),
    EpOption("gpu_external_alloc", "address", 0, "external allocator function"),
    EpOption("gpu_external_free", "address", 0, "external free function"),
    EpOption("gpu_external_empty_cache", "address", 0, "external empty-cache function"),
)

TENSORRT_OPTIONS = (
    _int("device_id", 0, "GPU index"),
    *_STREAM_OPTIONS,
    _int("trt_max_partition_iterations", 1000, "partitioning attempts before giving up", 1),
    _int("trt_min_subgraph_size", 1, "smallest subgraph handed to TensorRT", 1),
    _int("trt_max_workspace_size", 0, "builder workspace in bytes; 0 lets TensorRT choose"),
    _bool("trt_fp16_enable", False, "build FP16 engines"),
    _bool("trt_bf16_enable", False, "build BF16 engines"),
    _bool("trt_int8_enable", False, "build INT8 engines (needs a calibration table)"),
    _str("trt_int8_calibration_table_name", "INT8 calibration table file"),
    _bool("trt_int8_use_native_calibration_table", False, "table made by TensorRT itself"),
    _bool("trt_dla_enable", False, "run on the DLA (Jetson)"),
    _int("trt_dla_core", 0, "DLA core index"),
    _bool("trt_dump_subgraphs", False, "write the subgraphs given to TensorRT as ONNX"),
    _bool("trt_engine_cache_enable", False, "keep built engines on disk"),
    _str("trt_engine_cache_path", "folder of the engine cache"),
    _str("trt_engine_cache_prefix", "file name prefix of cached engines"),
    _bool("trt_weight_stripped_engine_enable", False, "cache engines without weights"),
    _str("trt_onnx_model_folder_path", "folder of the model to refit stripped engines from"),
    _bool("trt_engine_decryption_enable", False, "decrypt cached engines on load"),
    _str("trt_engine_decryption_lib_path", "library that decrypts engines"),
    _bool("trt_force_sequential_engine_build", False, "build one engine at a time"),
    _bool("trt_context_memory_sharing_enable", False, "share execution memory between engines"),
    _bool("trt_layer_norm_fp32_fallback", False, "keep LayerNorm in fp32 under fp16"),
    _bool("trt_timing_cache_enable", False, "keep kernel timings between builds"),
    _str("trt_timing_cache_path", "folder of the timing cache"),
    _bool("trt_force_timing_cache", False, "use the timing cache even from another GPU"),
    _bool("trt_detailed_build_log", False, "log engine build details"),
    _bool("trt_build_heuristics_enable", False, "faster builds from heuristics"),
    _bool("trt_sparsity_enable", False, "use 2:4 structured sparsity"),
    _int("trt_builder_optimization_level", 3, "0-5; higher builds slower, runs faster", 0, 5),
    _int("trt_auxiliary_streams", -1, "streams per engine; -1 lets TensorRT choose", -1),
    _str("trt_tactic_sources", "kernel libraries to add or remove", "tactics"),
    _str("trt_extra_plugin_lib_paths", "plugin libraries to load, ';'-separated"),
    _str("trt_profile_min_shapes", "smallest shapes of the optimization profile", "shapes"),
    _str("trt_profile_opt_shapes", "shapes the engine is tuned for", "shapes"),
    _str("trt_profile_max_shapes", "largest shapes of the optimization profile", "shapes"),
    _bool("trt_cuda_graph_enable", False, "capture a CUDA graph of the engines"),
    _bool("trt_dump_ep_context_model", False, "write an EP-context model with the engine"),
    _str("trt_ep_context_file_path", "where the EP-context model goes"),
    _int("trt_ep_context_embed_mode", 0, "0 = engine path in the model, 1 = engine inside", 0, 1),
    _bool("trt_engine_hw_compatible", False, "engines that run on any Ampere or newer GPU"),
    _str("trt_op_types_to_exclude", "op types TensorRT must not take, comma-separated"),
    _str("trt_preview_features", "TensorRT preview features, comma-separated"),
    _bool("trt_load_user_initializer", False, "take initializers from the caller's memory"),
    EpOption("trt_onnx_bytestream", "address", 0, "the model as bytes in memory"),
    _int("trt_onnx_bytestream_size", 0, "size of trt_onnx_bytestream"),
    EpOption("trt_external_data_bytestream", "address", 0, "external data as bytes in memory"),
    _int("trt_external_data_bytestream_size", 0, "size of trt_external_data_bytestream"),
)

CATALOGUE: dict[str, dict[str, EpOption]] = {
    "CUDAExecutionProvider": {o.name: o for o in CUDA_OPTIONS},
    "TensorrtExecutionProvider": {o.name: o for o in TENSORRT_OPTIONS},
}

TACTIC_SOURCES = ("CUBLAS", "CUBLAS_LT", "CUDNN", "EDGE_MASK_CONVOLUTIONS", "JIT_CONVOLUTIONS")
_SHAPE_ITEM = re.compile(r"[^:,]+:\d+(x\d+)*")
_TRUE, _FALSE = ("1", "true"), ("0", "false")


def known_options(ep_name: str) -> list[EpOption]:
    """The options of an EP in catalogue order, for the editor; [] for EPs ortbench doesn't know."""
    return list(CATALOGUE.get(ep_name, {}).values())


def option_help(ep_name: str) -> list[tuple[str, str, str]]:
    """(name, valid values with the default, doc) rows for listing an EP's options."""
    return [
        (o.name, f"{o.expected()}; default {_default_text(o)}", o.doc)
        for o in known_options(ep_name)
    ]


def _default_text(option: EpOption) -> str:
    if option.kind == "bool":
        return "true" if option.default else "false"
    if option.default == SIZE_MAX:
        return "no limit"
    return repr(option.default) if option.default != "" else "unset"


def installed_ort_version() -> tuple[int, int] | None:
    """major.minor of the installed ONNX Runtime, read without importing it."""
    from importlib import metadata  # ~30 ms (email, csv, zipfile): only when it is asked

    for dist in ("onnxruntime-gpu", "onnxruntime"):
        try:
            major, minor = metadata.version(dist).split(".")[:2]
            return int(major), int(minor)
        except (metadata.PackageNotFoundError, ValueError):
            continue
    return None


def validate_provider_options(
    ep_name: str,
    options: Mapping[str, Any],
    ort_version: tuple[int, int] | None = None,
    complete: bool = True,
) -> None:
    """Raise OrtbenchError for an option the EP does not have or a value it would reject.

    Unknown names are errors only up to the catalogued ORT release: a newer ORT may have
    added options, and refusing them would block what ORT accepts. `ort_version` defaults to
    the installed ONNX Runtime. `complete=False` checks each option alone, for options still
    being given one at a time (`--set`): the three profile shapes belong together.
    """
    catalogue = CATALOGUE.get(ep_name)
    if catalogue is None:
        return
    for name, value in options.items():
        option = catalogue.get(name)
        if option is None:
            # The installed version is read only for an option the catalogue does not have
            # (reading it scans every installed distribution: the TUI checks its profiles
            # before its first frame).
            version = ort_version or installed_ort_version()
            if version is None or version <= CATALOGUE_ORT_VERSION:
                raise OrtbenchError(_unknown_message(ep_name, name, catalogue))
            continue
        problem = value_problem(option, value)
        if problem:
            raise OrtbenchError(
                f"{ep_name} option {name} = {value!r}: {problem} (expected {option.expected()})"
            )
    if complete:
        _check_profile_shapes_together(ep_name, options)


def _unknown_message(ep_name: str, name: str, catalogue: Mapping[str, EpOption]) -> str:
    close = closest_option(name, list(catalogue))
    hint = f"did you mean {close}? " if close else ""
    return (
        f"{ep_name} has no option {name!r}; {hint}valid options of ONNX Runtime "
        f"{'.'.join(map(str, CATALOGUE_ORT_VERSION))}: {', '.join(catalogue)}"
    )


def closest_option(name: str, names: list[str]) -> str | None:
    """The option a typo or a misplaced word order most likely meant, or None.

    Spelling first (cudnn_conv_algo_serch); then shared words, which catches the other EP's
    spelling of the same thing (enable_cuda_graph -> trt_cuda_graph_enable).
    """
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if close:
        return close[0]
    words = set(name.lower().split("_"))
    best, shared = None, 0
    for candidate in names:
        common = len(words & set(candidate.split("_")))
        if common > shared:
            best, shared = candidate, common
    return best if shared >= 2 and shared * 3 >= len(words) * 2 else None


def value_problem(option: EpOption, value: Any) -> str | None:
    """Why ORT would reject `value` for `option`, or None when it is fine.

    Values arrive from TOML (bool, int, float, str) and reach ORT as strings, so the string
    spelling ORT itself parses ("1", "true", "2147483648") is accepted too.
    """
    if isinstance(value, float):
        return "a decimal number where ORT parses an integer or a word"
    if option.kind == "bool":
        return _bool_problem(value)
    if option.kind in ("int", "address"):
        return _int_problem(option, value)
    if not isinstance(value, str):
        return f"expected a string, got {type(value).__name__}"
    if option.kind == "enum" and value not in option.choices:
        close = [c for c in option.choices if c.lower() == value.lower()]
        return f"ORT spells it {close[0]!r}" if close else "not one of the valid values"
    if option.kind == "shapes" and value and not _shapes_ok(value):
        return "each item is NAME:DIMxDIM..., items separated by commas"
    if option.kind == "tactics" and value:
        return _tactics_problem(value)
    return None


def _bool_problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value in (0, 1):
        return None
    if isinstance(value, str) and value.lower() in (*_TRUE, *_FALSE):
        return None
    return "not a boolean"


def _int_problem(option: EpOption, value: Any) -> str | None:
    if isinstance(value, bool):
        return "a boolean where ORT parses an integer"
    if isinstance(value, str):
        text = value.strip()
        if not re.fullmatch(r"-?\d+", text):
            return "not an integer"
        value = int(text)
    if not isinstance(value, int):
        return f"expected an integer, got {type(value).__name__}"
    minimum = option.minimum if option.kind == "int" else 0
    if not minimum <= value <= option.maximum:
        return "out of range"
    return None


def _shapes_ok(value: str) -> bool:
    return all(_SHAPE_ITEM.fullmatch(item.strip()) for item in value.split(","))


def _tactics_problem(value: str) -> str | None:
    for item in value.split(","):
        source = item.strip().lstrip("+-").upper()
        if source not in TACTIC_SOURCES:
            return f"unknown tactic source {item.strip()!r} (known: {', '.join(TACTIC_SOURCES)})"
    return None


_PROFILE_SHAPE_KEYS = ("trt_profile_min_shapes", "trt_profile_opt_shapes", "trt_profile_max_shapes")


def _check_profile_shapes_together(ep_name: str, options: Mapping[str, Any]) -> None:
    """TensorRT ignores a partial profile; ORT only logs it. Say so before the build."""
    if ep_name != "TensorrtExecutionProvider":
        return
    given = [k for k in _PROFILE_SHAPE_KEYS if options.get(k)]
    if given and len(given) != len(_PROFILE_SHAPE_KEYS):
        missing = [k for k in _PROFILE_SHAPE_KEYS if k not in given]
        raise OrtbenchError(
            f"{ep_name}: {', '.join(given)} without {', '.join(missing)}; "
            "TensorRT needs all three profile shape options together"
        )
