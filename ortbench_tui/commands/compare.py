"""`ortbench compare`: profiles on one model (live), or saved results (offline), with a verdict.

    ortbench compare MODEL --profile A --profile B [...] [--interleave] [--json OUT]
    ortbench compare RESULT.json RESULT.json [...]

A profile is a TOML file, a profile NAME (`ortbench profiles` lists them) or `defaults` (ORT
out of the box), optionally followed by `+KEY=VALUE` overrides for that profile alone:
`--profile defaults+run.io_binding=true`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OrtbenchError
from ..profile import Profile, apply_override, apply_overrides, load_profile_arg, override_label
from .common import (
    add_input_arguments,
    add_json_argument,
    add_max_duration_argument,
    add_overwrite_argument,
    check_outputs,
    count_overrides,
    emit_json,
    has_input_flags,
    input_spec_from_args,
    interruption,
    non_negative_int,
    positive_float,
    positive_int,
    quietly,
    warn_if_won_elsewhere,
)
from .progress import ProgressLine

if TYPE_CHECKING:
    from ..bench.result_record import RunResult

_OVERRIDE = re.compile(r"\+(?=(?:session|provider|run)\.[A-Za-z_][\w.]*=|name=|description=)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="MODEL | RESULT.json",
        help="a model (path or sample:NAME) with --profile twice or more, or result files",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="SPEC",
        help="FILE, NAME (see `ortbench profiles`) or 'defaults', optionally +KEY=VALUE for "
        "this profile alone (e.g. defaults+session.intra_op_num_threads=1); give it twice or more",
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override a key in every profile, e.g. session.intra_op_num_threads=1",
    )
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--runs", type=positive_int, help="timed runs per profile")
    count.add_argument(
        "--duration", type=positive_float, metavar="S", help="seconds of timed runs per profile"
    )
    add_max_duration_argument(parser, "per profile")
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs per session")
    add_input_arguments(parser)
    parser.add_argument(
        "--interleave",
        action="store_true",
        help="one process holds a session per profile and alternates them in blocks, so drift "
        "hits all alike (default: separate runs, A B A B ...)",
    )
    parser.add_argument(
        "--sessions",
        type=positive_int,
        default=3,
        metavar="N",
        help="sessions per profile, the unit the CI resamples (default 3)",
    )
    parser.add_argument(
        "--margin",
        type=float,
        default=0.01,
        metavar="F",
        help="smallest relative difference that earns a verdict (default 0.01 = 1%%)",
    )
    parser.add_argument(
        "--until-decided",
        action="store_true",
        help="interleave and keep measuring until each verdict is decided (faster, slower, or "
        "equal within the margin) or the budget is spent; --runs/--duration are then ignored",
    )
    parser.add_argument(
        "--budget",
        type=positive_float,
        metavar="S",
        help="with --until-decided: seconds of timed rounds at most (default 120)",
    )
    add_json_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the table as Markdown")
    parser.add_argument("--csv", metavar="OUT", help="write the table as CSV")
    add_overwrite_argument(parser)
    parser.add_argument("--no-history", action="store_true", help="do not keep the results")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def parse_profile_spec(spec: str, common: list[str]) -> Profile:
    """`FILE` or `defaults`, then `+KEY=VALUE` pieces; `common` (--set) applies before them."""
    if Path(spec).is_file():
        base_text, pieces = spec, []
    else:
        base_text, *pieces = _OVERRIDE.split(spec)
    if base_text in ("defaults", "default", "ort-defaults"):
        profile = Profile(name="ort-defaults")
    else:
        profile = load_profile_arg(base_text)
        warn_if_won_elsewhere(profile, base_text)
    profile = apply_overrides(profile, common)
    for piece in pieces:
        try:
            profile = apply_override(profile, piece)
        except OrtbenchError as exc:
            raise OrtbenchError(f"--profile {spec}: {exc}") from None
    label = override_label(pieces)
    if label:
        profile.name = f"{profile.name}+{label}"
    return profile


def _is_result_file(text: str) -> bool:
    return text.lower().endswith(".json")


def _write_outputs(
    args: argparse.Namespace, comp: Any, results: Sequence[RunResult | None]
) -> None:
    from ..bench.compare import comparison_csv, comparison_markdown
    from ..bench.result_record import record_dict
    from ..profile import atomic_write_text

    if args.markdown:
        atomic_write_text(
            Path(args.markdown),
            comparison_markdown(comp),
            overwrite=args.overwrite,
            make_parents=False,
        )
    if args.csv:
        atomic_write_text(
            Path(args.csv), comparison_csv(comp), overwrite=args.overwrite, make_parents=False
        )
    if args.json:
        # A profile that ran nothing is {} in the file, as it always was.
        records = [record_dict(r) if r is not None else {} for r in results]
        out = {"comparison": comp.to_dict(), "results": records}
        emit_json(out, args.json, overwrite=args.overwrite)


def _decide_settings(args: argparse.Namespace) -> Any:
    from ..bench.compare.until import DecideSettings
    from ..bench.stopping import DEFAULT_DECIDE_BUDGET_S

    if not args.until_decided:
        return None
    return DecideSettings(budget_s=args.budget or DEFAULT_DECIDE_BUDGET_S)


def _compare_curves(args: argparse.Namespace) -> int:
    """Two curves of one grid, point by point (`ortbench curve` wrote them)."""
    from ..bench.curve import compare_curves, format_curve_comparison

    if len(args.inputs) != 2:
        raise OrtbenchError("curves compare two at a time: CURVE_A.json CURVE_B.json")
    comp = compare_curves(args.inputs[0], args.inputs[1], margin=args.margin)
    if args.json:
        emit_json(comp.to_dict(), args.json, overwrite=args.overwrite)
    if args.json != "-":
        print(format_curve_comparison(comp))
    return 0


def execute(args: argparse.Namespace) -> int:
    from ..bench.compare import CompareFinished, CompareRequest, format_comparison, start_compare
    from ..bench.compare import compare_files as offline
    from ..bench.job import drive

    if not 0 <= args.margin < 1:
        raise OrtbenchError(f"--margin: expected a fraction in [0, 1), got {args.margin}")
    check_outputs(
        {"--markdown": args.markdown, "--csv": args.csv, "--json": args.json}, args.overwrite
    )
    if all(_is_result_file(x) for x in args.inputs):
        live_only = [
            flag
            for flag, given in (
                ("--profile", args.profile),
                ("--set", args.overrides),
                ("--interleave", args.interleave),
                ("--runs", args.runs is not None),
                ("--duration", args.duration is not None),
                ("--max-duration", args.max_duration is not None),
                ("--until-decided", args.until_decided),
                ("--shape/--input/--inputs", has_input_flags(args)),
            )
            if given
        ]
        if live_only:
            raise OrtbenchError(
                f"{', '.join(live_only)}: only for a live comparison (MODEL --profile A "
                "--profile B); result files are compared as they were measured"
            )
        from ..bench.curve import is_curve_file

        if is_curve_file(args.inputs[0]):
            return _compare_curves(args)
        comp, results = offline(args.inputs, margin=args.margin)
        _write_outputs(args, comp, results)
        if args.json != "-":
            print(format_comparison(comp))
        return 0
    if len(args.inputs) != 1:
        raise OrtbenchError(
            "expected one MODEL with --profile twice or more, or two or more RESULT.json files"
        )
    if len(args.profile) < 2:
        raise OrtbenchError(
            "a live comparison needs --profile twice or more (FILE or defaults, e.g. "
            "--profile defaults --profile defaults+session.intra_op_num_threads=1)"
        )
    if args.budget is not None and not args.until_decided:
        raise OrtbenchError("--budget: only with --until-decided")
    common = list(args.overrides)
    counts = count_overrides(args.runs, args.duration, args.warmup, args.max_duration)
    profiles = [apply_overrides(parse_profile_spec(spec, common), counts) for spec in args.profile]
    request = CompareRequest(
        model=args.inputs[0],
        profiles=profiles,
        interleave=args.interleave or args.until_decided,
        sessions=args.sessions,
        margin=args.margin,
        save_history=not args.no_history,
        until_decided=_decide_settings(args),
        inputs=input_spec_from_args(args, args.inputs[0]),
    )
    progress = ProgressLine(not args.quiet)
    job = start_compare(request)
    try:
        finished = drive(job, CompareFinished, progress, "comparison")
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C, SIGTERM, SIGHUP (cli.py)
        quietly(progress.clear)
        partial = job.partial(interruption(exc))
        if partial is not None:  # kept in history by the job; here --json and the table
            quietly(lambda: _show(args, partial))
        raise
    finally:
        quietly(progress.clear)
    _show(args, finished)
    return 0


def _show(args: argparse.Namespace, finished: Any) -> None:
    from ..bench.compare import format_comparison

    _write_outputs(args, finished.comparison, finished.results)
    if args.json != "-":
        print(format_comparison(finished.comparison))
