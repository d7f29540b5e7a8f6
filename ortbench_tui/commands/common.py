"""Pieces every subcommand shares: profile loading with --set, JSON output, the text histogram."""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import OrtbenchError

if TYPE_CHECKING:
    from ..bench.results import Samples
from ..profile import Profile, apply_overrides, load_profile_arg, override_label
from ..text import format_ms

if TYPE_CHECKING:  # numpy is imported where a command runs, not when the parser is built
    pass


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


def profile_from_args(
    path: str | None, overrides: list[str], extra: Sequence[str] = (), warn_moved: bool = False
) -> Profile:
    """The profile a command runs: FILE or NAME (else ORT defaults), then the user's --set
    (which name it: `ort-defaults+intra_op_num_threads=1`), then `extra` (counts, unnamed).
    `warn_moved`: say so on stderr when a saved best profile won on another ORT or machine."""
    profile = load_profile_arg(path) if path else Profile(name="ort-defaults")
    if warn_moved and path:
        warn_if_won_elsewhere(profile, path)
    named = apply_overrides(profile, overrides)
    label = override_label(overrides)
    if label and named.name == profile.name:
        named.name = f"{profile.name}+{label}"
    return apply_overrides(named, list(extra))


def warn_if_won_elsewhere(profile: Profile, given: str) -> None:
    """One warning line on stderr when a profile saved by `--save-best` won on another ORT
    version or machine than this one (`profile.mismatch_line`), naming the re-check."""
    if profile.provenance is None:
        return
    from ..hardware import detect, machine_fingerprint
    from ..profile import mismatch_line
    from ..text import printable

    here = machine_fingerprint(detect(probe_eps=False).to_dict())
    line = mismatch_line(given, profile.provenance, here)
    if line:
        print(f"warning: {printable(line, True)}", file=sys.stderr)


def count_overrides(
    runs: int | None,
    duration: float | None,
    warmup: int | None,
    max_duration: float | None = None,
) -> list[str]:
    """--runs/--duration/--warmup/--max-duration as --set assignments (applied after the
    user's --set)."""
    extra = []
    if runs is not None:
        extra += [f"run.timed_runs={runs}", "run.duration_s=0"]
    if duration is not None:
        extra.append(f"run.duration_s={duration}")
    if warmup is not None:
        extra.append(f"run.warmup_runs={warmup}")
    if max_duration is not None:
        extra.append(f"run.max_duration_s={max_duration:g}")
    return extra


def add_max_duration_argument(parser: argparse.ArgumentParser, per: str) -> None:
    """--max-duration S: the time cap of timed runs by count (run.max_duration_s), which
    the capped result's warning names."""
    parser.add_argument(
        "--max-duration",
        type=non_negative_float,
        metavar="S",
        help=f"seconds of timed runs {per} at most when measuring by count "
        "(run.max_duration_s, default 60; 0 = no cap)",
    )


def emit_json(obj: Any, dest: str, overwrite: bool = True) -> None:
    """`-` writes to stdout (and nothing else goes there); a path is written atomically,
    replacing an existing file only when `overwrite`."""
    from ..profile import atomic_write_text

    text = json.dumps(obj, indent=2, allow_nan=False) + "\n"
    if dest == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        atomic_write_text(Path(dest), text, overwrite=overwrite, make_parents=False)


OVERWRITE_HELP = "let the files this command writes (--json, --markdown, ...) replace existing ones"


def add_overwrite_argument(parser: argparse.ArgumentParser, help: str = OVERWRITE_HELP) -> None:
    parser.add_argument("--overwrite", action="store_true", help=help)


def check_outputs(outputs: dict[str, str | None], overwrite: bool) -> None:
    """Refuse, before anything is measured, an output path that could not be written at the
    end: an existing file (without --overwrite), a folder, or a path whose folder is missing.
    `outputs` maps each flag to the path given (None or "-" when it writes nowhere)."""
    for flag, given in outputs.items():
        if not given or given == "-":
            continue
        path = Path(given)
        if path.is_dir():
            raise OrtbenchError(f"{flag} {given}: it is a folder; expected a file name")
        if path.exists() and not overwrite:
            raise OrtbenchError(
                f"{flag} {given}: the file already exists (use --overwrite to replace it, "
                "or choose another name)"
            )
        folder = path.parent
        if not folder.is_dir():
            raise OrtbenchError(f"{flag} {given}: the folder {folder} does not exist")


def _number(
    convert: Callable[[str], float], minimum: float, strict: bool, expected: str
) -> Callable[[str], Any]:
    """An argparse type: `convert` the text and require it >= (or >, if strict) `minimum`."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


positive_int = _number(int, 1, False, "a positive integer")
non_negative_int = _number(int, 0, False, "an integer >= 0")
positive_float = _number(float, 0.0, True, "a finite positive number")
non_negative_float = _number(float, 0.0, False, "a finite number >= 0")


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    """`--json` alone means stdout; `--json FILE` writes the file."""
    parser.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="OUT",
        help="write JSON (to stdout when no file is given)",
    )


def text_histogram(samples_ns: Samples, width: int = 40, rows: int = 8) -> str:
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


SAVED_INPUTS = "saved"
"""`--inputs saved`: the spec the TUI saved for this model (inputs.store)."""


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """--shape, --input and --inputs: the model's input shapes and values (README "Inputs")."""
    from ..inputs import FLAG_HELP

    group = parser.add_argument_group("inputs", f"the data the model runs on: {FLAG_HELP}")
    group.add_argument(
        "--shape",
        action="append",
        default=[],
        metavar="NAME=DIMS",
        dest="input_shapes",
        help="the shape of input NAME, e.g. tokens=1x128 (repeatable; sizes any dim, named or "
        "not; never a free-dimension override)",
    )
    group.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        dest="input_values",
        help="the values of input NAME: a number, true/false, int:LO..HI, uniform:LO..HI, "
        "normal, zeros, ones, str:W1,W2, none (an optional input left out) or FILE.npy "
        "(repeatable; default: what the graph suggests, else floats normal, integers "
        "int:0..100, strings str:the,quick,brown,fox; `ortbench models` says which)",
    )
    group.add_argument(
        "--inputs",
        metavar="PATH",
        dest="inputs_path",
        help="FILE.npz, a folder of input_N.pb files, an inputs FILE.toml, or 'saved' for the "
        "spec the TUI saved for this model (the CLI reads it only when asked); "
        "--shape/--input override it input by input",
    )


def input_spec_from_args(args: argparse.Namespace, model: str) -> Any:
    """The InputSpec of --shape/--input/--inputs; `--inputs saved` loads the TUI's spec."""
    from ..inputs import spec_from_flags
    from ..inputs.store import load_saved_spec, saved_spec_path

    path = getattr(args, "inputs_path", None)
    shapes, values = list(args.input_shapes), list(args.input_values)
    if path == SAVED_INPUTS:
        saved = load_saved_spec(model)
        if saved is None:
            raise OrtbenchError(
                f"--inputs saved: no inputs saved for {model} (the TUI saves them, in "
                f"{saved_spec_path(model)}); give --shape/--input or an inputs file instead"
            )
        return saved.merged(spec_from_flags(shapes, values))
    spec = spec_from_flags(shapes, values, path)
    if spec.is_empty() and saved_spec_path(model).is_file():
        print(
            f"note: the TUI saved inputs for this model ({saved_spec_path(model)}); "
            "this run does not use them: add --inputs saved to",
            file=sys.stderr,
        )
    return spec


def has_input_flags(args: argparse.Namespace) -> bool:
    return bool(args.input_shapes or args.input_values or getattr(args, "inputs_path", None))


def interruption(exc: BaseException) -> str:
    """The reason a partial result records for Ctrl-C (KeyboardInterrupt) or a signal that
    cli.py turned into SystemExit(128 + signal)."""
    import signal

    if isinstance(exc, SystemExit) and isinstance(exc.code, int) and exc.code > 128:
        try:
            name = signal.Signals(exc.code - 128).name
        except ValueError:
            name = f"signal {exc.code - 128}"
        what = " (the terminal hung up)" if name == "SIGHUP" else ""
        return f"interrupted by {name}{what}"
    return "interrupted (Ctrl-C)"


def quietly(write: Callable[[], object]) -> None:
    """Write to a terminal that may be gone (SSH dropped): what was kept elsewhere stands."""
    try:
        write()
    except OSError:
        pass
