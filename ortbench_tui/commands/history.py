"""`ortbench history`: the saved runs, curves and load results; `--trend MODEL [--profile P]`:
one group of runs over time.

ortbench history [--json]
ortbench history --trend MODEL [--profile P] [--set K=V]... [--json]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import add_json_argument, add_profile_arguments, emit_json

if TYPE_CHECKING:
    from ..bench.result_record import RunResult


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trend",
        metavar="MODEL",
        help="p50/p99 over time of this model's runs (a path or sample:NAME), grouped by "
        "profile settings and input shapes, with the step the trend rule finds",
    )
    add_profile_arguments(parser)
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    from ..bench.results import load_result, scan_history
    from ..errors import OrtbenchError

    scan = scan_history()
    for path, why in scan.skipped:
        print(f"skipped {path.name}: {why}", file=sys.stderr)
    if not args.trend:
        if args.profile or args.overrides:
            raise OrtbenchError("--profile/--set: only with --trend MODEL")
        return _list(scan.entries, args)
    results = []
    for entry in scan.entries:
        try:
            results.append((entry.path, load_result(entry.path)))
        except OrtbenchError:  # changed since the scan: skip it like the scan would
            continue
    return _trend(results, args)


def _list(entries: list[Any], args: argparse.Namespace) -> int:
    from ..text import aligned_table, format_ms, printable

    if args.json:
        emit_json(
            [
                {
                    "path": str(e.path),
                    "created": e.created,
                    "model": e.model,
                    "profile": e.profile,
                    "p50_ms": _number_or_null(e.p50_ms),
                    "p99_ms": _number_or_null(e.p99_ms),
                    "runs": e.runs,
                    "status": e.status,
                    "host": e.host,
                    "kind": e.kind,
                }
                for e in entries
            ],
            args.json,
        )
        return 0
    rows = [("created", "model", "profile", "p50", "p99", "runs", "status")]
    for e in entries:
        rows.append(
            (
                e.created[:19],
                printable(e.model, one_line=True),
                printable(e.profile, one_line=True),
                format_ms(e.p50_ms),
                format_ms(e.p99_ms),
                str(e.runs),
                e.status,
            )
        )
    for line in aligned_table(rows, {3, 4, 5}, indent=""):
        print(line.rstrip())
    return 0


def _number_or_null(value: float) -> float | None:
    """NaN (no figure: a load result with no whole step, a run without samples) is not JSON."""
    return None if value != value else value


def model_name(spec: str) -> str:
    """The name history files give a model: the sample spec, else the file stem."""
    from pathlib import Path

    return spec if spec.startswith("sample:") else Path(spec).stem


def _trend(results: list[tuple[Path, RunResult]], args: argparse.Namespace) -> int:
    from ..bench.trend import trend_json, trend_lines, trends
    from ..errors import OrtbenchError

    name = model_name(args.trend)
    found = [t for t in trends(results) if t.model == name]
    if args.profile or args.overrides:
        from ..bench.trend import profile_key
        from ..profile import profile_to_dict
        from .common import profile_from_args

        wanted = profile_key(profile_to_dict(profile_from_args(args.profile, args.overrides)))
        found = [t for t in found if t.profile_key == wanted]
    if not found:
        raise OrtbenchError(
            f"no finished runs of {name}"
            + (" with that profile" if args.profile or args.overrides else "")
            + " in the history"
        )
    if args.json:
        emit_json([trend_json(t) for t in found], args.json)
        return 0
    for trend in found:
        print("\n".join(trend_lines(trend)))
        print()
    return 0
