"""`ortbench samples [--out DIR] [--json [OUT]]`: list the built-in models, or write them out."""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import add_json_argument, emit_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="write the generated samples into DIR")
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    from ..samples import list_samples, write_samples

    if args.out:
        paths = write_samples(Path(args.out))
        if args.json:
            emit_json([str(p) for p in paths], args.json)
        if args.json != "-":
            for path in paths:
                print(path)
        return 0
    samples = list_samples()
    if args.json:
        emit_json(
            [
                {"name": s.name, "spec": s.spec, "kind": s.kind, "description": s.description}
                for s in samples
            ],
            args.json,
        )
        return 0
    for s in samples:
        print(f"{s.spec:<28} {s.description}")
    return 0
