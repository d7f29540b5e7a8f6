"""`ortbench sweep MODEL --grid KEY=V1,V2 ...`: the best settings within a time budget.

    ortbench sweep MODEL [--profile BASE] --grid KEY=V1,V2... [--budget S] [--until-decided]
                         [--save-best FILE]

Progress (each round's ranked table) goes to stderr; the final table to stdout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError
from .common import (
    add_input_arguments,
    add_json_argument,
    add_overwrite_argument,
    add_profile_arguments,
    check_outputs,
    emit_json,
    input_spec_from_args,
    profile_from_args,
    quietly,
)
from .progress import ProgressLine


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    add_input_arguments(parser)
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="an axis of the grid, by TOML key path (repeat for more axes), e.g. "
        "--grid session.intra_op_num_threads=1,2 --grid run.io_binding=true,false",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=60.0,
        metavar="S",
        help="wall-clock seconds for the whole search (default 60)",
    )
    parser.add_argument(
        "--eta", type=int, default=2, help="keep the best 1/eta each round (default 2)"
    )
    parser.add_argument(
        "--until-decided",
        action="store_true",
        help="within each round, stop measuring a candidate once it is decided slower than the "
        "round's best (5%% error per candidate), so the time goes to the close calls",
    )
    parser.add_argument("--save-best", metavar="FILE", help="save the winner as a TOML profile")
    add_overwrite_argument(parser)
    add_json_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the ranked table as Markdown")
    parser.add_argument("--csv", metavar="OUT", help="write the ranked table as CSV")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def sweep_notes(event: object) -> str | None:
    """The lines that stay on stderr: the plan, each round's start, and each round's
    ranked table when it ends (the live line shows the rest)."""
    from ..bench.sweep import SweepUpdate, format_table

    if not isinstance(event, SweepUpdate) or event.stage == "measuring":
        return None
    line = f"[{event.elapsed_s:6.1f} s] {event.message}"
    if event.stage == "round_done":
        return f"{line}\n{format_table(event.candidates)}\n\n"
    return line


def process_started() -> float | None:
    """When `ortbench` started (cli.STARTED), so the budget includes its start-up; None when
    the command runs without the CLI entry point."""
    cli = sys.modules.get("ortbench_tui.cli")
    started = getattr(cli, "STARTED", None)
    return float(started) if isinstance(started, float) else None


def execute(args: argparse.Namespace) -> int:
    from ..bench.job import drive
    from ..bench.sweep import SweepRequest, SweepResult, SweepRun, parse_grid

    if args.budget <= 0:
        raise OrtbenchError(f"--budget: expected a positive number of seconds, got {args.budget}")
    if args.eta < 2:
        raise OrtbenchError(f"--eta: expected an integer >= 2, got {args.eta}")
    axes = parse_grid(args.grid)
    base = profile_from_args(args.profile, args.overrides)
    check_outputs(
        {
            "--save-best": args.save_best,
            "--markdown": args.markdown,
            "--csv": getattr(args, "csv", None),
            "--json": args.json,
        },
        args.overwrite,
    )
    request = SweepRequest(
        model=args.model,
        base=base,
        axes=axes,
        budget_s=args.budget,
        eta=args.eta,
        inputs=input_spec_from_args(args, args.model),
        until_decided=args.until_decided,
        started=process_started(),
    )
    progress = ProgressLine(not args.quiet, sweep_notes)
    job = SweepRun(request)
    try:
        result = drive(job, SweepResult, progress, "sweep")
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM, SIGHUP (cli.py)
        quietly(progress.clear)
        partial = job.partial()  # the ranking so far, marked cancelled: --json and the table
        quietly(lambda: _outputs(args, partial, None))
        raise
    finally:
        quietly(progress.clear)
    saved = None
    if args.save_best:
        saved = result.save_best(args.save_best, overwrite=args.overwrite)
    _outputs(args, result, saved)
    return 0


def _outputs(args: argparse.Namespace, result: Any, saved: Path | None) -> None:
    """--markdown, --csv, --json and the table of a finished or interrupted sweep."""
    from ..bench.sweep import format_sweep, sweep_csv, sweep_markdown
    from ..profile import atomic_write_text

    if args.markdown:
        atomic_write_text(
            Path(args.markdown),
            sweep_markdown(result),
            overwrite=args.overwrite,
            make_parents=False,
        )
    if args.csv:
        atomic_write_text(
            Path(args.csv), sweep_csv(result), overwrite=args.overwrite, make_parents=False
        )
    if args.json:
        out = result.to_dict()
        out["saved_best"] = str(saved) if saved else None
        emit_json(out, args.json, overwrite=args.overwrite)
    if args.json != "-":
        print(format_sweep(result))
        if saved:
            print(f"saved the best as {saved}")
