"""`ortbench load`: open-loop traffic at a rate; response time from each request's arrival.

    ortbench load MODEL [--profile P]... (--rate R[,R2,...] | --find-max --slo p99=1ms)
                  [--arrivals poisson|constant] [--duration S] [--workers N] [--seed N]
                  [--mix DIM=V:W,...] [--json OUT] [--csv OUT] [--markdown OUT]

Progress goes to stderr (a line per step); the table, the search's answer and the verdicts to
stdout. Exit 0 when every step ran (a rate above capacity is a finding, not a failure), 1 when
a profile's worker failed, 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .common import (
    add_input_arguments,
    add_json_argument,
    add_overwrite_argument,
    check_outputs,
    emit_json,
    input_spec_from_args,
    non_negative_int,
    positive_float,
    positive_int,
)

if TYPE_CHECKING:
    from ..bench.load import LoadRequest
    from ..inputs.spec import InputSpec
    from ..profile import Profile

EPILOG = (
    "Two or more --profile: each runs the same schedules (same rates, same seed) in its own "
    "worker, and each is compared with the first on the SLO's percentile (p99 by default)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="FILE|NAME",
        help="profile (FILE, NAME or 'defaults', optionally +KEY=VALUE); repeat to compare "
        "profiles under the same schedule (default: ORT defaults)",
    )
    parser.add_argument(
        "--set", metavar="KEY=VALUE", action="append", default=[], dest="overrides",
        help="override a key in every profile, e.g. session.intra_op_num_threads=1",
    )  # fmt: skip
    add_traffic_arguments(parser)
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs per profile")
    add_input_arguments(parser)
    add_json_argument(parser)
    add_overwrite_argument(parser)
    parser.add_argument("--markdown", metavar="OUT", help="write the table as Markdown")
    parser.add_argument("--csv", metavar="OUT", help="write one row per step as CSV")
    parser.add_argument("--no-history", action="store_true", help="do not keep the result")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def add_traffic_arguments(
    parser: argparse.ArgumentParser, *, duration: bool = True
) -> list[argparse.Action]:
    """The options that say what traffic a load job offers (the rates or the search, the
    arrivals, threads, seed, mix, trace, drain); `ortbench fleet --load` takes these same ones.
    `duration=False` leaves --duration to a command that has its own (fleet's serves both).
    Returns the options added. Their defaults are None where the request has its own default
    (`traffic_request` fills it in), so a command can tell which were given."""
    added: list[argparse.Action] = []

    def add(*names: str, **kwargs: Any) -> None:
        if names == ("--duration",) and not duration:
            return
        added.append(parser.add_argument(*names, **kwargs))

    add(
        "--rate",
        metavar="R[,R2,...]",
        help="offered rate in requests/s; several make a curve of response time against rate",
    )
    add(
        "--find-max",
        action="store_true",
        help="search for the highest rate whose response time meets --slo",
    )
    add(
        "--slo",
        metavar="pP=BOUND",
        help="a response-time target, e.g. p99=1ms or p99.9=500us (with --find-max, or to "
        "judge each --rate step)",
    )
    add(
        "--arrivals",
        choices=["poisson", "constant"],
        help="arrival process (default poisson: independent callers)",
    )
    add("--duration", type=positive_float, metavar="S", help="seconds of arrivals per step (10)")
    add(
        "--workers",
        type=positive_int,
        metavar="N",
        help="serving threads on the one session (default 1)",
    )
    add("--seed", type=non_negative_int, help="arrival seed (0)")
    add(
        "--mix",
        metavar="DIM=V:W,...",
        help="a mix of request shapes by a named dim, e.g. sequence=16:50,64:30,256:20",
    )
    add(
        "--trace",
        metavar="FILE.csv",
        help="replay recorded arrivals: a CSV with a header time_s[,DIM] (seconds; DIM a named "
        "dim's size per request), in place of --rate/--arrivals/--duration/--mix",
    )
    add(
        "--start-rate", type=positive_float, metavar="R",
        help="--find-max: the first rate tried (default: half the warm-up's capacity)",
    )  # fmt: skip
    add(
        "--max-steps", type=positive_int, metavar="N",
        help="--find-max: at most N steps (default 12)",
    )  # fmt: skip
    add(
        "--drain", type=positive_float, metavar="S",
        help="how long the queue may take to empty after the last arrival (default: the "
        "step's length); what is left is given up and counted",
    )  # fmt: skip
    return added


class LoadProgressLine:
    """On stderr: the job's progress line (self-overwriting on a terminal), a line per step."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.tty = sys.stderr.isatty()

    def __call__(self, event: Any) -> None:
        from ..bench.job import JobProgress
        from ..bench.load import LoadStepDone
        from ..bench.load.report import step_row

        if not self.enabled:
            return
        if isinstance(event, JobProgress) and self.tty:
            total = f"/{event.total:,.0f}" if event.total else ""
            eta = f"  eta {event.eta_s:4.0f} s" if event.eta_s is not None else ""
            sys.stderr.write(
                f"\r\033[K{event.phase}  {event.done:,.0f}{total}  {event.detail}  "
                f"{event.elapsed_s:5.1f} s{eta}"
            )
            sys.stderr.flush()
        elif isinstance(event, LoadStepDone):
            r = step_row(event.profile, event.step)
            text = (
                f"{r[0]} at {r[1]}/s: achieved {r[2]}/s, response p50 {r[3]} p99 {r[5]}, "
                f"service p50 {r[7]} p99 {r[8]}, kept up {r[12]}" + (f", {r[13]}" if r[13] else "")
            )
            sys.stderr.write(("\r\033[K" if self.tty else "") + text + "\n")
            sys.stderr.flush()


def run_keeping_partial(request: Any, on_event: Any) -> Any:
    """Run the job; the first Ctrl-C (or SIGTERM) stops it the way esc does in the TUI, so
    the step being measured is kept and reported; a second one interrupts at once."""
    import signal
    import threading

    from ..bench.job import drive
    from ..bench.load import LoadFinished, LoadJob

    job = LoadJob(request)
    if threading.current_thread() is not threading.main_thread():
        return drive(job, LoadFinished, on_event, "load job")

    def stop(signum: int, frame: object) -> None:
        if job.cancelled:
            raise KeyboardInterrupt
        print("\nortbench: stopping; what was measured is kept", file=sys.stderr)
        job.cancel()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return drive(job, LoadFinished, on_event, "load job")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def traffic_request(
    args: argparse.Namespace, model: str, profiles: list[Profile], inputs: InputSpec
) -> LoadRequest:
    """The load request the traffic options (`add_traffic_arguments`) ask for, checked: the
    options that exclude each other refused with the reason, every value parsed."""
    from ..bench.load import LoadRequest, parse_mix, parse_rates, parse_slo, read_trace
    from ..errors import OrtbenchError

    if args.trace and (args.rate or args.find_max or args.mix or args.duration):
        raise OrtbenchError(
            "--trace replays the file's own arrivals and sizes: leave out --rate, --find-max, "
            "--mix and --duration"
        )
    if args.find_max and args.rate:
        raise OrtbenchError("--find-max searches the rate itself: give --rate or --find-max")
    if args.find_max and not args.slo:
        raise OrtbenchError("--find-max needs a target, e.g. --slo p99=1ms")
    if not args.find_max and not args.rate and not args.trace:
        raise OrtbenchError("give --rate R (requests/s), or --find-max --slo p99=1ms")
    defaults = LoadRequest(model, profiles)
    request = LoadRequest(
        model=model,
        profiles=profiles,
        rates=parse_rates(args.rate) if args.rate else [],
        slo=parse_slo(args.slo) if args.slo else None,
        arrivals=args.arrivals or defaults.arrivals,
        workers=args.workers or defaults.workers,
        seed=args.seed if args.seed is not None else defaults.seed,
        mix=parse_mix(args.mix) if args.mix else None,
        inputs=inputs,
        drain_s=args.drain,
        start_rate=args.start_rate,
        max_steps=args.max_steps or defaults.max_steps,
        trace=read_trace(args.trace) if args.trace else None,
    )
    if args.duration is not None:
        request.duration_s = args.duration
    return request


def execute(args: argparse.Namespace) -> int:
    from ..bench.load import format_load, load_csv, load_markdown
    from ..errors import OrtbenchError, RunFailed
    from ..profile import atomic_write_text
    from .compare import parse_profile_spec

    extra = [f"run.warmup_runs={args.warmup}"] if args.warmup is not None else []
    specs = args.profile or ["defaults"]
    profiles = [parse_profile_spec(s, [*args.overrides, *extra]) for s in specs]
    names = [p.name for p in profiles]
    if len(set(names)) < len(names):
        raise OrtbenchError(f"--profile: the same profile is given twice ({', '.join(names)})")
    request = traffic_request(args, args.model, profiles, input_spec_from_args(args, args.model))
    request.save_history = not args.no_history
    check_outputs(
        {"--json": args.json, "--markdown": args.markdown, "--csv": args.csv}, args.overwrite
    )
    done = run_keeping_partial(request, LoadProgressLine(not args.quiet))
    if args.markdown:
        atomic_write_text(Path(args.markdown), load_markdown(done.result), args.overwrite)
    if args.csv:
        atomic_write_text(Path(args.csv), load_csv(done.result), args.overwrite)
    if args.json:
        result = {**done.result, "saved": str(done.path) if done.path else None}
        emit_json(result, args.json, overwrite=args.overwrite)
    if args.json != "-":
        print(format_load(done.result))
        if done.path:
            print(f"saved {done.path}")
    failed = [p for p in done.profiles if p.failed]
    if not any(p.steps for p in done.profiles) and not done.cancelled:
        raise RunFailed("no step of the load job could be measured")
    if failed:
        for p in failed:
            print(f"ortbench: {p.profile.name}: {p.failed}", file=sys.stderr)
        return 1
    return 0
