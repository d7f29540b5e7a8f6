"""What a live comparison is asked for, and the events it streams."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ...inputs.spec import InputSpec
from ...profile import Profile
from ..job import JobFailed, JobProgress
from ..level_bootstrap import BOOTSTRAP_REPS
from ..result_record import RunResult
from .bootstrap import DEFAULT_MARGIN, SampleSet
from .model import Comparison
from .until import DecideSettings

DEFAULT_SESSIONS = 3


@dataclass
class CompareRequest:
    """Two or more profiles on one model."""

    model: str
    profiles: list[Profile]
    interleave: bool = True
    sessions: int = DEFAULT_SESSIONS
    """Sessions per profile: the unit the CI resamples (see the module docstring)."""
    margin: float = DEFAULT_MARGIN
    reps: int = BOOTSTRAP_REPS
    seed: int = 0
    save_history: bool = False
    min_rounds: int = 10
    """Interleaved: rounds made at least (the bootstrap wants 10 or more)."""
    block_s: float = 0.05
    """Interleaved, by time: seconds of timed runs per block."""
    until_decided: DecideSettings | None = None
    """Interleaved: measure until each pair is decided or this budget is spent (the run
    length of the profiles is then ignored)."""
    inputs: InputSpec = field(default_factory=InputSpec)
    """The model's input shapes and values, the same for every profile."""
    decide_pairs: list[tuple[int, int]] | None = None
    """With `until_decided`: the (A, B) profile indices to decide (default: each profile
    against the first); their verdicts come in `comparison.stopping["pairs"]`."""
    alternation: str = "auto"
    """Interleaved: how the profiles take turns within a round. auto: call by call (A, B,
    B, A ...) where it is safe (CPU sessions without a thread pool), else blocks; call;
    block (`interleave.alternates_calls`)."""
    own_rounds: bool = False
    """Each profile keeps its own complete rounds (the caller drops decided profiles from
    the rounds, as `sweep --until-decided` does); always so with `until_decided`."""


@dataclass(frozen=True)
class CompareProgress(JobProgress):
    """Where the comparison is (phase: setup | first_run | warmup | timed), plus what its
    screen draws: `profile` is the index of the profile the samples belong to."""

    profile: int | None = None
    new_samples_ns: np.ndarray | None = None
    decide: list[Any] | None = None
    """`until_decided`: per profile, its pair's `stopping.ComparisonState` (None for A, and
    before the look plan is fixed)."""


@dataclass
class CompareFinished:
    comparison: Comparison
    results: list[RunResult | None]
    """Each profile's result record (saved to history when asked), None for a profile that
    ran nothing."""
    samples: list[np.ndarray]
    """Flat samples per profile (ns), sessions one after the other."""
    history_paths: list[str] = field(default_factory=list)
    sets: list[SampleSet | None] = field(default_factory=list)
    """The samples as the bootstrap sees them (sessions of blocks), per profile."""


CompareEvent = CompareProgress | CompareFinished | JobFailed


def unique_names(profiles: list[Profile]) -> list[str]:
    """Profile names, made distinct ('x', 'x (2)') so A against A reads clearly."""
    seen: dict[str, int] = {}
    out = []
    for p in profiles:
        seen[p.name] = seen.get(p.name, 0) + 1
        out.append(p.name if seen[p.name] == 1 else f"{p.name} ({seen[p.name]})")
    return out


def split_count(profile: Profile, sessions: int, index: int) -> Profile:
    """Session `index`'s share: timed runs (1000 over 3: 334, 333, 333) and their time cap
    (run.max_duration_s, so the profile's runs together stop at its cap), or duration."""
    p = profile.copy()
    if p.run.duration_s > 0:
        p.run.duration_s = p.run.duration_s / sessions
    else:
        n = p.run.timed_runs
        p.run.timed_runs = max(1, n // sessions + (1 if index < n % sessions else 0))
        p.run.max_duration_s = p.run.max_duration_s / sessions
    return p
