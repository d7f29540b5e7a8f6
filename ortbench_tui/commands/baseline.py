"""`ortbench baseline save|list|show|rm`: named measurements to check later runs against.

ortbench baseline save MODEL [--profile P] [--set K=V]... [--name N] [--units N]
ortbench baseline list [--json]
ortbench baseline show NAME [--json]
ortbench baseline rm NAME
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import (
    add_input_arguments,
    add_json_argument,
    add_overwrite_argument,
    add_profile_arguments,
    check_outputs,
    emit_json,
    positive_float,
    positive_int,
)

EPILOG = (
    "A baseline is kept beside the history (<data dir>/baselines/NAME.json + NAME.npz); "
    "`ortbench check MODEL --baseline NAME` measures again and says whether it got slower."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="save|list|show|rm", required=True)
    save = sub.add_parser("save", help="measure a model with a profile and keep it by name")
    save.add_argument("model", help="path to an .onnx file, or sample:NAME")
    add_profile_arguments(save)
    add_input_arguments(save)
    save.add_argument("--name", help="the baseline's name (default: model stem + profile)")
    save.add_argument(
        "--units",
        type=positive_int,
        help="worker processes measured, the statistical units (default 8, at least 2)",
    )
    save.add_argument(
        "--unit-seconds",
        type=positive_float,
        metavar="S",
        help="timed seconds per unit (default 1.0)",
    )
    save.add_argument("--replace", action="store_true", help="replace a baseline of that name")
    save.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_json_argument(save)
    add_overwrite_argument(save)
    listing = sub.add_parser("list", help="the stored baselines")
    add_json_argument(listing)
    show = sub.add_parser("show", help="one baseline in full")
    show.add_argument("name")
    add_json_argument(show)
    rm = sub.add_parser("rm", help="remove a baseline")
    rm.add_argument("name")


def execute(args: argparse.Namespace) -> int:
    action = {"save": _save, "list": _list, "show": _show, "rm": _rm}[args.action]
    return action(args)


def default_name(model: str, profile_name: str) -> str:
    from ..fileio import slug

    stem = model.removeprefix("sample:").rsplit("/", 1)[-1].removesuffix(".onnx")
    return slug(f"{stem}-{profile_name}", "baseline", 64)


def _save(args: argparse.Namespace) -> int:
    from ..bench.baseline.jobs import DEFAULT_UNITS, BaselineJob, UnitsMeasured
    from ..bench.baseline.store import baselines_dir, build_record, check_name, save_baseline
    from ..bench.baseline.units import UNIT_SECONDS, UnitPlan
    from ..bench.job import drive
    from ..profile import profile_to_dict
    from .common import input_spec_from_args, profile_from_args
    from .progress import ProgressLine

    profile = profile_from_args(args.profile, args.overrides)
    name = check_name(args.name or default_name(args.model, profile.name))
    target = baselines_dir() / f"{name}.json"
    if target.exists() and not args.replace:  # refused before measuring, not after
        from ..errors import OrtbenchError

        raise OrtbenchError(
            f"baseline '{name}' already exists ({target}); give another --name, or --replace"
        )
    check_outputs({"--json": args.json}, args.overwrite)
    inputs = input_spec_from_args(args, args.model)
    plan = UnitPlan(seconds=args.unit_seconds or UNIT_SECONDS)
    job = BaselineJob(args.model, profile, inputs, args.units or DEFAULT_UNITS, plan)
    progress = ProgressLine(not args.quiet)
    try:
        measured = drive(job, UnitsMeasured, progress, "baseline")
    except KeyboardInterrupt:
        job.cancel()
        raise
    finally:
        progress.clear()
    warnings = []
    if measured.cancelled:
        warnings.append(f"cancelled: kept {len(measured.units)} of {job.count} units")
    record = build_record(
        name=name,
        model_spec=measured.model.spec,
        model_path=measured.model.path,
        model_sha256=measured.model.sha256,
        model_name=measured.model.name,
        profile=profile_to_dict(measured.profile),
        inputs_spec=measured.inputs.to_dict(),
        plan=measured.plan,
        units=measured.units,
        warnings=warnings,
    )
    path = save_baseline(record, measured.units, overwrite=args.replace)
    if args.json:
        emit_json(record, args.json, overwrite=args.overwrite)
    if args.json != "-":
        print("\n".join(describe(record)))
        print(f"saved     {path}")
    return 0


def describe(record: dict[str, Any]) -> list[str]:
    from ..text import format_ms

    fp = record["fingerprint"]
    units = record["units"]
    spread = record.get("spread_pct")
    lines = [
        f"baseline  {record['name']}  ({record['created']})",
        f"model     {record['model']['name']}  sha256 {record['model']['sha256'][:12]}  "
        f"({record['model']['path']})",
        f"profile   {record['profile'].get('name', '?')}",
        f"machine   {fp.get('cpu_model')}  ·  {fp.get('physical_cores')} physical / "
        f"{fp.get('logical_cores')} logical cores"
        + (f"  ·  GPUs {', '.join(fp['gpus'])}" if fp.get("gpus") else "")
        + f"  ·  ORT {fp.get('ort_version')}",
        f"p50       {format_ms(record.get('p50_ms'))}  (geometric mean of {len(units)} units; "
        + (f"unit spread ±{spread:.1f}%)" if spread is not None else "one unit)"),
    ]
    if record.get("inputs"):
        shapes = ", ".join(
            f"{i.get('name')} {'x'.join(str(d) for d in i.get('shape') or [])} {i.get('dtype')}"
            for i in record["inputs"]
        )
        lines.append(f"inputs    {shapes}")
    lines += [f"warning: {w}" for w in record.get("warnings") or []]
    return lines


def _list(args: argparse.Namespace) -> int:
    from ..bench.baseline.store import baselines_dir, list_baselines
    from ..text import aligned_table, format_ms, printable

    good, bad = list_baselines()
    if args.json:
        emit_json([b.record for b in good], args.json)
        return 0
    if not good:
        print(f"no baselines yet in {baselines_dir()} (ortbench baseline save MODEL)")
    else:
        rows = [("name", "model", "profile", "p50", "ORT", "created")]
        for b in good:
            r = b.record
            rows.append(
                (
                    printable(b.name, one_line=True),
                    printable(str(r["model"].get("name")), one_line=True),
                    printable(str(r["profile"].get("name", "?")), one_line=True),
                    format_ms(r.get("p50_ms")),
                    str(r["fingerprint"].get("ort_version")),
                    str(r.get("created", "")),
                )
            )
        for line in aligned_table(rows, set(), indent=""):
            print(line.rstrip())
    for path, why in bad:
        print(f"skipped {path.name}: {why}", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from ..bench.baseline.store import load_baseline

    baseline = load_baseline(args.name)
    if args.json:
        emit_json(baseline.record, args.json)
        return 0
    print("\n".join(describe(baseline.record)))
    return 0


def _rm(args: argparse.Namespace) -> int:
    from ..bench.baseline.store import remove_baseline

    for path in remove_baseline(args.name):
        print(f"removed {path}")
    return 0
