"""The seed article's eight practices, measured on the user's model and machine.

catalogue   each practice as a pair of profile transforms (off, on)
run         the measurement: interleaved fp32 profiles, FP16/INT8 through the normal runner
report      the rows, as terminal text and Markdown
"""

from __future__ import annotations

from .catalogue import GPU_EPS, PRACTICES, Practice, all_together
from .report import (
    HEADER,
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
    "GPU_EPS",
    "HEADER",
    "NOT_APPLICABLE",
    "NOT_YET",
    "PRACTICES",
    "Practice",
    "PracticeRow",
    "PracticesProgress",
    "PracticesReport",
    "PracticesRequest",
    "PracticesRun",
    "all_together",
    "format_report",
    "report_markdown",
    "report_rows",
    "run_practices",
]
