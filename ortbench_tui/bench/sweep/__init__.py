"""Search a grid of profile settings within a time budget, by successive halving.

    --grid session.intra_op_num_threads=1,2 --grid run.io_binding=true,false ...

Every combination is built from the base profile; combinations that cannot work, or that
cannot differ from one already in the grid, are skipped with the reason. The rest are
measured in rounds: round 1 gives every candidate a short run, each round keeps the best
1/eta (by median) and gives the survivors longer runs, until one is left. The budget is
spread evenly over the rounds, so the last candidates get the longest runs.

All candidates of a round are measured in one interleaved child (`bench.interleave`): one
session each, alternated in blocks, so a busy neighbour hits every candidate of the round
alike and the ranking stays fair. Each round makes fresh sessions.

  grid      the axes, the candidates, the skip reasons
  result    request, updates, the result (and the saved best profile)
  halving   the rounds
  report    terminal text, Markdown, CSV
"""

from __future__ import annotations

from .grid import Candidate, GridAxis, build_candidates, parse_grid, skip_reason
from .halving import SweepRun, run_sweep
from .report import format_sweep, format_table, sweep_csv, sweep_markdown, sweep_rows
from .result import (
    SweepRequest,
    SweepResult,
    SweepUpdate,
    halving_plan,
    pick_of_tie,
    rank,
    tied_with,
)

__all__ = [
    "Candidate",
    "GridAxis",
    "SweepRequest",
    "SweepResult",
    "SweepRun",
    "SweepUpdate",
    "build_candidates",
    "format_sweep",
    "format_table",
    "halving_plan",
    "parse_grid",
    "pick_of_tie",
    "rank",
    "run_sweep",
    "skip_reason",
    "sweep_csv",
    "sweep_markdown",
    "sweep_rows",
    "tied_with",
]
