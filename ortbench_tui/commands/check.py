"""`ortbench check MODEL --baseline NAME`: did the model get slower than its baseline?
`ortbench check MODEL --profile P`: is a saved best profile still faster than what it beat?

Exit codes (for CI): 0 no regression beyond the margin (a profile: still faster, or equal
within the margin), 3 a decided regression (a profile: now slower than what it beat), 4
undecided within the budget, 2 not comparable (another model file; for a baseline also other
inputs or another machine) unless --compare-anyway, a profile without provenance, or bad
input; 1 a run that failed.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import (
    add_json_argument,
    add_overwrite_argument,
    check_outputs,
    emit_json,
    positive_float,
)

EPILOG = (
    "exit 0: no regression beyond the margin (--profile: still faster, or equal within the "
    "margin); 3: a decided regression (--profile: now slower than what it beat); 4: undecided "
    "within the budget; 2: not comparable, a profile without provenance, or bad input; "
    "1: a run failed"
)


def percent(text: str) -> float:
    """'3%' or '3' -> 0.03."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage like 3%, got {text!r}") from None
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"expected a percentage in [0, 100), got {text!r}")
    return value / 100.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "model",
        nargs="?",
        help="the model to check (default: the baseline's or the profile's own model)",
    )
    against = parser.add_mutually_exclusive_group(required=True)
    against.add_argument("--baseline", metavar="NAME", help="see `baseline list`")
    against.add_argument(
        "--profile",
        metavar="FILE|NAME",
        help="a profile saved by `sweep --save-best` or `practices --save-best`: measure it "
        "again against the profile it beat, interleaved until decided",
    )
    parser.add_argument(
        "--margin",
        type=percent,
        metavar="X%",
        help="a slowdown below this is no regression (default 5%%; --profile: the margin "
        "the profile won with)",
    )
    parser.add_argument(
        "--budget",
        type=positive_float,
        metavar="S",
        help="wall seconds at most, set-up included (default 120; --profile: seconds of timed "
        "rounds, as compare --until-decided)",
    )
    parser.add_argument(
        "--compare-anyway",
        action="store_true",
        help="measure even when the model file, inputs or machine differ (and say what differs)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_json_argument(parser)
    add_overwrite_argument(parser)


def execute(args: argparse.Namespace) -> int:
    from ..bench.baseline.decide import DEFAULT_MARGIN
    from ..bench.baseline.jobs import DEFAULT_BUDGET_S, CheckJob, CheckResult
    from ..bench.baseline.store import load_baseline
    from ..bench.job import drive
    from .progress import ProgressLine

    check_outputs({"--json": args.json}, args.overwrite)
    if args.profile is not None:
        return _check_profile(args)
    baseline = load_baseline(args.baseline)
    job = CheckJob(
        baseline,
        model=args.model,
        margin=DEFAULT_MARGIN if args.margin is None else args.margin,
        budget_s=args.budget or DEFAULT_BUDGET_S,
        compare_anyway=args.compare_anyway,
    )
    progress = ProgressLine(not args.quiet)
    try:
        result = drive(job, CheckResult, progress, "check")
    except KeyboardInterrupt:
        job.cancel()
        raise
    finally:
        progress.clear()
    if args.json:
        emit_json(check_json(result), args.json, overwrite=args.overwrite)
    if args.json != "-":
        print("\n".join(check_lines(result)))
    return result.exit_code


def check_json(result: Any) -> dict[str, Any]:
    v = result.verdict
    return {
        "kind": "check",
        "baseline": result.baseline.name,
        "model": {
            "spec": result.model.spec,
            "path": str(result.model.path),
            "sha256": result.model.sha256,
        },
        "outcome": v.outcome.value if v else "undecided",
        "exit_code": result.exit_code,
        "ratio": v.ratio if v else None,
        "ci": [v.low, v.high] if v else None,
        "ci_level": v.level if v else None,
        "margin": v.margin if v else None,
        "units": len(result.units),
        "baseline_units": len(result.baseline.log_values),
        "unit_spread_pct": {"baseline": v.baseline_spread_pct, "now": v.spread_pct} if v else None,
        "reason": result.reason(),
        "differences": result.differences,
        "notes": result.notes,
        "wall_s": result.wall_s,
        "budget_s": result.budget_s,
        "cancelled": result.cancelled,
    }


def check_lines(result: Any) -> list[str]:
    from ..text import format_ms

    v = result.verdict
    now_ms = None
    if result.units:
        import math

        now_ms = math.exp(sum(u.log_value for u in result.units) / len(result.units))
    lines = [
        f"baseline  {result.baseline.name}  p50 {format_ms(result.baseline.record.get('p50_ms'))}"
        f"  ({len(result.baseline.log_values)} units, {result.baseline.record.get('created')})",
        f"now       {result.model.name}  p50 {format_ms(now_ms)}  ({len(result.units)} units, "
        f"{result.wall_s:.1f} s of a {result.budget_s:g} s budget)",
        f"verdict   {v.sentence() if v else 'undecided: no verdict yet'}",
    ]
    reason = result.reason()
    if reason:
        lines.append(f"why       {reason}")
    lines += [f"note: {n}" for n in result.notes]
    if result.cancelled:
        lines.append("note: cancelled; the verdict is from the units measured before")
    return lines


def _check_profile(args: argparse.Namespace) -> int:
    """The contest the saved profile won, run again (`bench.profile_check`)."""
    from ..bench.job import drive
    from ..bench.profile_check import ProfileCheckJob, ProfileCheckResult
    from ..bench.stopping import DEFAULT_DECIDE_BUDGET_S
    from ..profile import load_profile, resolve_profile_path
    from .common import interruption, quietly
    from .progress import ProgressLine

    path = resolve_profile_path(args.profile)
    profile = load_profile(path)
    job = ProfileCheckJob(
        profile,
        str(path),
        model=args.model,
        margin=args.margin,
        budget_s=args.budget or DEFAULT_DECIDE_BUDGET_S,
        compare_anyway=args.compare_anyway,
    )
    progress = ProgressLine(not args.quiet)
    try:
        result = drive(job, ProfileCheckResult, progress, "check")
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C, SIGTERM, SIGHUP (cli.py)
        quietly(progress.clear)
        partial = job.partial(interruption(exc))
        if partial is not None:
            quietly(lambda: _show_profile_check(args, partial))
        raise
    finally:
        quietly(progress.clear)
    _show_profile_check(args, result)
    return result.exit_code


def _show_profile_check(args: argparse.Namespace, result: Any) -> None:
    if args.json:
        emit_json(profile_check_json(result), args.json, overwrite=args.overwrite)
    if args.json != "-":
        print("\n".join(profile_check_lines(result)))


def profile_check_json(result: Any) -> dict[str, Any]:
    pair, prov = result.pair, result.provenance
    return {
        "kind": "profile check",
        "profile": result.profile.name,
        "beaten": prov.beaten_label,
        "model": {
            "spec": result.model.spec,
            "path": str(result.model.path),
            "sha256": result.model.sha256,
        },
        "outcome": result.outcome,
        "exit_code": result.exit_code,
        "verdict": pair.verdict if pair else None,
        "ratio": pair.ratio if pair else None,
        "ci": [pair.ci_low, pair.ci_high] if pair and pair.ci_low is not None else None,
        "margin": result.margin,
        "won": {
            "found_by": prov.found_by,
            "date": prov.date,
            "ort_version": prov.ort_version,
            "machine": prov.machine,
            "model_sha256": prov.model.get("sha256"),
            "ratio": prov.ratio,
            "ci": prov.ci,
        },
        "here": result.here,
        "differences": result.differences,
        "reason": result.reason(),
        "notes": result.notes,
        "stop": pair.stop_note if pair else "",
        "wall_s": result.wall_s,
        "budget_s": result.budget_s,
        "cancelled": result.cancelled,
        "history_paths": list(result.finished.history_paths) if result.finished else [],
    }


def profile_check_lines(result: Any) -> list[str]:
    from ..bench.profile_check import here_text, won_where
    from ..text import printable

    prov = result.provenance
    was = f" (it won by {prov.ratio_text()})" if prov.ratio is not None else ""
    lines = [
        f"profile   {printable(result.profile.name, True)}: won against "
        f"{printable(prov.beaten_label, True)}{was}",
        f"won       {printable(won_where(prov), True)}",
        f"here      {printable(here_text(result.here), True)}"
        + ("" if result.differences else " (the same)"),
        f"verdict   {printable(result.sentence(), True)}",
    ]
    if result.pair is not None and result.pair.stop_note:
        lines.append(f"stopped   {result.pair.stop_note}")
    reason = result.reason()
    if reason:
        lines.append(f"why       {reason}")
    lines += [f"note: {printable(n, True)}" for n in result.notes]
    if result.differences:
        differs = printable("; ".join(result.differences), True)
        lines.append(f"note: differs from where it won: {differs}")
    if result.cancelled:
        lines.append("note: cancelled; the verdict is from the rounds measured before")
    return lines
