"""`ortbench practices MODEL`: the seed article's practices, each toggled alone vs the base.

ortbench practices MODEL [--profile BASE] [--set KEY=VALUE]... [--budget S] [--alpha-per-table]
                         [--duration S | --runs N] [--until-decided]
                         [--json [OUT]] [--markdown OUT] [--save-best FILE [--overwrite]]

By default the fp32 rows are measured until each is decided or the budget is spent (the
rule of `compare --until-decided`); `--duration` or `--runs` gives them a fixed length
instead (with `--until-decided` as well, that length is the precision rows' only).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError
from .common import (
    add_input_arguments,
    add_json_argument,
    add_overwrite_argument,
    add_profile_arguments,
    check_outputs,
    count_overrides,
    emit_json,
    input_spec_from_args,
    interruption,
    non_negative_int,
    positive_float,
    positive_int,
    profile_from_args,
    quietly,
)
from .decide_args import add_decide_arguments, decide_settings
from .progress import ProgressLine

DEFAULT_DURATION_S = 1.0
EPILOG = (
    'The practices come from the article "Optimizing ONNX Runtime Inference Latency: 8 Best '
    'Practices": graph optimization EXTENDED/ALL, intra-op threads = physical cores, inter-op '
    "threads 0 on GPU, CUDA graphs, IO binding, arena + memory pattern, FP16/INT8, warm-up. "
    "Each row names the profile keys it toggles; --save-best writes them into a profile."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    add_input_arguments(parser)
    count = parser.add_mutually_exclusive_group()
    count.add_argument(
        "--duration",
        type=positive_float,
        metavar="S",
        help="seconds of timed runs per profile: a fixed length for the fp32 rows in place of "
        f"measuring until decided (the FP16/INT8 rows: default {DEFAULT_DURATION_S:g})",
    )
    count.add_argument(
        "--runs", type=positive_int, help="timed runs per profile (a fixed length, as --duration)"
    )
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
    add_decide_arguments(
        parser, "practice rows (fp32, off against on); the default unless --duration or --runs"
    )
    parser.add_argument(
        "--budget",
        type=positive_float,
        metavar="S",
        help="seconds of timed rounds for the fp32 rows at most, when they are measured until "
        "decided (default 60)",
    )
    parser.add_argument(
        "--no-precision",
        action="store_true",
        help="leave out the FP16/INT8 rows (they derive models, which takes a while)",
    )
    add_json_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the report as Markdown")
    parser.add_argument(
        "--save-best",
        metavar="FILE",
        help="write the base profile with every practice that measured faster applied (a "
        "faster FP16/INT8 also needs cosine >= 0.999 against fp32); its header says why",
    )
    add_overwrite_argument(parser)
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def execute(args: argparse.Namespace) -> int:
    from ..bench.job import drive
    from ..bench.practices import PracticesReport, PracticesRequest, PracticesRun
    from ..bench.practices.run import DECIDE_BUDGET_S

    if not 0 <= args.margin < 1:
        raise OrtbenchError(f"--margin: expected a fraction in [0, 1), got {args.margin}")
    fixed = (args.runs is not None or args.duration is not None) and not args.until_decided
    if args.budget is not None and fixed:
        raise OrtbenchError(
            "--budget: not with --duration or --runs (a fixed length), unless --until-decided"
        )
    args.until_decided = not fixed
    duration = None if args.runs is not None else (args.duration or DEFAULT_DURATION_S)
    extra = count_overrides(args.runs, duration, args.warmup)
    base = profile_from_args(args.profile, args.overrides, extra)
    check_outputs(
        {
            "--save-best": args.save_best,
            "--markdown": args.markdown,
            "--csv": getattr(args, "csv", None),
            "--json": args.json,
        },
        args.overwrite,
    )
    request = PracticesRequest(
        model=args.model,
        base=base,
        sessions=args.sessions,
        margin=args.margin,
        precision_available=False if args.no_precision else None,
        precision_reason="left out (--no-precision)" if args.no_precision else "",
        inputs=input_spec_from_args(args, args.model),
        until_decided=decide_settings(args, args.budget or DECIDE_BUDGET_S),
    )
    progress = ProgressLine(not args.quiet)
    job = PracticesRun(request)
    try:
        report = drive(job, PracticesReport, progress, "practices check")
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C, SIGTERM, SIGHUP (cli.py)
        quietly(progress.clear)
        partial = job.partial(interruption(exc))
        if partial is not None:  # the rows so far, marked cancelled: --json and the table
            quietly(lambda: _outputs(args, partial, None))
        raise
    finally:
        quietly(progress.clear)
    saved = None
    if args.save_best:
        from ..bench.practices import save_best
        from ..profile import resolve_profile_path

        # The base as the user gave it: the check's own run counts are not part of it.
        plain = profile_from_args(args.profile, args.overrides)
        source = resolve_profile_path(args.profile) if args.profile else None
        saved = save_best(report, plain, args.save_best, args.overwrite, based_on=source)
    _outputs(args, report, saved)
    return 0


def _outputs(args: argparse.Namespace, report: Any, saved: Path | None) -> None:
    """--markdown, --json and the table of a finished or interrupted check."""
    from ..bench.practices import format_report, report_markdown
    from ..profile import atomic_write_text

    if args.markdown:
        atomic_write_text(
            Path(args.markdown),
            report_markdown(report),
            overwrite=args.overwrite,
            make_parents=False,
        )
    if args.json:
        out = report.to_dict()
        out["saved_best"] = str(saved) if saved else None
        emit_json(out, args.json, overwrite=args.overwrite)
    if args.json != "-":
        print(format_report(report))
        if saved:
            print(f"saved the base with the faster practices as {saved}")
