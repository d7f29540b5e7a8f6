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
    DEFAULT_MARGIN,
    VERDICTS,
    SampleSet,
    bootstrap_median,
    bootstrap_ratio,
    chunked,
    describe_method,
    sequential_set,
    t_975,
    verdict,
)
from .live import CompareRun, run_compare, start_compare
from .model import LETTERS, build_comparison, profile_diff
from .offline import compare_files, sample_set_from_result
from .render import comparison_csv, comparison_markdown, format_comparison, table_rows
from .request import CompareFinished, CompareProgress, CompareRequest, unique_names

__all__ = [
    "DEFAULT_MARGIN",
    "LETTERS",
    "VERDICTS",
    "CompareFinished",
    "CompareProgress",
    "CompareRequest",
    "CompareRun",
    "SampleSet",
    "bootstrap_median",
    "bootstrap_ratio",
    "build_comparison",
    "chunked",
    "compare_files",
    "comparison_csv",
    "comparison_markdown",
    "describe_method",
    "format_comparison",
    "profile_diff",
    "run_compare",
    "sample_set_from_result",
    "sequential_set",
    "start_compare",
    "t_975",
    "table_rows",
    "unique_names",
    "verdict",
]
