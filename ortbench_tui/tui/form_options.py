"""The EP option rows of the profile editor, from the engine's option catalogue.

`gpu.ep_options` knows every CUDA and TensorRT option of the installed ORT with its type,
valid values, default and documentation line; the editor shows the common ones as rows and
names the rest (with their documentation) for the "other options" row. What the form accepts
is what `load_profile` accepts: values are checked by the catalogue's own rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.gpu.ep_options import (
    EpOption,
    known_options,
    option_help,
    validate_provider_options,
    value_problem,
)

EDITOR_ROWS = {
    "CUDAExecutionProvider": (
        "device_id",
        "cudnn_conv_algo_search",
        "arena_extend_strategy",
        "gpu_mem_limit",
        "enable_cuda_graph",
        "do_copy_in_default_stream",
        "cudnn_conv_use_max_workspace",
        "use_tf32",
        "prefer_nhwc",
    ),
    "TensorrtExecutionProvider": (
        "device_id",
        "trt_fp16_enable",
        "trt_int8_enable",
        "trt_engine_cache_enable",
        "trt_timing_cache_enable",
        "trt_max_workspace_size",
        "trt_builder_optimization_level",
        "trt_cuda_graph_enable",
    ),
}
"""The options shown as rows; the others go in the "other options" table."""
ORTBENCH_DEFAULTS = {"trt_engine_cache_enable": True, "trt_timing_cache_enable": True}
"""Where ortbench's default is not ORT's: it turns TensorRT's caches on (session_gpu)."""


@dataclass(frozen=True)
class OptionSpec:
    """One EP option row: the catalogue entry, with ortbench's default where it differs."""

    ep: str
    option: EpOption

    @property
    def name(self) -> str:
        return self.option.name

    @property
    def default(self) -> Any:
        return ORTBENCH_DEFAULTS.get(self.name, self.option.default)

    @property
    def doc(self) -> str:
        """ORT's documentation line (the row's hint)."""
        if self.name in ORTBENCH_DEFAULTS:
            return f"{self.option.doc} (ortbench: on, in its cache folder)"
        return self.option.doc

    @property
    def full_doc(self) -> str:
        """What the focused row explains: the doc, the valid values and the default."""
        return f"{self.doc}; {self.option.expected()}; default {self.default_text}"

    @property
    def default_text(self) -> str:
        if self.name in ORTBENCH_DEFAULTS:
            return "true (ortbench)"
        values = next((v for n, v, _doc in option_help(self.ep) if n == self.name), "")
        return values.rsplit("; default ", 1)[-1]

    @property
    def is_bool(self) -> bool:
        return self.option.kind == "bool"

    @property
    def choices(self) -> tuple[str, ...]:
        return self.option.choices

    @property
    def widget_id(self) -> str:
        return "f-opt-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name).replace("_", "-")


def ep_option_specs(ep_full_name: str) -> list[OptionSpec]:
    """The rows of an EP's options, in the catalogue's order; [] for EPs without a catalogue."""
    shown = EDITOR_ROWS.get(ep_full_name, ())
    return [OptionSpec(ep_full_name, o) for o in known_options(ep_full_name) if o.name in shown]


def other_options_doc(ep_full_name: str) -> str:
    """The documentation of the "other options" row: every valid option not shown as a row."""
    shown = set(EDITOR_ROWS.get(ep_full_name, ()))
    rows = [row for row in option_help(ep_full_name) if row[0] not in shown]
    if not rows:
        return "{ key = value } passed to the EP as they are"
    listed = " · ".join(f"{name} ({values}): {doc}" for name, values, doc in rows)
    return f"{{ key = value }}; other options of this EP: {listed}"


def parse_option(spec: OptionSpec, text: str) -> Any:
    """An option typed as text: blank = unset (None), else checked by the catalogue's rules."""
    text = text.strip()
    if not text:
        return None
    value: Any = text
    if spec.option.kind in ("int", "address") and re.fullmatch(r"-?\d+", text):
        value = int(text)
    problem = value_problem(spec.option, value)
    if problem:
        raise ValueError(f"{spec.name}: {problem} (expected {spec.option.expected()})")
    return value


def check_options(ep_full_name: str, options: dict[str, Any]) -> None:
    """ValueError with the catalogue's message when an option is unknown or its value bad."""
    try:
        validate_provider_options(ep_full_name, options)
    except OrtbenchError as exc:
        raise ValueError(str(exc)) from None
