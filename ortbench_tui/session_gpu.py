"""The GPU half of making a session: libraries loaded first, TensorRT options, graph checks.

`session.create_session` makes every measured session; the worker calls these around it:

* `prepare_gpu_libraries` loads the pip CUDA/cuDNN/TensorRT libraries once per process before
  the first GPU session (onnxruntime-gpu cannot find them on its own);
* `gpu_provider_options` gives TensorRT its engine and timing caches in ortbench's cache folder
  and optimization profiles from the run's input shapes;
* `cuda_graph_check` says why a CUDA graph cannot be captured before ORT's generic error.

Pure where it can be (plain dicts in, plain dicts out), so every mapping is tested on CPU.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import OrtbenchError
from .gpu.cuda_graphs import cuda_graph_problems, cuda_graph_requested
from .gpu.ep_options import validate_provider_options
from .gpu.libs import PreloadReport, preload_gpu_libraries
from .gpu.tensorrt import (
    PROFILE_SHAPE_OPTIONS,
    ShapeRange,
    cache_folders,
    tensorrt_cache_options,
    tensorrt_shape_profiles,
)
from .profile import Profile, ep_full_name

TENSORRT_EP = "TensorrtExecutionProvider"
CPU_EP = "CPUExecutionProvider"
BUILD_PHASE = "build_engine"
"""The PhaseProgress phase a worker sends before a TensorRT session builds its engines."""
BUILD_PHASE_TEXT = "building TensorRT engine"
# Distributions that may carry TensorRT's libraries; their version keys the engine cache.
_TENSORRT_DISTRIBUTIONS = ("tensorrt-cu13-libs", "tensorrt-cu12-libs", "tensorrt-libs", "tensorrt")


def session_eps(profile: Profile) -> list[str]:
    """Every EP the session may use: the requested one, then the allowed fallbacks."""
    return [profile.provider_ep, *map(ep_full_name, profile.provider.fallback)]


def wants_gpu(profile: Profile) -> bool:
    """Whether any EP of the session is not the CPU's (all of them need the GPU libraries)."""
    return any(ep != CPU_EP for ep in session_eps(profile))


@functools.cache
def _preload_once() -> PreloadReport:
    return preload_gpu_libraries()


def prepare_gpu_libraries(profile: Profile) -> list[str]:
    """Load the pip GPU libraries once per process before a GPU session; warnings for what
    failed. CPU-only profiles skip it: mapping cuBLAS and cuDNN costs time and memory a CPU
    run does not need. Silent when no NVIDIA pip package is installed."""
    if not wants_gpu(profile):
        return []
    report = _preload_once()
    return [f"GPU library preload: {problem}" for problem in report.problems]


def tensorrt_cache_root() -> Path:
    """TensorRT engines and timing caches live in ortbench's cache (ORTBENCH_CACHE_DIR)."""
    from .samples.catalog import cache_root

    return cache_root() / "tensorrt"


def runtime_versions() -> dict[str, str]:
    """What a built engine depends on besides the model and the options."""
    versions = {}
    for key, dists in (
        ("onnxruntime", ("onnxruntime-gpu", "onnxruntime")),
        ("tensorrt", _TENSORRT_DISTRIBUTIONS),
    ):
        for dist in dists:
            try:
                versions[key] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return versions


@dataclass(frozen=True)
class GpuOptions:
    """The requested EP's options as ORT gets them, and what the worker must watch."""

    provider_options: dict[str, Any]
    tensorrt: bool = False
    """TensorRT builds engines while the session is created: the worker shows that phase."""
    engine_cache_dir: Path | None = None
    """The TensorRT engine cache folder (None: not TensorRT, or its cache is off)."""

    def make_folders(self) -> None:
        for folder in cache_folders(self.provider_options):
            folder.mkdir(parents=True, exist_ok=True)


def gpu_provider_options(
    profile: Profile,
    model_sha256: str,
    input_shapes: Mapping[str, Sequence[int]],
    dynamic_inputs: Collection[str],
    cache_root: Path | None = None,
    versions: Mapping[str, str] | None = None,
) -> GpuOptions:
    """The requested EP's provider options with ortbench's defaults filled in.

    For TensorRT: optimization profiles (min = opt = max = the run's shapes) for the inputs
    whose dims the model leaves free, unless the profile sets them; engine and timing caches
    in `cache_root` (default: ortbench's cache), keyed by model, options, shapes and
    versions. Values the user set win. Other EPs get their options unchanged.
    """
    options = dict(profile.provider.options)
    if profile.provider_ep != TENSORRT_EP:
        return GpuOptions(options)
    shapes = {name: [int(d) for d in shape] for name, shape in input_shapes.items()}
    if not any(options.get(key) for key in PROFILE_SHAPE_OPTIONS):
        ranges = {
            name: ShapeRange(shape, shape, shape)
            for name, shape in shapes.items()
            if name in dynamic_inputs
        }
        options.update(tensorrt_shape_profiles(ranges))
    root = cache_root if cache_root is not None else tensorrt_cache_root()
    out = tensorrt_cache_options(
        options, model_sha256, shapes, root, runtime_versions() if versions is None else versions
    )
    validate_provider_options(TENSORRT_EP, out)
    engine_path = out.get("trt_engine_cache_path")
    engine_dir = Path(str(engine_path)) if engine_path else None
    if engine_dir not in cache_folders(out):
        engine_dir = None  # a path with the cache turned off
    return GpuOptions(out, tensorrt=True, engine_cache_dir=engine_dir)


def free_dims(inputs: Sequence[Any], fixed: Mapping[str, int]) -> list[str]:
    """The dims of the model's inputs a session leaves free ("input.batch", "x.dim1").

    `inputs` are models.TensorInfo; `fixed` is session.free_dimensions.
    """
    out = []
    for tensor in inputs:
        for axis in tensor.dynamic_dims:
            dim = tensor.shape[axis]
            if isinstance(dim, str):
                if dim not in fixed:
                    out.append(f"{tensor.name}.{dim}")
            else:
                out.append(f"{tensor.name}.dim{axis}")
    return out


def graph_settings(profile: Profile) -> dict[str, Any]:
    """What cuda_graph_problems reads from a profile."""
    return {
        "provider": profile.provider_ep,
        "options": dict(profile.provider.options),
        "io_binding": profile.run.io_binding,
    }


def cuda_graph_check(
    profile: Profile,
    dims_left_free: Sequence[str] | bool = False,
    node_placement: Mapping[str, str] | None = None,
) -> None:
    """Raise OrtbenchError naming every reason a requested CUDA graph cannot be captured."""
    if not cuda_graph_requested(profile.provider_ep, profile.provider.options):
        return
    problems = cuda_graph_problems(
        graph_settings(profile),
        list(dims_left_free) if not isinstance(dims_left_free, bool) else dims_left_free,
        profile.session.execution_mode,
        node_placement,
    )
    if problems:
        raise OrtbenchError(
            f"profile '{profile.name}' asks for a CUDA graph that cannot be captured: "
            + "; ".join(problems)
        )
