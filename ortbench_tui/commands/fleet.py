"""`ortbench fleet MODEL... --profile P`: every (model, profile) on every selected node of a
Ray cluster, and one table across them. `--load --rate R` (or `--find-max --slo p99=1ms`, any
option of `ortbench load`) runs open-loop load jobs there instead of timed runs.
`ortbench fleet --history [--host H]`: saved results with their host. Ray is imported only
when a fleet run starts (the extra `[fleet]`)."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OrtbenchError
from ..profile import Profile
from ..text import aligned_table, format_ms
from .common import (
    add_input_arguments,
    add_overwrite_argument,
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
from .load import add_traffic_arguments, traffic_request
from .progress import ProgressLine

if TYPE_CHECKING:
    from ..bench.load import LoadRequest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="*", metavar="MODEL", help=".onnx path or sample:NAME")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="FILE",
        help="profile TOML; repeat for several (default: ORT defaults)",
    )
    parser.add_argument(
        "--set", action="append", default=[], dest="overrides", metavar="KEY=VALUE",
        help="override a key in every profile, e.g. session.intra_op_num_threads=1",
    )  # fmt: skip
    add_input_arguments(parser)  # as `run` takes them; the files they name travel to the nodes
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--runs", type=positive_int, help="timed runs per job")
    count.add_argument(
        "--duration", type=positive_float, metavar="S",
        help="seconds per job (with --load: seconds of arrivals per step, 10)",
    )  # fmt: skip
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs")
    parser.add_argument(
        "--load", action="store_true",
        help="open-loop load on every node in place of timed runs, with the options of "
        "`ortbench load`: --rate R[,R2,...] or --find-max --slo p99=1ms, --arrivals, ...",
    )  # fmt: skip
    traffic = add_traffic_arguments(parser, duration=False)
    # Which options are load options, so that one given without --load is named.
    parser.set_defaults(load_options=[(a.option_strings[0], a.dest) for a in traffic])
    parser.add_argument(
        "--ray", metavar="ADDRESS", help="auto (default, or RAY_ADDRESS), local, or HOST:PORT"
    )
    parser.add_argument(
        "--nodes", action="append", default=[], metavar="SELECTOR",
        help="host:GLOB, ip:ADDR, id:PREFIX, label:KEY=VALUE, resource:NAME or a hostname "
        "glob; comma-separated terms match any (default: every node with the ortbench resource)",
    )  # fmt: skip
    parser.add_argument("--json", metavar="OUT", help="write the fleet report JSON (- for stdout)")
    parser.add_argument("--markdown", metavar="OUT", help="write the report as Markdown")
    parser.add_argument("--csv", metavar="OUT", help="write one CSV line per job")
    add_overwrite_argument(parser)
    parser.add_argument("--no-history", action="store_true", help="do not keep the results")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    parser.add_argument(
        "--history", action="store_true", help="list saved runs with their host, then exit"
    )
    parser.add_argument("--host", metavar="GLOB", help="with --history: only these hosts")


def _profiles(args: argparse.Namespace) -> list[Profile]:
    # With --load, --duration is each step's length, not a run's: only --warmup is a count.
    if args.load:
        extra = count_overrides(None, None, args.warmup)
    else:
        extra = count_overrides(args.runs, args.duration, args.warmup)
    paths = args.profile or [None]
    profiles = [profile_from_args(p, args.overrides + extra) for p in paths]
    names = [p.name for p in profiles]
    if len(set(names)) != len(names):
        raise OrtbenchError(f"two profiles share a name ({', '.join(names)}); rename one")
    return profiles


def show_history(args: argparse.Namespace) -> int:
    from ..fleet.history import history_by_host, host_history_json

    entries, unreadable = history_by_host(args.host)
    if unreadable:
        print(f"ortbench: warning: {unreadable}", file=sys.stderr)
    if args.json:
        emit_json(host_history_json(entries), args.json)
        if args.json == "-":
            return 0
    rows = [("created", "host", "model", "profile", "p50", "p99", "runs", "status")]
    rows += [
        (
            e.created,
            e.host,
            e.model,
            e.profile,
            format_ms(e.p50_ms),
            format_ms(e.p99_ms),
            str(e.runs),
            e.status,
        )  # fmt: skip
        for e in entries
    ]
    print("\n".join(aligned_table(rows, {4, 5, 6})) if entries else "no saved runs match")
    return 0


def execute(args: argparse.Namespace) -> int:
    if args.history:
        return show_history(args)
    check_outputs(
        {"--markdown": args.markdown, "--csv": args.csv, "--json": args.json}, args.overwrite
    )
    if not args.models:
        raise OrtbenchError("fleet needs at least one MODEL (or --history)")
    load = load_request(args)
    profiles = _profiles(args)
    inputs = {m: input_spec_from_args(args, m) for m in dict.fromkeys(args.models)}
    from ..bench.job import drive
    from ..fleet.job import FleetFinished, FleetJob
    from .run_outputs import keep_in_history

    job = FleetJob(
        args.models, profiles, args.ray, args.nodes, run_id=uuid.uuid4().hex, inputs=inputs,
        load=load, keep=None if args.no_history else keep_in_history,
    )  # fmt: skip
    progress = ProgressLine(not args.quiet, fleet_notes)
    try:
        # Ray's text (a raylet's note on a dead worker, in colour) goes to stdout at any time:
        # while Ray runs, fd 1 is stderr, so stdout holds only what ortbench writes after.
        with stdout_to_stderr():
            done = drive(job, FleetFinished, progress, "fleet run")
    except (KeyboardInterrupt, SystemExit):  # kept in history already; --json and the table
        with stdout_to_stderr():  # the agents' last messages, as above
            partial = job.partial(progress)
        if partial is not None:
            quietly(progress.clear)
            quietly(lambda: _emit(args, partial.report, 0))
        raise
    finally:
        quietly(progress.clear)
    return _emit(args, done.report, done.version_skips)


def load_request(args: argparse.Namespace) -> LoadRequest | None:
    """With --load: the traffic every node offers (the model, profile and inputs are each
    job's own); None without it. A load option without --load, or --runs with it, is refused."""
    if not args.load:
        given = [
            flag for flag, dest in args.load_options if getattr(args, dest) not in (None, False)
        ]
        if given:
            raise OrtbenchError(f"{', '.join(given)}: a load option; add --load to run load jobs")
        return None
    if args.runs is not None:
        raise OrtbenchError(
            "--runs counts timed runs; a load job's steps last --duration seconds at each "
            "--rate: leave out --runs with --load"
        )
    from ..inputs.spec import InputSpec

    return traffic_request(args, "", [], InputSpec())


@contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """fd 1 points at stderr inside (for this process and every process it starts)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _emit(args: argparse.Namespace, report: Any, version_skips: int) -> int:
    from ..fleet.report import exit_code, format_report, report_csv, report_dict, report_markdown
    from ..profile import atomic_write_text

    if args.json:
        emit_json(report_dict(report), args.json, overwrite=args.overwrite)
    if args.markdown:
        atomic_write_text(
            Path(args.markdown),
            report_markdown(report),
            overwrite=args.overwrite,
            make_parents=False,
        )
    if args.csv:
        atomic_write_text(
            Path(args.csv), report_csv(report), overwrite=args.overwrite, make_parents=False
        )
    if args.json != "-":
        print(format_report(report))
    code = exit_code(report)
    return 2 if code == 0 and version_skips else code


def fleet_notes(event: object) -> str | None:
    """The lines that stay on stderr: a node's news, and each job's outcome on its node."""
    from ..fleet.driver import JobOutcome, NodeStatus
    from ..fleet.report import load_row

    if isinstance(event, NodeStatus) and event.message:
        return f"{event.node.label}: {event.message}"
    if isinstance(event, JobOutcome):
        job = f"{event.job.model_name} · {event.job.profile.get('name')}"
        if event.status == "ok" and event.job.load is not None:
            what = load_row(event).summary()
        elif event.status == "ok" and event.result:
            lat = event.result["latency_ms"]
            what = f"p50 {format_ms(lat['p50'])}  p99 {format_ms(lat['p99'])}"
        else:
            what = f"{event.status}: {event.message.removeprefix(event.node.label + ': ')}"
        return f"{event.node.label}: {job}: {what}"
    return None
