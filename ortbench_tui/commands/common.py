"""Pieces every subcommand shares: profile loading with --set, JSON output, the text histogram."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OrtbenchError
from ..profile import Profile, apply_overrides, load_profile_arg, override_label
from ..text import format_ms


def add_profile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--profile",
        metavar="FILE|NAME",
        help="profile TOML, or a profile's name (see `ortbench profiles`; default: ORT defaults)",
    )
    parser.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        dest="overrides",
        help="override a profile key by its TOML path, e.g. session.intra_op_num_threads=1",
    )


def profile_from_args(path: str | None, overrides: list[str], extra: Sequence[str] = ()) -> Profile:
    """The profile a command runs: FILE or NAME (else ORT defaults), then the user's --set
    (which name it: `ort-defaults+intra_op_num_threads=1`), then `extra` (counts, unnamed)."""
    profile = load_profile_arg(path) if path else Profile(name="ort-defaults")
    named = apply_overrides(profile, overrides)
    label = override_label(overrides)
    if label and named.name == profile.name:
        named.name = f"{profile.name}+{label}"
    return apply_overrides(named, list(extra))


def count_overrides(runs: int | None, duration: float | None, warmup: int | None) -> list[str]:
    """--runs/--duration/--warmup as --set assignments (applied after the user's --set)."""
    extra = []
    if runs is not None:
        extra += [f"run.timed_runs={runs}", "run.duration_s=0"]
    if duration is not None:
        extra.append(f"run.duration_s={duration}")
    if warmup is not None:
        extra.append(f"run.warmup_runs={warmup}")
    return extra


def emit_json(obj: Any, dest: str) -> None:
    """`-` writes to stdout (and nothing else goes there); a path is written atomically."""
    from ..profile import atomic_write_text

    text = json.dumps(obj, indent=2, allow_nan=False) + "\n"
    if dest == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(Path(dest), text, overwrite=True)


def _number(
    convert: Callable[[str], float], minimum: float, strict: bool, expected: str
) -> Callable[[str], Any]:
    """An argparse type: `convert` the text and require it >= (or >, if strict) `minimum`."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


positive_int = _number(int, 1, False, "a positive integer")
non_negative_int = _number(int, 0, False, "an integer >= 0")
positive_float = _number(float, 0.0, True, "a positive number")


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """`--json` alone means stdout; `--json FILE` writes the file."""
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="OUT",
        help="write JSON (to stdout when no file is given)",
    )


def text_histogram(samples_ns: np.ndarray, width: int = 40, rows: int = 8) -> str:
    """A small horizontal-bar histogram over log-spaced bins, for terminals and logs."""
    from ..bench.stats import histogram

    if samples_ns.size == 0:
        return "(no samples)"
    counts, edges = histogram(samples_ns, bins=rows)
    peak = max(int(counts.max()), 1)
    lines = []
    for count, lo, hi in zip(counts, edges[:-1], edges[1:], strict=True):
        bar = "█" * int(round(width * count / peak))
        lines.append(f"{format_ms(lo):>9} – {format_ms(hi):<9} {bar} {count}")
    return "\n".join(lines)


def require_file(path: str, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise OrtbenchError(f"{what} not found: {p}")
    return p
