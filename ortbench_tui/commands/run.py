"""`ortbench run MODEL`: warm-up plus timed runs of one model with one profile."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OrtbenchError, RunFailed
from ..text import format_ms, printable
from .common import (
    add_input_arguments,
    add_overwrite_argument,
    add_profile_arguments,
    check_outputs,
    count_overrides,
    input_spec_from_args,
    interruption,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
    profile_from_args,
    text_histogram,
)
from .progress import ProgressLine
from .run_outputs import keep_run

if TYPE_CHECKING:
    from ..bench.result_record import RunResult
    from ..bench.results import Samples


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(parser)
    add_input_arguments(parser)
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--runs", type=positive_int, help="timed runs (overrides run.timed_runs)")
    count.add_argument(
        "--duration",
        type=positive_float,
        metavar="S",
        help="time by wall clock for S seconds (overrides run.duration_s)",
    )
    count.add_argument(
        "--until-ci",
        "--precision",  # the earlier name, kept: "precision" is otherwise the dtype
        dest="until_ci",
        type=percent,
        metavar="X%",
        help="measure until the p50's 95%% CI is within ±X%% of it, e.g. 2%% (sets "
        "run.until_ci_pct), or until --max-duration; --precision is the same flag",
    )
    parser.add_argument(
        "--max-duration",
        type=non_negative_float,
        metavar="S",
        help="seconds of timed runs at most, by count or with --until-ci (run.max_duration_s, "
        "default 60; 0 = no cap for runs by count)",
    )
    parser.add_argument("--warmup", type=non_negative_int, help="warm-up runs")
    parser.add_argument(
        "--json",
        metavar="OUT",
        help="write the result JSON (- for stdout); a file gets its raw samples beside it "
        "(OUT.npy), so `ortbench compare a.json b.json` gives a verdict",
    )
    parser.add_argument("--samples", metavar="OUT.npy", help="write raw samples (ns, int64)")
    add_overwrite_argument(parser)
    parser.add_argument("--no-history", action="store_true", help="do not keep the result")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def percent(text: str) -> float:
    """'2%' or '2' -> 2.0 (per cent), strictly between 0 and 100."""
    try:
        value = float(text.strip().rstrip("%"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a percentage like 2%, got {text!r}") from None
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"expected a percentage in (0, 100), got {text!r}")
    return value


def until_ci_overrides(until_ci: float | None, max_duration: float | None) -> list[str]:
    out = [f"run.until_ci_pct={until_ci:g}"] if until_ci is not None else []
    return out + ([f"run.max_duration_s={max_duration:g}"] if max_duration is not None else [])


def format_result(result: RunResult) -> str:
    from ..bench.result_record import ProvidersRecord, given

    lat = result.latency_ms
    prov = given(result.providers, ProvidersRecord())
    run = result.profile["run"]
    lines = [
        f"model    {printable(result.model_name(), True)}  "
        f"({printable(given(result.model.path, '?'), True)})",
        f"profile  {printable(result.profile_name(), True)}  ·  "
        f"{run['precision']}  ·  "
        f"EPs: {', '.join(given(prov.active, []))}"
        + ("  (FALLBACK)" if given(prov.fallback, False) else ""),
        f"runs     {result.runs} timed after {given(result.warmup_runs, 0)} warm-up"
        f"  ·  {given(result.wall_s, None) or 0:.2f} s  ·  status {result.run_status()}",
        "",
        "  p50       p90       p95       p99       p99.9     mean      std       min       max",
        "  "
        + "".join(
            f"{format_ms(given(getattr(lat, k), None)):<10}"
            for k in ("p50", "p90", "p95", "p99", "p999", "mean", "std", "min", "max")
        ),
        "",
        f"CV {given(result.cv, None) or 0:.1%}  ·  "
        f"{given(result.throughput_per_s, None) or 0:,.0f} inf/s  ·  "
        f"session create {format_ms(given(result.session_create_ms, None))}  ·  "
        f"first run {format_ms(given(result.first_run_ms, None))}  ·  "
        f"peak RSS {given(result.rss_peak_mb, None) or 0:.0f} MiB",
        f"percentiles: {given(result.percentile_method, '?')}",
    ]
    inputs = given(result.inputs, [])
    if inputs:
        from ..bench.run_inputs import input_lines

        lines += ["inputs:", *input_lines(inputs)]
    precision = run["precision"]
    if precision != "fp32":
        from ..precision import accuracy_lines, calibration_note

        lines.append(f"accuracy of {precision} against fp32 on the same inputs:")
        quantization = given(result.quantization, None)
        if quantization:
            from ..precision.int8 import quantization_note

            lines.append(f"  quantization: {quantization_note(quantization)}")
        lines += [f"  {line}" for line in accuracy_lines(given(result.accuracy, None))]
        note = calibration_note(run)
        if note:
            lines.append(f"  note: {note}")
    stopping = given(result.stopping, None)
    if stopping:
        from ..bench.run_watch import describe_stop

        lines.append(describe_stop(stopping))
    lines += [f"warning: {printable(w)}" for w in result.warning_texts()]
    return "\n".join(lines)


def show_result(result: RunResult, samples_ns: Samples) -> str:
    return f"{format_result(result)}\n\n{text_histogram(samples_ns)}"


def check_run_outputs(args: argparse.Namespace) -> None:
    """--json (and the samples it gets beside it) and --samples, checked before measuring."""
    outputs = {"--json": args.json, "--samples": args.samples}
    if args.json and args.json != "-":
        outputs["--json (its samples)"] = str(Path(args.json).with_suffix(".npy"))
    check_outputs(outputs, args.overwrite)


def execute(args: argparse.Namespace) -> int:
    from ..bench.job import JobFailed
    from ..bench.runner import RunRequest, follow_run, start_run

    if args.max_duration is not None and args.duration is not None:
        raise OrtbenchError("--max-duration: not with --duration (a run by time has its end)")
    if args.max_duration == 0 and args.until_ci is not None:
        raise OrtbenchError("--max-duration: with --until-ci it must be above 0")
    check_run_outputs(args)
    profile = profile_from_args(
        args.profile,
        args.overrides,
        count_overrides(args.runs, args.duration, args.warmup)
        + until_ci_overrides(args.until_ci, args.max_duration),
        warn_moved=True,
    )
    progress = ProgressLine(not args.quiet)
    inputs = input_spec_from_args(args, args.model)
    handle = start_run(RunRequest(model=args.model, profile=profile, inputs=inputs))
    try:
        outcome = follow_run(handle, progress)
    except (KeyboardInterrupt, SystemExit) as exc:  # Ctrl-C, SIGTERM or SIGHUP (see cli.py)
        try:
            progress.clear()
        except OSError:  # the terminal is gone
            pass
        handle.close()
        partial = handle.partial(interruption(exc), cancelled=True)
        if partial:
            keep_run(partial, handle.samples, args, show_result)
        raise
    progress.clear()
    if isinstance(outcome, JobFailed):
        if outcome.kind == "input":
            raise OrtbenchError(outcome.message)
        if outcome.partial:
            keep_run(outcome.partial, handle.samples, args, show_result)
        raise RunFailed(f"{handle.model_path}: {outcome.message}")
    # The store, not the array: a long run's samples are linked from disk, never loaded.
    return keep_run(outcome.result, handle.samples, args, show_result)
