"""The messages of the load worker, both ways, beside the common ones of `bench.protocol`.

The worker holds one session for the whole job and runs one step (one offered rate) per
`StepRequest`, so a search over rates (`--find-max`) is decided in the parent, step by step,
without a new session per rate.

  parent -> child   StepRequest    run one step: rate, length, arrivals, seed
                    NoMoreSteps    the job is done; close
                    Stop           (bench.protocol) end the step now, keep what was measured
  child -> parent   SessionReady, Done, Error (bench.protocol)
                    StepLive       ~10 times a second: counts, queue depth, new response times
                    StepDone       the step's whole timeline
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .harness import Timeline


@dataclass(frozen=True)
class StepRequest:
    index: int
    rate: float
    duration_s: float
    arrivals: str
    seed: int
    drain_s: float
    offsets_ns: np.ndarray | None = None
    """A replayed trace's arrivals (then `arrivals` is "trace" and the seed is unused)."""
    shapes: np.ndarray | None = None


@dataclass(frozen=True)
class NoMoreSteps:
    """Parent -> child: no further step; send Done and exit."""


@dataclass(frozen=True)
class StepLive:
    index: int
    issued: int
    started: int
    done: int
    total: int
    elapsed_s: float
    response_ns: np.ndarray
    """Response times of the requests finished since the previous StepLive."""

    @property
    def queue(self) -> int:
        """Requests issued and not yet started."""
        return self.issued - self.started


@dataclass(frozen=True)
class StepDone:
    index: int
    timeline: Timeline
