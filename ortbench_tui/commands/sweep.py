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
    add_profile_arguments,
    emit_json,
    input_spec_from_args,
    profile_from_args,
    quietly,
)


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
    parser.add_argument(
        "--overwrite", action="store_true", help="let --save-best replace an existing file"
    )
    add_json_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the ranked table as Markdown")
    parser.add_argument("--csv", metavar="OUT", help="write the ranked table as CSV")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


class SweepProgress:
    """Round by round on stderr: a line when a round starts, the ranked table when it ends."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()

    def __call__(self, event: Any) -> None:
        from ..bench.sweep import SweepUpdate, format_table

        if not self.enabled or not isinstance(event, SweepUpdate):
            return
        msg = event.message
        if msg.endswith("measuring"):
            if self.tty:
                best = next((c for c in event.candidates if c.median_ms is not None), None)
                lead = f" · leading #{best.index} {best.label}" if best else ""
                sys.stderr.write(f"\r\033[K{msg} · {event.elapsed_s:5.1f} s{lead}"[:200])
                sys.stderr.flush()
            return
        if self.tty:
            sys.stderr.write("\r\033[K")
        sys.stderr.write(f"[{event.elapsed_s:6.1f} s] {msg}\n")
        if " done:" in msg:
            sys.stderr.write(format_table(event.candidates) + "\n\n")
        sys.stderr.flush()


def execute(args: argparse.Namespace) -> int:
    from ..bench.runner import drain
    from ..bench.sweep import SweepRequest, SweepResult, SweepRun, parse_grid

    if args.budget <= 0:
        raise OrtbenchError(f"--budget: expected a positive number of seconds, got {args.budget}")
    if args.eta < 2:
        raise OrtbenchError(f"--eta: expected an integer >= 2, got {args.eta}")
    axes = parse_grid(args.grid)
    base = profile_from_args(args.profile, args.overrides)
    if args.save_best and Path(args.save_best).exists() and not args.overwrite:
        raise OrtbenchError(f"{args.save_best} already exists (use --overwrite to replace it)")
    request = SweepRequest(
        model=args.model,
        base=base,
        axes=axes,
        budget_s=args.budget,
        eta=args.eta,
        inputs=input_spec_from_args(args, args.model),
        until_decided=args.until_decided,
    )
    job = SweepRun(request)
    try:
        result = drain(job.events(), SweepResult, SweepProgress(not args.quiet), "sweep")
    except (KeyboardInterrupt, SystemExit):  # Ctrl-C, SIGTERM, SIGHUP (cli.py)
        partial = job.partial()  # the ranking so far, marked cancelled: --json and the table
        quietly(lambda: _outputs(args, partial, None))
        raise
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
            Path(args.markdown), sweep_markdown(result), overwrite=True, make_parents=False
        )
    if args.csv:
        atomic_write_text(Path(args.csv), sweep_csv(result), overwrite=True, make_parents=False)
    if args.json:
        out = result.to_dict()
        out["saved_best"] = str(saved) if saved else None
        emit_json(out, args.json)
    if args.json != "-":
        print(format_sweep(result))
        if saved:
            print(f"saved the best as {saved}")
