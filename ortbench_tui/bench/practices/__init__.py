"""The seed article's eight practices, measured on the user's model and machine.

catalogue   each practice as a pair of profile transforms (off, on)
run         the measurement: interleaved fp32 profiles, FP16/INT8 through the normal runner
rows        a row filled from what was measured: ratio, CI and verdict, warm-up, accuracy
report      the rows, as terminal text and Markdown
best        the base profile with the practices that measured faster (`--save-best`)
"""

from __future__ import annotations

from .best import best_profile, choose_practices, save_best
from .catalogue import PRACTICES, all_together
from .report import (
    ARTICLE,
    PracticeRow,
    PracticesReport,
    format_report,
    report_markdown,
    report_rows,
)
from .run import (
    NOT_APPLICABLE,
    NOT_YET,
    PracticesProgress,
    PracticesRequest,
    PracticesRun,
    run_practices,
)

__all__ = [
    "ARTICLE",
    "NOT_APPLICABLE",
    "NOT_YET",
    "PRACTICES",
    "PracticeRow",
    "PracticesProgress",
    "PracticesReport",
    "PracticesRequest",
    "PracticesRun",
    "all_together",
    "best_profile",
    "choose_practices",
    "format_report",
    "report_markdown",
    "report_rows",
    "run_practices",
    "save_best",
]
