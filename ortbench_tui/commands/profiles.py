"""`ortbench profiles [--json]`: every profile a NAME can refer to, and where it lives."""

from __future__ import annotations

import argparse

from .common import add_json_argument, emit_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    from ..profile import list_profiles, user_profiles_dir
    from ..text import aligned_table

    found = list_profiles()
    if args.json:
        emit_json([loc.to_dict() for loc in found], args.json)
        return 0
    rows = [("name", "provider", "where", "description / path")]
    for loc in found:
        about = f"unreadable: {loc.error}" if loc.error else loc.description
        rows.append((loc.name, loc.provider, loc.where, about))
        rows.append(("", "", "", str(loc.path)))
    for line in aligned_table(rows, set(), indent=""):
        print(line.rstrip())
    print()
    print(
        "Use a name wherever a profile file is accepted (--profile cpu-latency); the user "
        f"folder is {user_profiles_dir()}."
    )
    return 0
