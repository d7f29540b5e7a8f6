"""Where a measured run goes once it has ended (finished, failed or interrupted): history,
--json, --samples and the text on stdout. Every destination is tried whatever happened to the
others, so a run is never thrown away because one of them failed."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import OrtbenchError, WriteFailed

if TYPE_CHECKING:  # the engine is imported where a command runs, not when the parser is built
    from ..bench.result_record import RunResult
    from ..bench.results import Samples


def _warn(message: str) -> None:
    print(f"ortbench: warning: {message}", file=sys.stderr)


def keep_in_history(result: RunResult, samples_ns: Samples) -> None:
    """History is a convenience: a run it cannot keep is still printed and written where asked."""
    from ..bench.results import results_dir, save_to_history

    try:
        result.history_path = str(save_to_history(result, samples_ns))
    except Exception as exc:  # any failure here must not lose the run; say what it was
        note = f"not kept in history ({results_dir()}): {exc}"
        result.add_warning(note)
        _warn(note)


def keep_run(
    result: RunResult,
    samples_ns: Samples,
    args: argparse.Namespace,
    show: Callable[[RunResult, Samples], str],
) -> int:
    """History (a warning when it fails), then --json and --samples, then the text (unless
    --json - took stdout). Returns the exit code the outputs deserve: 0, or 2 when a path the
    user gave is unusable, or 1 when a write failed for another reason (disk full)."""
    from ..bench.result_record import record_dict
    from ..bench.results import json_samples, save_samples
    from .common import emit_json

    if not args.no_history:
        keep_in_history(result, samples_ns)
    failures: list[Exception] = []
    if args.samples:
        try:
            save_samples(samples_ns, Path(args.samples), overwrite=args.overwrite)
        except Exception as exc:
            failures.append(exc)
    json_ok = True
    if args.json and args.json != "-":
        # The samples beside the JSON make the file enough for `compare a.json b.json`; a
        # JSON whose samples could not be written (a full disk) is not written either.
        try:
            path = save_samples(samples_ns, json_samples(args.json), overwrite=args.overwrite)
            result.samples_path = str(path)
        except Exception as exc:
            failures.append(exc)
            if isinstance(exc, WriteFailed):  # a bad path is the JSON's own error, below
                json_ok = False
                failures.append(
                    WriteFailed(f"{args.json} not written: its samples could not be written")
                )
    if args.json and json_ok:
        try:
            emit_json(record_dict(result), args.json, overwrite=args.overwrite)
        except Exception as exc:
            failures.append(exc)
    if args.json != "-":
        try:
            print(show(result, samples_ns))
            sys.stdout.flush()
        except OSError:  # the terminal is gone (SSH dropped): history and files are kept
            pass
    for failure in failures:
        try:
            print(f"ortbench: error: {failure}", file=sys.stderr)
        except OSError:
            pass
    if not failures:
        return 0
    bad_path = any(
        isinstance(f, OrtbenchError) and not isinstance(f, WriteFailed) for f in failures
    )
    return 2 if bad_path else 1
