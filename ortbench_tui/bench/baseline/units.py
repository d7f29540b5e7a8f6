"""Measuring a profile as independent *units*, the statistical grain of a baseline.

A baseline cannot be interleaved with a check made weeks later, so the only honest spread is
the one the measurement itself shows between things that could have come out differently: a
whole worker process (its memory layout, its library addresses, the machine's mood while it
ran). One unit is one child process holding `sessions` fresh ORT sessions of the profile,
alternated in short blocks by the interleaved child, so drift inside the unit hits every
session alike. The unit's value is the mean log median of its sessions; the spread between
units is what a later check's interval is built from (sessions inside a process agree more
than processes do, so the process is the unit, not the session).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import OrtbenchError
from ...inputs.spec import InputSpec
from ...profile import Profile, profile_to_dict
from ..child import ChildDied, ChildProcess
from ..job import JobFailed, JobProgress
from ..protocol import (
    Block,
    Done,
    Error,
    InterleaveChildRequest,
    PhaseProgress,
    SessionMeta,
    SessionReady,
)
from ..run_inputs import request_inputs

UNIT_SESSIONS = 4
"""ORT sessions per unit: enough that one session's layout luck does not make the unit."""
UNIT_SECONDS = 1.0
"""Timed seconds per unit (all its sessions together)."""
UNIT_BLOCK_S = 0.05
"""Block length inside a unit, as the interleaved comparison uses."""


@dataclass
class Unit:
    """One worker process's measurement: per session, its timed samples in ns."""

    sessions: list[np.ndarray]
    meta: SessionMeta = field(default_factory=lambda: SessionMeta())
    """The first session's SessionReady meta (providers, hardware, inputs fed)."""

    @property
    def session_medians_ms(self) -> list[float]:
        return [float(np.median(s)) / 1e6 for s in self.sessions if s.size]

    @property
    def log_value(self) -> float:
        """The unit's value: the mean log median of its sessions (ms)."""
        medians = self.session_medians_ms
        if not medians:
            return math.nan
        return float(np.mean(np.log(medians)))

    @property
    def runs(self) -> int:
        return int(sum(s.size for s in self.sessions))


@dataclass(frozen=True)
class UnitPlan:
    sessions: int = UNIT_SESSIONS
    seconds: float = UNIT_SECONDS

    def check(self) -> None:
        if self.sessions < 1:
            raise OrtbenchError(f"sessions per unit: expected at least 1, got {self.sessions}")
        if not (math.isfinite(self.seconds) and 0 < self.seconds <= 600):
            raise OrtbenchError(
                f"seconds per unit: expected a number in (0, 600], got {self.seconds}"
            )


def unit_request(
    model_path: Path, profile: Profile, inputs: InputSpec, plan: UnitPlan
) -> InterleaveChildRequest:
    """The interleaved child's request for one unit: the profile listed once per session."""
    return {
        "model_path": str(model_path),
        "profiles": [profile_to_dict(profile)] * plan.sessions,
        "schedule": {
            "timed_runs": 0,
            "duration_s": plan.seconds,
            "block_s": UNIT_BLOCK_S,
            "min_rounds": 4,
        },
        "inputs": request_inputs(inputs),
    }


UnitTarget = Callable[..., None]


def _interleave_target() -> UnitTarget:
    from ..interleave import interleave_main

    return interleave_main


class UnitRunner:
    """Runs units one after another; `cancel()` stops the current one (its unit is dropped:
    a unit cut short is not comparable with whole ones)."""

    def __init__(
        self,
        model_path: Path,
        profile: Profile,
        inputs: InputSpec,
        plan: UnitPlan,
        target: UnitTarget | None = None,
    ) -> None:
        plan.check()
        self.request = unit_request(model_path, profile, inputs, plan)
        self.plan = plan
        self.target = target or _interleave_target()
        self._current: ChildProcess | None = None
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True
        current = self._current
        if current is not None:
            current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def run_unit(self) -> Iterator[JobProgress | Unit | JobFailed]:
        """One unit: progress inside it, then the Unit, or JobFailed."""
        started = time.perf_counter()
        child = ChildProcess(self.target, self.request, "ortbench-unit-")
        self._current = child
        samples: list[list[np.ndarray]] = [[] for _ in range(self.plan.sessions)]
        meta: SessionMeta = {}
        timed_s = 0.0
        try:
            for msg in child.messages():
                elapsed = time.perf_counter() - started
                if isinstance(msg, SessionReady):
                    if msg.index == 0:
                        meta = msg.meta
                elif isinstance(msg, PhaseProgress):
                    yield JobProgress(msg.phase, msg.done, msg.total, elapsed, None)
                elif isinstance(msg, Block):
                    samples[msg.index].append(msg.samples_ns)
                    timed_s += float(msg.samples_ns.sum()) / 1e9
                    fraction = min(1.0, timed_s / self.plan.seconds)
                    yield JobProgress(
                        "timed", timed_s, self.plan.seconds, elapsed, None, f"{fraction:.0%}"
                    )
                elif isinstance(msg, Done):
                    if self._cancelled:
                        yield JobFailed("run", "cancelled")
                        return
                    sessions = [np.concatenate(s) if s else np.empty(0, np.int64) for s in samples]
                    yield Unit(sessions, meta)
                    return
                elif isinstance(msg, Error):
                    yield JobFailed(msg.kind, msg.message)
                    return
                elif isinstance(msg, ChildDied):
                    yield JobFailed("run", msg.message)
                    return
        finally:
            child.close()
            self._current = None
