"""What a load job is asked for: model, profile(s), rates or a search, arrivals, the shape mix.

--rate 2000                one step at 2000 requests/s
--rate 500,1000,2000       a curve: one step per rate, p99 against offered rate
--find-max --slo p99=1ms   a search for the highest rate whose p99 response time is <= 1 ms
--mix sequence=16:50,64:30,256:20
                           each request's `sequence` dim is 16, 64 or 256 with those weights
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...errors import OrtbenchError
from ...inputs.spec import InputSpec
from ...profile import Profile

DEFAULT_DURATION_S = 10.0
DEFAULT_WORKERS = 1


@dataclass(frozen=True)
class Slo:
    """A bound on a percentile of the response time: `p99=1ms`."""

    percentile: float
    bound_ms: float
    text: str

    @property
    def label(self) -> str:
        return f"p{self.percentile:g}"


_UNITS = {"s": 1000.0, "ms": 1.0, "us": 1e-3, "µs": 1e-3}


def parse_slo(text: str) -> Slo:
    """`p99=1ms`, `p99.9=500us`, `p50=0.2ms` (units s, ms, us)."""
    m = re.fullmatch(r"\s*p(\d+(?:\.\d+)?)\s*=\s*(\d+(?:\.\d*)?|\.\d+)\s*(s|ms|us|µs)\s*", text)
    if not m:
        raise OrtbenchError(
            f"--slo {text}: expected PERCENTILE=BOUND with a unit, e.g. p99=1ms or p99.9=500us"
        )
    pct, bound = float(m.group(1)), float(m.group(2)) * _UNITS[m.group(3)]
    if not 0 < pct < 100:
        raise OrtbenchError(f"--slo {text}: the percentile must lie between 0 and 100")
    if bound <= 0:
        raise OrtbenchError(f"--slo {text}: the bound must be above 0")
    return Slo(pct, bound, text.strip())


def parse_rates(text: str) -> list[float]:
    """`2000` or `500,1000,2000`: offered rates in requests/s, each above 0, no repeats."""
    out: list[float] = []
    for part in text.split(","):
        try:
            r = float(part.strip())
        except ValueError:
            raise OrtbenchError(
                f"--rate {text}: {part.strip()!r} is not a number (requests/s), e.g. 2000"
            ) from None
        if not r > 0 or r != r or r == float("inf"):
            raise OrtbenchError(f"--rate {text}: every rate must be above 0 requests/s")
        if r in out:
            raise OrtbenchError(f"--rate {text}: {r:g} is given twice")
        out.append(r)
    return out


@dataclass(frozen=True)
class Mix:
    """Shapes of requests: a named dim's values and their weights (fractions summing to 1)."""

    dim: str
    values: list[int]
    weights: list[float]

    def labels(self) -> list[str]:
        return [f"{self.dim}={v}" for v in self.values]


def parse_mix(text: str) -> Mix:
    """`sequence=16:50,64:30,256:20` (weights are relative; `%` allowed; split at the last
    '=' since dim names may hold '=')."""
    dim, sep, rest = text.rpartition("=")
    example = "e.g. --mix sequence=16:50,64:30,256:20"
    if not sep or not dim.strip() or not rest.strip():
        raise OrtbenchError(f"--mix {text}: expected DIM=VALUE:WEIGHT,..., {example}")
    values: list[int] = []
    weights: list[float] = []
    for part in rest.split(","):
        v, colon, w = part.strip().partition(":")
        try:
            value = int(v)
            weight = float(w.strip().rstrip("%")) if colon else 1.0
        except ValueError:
            raise OrtbenchError(
                f"--mix {text}: {part.strip()!r} is not VALUE:WEIGHT (an integer size and a "
                f"weight), {example}"
            ) from None
        if value < 1:
            raise OrtbenchError(f"--mix {text}: size {value} is below 1")
        if not weight > 0:
            raise OrtbenchError(f"--mix {text}: the weight of {value} must be above 0")
        if value in values:
            raise OrtbenchError(f"--mix {text}: size {value} is given twice")
        values.append(value)
        weights.append(weight)
    total = sum(weights)
    return Mix(dim.strip(), values, [w / total for w in weights])


@dataclass
class LoadRequest:
    """One load job: every profile measured on the same steps (same schedules, same seeds)."""

    model: str
    profiles: list[Profile]
    rates: list[float] = field(default_factory=list)
    slo: Slo | None = None
    """With an SLO and no rates: search for the highest rate that meets it (--find-max)."""
    arrivals: str = "poisson"
    duration_s: float = DEFAULT_DURATION_S
    workers: int = DEFAULT_WORKERS
    seed: int = 0
    mix: Mix | None = None
    inputs: InputSpec = field(default_factory=InputSpec)
    drain_s: float | None = None
    """How long the queue may take to empty after the last arrival (default: the step's
    length, at least 1 s)."""
    start_rate: float | None = None
    """--find-max: the first rate tried (default: from the measured service time)."""
    max_steps: int = 12
    save_history: bool = True

    @property
    def find_max(self) -> bool:
        return self.slo is not None and not self.rates

    def drain_limit_s(self) -> float:
        return self.drain_s if self.drain_s is not None else max(1.0, self.duration_s)

    def shape_dims(self) -> list[dict[str, int]]:
        if self.mix is None:
            return [{}]
        return [{self.mix.dim: v} for v in self.mix.values]

    def shape_labels(self) -> list[str]:
        return self.mix.labels() if self.mix else ["all"]
