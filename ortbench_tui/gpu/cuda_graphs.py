"""Why a CUDA graph cannot be captured, said before capture instead of ORT's generic error.

ORT's own refusal ("This session cannot use the graph capture feature as requested by the
user as all compute graph nodes have not been partitioned to the CUDA execution provider")
names neither the nodes nor the fix. The rules, from ORT 1.31's inference session: the CUDA EP
allows CPU nodes only for shape computation, i.e. when the graph has no Memcpy nodes; the
TensorRT EP needs every node; both need fixed shapes, sequential execution, and IO binding
(replay reads the buffers bound at capture).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

GRAPH_OPTION = {
    "CUDAExecutionProvider": "enable_cuda_graph",
    "TensorrtExecutionProvider": "trt_cuda_graph_enable",
}
CPU_EP = "CPUExecutionProvider"
MAX_NAMED_NODES = 5
"""Name this many nodes, then count the rest: a message, not a listing."""


def cuda_graph_requested(provider: str, options: Mapping[str, Any]) -> bool:
    """Whether the options ask `provider` (ORT's full EP name) to capture a CUDA graph."""
    option = GRAPH_OPTION.get(provider)
    if option is None:
        return any(_on(options.get(o)) for o in GRAPH_OPTION.values())
    return _on(options.get(option))


def _on(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def cuda_graph_problems(
    profile_settings: Mapping[str, Any],
    model_has_dynamic_dims: bool | Sequence[str],
    execution_mode: str,
    node_placement: Mapping[str, str] | None = None,
) -> list[str]:
    """Every reason capture is impossible; [] when it can work or was not asked for.

    profile_settings: {"provider": ORT EP name, "options": EP options, "io_binding": bool}.
    model_has_dynamic_dims: True, or the dims left free ("input.batch"), after overrides.
    execution_mode: "sequential" | "parallel" (ORT's ORT_PARALLEL is understood too).
    node_placement: node name -> EP that runs it (the profiler trace's args.provider);
    None before a session exists, when placement is not known yet.
    """
    provider = str(profile_settings.get("provider", ""))
    options = profile_settings.get("options") or {}
    if not cuda_graph_requested(provider, options):
        return []
    problems = []
    if provider not in GRAPH_OPTION:
        problems.append(
            f"CUDA graphs are an option of the CUDA and TensorRT EPs, not of {provider or 'cpu'}"
        )
    if not profile_settings.get("io_binding", False):
        problems.append(
            "CUDA graphs need io_binding = true: replay reads the buffers bound at capture"
        )
    if execution_mode.lower().removeprefix("ort_") == "parallel":
        problems.append(
            'CUDA graphs need execution_mode = "sequential" (parallel mode cannot capture)'
        )
    dynamic = _dynamic_text(model_has_dynamic_dims)
    if dynamic:
        problems.append(
            f"CUDA graphs need fixed shapes; {dynamic} still free: fix them with "
            "session.free_dimensions or --shape"
        )
    if node_placement is not None and provider in GRAPH_OPTION:
        problems += _placement_problems(provider, node_placement)
    return problems


def _dynamic_text(dynamic: bool | Sequence[str]) -> str:
    if isinstance(dynamic, bool):
        return "the model's dynamic dims are" if dynamic else ""
    if not dynamic:
        return ""
    return f"{_names(list(dynamic))} {'is' if len(dynamic) == 1 else 'are'}"


def _placement_problems(provider: str, placement: Mapping[str, str]) -> list[str]:
    elsewhere = sorted(n for n, ep in placement.items() if ep != provider and not _is_copy(n))
    if not elsewhere:
        return []
    if provider == "CUDAExecutionProvider":
        # CPU nodes that only compute shapes are fine; copies between devices are not.
        copies = sorted(n for n in placement if _is_copy(n))
        others = [n for n in elsewhere if placement[n] != CPU_EP]
        if not copies and not others:
            return []
        where = _eps(placement, elsewhere)
        return [
            f"CUDA graphs need every compute node on CUDA; {_names(elsewhere)} "
            f"{'runs' if len(elsewhere) == 1 else 'run'} on {where}"
            + (f" and need {len(copies)} Memcpy nodes" if copies else "")
        ]
    where = _eps(placement, elsewhere)
    return [
        f"TensorRT CUDA graphs need every node on TensorRT; {_names(elsewhere)} "
        f"{'runs' if len(elsewhere) == 1 else 'run'} on {where}"
    ]


def _is_copy(node_name: str) -> bool:
    """ORT names the copies it inserts between devices Memcpy, Memcpy_1, Memcpy_token_..."""
    return node_name.startswith("Memcpy")


def _eps(placement: Mapping[str, str], nodes: list[str]) -> str:
    return ", ".join(sorted({placement[n].removesuffix("ExecutionProvider") for n in nodes}))


def _names(nodes: list[str]) -> str:
    shown = ", ".join(nodes[:MAX_NAMED_NODES])
    rest = len(nodes) - MAX_NAMED_NODES
    return shown + (f" and {rest} more" if rest > 0 else "")
