"""Comparisons that survive noise: live (interleaved or sequential) and offline, with verdicts.

The figure compared is the ratio of medians, B / A (below 1: B is faster), with a
hierarchical bootstrap 95% CI (see `bootstrap`) and a verdict against a margin.

  bootstrap   sample sets, the resampling, the CI and the verdict
  model       the comparison: profile rows, pairs against the first profile
  render      terminal text, Markdown and CSV
  request     what a live comparison is asked for, and its events
  live        the child processes of a live comparison, as an event stream
  collect     from finished runs to results and a comparison
  offline     saved result files
"""

from __future__ import annotations

from .bootstrap import (
    CHUNKS_PER_RUN,
    DEFAULT_MARGIN,
    SKETCH_POINTS,
    VERDICTS,
    Interval,
    SampleSet,
    bootstrap_median,
    bootstrap_ratio,
    chunked,
    describe_method,
    sequential_set,
    t_975,
    verdict,
)
from .collect import MACHINE_WARNINGS, Collector, merge_finals, summarize_warnings
from .live import CompareRun, run_compare, start_compare
from .model import (
    LETTERS,
    Comparison,
    PairResult,
    ProfileRow,
    build_comparison,
    profile_diff,
)
from .offline import (
    HARDWARE_KEYS,
    compare_files,
    environment_warnings,
    sample_set_from_result,
)
from .render import TABLE_HEADER, comparison_csv, comparison_markdown, format_comparison, table_rows
from .request import (
    DEFAULT_SESSIONS,
    CompareEvent,
    CompareFinished,
    CompareProgress,
    CompareRequest,
    split_count,
    unique_names,
)

__all__ = [
    "CHUNKS_PER_RUN",
    "DEFAULT_MARGIN",
    "DEFAULT_SESSIONS",
    "HARDWARE_KEYS",
    "LETTERS",
    "MACHINE_WARNINGS",
    "SKETCH_POINTS",
    "TABLE_HEADER",
    "VERDICTS",
    "Collector",
    "CompareEvent",
    "CompareFinished",
    "CompareProgress",
    "CompareRequest",
    "CompareRun",
    "Comparison",
    "Interval",
    "PairResult",
    "ProfileRow",
    "SampleSet",
    "bootstrap_median",
    "bootstrap_ratio",
    "build_comparison",
    "chunked",
    "compare_files",
    "comparison_csv",
    "comparison_markdown",
    "describe_method",
    "environment_warnings",
    "format_comparison",
    "merge_finals",
    "profile_diff",
    "run_compare",
    "sample_set_from_result",
    "sequential_set",
    "split_count",
    "start_compare",
    "summarize_warnings",
    "t_975",
    "table_rows",
    "unique_names",
    "verdict",
]
