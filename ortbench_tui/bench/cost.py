"""What a profile costs to serve with, apart from its latency: for breaking ties.

When two profiles cannot be told apart on speed (a tie, `verdict.is_tie`), the one to keep is
the one that asks less of the machine. The costs, most important first:

* intra-op threads (ORT's default, 0, is one per physical core): cores taken from other work;
* inter-op threads (only with the parallel execution mode);
* spinning worker threads (`allow_spinning`) burn a core while they wait for work;
* the CPU arena and the memory pattern hold memory between runs;
* the graph optimization level: the higher, the longer a session takes to create.

Nothing here measures; it reads the profile.
"""

from __future__ import annotations

from ..profile import Profile

LEVELS = {"disable": 0, "basic": 1, "extended": 2, "all": 3}


def costs(profile: Profile, physical: int) -> list[tuple[str, int]]:
    """(what, amount) in order of importance; a lower amount is cheaper."""
    s = profile.session
    intra = profile.resolved_intra_threads(physical) or physical
    pooled = intra > 1
    inter = (s.inter_op_num_threads or physical) if s.execution_mode == "parallel" else 1
    return [
        ("intra-op threads", intra),
        ("inter-op threads", inter),
        ("spinning threads", int(pooled and bool(s.allow_spinning))),
        ("CPU arena", int(bool(s.enable_cpu_mem_arena))),
        ("memory pattern", int(bool(s.enable_mem_pattern))),
        ("graph optimization level", LEVELS.get(s.graph_optimization_level, 3)),
    ]


def _amount_text(what: str, amount: int) -> str:
    if what == "graph optimization level":
        return next((k for k, v in LEVELS.items() if v == amount), str(amount))
    if what in ("spinning threads", "CPU arena", "memory pattern"):
        return "on" if amount else "off"
    return str(amount)


def cheapest(profiles: list[Profile], physical: int) -> int:
    """Index of the cheapest profile (costs compared in order of importance; the first
    listed among equals)."""
    keys = [[a for _, a in costs(p, physical)] for p in profiles]
    return min(range(len(profiles)), key=lambda i: (keys[i], i))


def why_cheaper(a: Profile, b: Profile, physical: int) -> str:
    """Why `a` is cheaper than `b`, in words ("intra-op threads 1 vs 2"): the first cost,
    in order of importance, on which they differ; "" when they cost the same."""
    for (what, x), (_, y) in zip(costs(a, physical), costs(b, physical), strict=True):
        if x != y:
            return f"{what} {_amount_text(what, x)} vs {_amount_text(what, y)}"
    return ""
