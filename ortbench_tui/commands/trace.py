"""`ortbench trace MODEL`: per-operator time and EP placement from ORT's profiler.

The model runs in the worker process like `ortbench run`, with ORT's profiler on; the worker
summarizes the trace (`bench/trace/`) and the result JSON carries it as `trace`
(`result_record.TraceSummary`). Latency measured with the profiler on includes its overhead,
so traced runs are not kept in the history that comparisons read.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..errors import RunFailed
from ..text import format_us
from .common import (
    add_input_arguments,
    add_overwrite_argument,
    add_profile_arguments,
    check_outputs,
    count_overrides,
    emit_json,
    input_spec_from_args,
    non_negative_int,
    positive_int,
    profile_from_args,
)
from .progress import ProgressLine

if TYPE_CHECKING:
    from ..bench.result_record import RunResult

DEFAULT_RUNS = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    add_input_arguments(parser)
    parser.add_argument(
        "--runs",
        type=positive_int,
        default=DEFAULT_RUNS,
        help=f"traced runs after warm-up (default {DEFAULT_RUNS}; overrides run.timed_runs)",
    )
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs (left out)")
    parser.add_argument(
        "--json", metavar="OUT", help="write the result JSON with its trace (- for stdout)"
    )
    parser.add_argument(
        "--top", type=non_negative_int, default=15, help="nodes and op types shown (0 = all)"
    )
    add_overwrite_argument(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def format_header(result: RunResult) -> str:
    from ..bench.result_record import ProvidersRecord, given

    lat = result.latency_ms
    prov = given(result.providers, ProvidersRecord())
    precision = result.precision()
    lines = [
        f"model    {result.model_name()}  ({given(result.model.path, '?')})",
        f"profile  {result.profile_name()}  ·  precision {precision}  ·  EPs: "
        + ", ".join(given(prov.active, []))
        + ("  (FALLBACK)" if given(prov.fallback, False) else ""),
        f"latency  p50 {format_us((given(lat.p50, None) or 0) * 1e3)}  ·  mean "
        f"{format_us((given(lat.mean, None) or 0) * 1e3)} over {result.runs} runs "
        "(profiler on: includes its overhead)",
    ]
    return "\n".join(lines)


def execute(args: argparse.Namespace) -> int:
    from ..bench.result_record import (
        ResultProblem,
        UnreadableTrace,
        given,
        record_dict,
        trace_record,
    )
    from ..bench.runner import RunRequest, run_benchmark
    from ..bench.trace import format_trace

    check_outputs({"--json": args.json}, args.overwrite)
    profile = profile_from_args(
        args.profile, args.overrides, count_overrides(args.runs, None, args.warmup)
    )
    progress = ProgressLine(not args.quiet)
    request = RunRequest(
        model=args.model, profile=profile, trace=True, inputs=input_spec_from_args(args, args.model)
    )
    finished = run_benchmark(request, progress)
    progress.clear()
    result = finished.result
    section = given(result.trace, None)
    if section is None:
        raise RunFailed("the worker returned no trace")
    if args.json:  # written first: what was measured is kept whatever the trace holds
        emit_json(record_dict(result), args.json, overwrite=args.overwrite)
    try:
        summary = trace_record(section)
    except ResultProblem as exc:
        raise RunFailed(f"the worker's trace: {exc}") from None
    if args.json != "-":
        print(format_header(result))
        print()
        print(format_trace(summary, top=args.top))
    if isinstance(summary, UnreadableTrace):
        raise RunFailed(summary.error)
    return 0
