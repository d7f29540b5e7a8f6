"""The trace summary as the readable report of `ortbench trace`."""

from __future__ import annotations

from ...text import aligned_table, format_us, plural, share_bar
from ..result_record import TraceSummary, UnreadableTrace
from .summary import indented_name, nested_order, short_ep

# --- text --------------------------------------------------------------------------------------


def format_trace(
    summary: TraceSummary | UnreadableTrace, top: int = 15, bar_width: int = 20
) -> str:
    """The readable report of `ortbench trace`."""
    if isinstance(summary, UnreadableTrace):
        return f"trace: {summary.error}"
    runs = summary.runs
    lines = [
        f"trace    {runs} runs summarized"
        + (f" ({summary.skipped_runs} first/warm-up runs left out)" if summary.skipped_runs else "")
        + f"  ·  requested {summary.requested_ep}",
    ]
    if summary.run_mean_us is not None:
        lines.append(
            f"per run  {format_us(summary.run_mean_us)}  ·  nodes "
            f"{format_us(summary.node_time_us / runs if runs else 0)} "
            f"({summary.nodes_share:.1%})  ·  framework overhead "
            f"{format_us((summary.overhead_us or 0.0) / runs if runs else 0)} "
            f"({summary.overhead_share or 0.0:.1%})"
        )
    lines += ["", "EP placement"]
    rows = [["EP", "nodes", "calls", "time/run", "share"]]
    for ep, p in summary.providers.items():
        rows.append([ep, str(p.nodes), str(p.calls), format_us(p.per_run_us), f"{p.share:.1%}"])
    lines += aligned_table(rows, {1, 2, 3, 4}) if len(rows) > 1 else ["  (no node events)"]

    nodes = summary.nodes
    shown = nodes[:top] if top > 0 else nodes
    lines += ["", f"top {len(shown)} of {len(nodes)} nodes by own time"]
    if any(n.parent_name for n in nodes):
        lines.append(
            "  own time per node (an If/Loop/Scan without its subgraph; ↳ = in a subgraph)"
        )
    rows = [["node", "op type", "EP", "calls", "mean", "total", "share", ""]]
    peak = max((n.share for n in shown), default=0.0) or 1.0  # bars: the largest fills
    for n, depth in nested_order(shown):
        flag = "  CPU FALLBACK" if n.fallback else ""
        rows.append(
            [
                indented_name(n.name, depth),
                n.op_type,
                short_ep(n.provider),
                str(n.calls),
                format_us(n.mean_us),
                format_us(n.total_us),
                f"{n.share:.1%}",
                share_bar(n.share / peak, bar_width).rstrip() + flag,
            ]
        )
    if len(rows) > 1:
        lines += aligned_table(rows, {3, 4, 5, 6})

    lines += ["", "op types"]
    rows = [["op type", "nodes", "calls", "mean", "time/run", "share", ""]]
    ops = summary.op_types[: top if top > 0 else None]
    peak = max((o.share for o in ops), default=0.0) or 1.0
    for o in ops:
        rows.append(
            [
                o.op_type,
                str(o.nodes),
                str(o.calls),
                format_us(o.mean_us),
                format_us(o.per_run_us),
                f"{o.share:.1%}",
                share_bar(o.share / peak, bar_width).rstrip(),
            ]
        )
    if len(rows) > 1:
        lines += aligned_table(rows, {1, 2, 3, 4, 5})

    m = summary.memcpy
    lines.append("")
    if m.nodes:
        parts = ", ".join(f"{op} {v.nodes}" for op, v in m.by_op.items() if v.nodes)
        lines.append(
            f"memcpy   {plural(m.nodes, 'node')} ({parts}), {m.calls} calls, "
            f"{format_us(m.per_run_us)}/run, {m.share:.1%} of run time"
        )
    else:
        lines.append("memcpy   none (no copies between EPs)")
    fb = summary.fallback_nodes
    if not summary.gpu_requested:
        lines.append("fallback n/a (CPU requested)")
    elif fb:
        lines.append(
            f"fallback {plural(len(fb), 'node')} ran on CPU although "
            f"{summary.requested_ep} was requested: {', '.join(fb)}"
        )
    else:
        lines.append("fallback none: no node ran on CPU")
    for w in summary.warnings:
        lines.append(f"note: {w}")
    if summary.file:
        lines.append(f"raw trace: {summary.file} (chrome://tracing, ui.perfetto.dev)")
    return "\n".join(lines)
