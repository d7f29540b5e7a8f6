"""`ortbench practices MODEL`: the seed article's practices, each toggled alone vs the base.

ortbench practices MODEL [--profile BASE] [--set KEY=VALUE]... [--duration S | --runs N]
                         [--until-decided [--budget S] [--alpha-per-table]]
                         [--json [OUT]] [--markdown OUT]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError
from .common import (
    add_json_argument,
    add_profile_arguments,
    count_overrides,
    emit_json,
    non_negative_int,
    positive_float,
    positive_int,
    profile_from_args,
)
from .decide_args import add_budget_argument, add_decide_arguments, decide_settings

DEFAULT_DURATION_S = 1.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    count = parser.add_mutually_exclusive_group()
    count.add_argument(
        "--duration",
        type=positive_float,
        metavar="S",
        help=f"seconds of timed runs per profile (default {DEFAULT_DURATION_S:g})",
    )
    count.add_argument("--runs", type=positive_int, help="timed runs per profile")
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs per session")
    parser.add_argument(
        "--sessions",
        type=positive_int,
        default=3,
        metavar="N",
        help="sessions per profile, the unit the CI resamples (default 3)",
    )
    parser.add_argument(
        "--margin", type=float, default=0.01, metavar="F", help="verdict margin (default 0.01)"
    )
    add_decide_arguments(parser, "practice rows (fp32, off against on)")
    add_budget_argument(parser)
    parser.add_argument(
        "--no-precision",
        action="store_true",
        help="leave out the FP16/INT8 rows (they derive models, which takes a while)",
    )
    add_json_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the report as Markdown")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


class Progress:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()

    def __call__(self, event: Any) -> None:
        from ..bench.practices import PracticesProgress

        if self.enabled and isinstance(event, PracticesProgress):
            total = f"/{event.total}" if event.total else ""
            sys.stderr.write(
                f"\r\033[K{event.detail}: {event.phase} {event.done}{total} "
                f"{event.elapsed_s:5.1f} s"
            )
            sys.stderr.flush()

    def clear(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def execute(args: argparse.Namespace) -> int:
    from ..bench.practices import PracticesRequest, format_report, report_markdown, run_practices
    from ..profile import atomic_write_text

    if not 0 <= args.margin < 1:
        raise OrtbenchError(f"--margin: expected a fraction in [0, 1), got {args.margin}")
    if args.budget is not None and not args.until_decided:
        raise OrtbenchError("--budget: only with --until-decided")
    duration = None if args.runs is not None else (args.duration or DEFAULT_DURATION_S)
    extra = count_overrides(args.runs, duration, args.warmup)
    base = profile_from_args(args.profile, args.overrides + extra)
    if not args.profile:
        base.name = "ort-defaults"
    request = PracticesRequest(
        model=args.model,
        base=base,
        sessions=args.sessions,
        margin=args.margin,
        precision_available=False if args.no_precision else None,
        precision_reason="left out (--no-precision)" if args.no_precision else "",
        until_decided=decide_settings(args, args.budget),
    )
    progress = Progress(not args.quiet)
    try:
        report = run_practices(request, progress)
    finally:
        progress.clear()
    if args.markdown:
        atomic_write_text(Path(args.markdown), report_markdown(report), overwrite=True)
    if args.json:
        emit_json(report.to_dict(), args.json)
    if args.json != "-":
        print(format_report(report))
    return 0
