"""Per-operator time and EP placement, from ONNX Runtime's profiler trace.

With `SessionOptions.enable_profiling` ORT writes a Chrome-trace JSON file: a list of
complete events (`"ph": "X"`, `ts` and `dur` in microseconds). Two categories matter:

* `"cat": "Session"`: `model_run` spans one `InferenceSession.run` (also `run_with_iobinding`);
  `SequentialExecutor::Execute`, `model_loading_uri`, `session_initialization` are ignored.
* `"cat": "Node"`: one kernel call, named `<node name>_kernel_time` (older releases also
  wrote `_fence_before` / `_fence_after` events: ignored), with `args.op_name` (the op type)
  and `args.provider` (the EP that ran it).

`summarize_trace` turns that into: time per node and per op type (total, mean per call,
share of run time), the EP of every node, the nodes that ran on CPU although a non-CPU EP
was requested (fallback), the Memcpy nodes ORT inserted between EPs (count, calls, time),
and the share of run time the nodes account for; the rest is framework overhead (input
and output handling, allocation, scheduling, the profiler itself).

Control-flow nodes (If, Loop, Scan) run their subgraphs inside their own kernel call, and
ORT records the subgraph's nodes as events of their own within that call's span (same
thread). A node's time is therefore its *exclusive* time: its span less the spans nested
directly in it (`inclusive_us` keeps the whole span, `subgraph_us` the difference), and each
subgraph node names its `parent`. So node times add up to the run's, never count a subgraph
twice, and the slowest op type is the one whose own kernels took the time.

Runs before the timed ones (the first run and the warm-up) are left out,
so the figures describe the steady state the timed loop measured. Shares are fractions of
the total `model_run` time of the runs kept; node shares plus the overhead share add up to
one (sequential execution; with `execution_mode = parallel` nodes overlap and the node
share can exceed one, which the summary says).

Note: for CUDA/TensorRT nodes the kernel time is host-side time (launch, plus any sync
the EP does), not device time.

  summary   reading the trace file and summarizing it
  report    the summary as the text of `ortbench trace`
"""

from __future__ import annotations

from .report import format_trace
from .summary import (
    indented_name,
    load_trace_events,
    nested_order,
    node_names,
    short_ep,
    summarize_trace,
    trace_section,
    untimed_runs,
)

__all__ = [
    "format_trace",
    "indented_name",
    "load_trace_events",
    "nested_order",
    "node_names",
    "short_ep",
    "summarize_trace",
    "trace_section",
    "untimed_runs",
]
