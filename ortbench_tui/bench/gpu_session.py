"""The worker's GPU steps around session creation: checks before, TensorRT's build phase, and
where its engine came from after. Kept apart from `worker` so the measured path stays short.

Before: a requested CUDA graph is checked against the profile and the model's free dims
(exit 2 naming the reasons, before any session); TensorRT gets its caches and shape profiles
(`session_gpu.gpu_provider_options`) and the parent is told the engine build starts (a
PhaseProgress of phase `build_engine`: ORT holds the worker inside session creation for as
long as TensorRT builds, so the parent times the phase and kills the worker on Stop).
After: `tensorrt` in the result says whether the engines came from the cache, and how long
creating the session (= building) took.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError, RunFailed
from ..gpu.tensorrt import EngineFiles, engine_cache_snapshot, engine_cache_state
from ..profile import Profile
from ..session_gpu import (
    BUILD_PHASE,
    GpuOptions,
    cuda_graph_check,
    free_dims,
    gpu_provider_options,
)
from .protocol import Connection, PhaseProgress

# ORT's words when a graph cannot be captured (session creation or the first run).
_CAPTURE_FAILURE = ("graph capture", "cuda graph", "cudagraph")


@dataclass
class GpuSessionSetup:
    """What the worker hands ORT for the requested EP, and the engine cache before it."""

    options: GpuOptions
    before: EngineFiles = field(default_factory=dict)

    def announce(self, conn: Connection) -> None:
        """Tell the parent a TensorRT engine build may start now (nothing for other EPs)."""
        if self.options.tensorrt:
            conn.send(PhaseProgress(BUILD_PHASE, 0, None))

    def outcome(self, create_ms: float, active: Sequence[str]) -> dict[str, Any] | None:
        """The result's `tensorrt` section: engine_from_cache, build_s, cache_dir."""
        if not self.options.tensorrt:
            return None
        cache = self.options.engine_cache_dir
        on_trt = bool(active) and active[0] == "TensorrtExecutionProvider"
        state = engine_cache_state(cache, self.before) if cache is not None else None
        from_cache = bool(state and state.from_cache) if on_trt else None
        return {
            "engine_from_cache": from_cache,
            # Creating the session is building the engines, unless they came from the cache.
            "build_s": round(create_ms / 1e3, 3) if on_trt and not from_cache else 0.0,
            "cache_dir": str(cache) if cache is not None else None,
            "engines": state.describe() if state and on_trt else "TensorRT did not load",
        }


def prepare_gpu_session(
    profile: Profile,
    model_path: Path,
    inputs: Sequence[Any],
    input_shapes: Mapping[str, Sequence[int]],
    cache_root: Path | None = None,
    sha256: Callable[[Path], str] | None = None,
) -> GpuSessionSetup:
    """Check a CUDA graph request, then fill in the TensorRT options; before any session.

    `inputs` are the model's models.TensorInfo; `input_shapes` the shapes the run feeds.
    """
    cuda_graph_check(profile, free_dims(inputs, profile.session.free_dimensions))
    if profile.provider_ep != "TensorrtExecutionProvider":
        return GpuSessionSetup(GpuOptions(dict(profile.provider.options)))
    from ..models import file_sha256

    digest = (sha256 or file_sha256)(model_path)
    dynamic = {t.name for t in inputs if t.dynamic_dims}
    options = gpu_provider_options(profile, digest, input_shapes, dynamic, cache_root=cache_root)
    try:
        options.make_folders()
    except OSError as exc:
        raise OrtbenchError(
            f"cannot create the TensorRT cache folder: {exc} (set ORTBENCH_CACHE_DIR to a "
            "writable folder, or provider.options.trt_engine_cache_enable = false)"
        ) from None
    before = engine_cache_snapshot(options.engine_cache_dir) if options.engine_cache_dir else {}
    return GpuSessionSetup(options, before)


def is_capture_failure(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(word in text for word in _CAPTURE_FAILURE)


def node_placement(trace_file: str | Path) -> dict[str, str]:
    """Node name -> the EP that ran it, from an ORT profiler trace."""
    from .trace.summary import load_trace_events

    placement = {}
    for event in load_trace_events(trace_file):
        name = str(event.get("name", ""))
        args = event.get("args") or {}
        if event.get("cat") == "Node" and name.endswith("_kernel_time") and "provider" in args:
            placement[name.removesuffix("_kernel_time")] = str(args["provider"])
    return placement


def explain_capture_failure(
    exc: Exception,
    profile: Profile,
    placement_of: Callable[[], Mapping[str, str] | None],
) -> Exception:
    """The error to raise for a failed capture: the nodes that stop it when the placement
    names them (exit 2), else ORT's own error. `placement_of` runs the model once without
    the graph and returns its node placement (None when that fails too)."""
    if not is_capture_failure(exc):
        return exc
    try:
        placement = placement_of()
    except Exception:  # the diagnosis must not hide the original failure
        placement = None
    if placement:
        try:
            cuda_graph_check(profile, False, placement)
        except OrtbenchError as better:
            return better
    return exc if isinstance(exc, (OrtbenchError, RunFailed)) else RunFailed(str(exc))


def placement_without_graph(
    model_path: Path, profile: Profile, physical: int, feed: Mapping[str, Any], folder: Path
) -> dict[str, str]:
    """Run the model once with the graph option off and the profiler on: where nodes ran."""
    from ..session import create_session

    plain = profile.copy()
    for option in ("enable_cuda_graph", "trt_cuda_graph_enable"):
        plain.provider.options.pop(option, None)
    sess, _report, _ms = create_session(model_path, plain, physical, str(folder / "capture"))
    sess.run(None, dict(feed))
    return node_placement(sess.end_profiling())
