"""Load curves: latency and throughput across dim sizes (batch, sequence) and concurrency.

    ortbench curve MODEL --dim batch=1,8,32 --concurrency 1,2,4

One worker process holds one session; each point (a combination of dim sizes and a
concurrency level C) is warmed up, then measured with C threads in a closed loop on that
session, each thread timing its own requests.

  request   the grid, its points, the checks of dims and levels
  worker    the child process: the session, the threads, the timed loop of a point
  run       the parent side: events, failed points, a fresh worker after a crash
  points    per-point figures (p50/p90/p99, CV, req/s, items/s, the p50's CI) and the knee
  result    the curve JSON (kind "curve") and .npz in the history; comparing two curves
  report    terminal text, Markdown, CSV
"""

from __future__ import annotations

from .points import PointResult, batch_knee, concurrency_knee, knee_lines
from .report import curve_csv, curve_markdown, format_curve, point_row, point_summary
from .request import CurveRequest, parse_concurrency, parse_dims
from .result import (
    compare_curves,
    curve_points,
    format_curve_comparison,
    is_curve_file,
    load_curve,
    load_curve_samples,
)
from .run import CurveFinished, CurvePointDone, CurveProgress, CurveRun, run_curve, start_curve

__all__ = [
    "CurveFinished",
    "CurvePointDone",
    "CurveProgress",
    "CurveRequest",
    "CurveRun",
    "PointResult",
    "batch_knee",
    "compare_curves",
    "concurrency_knee",
    "curve_csv",
    "curve_markdown",
    "curve_points",
    "format_curve",
    "format_curve_comparison",
    "is_curve_file",
    "knee_lines",
    "load_curve",
    "load_curve_samples",
    "parse_concurrency",
    "parse_dims",
    "point_row",
    "point_summary",
    "run_curve",
    "start_curve",
]
