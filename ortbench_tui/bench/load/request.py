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

import numpy as np

from ...errors import OrtbenchError
from ...inputs.spec import InputSpec
from ...profile import Profile

DEFAULT_DURATION_S = 10.0
TRACE_LIMIT = 256 * 1024 * 1024
"""A --trace file larger than this is refused (several million requests)."""
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
    trace: ReplayTrace | None = None
    """Replay these arrivals (one step, at the file's own rate) instead of an arrival process."""

    def __post_init__(self) -> None:
        if self.trace is not None:
            self.rates = [self.trace.rate]
            self.duration_s = self.trace.duration_s
            self.arrivals = "trace"
            self.mix = self.trace.mix()

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


@dataclass(frozen=True)
class ReplayTrace:
    """Recorded traffic to replay: each request's arrival time and, optionally, its size of
    one named dim (a CSV with a header: `time_s` and, e.g., `sequence`)."""

    path: str
    offsets_ns: np.ndarray
    """int64, from the first arrival (0), in arrival order."""
    dim: str | None
    sizes: list[int]
    """Per request, the dim's size (empty without a dim column)."""

    @property
    def duration_s(self) -> float:
        return max(float(self.offsets_ns[-1]) / 1e9, 1e-3)

    @property
    def rate(self) -> float:
        return self.offsets_ns.size / self.duration_s

    def mix(self) -> Mix | None:
        """The dim's sizes as a mix (weights: how often each occurs), in order of size."""
        if self.dim is None:
            return None
        values = sorted(set(self.sizes))
        counts = [self.sizes.count(v) for v in values]
        return Mix(self.dim, values, [c / len(self.sizes) for c in counts])

    def shape_index(self) -> np.ndarray:
        """Per request, the index of its size in `mix().values`."""
        if self.dim is None:
            return np.zeros(self.offsets_ns.size, dtype=np.int16)
        values = sorted(set(self.sizes))
        where = {v: i for i, v in enumerate(values)}
        return np.array([where[s] for s in self.sizes], dtype=np.int16)


def read_trace(path: str) -> ReplayTrace:
    """A CSV of arrivals: a header with `time_s` (seconds, any origin) and at most one other
    column, a named dim's size per request. Errors name the file, the line and the value."""
    import csv
    import io

    from ...errors import OrtbenchError as Bad
    from ...fileio import read_regular

    # The safe reader: a missing file, a named pipe or a huge file is named and refused.
    raw = read_regular(path, TRACE_LIMIT, "--trace file")
    try:
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    except UnicodeDecodeError:
        raise Bad(f"--trace {path}: not a UTF-8 text file") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise Bad(f"--trace {path}: empty; expected a header `time_s[,DIM]` and one row each")
    header = [c.strip() for c in rows[0]]
    if not header or header[0] != "time_s" or len(header) > 2:
        raise Bad(
            f"--trace {path}: the header is {','.join(header)!r}; expected `time_s` or "
            "`time_s,DIM` (DIM a named dim of the model, e.g. time_s,sequence)"
        )
    dim = header[1] if len(header) == 2 else None
    times: list[float] = []
    sizes: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise Bad(f"--trace {path}, line {line}: {len(row)} values, expected {len(header)}")
        try:
            t = float(row[0])
        except ValueError:
            raise Bad(f"--trace {path}, line {line}: time_s {row[0]!r} is not a number") from None
        if t != t or t in (float("inf"), float("-inf")):
            raise Bad(f"--trace {path}, line {line}: time_s {row[0]!r} is not a finite number")
        times.append(t)
        if dim is not None:
            try:
                size = int(row[1])
            except ValueError:
                raise Bad(
                    f"--trace {path}, line {line}: {dim} {row[1]!r} is not a whole number"
                ) from None
            if size < 1:
                raise Bad(f"--trace {path}, line {line}: {dim} {size} is below 1")
            sizes.append(size)
    if len(times) < 2:
        raise Bad(f"--trace {path}: {len(times)} request(s); a replay needs at least 2")
    order = np.argsort(np.array(times), kind="stable")
    t_sorted = np.array(times)[order]
    offsets = ((t_sorted - t_sorted[0]) * 1e9).astype(np.int64)
    sizes_sorted = [sizes[i] for i in order] if dim is not None else []
    return ReplayTrace(path, offsets, dim, sizes_sorted)
