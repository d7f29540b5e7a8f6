"""Open-loop load: latency under traffic that arrives on its own schedule.

    ortbench load MODEL --rate 2000 [--arrivals poisson|constant] [--workers N]
    ortbench load MODEL --find-max --slo p99=1ms
    ortbench load MODEL --rate 500,1000,2000 --profile A --profile B --mix sequence=16:50,64:50

Requests are scheduled in advance (seeded), issued at their scheduled times by the worker
process to N serving threads on one session, queued FIFO when all are busy; each request's
scheduled, issue, start and end times are kept. Response time counts from the scheduled
arrival, so a slow period is charged to every request it delays (no coordinated omission).

  schedule  the arrival process (poisson | constant) and the shape of each request
  harness   the issuing thread, the queue, the serving threads, the timelines
  worker    the child process: the session, every shape's calls, step after step
  messages  the worker's messages (StepRequest, StepLive, StepDone, NoMoreSteps)
  summary   one step's figures: response / service / wait, rates, keeping up, per shape
  decide    CIs of a percentile (chunk bootstrap), the SLO decision, profile verdicts
  plan      the steps: the rates given, or the --find-max search
  run       the job (bench.job shape): LoadJob, LoadLive, LoadStepDone, LoadFinished
  result    the result JSON (kind "load") and its .npz of timelines, in the history
  report    text, Markdown, CSV
"""

from __future__ import annotations

from .decide import SloDecision, compare_percentile, judge_step, percentile_spread
from .harness import Call, LiveView, OpenLoop, Timeline
from .plan import FindMax, FixedRates, StepSpec
from .report import format_load, load_csv, load_markdown
from .request import (
    LoadRequest,
    Mix,
    ReplayTrace,
    Slo,
    parse_mix,
    parse_rates,
    parse_slo,
    read_trace,
)
from .result import KIND, ProfileLoad, load_load
from .run import LoadFinished, LoadJob, LoadLive, LoadStepDone, run_load
from .schedule import ARRIVALS, Schedule, make_schedule
from .summary import StepSummary, response_ns, summarize_step

__all__ = [
    "ARRIVALS",
    "KIND",
    "Call",
    "FindMax",
    "FixedRates",
    "LiveView",
    "LoadFinished",
    "LoadJob",
    "LoadLive",
    "LoadRequest",
    "LoadStepDone",
    "Mix",
    "OpenLoop",
    "ProfileLoad",
    "ReplayTrace",
    "Schedule",
    "Slo",
    "SloDecision",
    "StepSpec",
    "StepSummary",
    "Timeline",
    "compare_percentile",
    "format_load",
    "judge_step",
    "load_csv",
    "load_load",
    "load_markdown",
    "make_schedule",
    "parse_mix",
    "parse_rates",
    "parse_slo",
    "percentile_spread",
    "read_trace",
    "response_ns",
    "run_load",
    "summarize_step",
]
