"""What a profile costs beside its latency, the tie-breaker of sweep and practices."""

from __future__ import annotations

from ortbench_tui.bench.cost import cheapest, why_cheaper
from ortbench_tui.profile import Profile, apply_overrides


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(), list(sets))


def test_fewer_threads_come_before_memory_and_graph_level():
    one = prof("session.intra_op_num_threads=1", "session.graph_optimization_level=all")
    two = prof("session.intra_op_num_threads=2", "session.enable_cpu_mem_arena=false")
    assert cheapest([two, one], physical=2) == 1
    assert why_cheaper(one, two, physical=2) == "intra-op threads 1 vs 2"
    # ORT's default (0) is one thread per physical core.
    assert why_cheaper(one, prof("session.intra_op_num_threads=0"), 4) == "intra-op threads 1 vs 4"


def test_equal_threads_fall_to_spinning_then_memory_then_level():
    base = ["session.intra_op_num_threads=2"]
    spin = prof(*base, "session.allow_spinning=true")
    calm = prof(*base, "session.allow_spinning=false")
    assert why_cheaper(calm, spin, 2) == "spinning threads off vs on"
    lean = prof("session.enable_cpu_mem_arena=false")
    assert why_cheaper(lean, prof(), 2) == "CPU arena off vs on"
    basic = prof("session.graph_optimization_level=basic")
    assert why_cheaper(basic, prof("session.graph_optimization_level=all"), 2) == (
        "graph optimization level basic vs all"
    )
    assert why_cheaper(prof(), prof(), 2) == "" and cheapest([prof(), prof()], 2) == 0
