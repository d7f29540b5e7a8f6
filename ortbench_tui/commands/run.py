"""`ortbench run MODEL`: warm-up plus timed runs of one model with one profile."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..bench.results import save_samples, save_to_history
from ..bench.runner import Event, Progress, RunRequest, run_benchmark
from ..session_gpu import BUILD_PHASE, BUILD_PHASE_TEXT
from ..text import format_ms
from .common import (
    add_profile_arguments,
    count_overrides,
    emit_json,
    non_negative_int,
    positive_float,
    positive_int,
    profile_from_args,
    text_histogram,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--runs", type=positive_int, help="timed runs (overrides run.timed_runs)")
    count.add_argument(
        "--duration",
        type=positive_float,
        metavar="S",
        help="time by wall clock for S seconds (overrides run.duration_s)",
    )
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs")
    parser.add_argument("--json", metavar="OUT", help="write the result JSON (- for stdout)")
    parser.add_argument("--samples", metavar="OUT.npy", help="write raw samples (ns, int64)")
    parser.add_argument("--no-history", action="store_true", help="do not keep the result")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


class ProgressLine:
    """One self-overwriting progress line on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, event: Event) -> None:
        if not self.enabled or not isinstance(event, Progress):
            return
        total = f"/{event.total}" if event.total else ""
        if event.phase == BUILD_PHASE:  # done counts the build's seconds
            sys.stderr.write(f"\r\033[K{BUILD_PHASE_TEXT}… {event.done} s (Ctrl-C cancels) ")
        else:
            sys.stderr.write(f"\r{event.phase:<9} {event.done}{total}  {event.elapsed_s:5.1f} s ")
        sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")


def format_result(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    prov = result["providers"]
    lines = [
        f"model    {result['model']['name']}  ({result['model']['path']})",
        f"profile  {result['profile']['name']}  ·  {result['profile']['run']['precision']}  ·  "
        f"EPs: {', '.join(prov['active'])}" + ("  (FALLBACK)" if prov.get("fallback") else ""),
        f"runs     {result['runs']} timed after {result['warmup_runs']} warm-up"
        f"  ·  {result['wall_s']:.2f} s  ·  status {result['status']}",
        "",
        "  p50       p90       p95       p99       p99.9     mean      std       min       max",
        "  "
        + "".join(
            f"{format_ms(lat[k]):<10}"
            for k in ("p50", "p90", "p95", "p99", "p999", "mean", "std", "min", "max")
        ),
        "",
        f"CV {result['cv']:.1%}  ·  {result['throughput_per_s'] or 0:,.0f} inf/s  ·  "
        f"session create {format_ms(result['session_create_ms'])}  ·  "
        f"first run {format_ms(result['first_run_ms'])}  ·  "
        f"peak RSS {result['rss_peak_mb'] or 0:.0f} MiB",
        f"percentiles: {result['percentile_method']}",
    ]
    precision = result["profile"]["run"]["precision"]
    if precision != "fp32":
        from ..precision import accuracy_lines

        lines.append(f"accuracy of {precision} against fp32 on the same inputs:")
        lines += [f"  {line}" for line in accuracy_lines(result.get("accuracy"))]
    lines += [f"warning: {w}" for w in result["warnings"]]
    return "\n".join(lines)


def execute(args: argparse.Namespace) -> int:
    profile = profile_from_args(
        args.profile, args.overrides + count_overrides(args.runs, args.duration, args.warmup)
    )
    progress = ProgressLine(not args.quiet)
    finished = run_benchmark(RunRequest(model=args.model, profile=profile), progress)
    progress.clear()
    result = finished.result
    if not args.no_history:
        result["history_path"] = str(save_to_history(result, finished.samples_ns))
    if args.samples:
        save_samples(finished.samples_ns, Path(args.samples))
    if args.json:
        emit_json(result, args.json)
    if args.json != "-":
        print(format_result(result))
        print()
        print(text_histogram(finished.samples_ns))
    return 0
