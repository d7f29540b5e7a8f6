"""`--until-decided` and `--alpha-per-table` for practices and sweep (compare has its own
pair of flags, the same meaning)."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import OrtbenchError


def add_decide_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    """`what`: the rows that stop once decided, for the help text."""
    parser.add_argument(
        "--until-decided",
        action="store_true",
        help=f"keep measuring until each of the {what} is decided (faster, slower, or equal "
        "within the margin) or the budget is spent: decided ones stop early and the time goes "
        "to the close calls",
    )
    parser.add_argument(
        "--alpha-per-table",
        action="store_true",
        help="with --until-decided: split the 5%% error rate over the rows (5%%/N each), so "
        "that any wrong row in the whole table is at most 5%% likely (default: 5%% per row)",
    )


def decide_settings(args: argparse.Namespace, budget_s: float | None) -> Any:
    """DecideSettings for `--until-decided`, or None; `budget_s` caps the timed seconds."""
    from ..bench.compare.until import DecideSettings
    from ..bench.stopping import DEFAULT_DECIDE_BUDGET_S

    if not args.until_decided:
        if args.alpha_per_table:
            raise OrtbenchError("--alpha-per-table: only with --until-decided")
        return None
    return DecideSettings(
        budget_s=budget_s or DEFAULT_DECIDE_BUDGET_S, per_table=bool(args.alpha_per_table)
    )
