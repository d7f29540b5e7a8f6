"""The seed article's practices, each as a pair of profile transforms: off and on.

Each practice is toggled alone on the base profile: the reference has the practice off, the
variant has it on, everything else equal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...profile import Profile

GPU_EPS = ("CUDAExecutionProvider",)


@dataclass
class Practice:
    """One row: how to turn the practice off and on, starting from the base profile."""

    key: str
    number: str
    title: str
    compared: str
    off: Callable[[Profile], Profile]
    on: Callable[[Profile], Profile]
    gpu: bool = False
    precision: str = ""
    keys: tuple[str, ...] = ()
    """The profile keys the practice sets (what a user edits to adopt it)."""


def _with(**changes: Any) -> Callable[[Profile], Profile]:
    """A profile transform setting `section__key=value` pairs on a copy."""

    def apply(profile: Profile) -> Profile:
        p = profile.copy()
        for name, value in changes.items():
            section, key = name.split("__", 1)
            setattr(getattr(p, section), key, value)
        return p

    return apply


def _on_gpu(transform: Callable[[Profile], Profile]) -> Callable[[Profile], Profile]:
    def apply(profile: Profile) -> Profile:
        p = transform(profile)
        if p.provider_ep not in GPU_EPS:
            p.provider.name = "cuda"
            p.provider.options = {}
        return p

    return apply


def _cuda_graph(on: bool) -> Callable[[Profile], Profile]:
    def apply(profile: Profile) -> Profile:
        p = _on_gpu(_with(run__io_binding=True, session__execution_mode="sequential"))(profile)
        p.provider.options = {**p.provider.options, "enable_cuda_graph": on}
        return p

    return apply


def _inter_op(threads: int | None) -> Callable[[Profile], Profile]:
    """Inter-op threads on CUDA in parallel mode; None: the physical cores (known at run time)."""

    def apply(profile: Profile) -> Profile:
        from ...hardware import physical_cores

        p = _on_gpu(_with(session__execution_mode="parallel"))(profile)
        p.session.inter_op_num_threads = physical_cores() if threads is None else threads
        return p

    return apply


PRACTICES: list[Practice] = [
    Practice(
        "opt_extended",
        "1a",
        "graph optimization EXTENDED",
        "extended vs basic",
        _with(session__graph_optimization_level="basic"),
        _with(session__graph_optimization_level="extended"),
        keys=("session.graph_optimization_level",),
    ),
    Practice(
        "opt_all",
        "1b",
        "graph optimization ALL",
        "all vs basic",
        _with(session__graph_optimization_level="basic"),
        _with(session__graph_optimization_level="all"),
        keys=("session.graph_optimization_level",),
    ),
    Practice(
        "intra_physical",
        "2",
        "intra-op threads = physical cores",
        "physical vs ORT default (0)",
        _with(session__intra_op_num_threads=0),
        _with(session__intra_op_num_threads="physical"),
        keys=("session.intra_op_num_threads",),
    ),
    Practice(
        "inter_op_zero",
        "3",
        "inter-op threads 0 on GPU",
        "0 vs physical cores (CUDA, parallel)",
        _inter_op(None),
        _inter_op(0),
        gpu=True,
        keys=("session.inter_op_num_threads", "session.execution_mode", "provider.name"),
    ),
    Practice(
        "cuda_graph",
        "4",
        "CUDA graphs",
        "on vs off (CUDA, IO binding)",
        _cuda_graph(False),
        _cuda_graph(True),
        gpu=True,
        keys=("provider.options.enable_cuda_graph", "run.io_binding", "provider.name"),
    ),
    Practice(
        "io_binding",
        "5",
        "IO binding",
        "on vs off",
        _with(run__io_binding=False),
        _with(run__io_binding=True),
        keys=("run.io_binding",),
    ),
    Practice(
        "arena_mem_pattern",
        "6",
        "CPU arena + memory pattern",
        "both on vs both off",
        _with(session__enable_cpu_mem_arena=False, session__enable_mem_pattern=False),
        _with(session__enable_cpu_mem_arena=True, session__enable_mem_pattern=True),
        keys=("session.enable_cpu_mem_arena", "session.enable_mem_pattern"),
    ),
    Practice(
        "fp16",
        "7a",
        "FP16",
        "fp16 vs fp32",
        _with(run__precision="fp32"),
        _with(run__precision="fp16"),
        precision="fp16",
        keys=("run.precision",),
    ),
    Practice(
        "int8",
        "7b",
        "INT8",
        "int8 vs fp32",
        _with(run__precision="fp32"),
        _with(run__precision="int8"),
        precision="int8",
        keys=("run.precision",),
    ),
]


def all_together(base: Profile, gpu: bool) -> Profile:
    """Every applicable fp32 practice on at once."""
    p = base.copy()
    p.session.graph_optimization_level = "all"
    p.session.intra_op_num_threads = "physical"
    p.session.enable_cpu_mem_arena = True
    p.session.enable_mem_pattern = True
    p.run.io_binding = True
    p.run.precision = "fp32"
    if gpu:
        p = _cuda_graph(True)(p)
    return p
