"""Reading ORT's profiler trace and summarizing it: time per node and op type, EP placement,
fallback nodes, Memcpy nodes, framework overhead (see the package docstring)."""

from __future__ import annotations

import json
import os
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import OrtbenchError
from ..result_record import (
    MemcpyOp,
    TraceMemcpy,
    TraceNode,
    TraceOpType,
    TraceProvider,
    TraceSummary,
    UnreadableTrace,
    trace_dict,
)

if TYPE_CHECKING:
    from ...profile import Profile

CPU_EP = "CPUExecutionProvider"
GPU_EPS = ("CUDAExecutionProvider", "TensorrtExecutionProvider", "ROCMExecutionProvider")
NODE_SUFFIX = "_kernel_time"
MEMCPY_OPS = ("MemcpyToHost", "MemcpyFromHost")
RUN_EVENT = "model_run"
# 2: node times are exclusive (a control-flow node without its subgraphs: inclusive_us has them)
SUMMARY_VERSION = 2

TraceEvent = dict[str, Any]
"""One event of ORT's Chrome-trace JSON as parsed: ORT's format, not ours, so its keys are
read with `.get` and checked where they are used (`cat`, `name`, `ts`, `dur`, `args`)."""


# --- reading -------------------------------------------------------------------------------------


def load_trace_events(path: str | os.PathLike[str]) -> list[TraceEvent]:
    """The events of an ORT profile file (a JSON list, or an object with `traceEvents`).

    A file cut short (the process died before ORT closed the list) is read up to its last
    complete event."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OrtbenchError(f"trace file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OrtbenchError(f"cannot read trace file {p}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = _repair_truncated(text, p)
    if isinstance(data, dict):
        data = data.get("traceEvents")
    if not isinstance(data, list):
        raise OrtbenchError(f"{p}: not an ONNX Runtime profile (expected a list of events)")
    return [e for e in data if isinstance(e, dict)]


def _repair_truncated(text: str, path: Path) -> Any:
    """ORT writes one event per line: keep the complete lines of a file cut short."""
    lines = text.splitlines()
    events: list[Any] = []
    if lines and lines[0].strip() == "[":
        for line in lines[1:]:
            line = line.strip().rstrip(",")
            if line == "]":
                break
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                break
            events.append(event)
    if events:
        return events
    raise OrtbenchError(f"{path}: not valid JSON (is it an ONNX Runtime profile?)")


def untimed_runs(profile: Profile) -> int:
    """How many `model_run`s the worker makes before its timed loop: the first run (which
    also sizes the bound outputs under IO binding) and the warm-up runs."""
    return 1 + int(profile.run.warmup_runs)


# --- summarizing ---------------------------------------------------------------------------------


def _node_events(events: list[TraceEvent]) -> list[TraceEvent]:
    return [
        e
        for e in events
        if e.get("cat") == "Node"
        and str(e.get("name", "")).endswith(NODE_SUFFIX)
        and isinstance(e.get("dur"), (int, float))
    ]


def _run_spans(events: list[TraceEvent]) -> list[tuple[float, float]]:
    spans = [
        (float(e["ts"]), float(e["dur"]))
        for e in events
        if e.get("cat") == "Session"
        and e.get("name") == RUN_EVENT
        and isinstance(e.get("ts"), (int, float))
        and isinstance(e.get("dur"), (int, float))
    ]
    return sorted(spans)


# ORT stamps a control-flow node's (If, Loop, Scan) kernel time around the run of its
# subgraphs, whose nodes get events of their own on the same thread: a node is a child of the
# innermost node whose span holds it. A few microseconds of slack absorb the rounding of ts/dur.
NEST_SLACK_US = 2.0


def _nest(kept: list[TraceEvent]) -> tuple[list[float], list[int | None]]:
    """For each event of `kept`: the time spent in events nested directly inside it (its
    subgraphs' nodes), and the index of the event it is nested in (None at top level)."""
    child_us = [0.0] * len(kept)
    parent: list[int | None] = [None] * len(kept)
    by_thread: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for i, e in enumerate(kept):
        by_thread[(e.get("pid"), e.get("tid"))].append(i)
    for indices in by_thread.values():
        indices.sort(key=lambda i: (float(kept[i].get("ts", 0)), -float(kept[i]["dur"])))
        stack: list[int] = []
        for i in indices:
            start = float(kept[i].get("ts", 0))
            end = start + float(kept[i]["dur"])
            while stack:
                top = kept[stack[-1]]
                if float(top.get("ts", 0)) + float(top["dur"]) + NEST_SLACK_US >= end:
                    break
                stack.pop()
            if stack:
                parent[i] = stack[-1]
                child_us[stack[-1]] += float(kept[i]["dur"])
            stack.append(i)
    return child_us, parent


def nested_order(nodes: list[TraceNode]) -> list[tuple[TraceNode, int]]:
    """`nodes` (in any order, e.g. sorted by a column) with each subgraph node moved right
    under its parent node (when the parent is among them), keeping the given order among
    siblings; each with its depth (0 at the top level, 1 in a subgraph, ...)."""
    present = {n.name for n in nodes}
    children: dict[str, list[TraceNode]] = defaultdict(list)
    roots = []
    for n in nodes:
        parent = n.parent_name
        if parent and parent in present and parent != n.name:
            children[parent].append(n)
        else:
            roots.append(n)
    out: list[tuple[TraceNode, int]] = []
    seen: set[str] = set()

    def visit(n: TraceNode, depth: int) -> None:
        if n.name in seen:
            return
        seen.add(n.name)
        out.append((n, depth))
        for child in children.get(n.name, []):
            visit(child, depth + 1)

    # A parent comes where the first of its family would: sorted by time, an If whose own
    # time is small still lists at the place of its slowest subgraph node.
    by_name = {n.name: n for n in nodes}

    def root_of(n: TraceNode) -> str:
        seen_up: set[str] = set()
        while n.parent_name in by_name and n.name not in seen_up:
            seen_up.add(n.name)
            n = by_name[str(n.parent_name)]
        return n.name

    first: dict[str, int] = {}
    for i, n in enumerate(nodes):
        first.setdefault(root_of(n), i)
    roots.sort(key=lambda n: first.get(n.name, len(nodes)))
    for n in roots:
        visit(n, 0)
    for n in nodes:  # a cycle of parents (a malformed trace) still lists every node
        visit(n, 0)
    return out


def indented_name(name: str, depth: int) -> str:
    """A node's name indented under its parent: `  ↳ then_matmul_0`."""
    return f"{'  ' * (depth - 1)}↳ {name}" if depth > 0 else name


def short_ep(name: str) -> str:
    """CUDAExecutionProvider -> CUDA."""
    return name.removesuffix("ExecutionProvider") or name


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


@dataclass
class _NodeTally:
    """One node's events added up while the trace is read."""

    name: str
    op_type: str
    provider: str
    first_ts: float
    calls: int = 0
    total_us: float = 0.0
    inclusive_us: float = 0.0
    max_us: float = 0.0
    parents: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """The node each call ran inside (a subgraph's node), counted."""


@dataclass
class _Tally:
    """The nodes of one op type, or of one EP, added up."""

    nodes: int = 0
    calls: int = 0
    total_us: float = 0.0
    providers: set[str] = field(default_factory=set)

    def add(self, node: TraceNode) -> None:
        self.nodes += 1
        self.calls += node.calls
        self.total_us += node.total_us
        self.providers.add(node.provider)


def summarize_trace(
    trace: str | os.PathLike[str] | list[TraceEvent],
    *,
    requested_ep: str = CPU_EP,
    skip_runs: int = 0,
) -> TraceSummary:
    """Summarize an ORT profile (a path or its events) into the `trace` record.

    `requested_ep` is the EP the profile asked for: when it is not CPU, nodes that ran on
    CPU are flagged as fallback. The first `skip_runs` runs (warm-up) are left out.
    """
    source = None
    if isinstance(trace, (str, os.PathLike)):
        source = str(trace)
        events = load_trace_events(trace)
    else:
        events = list(trace)
    spans = _run_spans(events)
    nodes_ev = _node_events(events)
    warnings: list[str] = []

    skipped = min(max(skip_runs, 0), len(spans))
    if spans and skipped == len(spans):
        warnings.append(
            f"the trace holds {len(spans)} runs, none after the {skip_runs} first/warm-up "
            "runs: all are used"
        )
        skipped = 0
    used = spans[skipped:]
    run_time = sum(d for _, d in used)

    starts = [s for s, _ in spans]
    kept: list[TraceEvent] = []
    outside = 0
    for e in nodes_ev:
        if not spans:
            kept.append(e)
            continue
        ts = float(e.get("ts", 0))
        i = bisect_right(starts, ts) - 1
        if i < 0 or ts > spans[i][0] + spans[i][1]:
            outside += 1
            continue
        if i >= skipped:
            kept.append(e)
    if not spans:
        warnings.append("no model_run events in the trace: shares are of the node time")
    if outside:
        warnings.append(f"{outside} node events fall outside every run and are left out")

    child_us, parent_of = _nest(kept)
    per_node: dict[str, _NodeTally] = {}
    for index, e in enumerate(kept):
        name = str(e["name"])[: -len(NODE_SUFFIX)]
        args = e.get("args") or {}
        node = per_node.get(name)
        if node is None:
            node = per_node[name] = _NodeTally(
                name=name,
                op_type=str(args.get("op_name") or "?"),
                provider=str(args.get("provider") or "?"),
                first_ts=float(e.get("ts", 0)),
            )
        dur = float(e["dur"])
        own = max(dur - child_us[index], 0.0)
        node.calls += 1
        node.total_us += own
        node.inclusive_us += dur
        node.max_us = max(node.max_us, own)
        up = parent_of[index]
        if up is not None:
            node.parents[str(kept[up]["name"])[: -len(NODE_SUFFIX)]] += 1

    node_time = sum(n.total_us for n in per_node.values())
    whole = run_time if spans else node_time
    runs_used = len(used) if spans else max((n.calls for n in per_node.values()), default=0)
    gpu_requested = bool(requested_ep) and requested_ep != CPU_EP

    nodes: list[TraceNode] = []
    # Graph order (first call) breaks ties, so equal totals list in execution order.
    for t in sorted(per_node.values(), key=lambda t: (-t.total_us, t.first_ts)):
        parents = t.parents
        nodes.append(
            TraceNode(
                name=t.name,
                op_type=t.op_type,
                provider=t.provider,
                calls=t.calls,
                total_us=t.total_us,
                inclusive_us=t.inclusive_us,
                subgraph_us=t.inclusive_us - t.total_us,
                parent=max(parents, key=parents.__getitem__) if parents else None,
                mean_us=t.total_us / t.calls,
                max_us=t.max_us,
                per_run_us=t.total_us / runs_used if runs_used else 0.0,
                share=_share(t.total_us, whole),
                fallback=gpu_requested and t.provider == CPU_EP,
                memcpy=t.op_type in MEMCPY_OPS,
            )
        )

    op_acc: dict[str, _Tally] = defaultdict(_Tally)
    ep_acc: dict[str, _Tally] = defaultdict(_Tally)
    for traced in nodes:
        op_acc[traced.op_type].add(traced)
        ep_acc[traced.provider].add(traced)
    op_types = [
        TraceOpType(
            op_type=op,
            nodes=o.nodes,
            calls=o.calls,
            total_us=o.total_us,
            mean_us=o.total_us / o.calls if o.calls else 0.0,
            per_run_us=o.total_us / runs_used if runs_used else 0.0,
            share=_share(o.total_us, whole),
            providers=sorted(o.providers),
        )
        for op, o in sorted(op_acc.items(), key=lambda kv: -kv[1].total_us)
    ]
    providers = {
        ep: TraceProvider(
            nodes=p.nodes,
            calls=p.calls,
            total_us=p.total_us,
            per_run_us=p.total_us / runs_used if runs_used else 0.0,
            share=_share(p.total_us, whole),
        )
        for ep, p in sorted(ep_acc.items(), key=lambda kv: -kv[1].total_us)
    }

    memcpy_nodes = [n for n in nodes if n.memcpy]
    memcpy_by_op = {
        op: MemcpyOp(
            nodes=sum(1 for n in memcpy_nodes if n.op_type == op),
            calls=sum(n.calls for n in memcpy_nodes if n.op_type == op),
            total_us=sum(n.total_us for n in memcpy_nodes if n.op_type == op),
        )
        for op in MEMCPY_OPS
    }
    memcpy_time = sum(n.total_us for n in memcpy_nodes)
    fallback = [n.name for n in nodes if n.fallback]

    nodes_share = _share(node_time, whole)
    if spans and nodes_share > 1.0 + 1e-9:
        warnings.append(
            "node times add up to more than the run time: nodes overlapped (parallel "
            "execution or several intra-op threads)"
        )
    if spans and used and not kept:
        warnings.append(
            "runs without node events: with CUDA graphs ORT replays the graph and records no nodes"
        )
    if any(n.provider in GPU_EPS for n in nodes):
        warnings.append(
            "CUDA/TensorRT node times are host-side (launch and sync), not GPU time: a large "
            "overhead share can be GPU work still running after the launches"
        )

    return TraceSummary(
        version=SUMMARY_VERSION,
        file=source,
        requested_ep=requested_ep,
        gpu_requested=gpu_requested,
        runs=len(used) if spans else runs_used,
        runs_in_trace=len(spans),
        skipped_runs=skipped,
        run_time_us=run_time,
        run_mean_us=run_time / len(used) if used else None,
        node_time_us=node_time,
        nodes_share=nodes_share,
        overhead_us=(run_time - node_time) if spans else None,
        overhead_share=(1.0 - nodes_share) if spans else None,
        node_count=len(nodes),
        nodes=nodes,
        op_types=op_types,
        providers=providers,
        fallback_nodes=fallback,
        memcpy=TraceMemcpy(
            nodes=len(memcpy_nodes),
            calls=sum(n.calls for n in memcpy_nodes),
            total_us=memcpy_time,
            per_run_us=memcpy_time / runs_used if runs_used else 0.0,
            share=_share(memcpy_time, whole),
            names=[n.name for n in memcpy_nodes],
            by_op=memcpy_by_op,
        ),
        warnings=warnings,
    )


def trace_section(trace_file: str | os.PathLike[str], profile: Profile) -> dict[str, Any]:
    """The `trace` section of a result, for the worker: the summary of its own trace, with
    the worker's untimed runs left out, as the JSON object the result file holds (the
    worker's final figures travel as JSON-ready data; readers convert it with
    `result_record.trace_record`). Never raises: a trace that cannot be read becomes an
    UnreadableTrace ({"file": ..., "error": ...}) and the timed run keeps its result."""
    try:
        summary: TraceSummary | UnreadableTrace = summarize_trace(
            trace_file, requested_ep=profile.provider_ep, skip_runs=untimed_runs(profile)
        )
    except Exception as exc:
        summary = UnreadableTrace(file=str(trace_file), error=f"cannot summarize the trace: {exc}")
    return trace_dict(summary)


def node_names(summary: TraceSummary) -> set[str]:
    return {n.name for n in summary.nodes}
