"""`ortbench samples [--out DIR]`: list the built-in models, or write them out."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="write the generated samples into DIR")


def execute(args: argparse.Namespace) -> int:
    from ..samples import list_samples, write_samples

    if args.out:
        for path in write_samples(Path(args.out)):
            print(path)
        return 0
    for s in list_samples():
        print(f"{s.spec:<28} {s.description}")
    return 0
