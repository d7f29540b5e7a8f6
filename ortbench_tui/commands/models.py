"""`ortbench models [PATH]...`: what a model takes and gives, without running it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError
from .common import add_json_argument, emit_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help=".onnx files, folders of them, or sample:NAME (default: the samples)",
    )
    add_json_argument(parser)


def expand(paths: list[str]) -> list[str]:
    """Folders become the .onnx files inside them; no paths means the built-in samples.
    A folder named like a model (x.onnx/) is a path the user gave as a model: inspecting it
    says what is wrong, instead of listing nothing."""
    from ..samples import list_samples

    if not paths:
        return [s.spec for s in list_samples() if s.kind == "generated"]
    out: list[str] = []
    for p in paths:
        folder = Path(p)
        if folder.is_dir() and folder.suffix.lower() != ".onnx":
            found = [str(f) for f in sorted(folder.rglob("*.onnx")) if not f.is_dir()]
            if not found:
                raise OrtbenchError(f"no .onnx files in the folder {folder}")
            out += found
        else:
            out.append(p)
    return out


def with_fed(info: Any) -> dict[str, Any]:
    """The model's JSON with, per input, `fed_by_default`: {spec (null when none), why}."""
    from ..feeds import default_for

    data: dict[str, Any] = info.to_dict()
    for t, entry in zip(info.inputs, data["inputs"], strict=True):
        spec, why = default_for(t)
        entry["fed_by_default"] = {"spec": spec.text if spec else None, "why": why}
    return data


def execute(args: argparse.Namespace) -> int:
    """Every model is inspected; one that cannot be is reported on stderr and the others are
    still listed (exit 2 at the end when any failed)."""
    from ..feeds import fed_note
    from ..models import format_model, inspect_model
    from ..samples import resolve_model

    infos = []
    failed = 0
    for spec in expand(args.paths):
        try:
            infos.append(inspect_model(resolve_model(spec)))
        except OrtbenchError as exc:
            failed += 1
            print(f"ortbench: error: {exc}", file=sys.stderr)
    for info in infos:
        if info.missing_external_data:
            missing = ", ".join(info.missing_external_data)
            print(
                f"ortbench: warning: {info.path}: external data missing: {missing}", file=sys.stderr
            )
    if args.json:
        emit_json([with_fed(info) for info in infos], args.json)
    elif infos:
        print("\n\n".join(format_model(info, fed=fed_note) for info in infos))
    return 2 if failed else 0
