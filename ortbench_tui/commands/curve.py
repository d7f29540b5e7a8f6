"""`ortbench curve`: latency and throughput across dim sizes and concurrent requests.

    ortbench curve MODEL [--profile P] --dim NAME=V1,V2,... [--dim ...] [--concurrency 1,2,4]
                   [--duration S | --runs N] [--warmup N] [--json OUT] [--csv OUT] [--markdown OUT]

Progress goes to stderr (a line per point); the table and the knee to stdout. Exit 1 when a
point failed (the others are kept and reported), 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import RunFailed
from .common import (
    add_input_arguments,
    add_json_argument,
    add_max_duration_argument,
    add_overwrite_argument,
    add_profile_arguments,
    check_outputs,
    count_overrides,
    emit_json,
    input_spec_from_args,
    non_negative_int,
    positive_float,
    positive_int,
    profile_from_args,
    quietly,
)
from .progress import ProgressLine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    parser.add_argument(
        "--dim",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="a named input dim and its sizes, one point each (repeat for more dims), "
        "e.g. --dim batch=1,8,32 --dim sequence=128,512",
    )
    parser.add_argument(
        "--concurrency",
        metavar="C1,C2",
        help="concurrent requests per point: C threads in a closed loop on one session "
        "(default 1), e.g. 1,2,4,8",
    )
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--runs", type=positive_int, help="timed requests per point")
    count.add_argument(
        "--duration", type=positive_float, metavar="S", help="seconds of timed requests per point"
    )
    add_max_duration_argument(parser, "per point")
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up requests per point")
    add_input_arguments(parser)  # as every job reads them, `--inputs saved` included
    add_json_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the table as Markdown")
    parser.add_argument("--csv", metavar="OUT", help="write the table as CSV")
    add_overwrite_argument(parser)
    parser.add_argument("--no-history", action="store_true", help="do not keep the curve")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def curve_notes(event: object) -> str | None:
    """A line that stays on stderr for each point measured (or failed)."""
    from ..bench.curve import CurvePointDone, point_summary

    return point_summary(event.point) if isinstance(event, CurvePointDone) else None


def _outputs(args: argparse.Namespace, done: Any) -> None:
    """--markdown, --csv, --json and the table of a finished or interrupted curve."""
    from ..bench.curve import curve_csv, curve_markdown, format_curve
    from ..profile import atomic_write_text

    if args.markdown:
        atomic_write_text(
            Path(args.markdown),
            curve_markdown(done.result, done.points),
            overwrite=args.overwrite,
            make_parents=False,
        )
    if args.csv:
        atomic_write_text(
            Path(args.csv), curve_csv(done.points), overwrite=args.overwrite, make_parents=False
        )
    if args.json:
        from msgspec.structs import replace

        from ..bench.job_records import record_dict

        where = str(done.path) if done.path else None
        emit_json(
            record_dict(replace(done.result, saved=where)), args.json, overwrite=args.overwrite
        )
    if args.json != "-":
        print(format_curve(done.result, done.points))
        if done.path:
            print(f"saved {done.path}")


def execute(args: argparse.Namespace) -> int:
    from ..bench.curve import (
        CurveFinished,
        CurveRequest,
        parse_concurrency,
        parse_dims,
        start_curve,
    )
    from ..bench.job import drive

    check_outputs(
        {"--markdown": args.markdown, "--csv": args.csv, "--json": args.json}, args.overwrite
    )
    dims = parse_dims(args.dim)
    levels = parse_concurrency(args.concurrency)
    profile = profile_from_args(args.profile, args.overrides)
    from ..profile import apply_overrides

    profile = apply_overrides(
        profile, count_overrides(args.runs, args.duration, args.warmup, args.max_duration)
    )
    inputs = input_spec_from_args(args, args.model)
    request = CurveRequest(
        model=args.model,
        profile=profile,
        dims=dims,
        concurrency=levels,
        inputs=inputs,
        save_history=not args.no_history,
    )
    progress = ProgressLine(not args.quiet, curve_notes)
    job = start_curve(request)
    try:
        done = drive(job, CurveFinished, progress, "curve")
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM, SIGHUP (cli.py)
        quietly(progress.clear)
        partial = job.partial()  # kept in history by the job; here the files and the table
        if any(p.ok for p in partial.points):
            quietly(lambda: _outputs(args, partial))
        raise
    finally:
        quietly(progress.clear)
    _outputs(args, done)
    if not any(p.ok for p in done.points) and not done.cancelled:
        raise RunFailed("no point of the curve could be measured")
    if done.failed:
        labels = ", ".join(p.label for p in done.failed)
        print(f"ortbench: {len(done.failed)} point(s) failed: {labels}", file=sys.stderr)
        return 1
    return 0
