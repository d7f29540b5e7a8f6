"""`ortbench`: the TUI by default, and the same engine headless for scripts and CI.

Exit codes: 0 ok, 2 bad input (path, TOML, key, unavailable EP), 1 a run that failed.
Each subcommand lives in `commands/` with `add_arguments(parser)` and `execute(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable
from typing import Any

from . import __version__
from .errors import OrtbenchError, RunFailed, WriteFailed
from .text import printable

# One BLAS thread in this process and every worker it starts, set before anything imports
# numpy (OpenBLAS reads it when it loads; the modules above do not import it): ortbench's
# own numpy work is small, and OpenBLAS's pool threads spin after each call: one matrix
# product per live batch once kept a whole core of a 2-core machine busy beside the
# measurement. A user's own setting is kept. OMP_NUM_THREADS is left alone: an execution
# provider built on OpenMP would read it in the worker and measure a different profile.
for _blas in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas, "1")

STARTED = time.perf_counter()
"""When ortbench started: a job's wall-time budget (sweep) counts from here. The import of this
module for the command line (so start-up counts), or the call of `main` for a caller that
runs ortbench in-process long after importing it (a script, the test suite: a sweep's budget
was once spent on other tests before it began)."""
IMPORT_GRACE_S = 2.0
"""A first `main` call later than this after the import starts the clock anew."""
_MAIN_CALLED = [False]

COMMANDS = {
    "tui": "open the terminal workbench (the default)",
    "detect": "CPU, cores, memory, GPUs, ORT version and the EPs that really work",
    "models": "inputs, outputs, opset and size of ONNX models",
    "samples": "list or write the built-in sample models",
    "profiles": "list the profiles a NAME can refer to, and where each lives",
    "run": "warm-up plus timed runs of one model with one profile",
    "compare": "compare profiles on a model, or saved results, with a verdict",
    "sweep": "search a grid of profile settings within a time budget",
    "practices": "check the seed article's practices on a model, one at a time",
    "trace": "per-operator time and EP placement from ORT's profiler",
    "fleet": "run models and profiles on every node of a Ray cluster, one table across them",
    "curve": "latency and throughput across batch sizes, sequence lengths and concurrency",
    "load": "open-loop traffic: response time from arrival, the highest rate an SLO allows",
    "baseline": "save, list, show or remove named baselines for `check`",
    "check": "did a model get slower than its baseline, or a saved best profile than what it "
    "beat? (exit 0 no, 3 yes, 4 undecided)",
    "history": "saved runs, and the trend of one model and profile over time",
}


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad usage already; keep its message short and clear."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"ortbench: error: {message}\n")


def build_parser(commands: Iterable[str] = COMMANDS) -> argparse.ArgumentParser:
    """The `ortbench` parser with the given subcommands (every one by default)."""
    parser = _Parser(prog="ortbench", description="A terminal workbench for ONNX Runtime latency.")
    parser.add_argument("--version", action="version", version=f"ortbench {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for name in commands:
        help_text = COMMANDS[name]
        module = importlib.import_module(f".commands.{name}", __package__)
        cmd = sub.add_parser(
            name, help=help_text, description=help_text, epilog=getattr(module, "EPILOG", None)
        )
        module.add_arguments(cmd)
        cmd.set_defaults(_module=module)
    return parser


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


VALUE_OPTIONS = ("--profile",)
"""Options whose value may be a name that starts with '-' (a profile saved as `-tmp-x`)."""


def glue_dash_values(argv: list[str]) -> list[str]:
    """`--profile -tmp-x` -> `--profile=-tmp-x`: argparse would read `-tmp-x` as an option
    ("expected one argument"). Only values longer than a short flag (`-q` stays a flag)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) else ""
        if arg in VALUE_OPTIONS and len(value) > 2 and value[0] == "-" and value[1] != "-":
            out.append(f"{arg}={value}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def main(argv: list[str] | None = None) -> int:
    global STARTED
    now = time.perf_counter()
    if _MAIN_CALLED[0] or now - STARTED > IMPORT_GRACE_S:
        STARTED = now
    _MAIN_CALLED[0] = True
    argv = glue_dash_values(list(sys.argv[1:] if argv is None else argv))
    if not argv:
        # `ortbench` alone opens the workbench: declaring every other command would import
        # each command's module (~35 ms) before the first frame, for nothing.
        args = build_parser(["tui"]).parse_args(["tui"])
    else:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not args.command:
            args = parser.parse_args(["tui", *argv])
    previous: dict[int, Any] = {}
    if args.command != "tui" and threading.current_thread() is threading.main_thread():
        # SIGTERM and SIGHUP (an SSH session dropped, a tmux session killed) unwind like
        # Ctrl-C, so the worker is stopped, its log removed and a partial run kept (the default
        # action would end this process on the spot and leave the worker running).
        for signum in UNWINDING_SIGNALS:
            previous[signum] = signal.signal(signum, _terminated)
    try:
        return _execute(args)
    finally:
        for restored, handler in previous.items():
            signal.signal(restored, handler)


UNWINDING_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that end a command like Ctrl-C does (exit 128 + the signal), keeping what it measured."""


def _execute(args: argparse.Namespace) -> int:
    try:
        return int(args._module.execute(args))
    except WriteFailed as exc:  # before OrtbenchError: the path was fine, the write was not
        print(f"ortbench: error: {printable(exc)}", file=sys.stderr)
        return 1
    except OrtbenchError as exc:  # names in messages come from users: never raw escapes
        print(f"ortbench: error: {printable(exc)}", file=sys.stderr)
        return 2
    except RunFailed as exc:
        print(f"ortbench: run failed: {printable(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # `ortbench ... | head`: the reader left; not an error worth a traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("ortbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
