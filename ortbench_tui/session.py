"""From a profile to an ORT session: the pure mapping, and the check of what ORT really did.

`session_settings` and `provider_list` are pure (plain dicts, no ORT objects) so every key can
be unit-tested without a GPU; `build_session_options` and `create_session` apply them.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import OrtbenchError, RunFailed
from .gpu.cuda_graphs import cuda_graph_problems, cuda_graph_requested
from .profile import Profile, ep_full_name
from .session_gpu import graph_settings, prepare_gpu_libraries

OPT_LEVEL_NAMES = {
    "disable": "ORT_DISABLE_ALL",
    "basic": "ORT_ENABLE_BASIC",
    "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}
EXECUTION_MODE_NAMES = {"sequential": "ORT_SEQUENTIAL", "parallel": "ORT_PARALLEL"}


# ORT's own exception types (onnxruntime.capi.onnxruntime_pybind11_state) for a session that
# could not be made on good input: the device, the EP or ORT itself failed.
_RUN_FAILURE_TYPES = ("Fail", "RuntimeException", "EPFail", "EngineError", "DeviceReset")
# Out of memory reads the same whatever type carries it (host or device, creation or run).
_OUT_OF_MEMORY = re.compile(r"out of memory|failed to allocate memory|bad_alloc", re.IGNORECASE)
# ORT prefixes every failure to read the model file with this: the model is the problem.
_MODEL_LOAD_FAILED = re.compile(r"Load model from .* failed", re.DOTALL)


def session_settings(profile: Profile, physical_cores: int) -> dict[str, Any]:
    """What SessionOptions will be given, as plain values (the pure half of the mapping)."""
    s = profile.session
    entries = {k: _option_str(v) for k, v in s.config_entries.items()}
    entries["session.intra_op.allow_spinning"] = "1" if s.allow_spinning else "0"
    if s.intra_op_thread_affinities:
        entries["session.intra_op_thread_affinities"] = s.intra_op_thread_affinities
    return {
        "graph_optimization_level": OPT_LEVEL_NAMES[s.graph_optimization_level],
        "execution_mode": EXECUTION_MODE_NAMES[s.execution_mode],
        "intra_op_num_threads": profile.resolved_intra_threads(physical_cores),
        "inter_op_num_threads": s.inter_op_num_threads,
        "enable_cpu_mem_arena": s.enable_cpu_mem_arena,
        "enable_mem_pattern": s.enable_mem_pattern,
        "free_dimensions": dict(s.free_dimensions),
        "config_entries": entries,
    }


def _option_str(value: Any) -> str:
    """ORT takes option values as strings; booleans as 1/0, which every EP parses."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def provider_list(
    profile: Profile, options: dict[str, Any] | None = None
) -> list[tuple[str, dict[str, str]]]:
    """The providers argument of InferenceSession: the request, then the allowed fallbacks.

    CPU always closes the list: ORT places nodes a GPU EP cannot run on CPU regardless, and
    naming it keeps that explicit. Fallback for the whole session is judged later, in
    `check_providers`. `options` replaces the profile's options of the requested EP (the
    worker's, with ortbench's TensorRT defaults filled in: `session_gpu`).
    """
    requested = profile.provider_ep
    given = profile.provider.options if options is None else options
    out = [(requested, {k: _option_str(v) for k, v in given.items()})]
    for name in [*map(ep_full_name, profile.provider.fallback), "CPUExecutionProvider"]:
        if name not in [n for n, _ in out]:
            out.append((name, {}))
    return out


def uses_cuda_graph(profile: Profile) -> bool:
    return cuda_graph_requested(profile.provider_ep, profile.provider.options)


def profile_problems(profile: Profile) -> list[str]:
    """Combinations that cannot work, found before a session is made (the model's shapes and
    node placement are checked by the worker: `session_gpu.cuda_graph_check`)."""
    problems = cuda_graph_problems(graph_settings(profile), False, profile.session.execution_mode)
    return problems + thread_problems(profile)


OVERSUBSCRIBE_ENV = "ORTBENCH_ALLOW_OVERSUBSCRIPTION"
"""Set to 1 to run thread counts past this machine's logical cores (on purpose)."""


def thread_problems(profile: Profile, logical_cores: int | None = None) -> list[str]:
    """Thread counts past the logical cores: each is a thread ORT starts and spins, so 10,000
    of them bury the machine (load average 500) rather than measure anything. Refused unless
    ORTBENCH_ALLOW_OVERSUBSCRIPTION=1 says it is meant."""
    import os

    if os.environ.get(OVERSUBSCRIBE_ENV) == "1":
        return []
    cores = logical_cores or os.cpu_count() or 1
    out = []
    for key in ("intra_op_num_threads", "inter_op_num_threads"):
        value = getattr(profile.session, key)
        if isinstance(value, int) and value > cores:
            out.append(
                f"session.{key} = {value} is more than this machine's {cores} logical cores; "
                f"set {OVERSUBSCRIBE_ENV}=1 to run it anyway"
            )
    return out


def build_session_options(
    profile: Profile, physical_cores: int, profiling_prefix: str | None = None
) -> Any:
    """Apply `session_settings` to a real onnxruntime.SessionOptions."""
    from .quiet import import_onnxruntime

    ort = import_onnxruntime()

    spec = session_settings(profile, physical_cores)
    so = ort.SessionOptions()
    so.graph_optimization_level = getattr(
        ort.GraphOptimizationLevel, spec["graph_optimization_level"]
    )
    so.execution_mode = getattr(ort.ExecutionMode, spec["execution_mode"])
    so.intra_op_num_threads = spec["intra_op_num_threads"]
    so.inter_op_num_threads = spec["inter_op_num_threads"]
    so.enable_cpu_mem_arena = spec["enable_cpu_mem_arena"]
    so.enable_mem_pattern = spec["enable_mem_pattern"]
    so.log_severity_level = 3
    for dim, value in spec["free_dimensions"].items():
        so.add_free_dimension_override_by_name(dim, value)
    for key, value in spec["config_entries"].items():
        so.add_session_config_entry(key, value)
    if profiling_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profiling_prefix
    return so


@dataclass
class ProviderReport:
    """What was asked for and what ORT made of it."""

    requested: list[str]
    active: list[str]
    fallback: bool = False
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"requested": self.requested, "active": self.active, "fallback": self.fallback}


def check_providers(profile: Profile, active: list[str]) -> ProviderReport:
    """Compare ORT's active providers with the request.

    ORT lists CUDA and TensorRT even where they cannot load, and then quietly runs on CPU.
    A requested EP missing from the active list is a session-level fallback: an error unless
    the profile allows the EP that took over, and always a warning.
    """
    requested = [name for name, _ in provider_list(profile)]
    report = ProviderReport(requested=requested, active=list(active))
    want = profile.provider_ep
    if want in active:
        return report
    report.fallback = True
    allowed = {ep_full_name(n) for n in profile.provider.fallback}
    took_over = active[0] if active else "nothing"
    message = f"{want} did not load here; the session runs on {took_over}"
    if took_over not in allowed:
        from .fallback_message import fallback_refused

        raise OrtbenchError(fallback_refused(profile.name, want, took_over))
    report.warnings.append(f"FALLBACK: {message} (allowed by provider.fallback)")
    return report


def create_session(
    model_path: str | Path,
    profile: Profile,
    physical_cores: int,
    profiling_prefix: str | None = None,
    provider_options: dict[str, Any] | None = None,
) -> tuple[Any, ProviderReport, float]:
    """Create the session; return it, the provider report and the creation time in ms.

    `provider_options` replaces the profile's options of the requested EP (see provider_list).
    The pip GPU libraries are loaded first, once per process, when the profile names a GPU EP.
    """
    from .quiet import import_onnxruntime

    ort = import_onnxruntime()

    problems = profile_problems(profile)
    if problems:
        raise OrtbenchError(f"profile '{profile.name}': {'; '.join(problems)}")
    preload_warnings = prepare_gpu_libraries(profile)
    so = build_session_options(profile, physical_cores, profiling_prefix)
    providers = provider_list(profile, provider_options)
    t0 = time.perf_counter()
    try:
        sess = ort.InferenceSession(str(model_path), sess_options=so, providers=providers)
    except Exception as exc:  # ORT raises its own exception types, not subclasses of one base
        raise session_error(exc, model_path) from None
    create_ms = (time.perf_counter() - t0) * 1e3
    report = check_providers(profile, sess.get_providers())
    report.warnings[:0] = preload_warnings
    return sess, report, create_ms


def session_error(exc: Exception, model_path: str | Path) -> OrtbenchError | RunFailed:
    """The error for a session ORT would not create: bad input (exit 2) or a failed run (exit 1).

    A model that does not load (no such file, not ONNX, an invalid graph, an opset too new),
    an invalid argument or an unsupported operator is the user's to fix. Out of memory, an EP
    that fails, or ORT failing at initialization is a run that could not be done on good input.
    """
    message = f"ONNX Runtime could not create a session for {model_path}: {exc}"
    text = str(exc)
    if _OUT_OF_MEMORY.search(text):
        return RunFailed(message)
    if _MODEL_LOAD_FAILED.search(text):
        return OrtbenchError(message)
    if type(exc).__name__ in _RUN_FAILURE_TYPES and _is_ort_exception(exc):
        return RunFailed(message)
    return OrtbenchError(message)


def _is_ort_exception(exc: Exception) -> bool:
    return type(exc).__module__.startswith("onnxruntime.")
