"""`ortbench tui`: not built yet."""

from __future__ import annotations

import argparse

from ..errors import OrtbenchError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rest", nargs="*")


def execute(args: argparse.Namespace) -> int:
    raise OrtbenchError("'tui' is not available yet")
