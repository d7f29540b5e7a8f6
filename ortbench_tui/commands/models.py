"""`ortbench models [PATH]...`: what a model takes and gives, without running it."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    """Folders become the .onnx files inside them; no paths means the built-in samples."""
    from ..samples import list_samples

    if not paths:
        return [s.spec for s in list_samples() if s.kind == "generated"]
    out: list[str] = []
    for p in paths:
        if Path(p).is_dir():
            out += [str(f) for f in sorted(Path(p).rglob("*.onnx"))]
        else:
            out.append(p)
    return out


def execute(args: argparse.Namespace) -> int:
    from ..models import format_model, inspect_model
    from ..samples import resolve_model

    infos = [inspect_model(resolve_model(spec)) for spec in expand(args.paths)]
    if args.json:
        emit_json([info.to_dict() for info in infos], args.json)
    else:
        print("\n\n".join(format_model(info) for info in infos))
    return 0
