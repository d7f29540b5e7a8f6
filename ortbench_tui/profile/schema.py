"""The profile's shape: sections, keys, defaults, documentation and allowed values.

Every key has a default, chosen so that an empty profile is ONNX Runtime out of the box: the
baseline every comparison starts from. Each field carries its documentation, its kind and its
allowed values in the dataclass metadata, so the validator, the `--set` parser, the CLI help
and the TUI form are all driven by one table.
"""

from __future__ import annotations

import copy
from dataclasses import Field, dataclass, field, fields
from typing import Any, TypeAlias

from .provenance import Provenance

Scalar: TypeAlias = str | int | float | bool
"""A TOML scalar: the value of an EP option or of a session config entry."""

OPT_LEVELS = ("disable", "basic", "extended", "all")
EXECUTION_MODES = ("sequential", "parallel")
PRECISIONS = ("fp32", "fp16", "int8")
INT8_MODES = ("dynamic", "static")

# Short names users type; anything ending in "ExecutionProvider" is passed to ORT as it is.
PROVIDER_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "dml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "xnnpack": "XnnpackExecutionProvider",
}


def knob(default: Any, doc: str, kind: str, choices: tuple[str, ...] = (), minimum: int = 0) -> Any:
    """A profile field: its default, its documentation, how it is validated."""
    meta = {"doc": doc, "kind": kind, "choices": choices, "minimum": minimum}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class SessionSettings:
    """`[session]`: ORT SessionOptions."""

    graph_optimization_level: str = knob(
        "all", "Graph rewrites ORT applies before running (ORT default: all).", "enum", OPT_LEVELS
    )
    execution_mode: str = knob(
        "sequential", "Run independent branches in parallel or not.", "enum", EXECUTION_MODES
    )
    intra_op_num_threads: int | str = knob(
        0, 'Threads inside one operator; "physical" = physical cores, 0 = ORT default.', "threads"
    )
    inter_op_num_threads: int = knob(
        0, "Threads across operators (parallel mode only); 0 = ORT default.", "int"
    )
    enable_cpu_mem_arena: bool = knob(True, "Reuse CPU memory through ORT's arena.", "bool")
    enable_mem_pattern: bool = knob(
        True, "Pre-plan memory from the first run's allocation pattern.", "bool"
    )
    allow_spinning: bool = knob(
        True, "Intra-op threads spin while waiting (session.intra_op.allow_spinning).", "bool"
    )
    intra_op_thread_affinities: str = knob(
        "", 'Pin intra-op threads, e.g. "1;2" (session.intra_op_thread_affinities).', "str"
    )
    free_dimensions: dict[str, int] = knob(
        {}, "Values for symbolic input dims, e.g. { batch = 1 }.", "dims"
    )
    config_entries: dict[str, Scalar] = knob(
        {}, "Any other session config key, passed to ORT as a string.", "scalars"
    )


@dataclass
class ProviderSettings:
    """`[provider]`: the execution provider and its options."""

    name: str = knob(
        "cpu", "Execution provider: cpu, cuda, tensorrt or an ORT EP name.", "provider"
    )
    options: dict[str, Scalar] = knob(
        {}, "EP options, e.g. enable_cuda_graph, trt_fp16_enable.", "scalars"
    )
    fallback: list[str] = knob(
        [], "EPs allowed to run the session when the requested one does not load.", "providers"
    )


@dataclass
class RunSettings:
    """`[run]`: how the measured runs are made."""

    warmup_runs: int = knob(10, "Runs before timing starts (not counted).", "int")
    timed_runs: int = knob(1000, "Timed runs (ignored when duration_s > 0).", "int", minimum=1)
    duration_s: float = knob(
        0.0, "Time by wall clock for this many seconds; 0 = by count.", "float"
    )
    until_ci_pct: float = knob(
        0.0,
        "Measure until the p50's 95% CI is within +-this % of it (e.g. 2); 0 = off.",
        "float",
    )
    max_duration_s: float = knob(
        60.0,
        "Stop after this many seconds of timed runs at most: runs by count and until_ci_pct; "
        "0 = no cap on runs by count.",
        "float",
    )
    io_binding: bool = knob(False, "Bind inputs and outputs once, outside the timed loop.", "bool")
    precision: str = knob("fp32", "Run the model as fp32, fp16 or int8.", "enum", PRECISIONS)
    int8_mode: str = knob(
        "dynamic", "int8 quantization: dynamic, or static with calibration.", "enum", INT8_MODES
    )
    input_seed: int = knob(0, "Seed of the random inputs.", "int")
    input_sets: int = knob(4, "Distinct random input sets, rotated run by run.", "int", minimum=1)
    inputs_npz: str = knob("", "Take inputs from this .npz instead of random ones.", "str")
    pin_cpus: list[int] = knob([], "CPU indices the worker process is pinned to.", "cpus")


SECTIONS: dict[str, type] = {
    "session": SessionSettings,
    "provider": ProviderSettings,
    "run": RunSettings,
}


@dataclass
class Profile:
    """A named, complete set of settings for one benchmark."""

    name: str = "unnamed"
    description: str = ""
    session: SessionSettings = field(default_factory=SessionSettings)
    provider: ProviderSettings = field(default_factory=ProviderSettings)
    run: RunSettings = field(default_factory=RunSettings)
    provenance: Provenance | None = None
    """Where a saved best profile won (`[provenance]`): not a setting, so `profile_to_dict`
    leaves it out; load and save keep it."""

    def resolved_intra_threads(self, physical_cores: int) -> int:
        """intra_op_num_threads as the integer ORT receives."""
        value = self.session.intra_op_num_threads
        return physical_cores if value == "physical" else int(value)

    @property
    def provider_ep(self) -> str:
        """The requested EP's full ORT name."""
        return ep_full_name(self.provider.name)

    def copy(self) -> Profile:
        return copy.deepcopy(self)


def ep_full_name(name: str) -> str:
    """Map a short EP name ("cuda") to ORT's ("CUDAExecutionProvider")."""
    return PROVIDER_ALIASES.get(name.lower(), name)


def _default_of(f: Field[Any]) -> Any:
    # A knob sets exactly one of default and default_factory.
    if callable(f.default_factory):
        return f.default_factory()
    return f.default


def field_specs(section: str) -> list[tuple[str, dict[str, Any], Any]]:
    """(key, metadata, default) for each key of a section, in declaration order (for forms)."""
    return [(f.name, dict(f.metadata), _default_of(f)) for f in fields(SECTIONS[section])]
