"""`ortbench detect`: the machine, and the execution providers that really work here."""

from __future__ import annotations

import argparse

from .common import add_json_argument, emit_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    from ..hardware import detect, format_hardware

    info = detect(probe_eps=True)
    if args.json:
        emit_json(info.to_dict(), args.json)
    else:
        print(format_hardware(info))
    return 0
