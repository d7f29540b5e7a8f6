"""The arrival schedule of an open-loop step, made in advance and seeded.

Every request's arrival time is fixed before the first one is issued: Poisson arrivals (the
gaps are exponential with mean 1 / rate, as independent users produce) or constant ones (one
every 1 / rate). Each request also draws its shape from the mix, from its own random stream,
so two profiles measured with the same seed see the very same requests at the very same
times (what `load --profile A --profile B` compares).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import OrtbenchError

ARRIVALS = ("poisson", "constant")
MAX_REQUESTS = 5_000_000
"""A step longer than this is refused (its records would take 200 MB)."""


@dataclass(frozen=True)
class Schedule:
    """When each request arrives (ns after the step's start) and which shape it has."""

    offsets_ns: np.ndarray
    """int64, non-decreasing."""
    shapes: np.ndarray
    """int16 index into the mix, one per request."""
    rate: float
    arrivals: str
    seed: int
    duration_s: float

    @property
    def size(self) -> int:
        return int(self.offsets_ns.size)


def make_schedule(
    rate: float,
    duration_s: float,
    arrivals: str = "poisson",
    seed: int = 0,
    weights: list[float] | None = None,
) -> Schedule:
    """Arrivals in [0, duration_s) at `rate` per second; shapes drawn by `weights`."""
    if arrivals not in ARRIVALS:
        raise OrtbenchError(f"--arrivals {arrivals}: expected one of {', '.join(ARRIVALS)}")
    if not rate > 0:
        raise OrtbenchError(f"--rate {rate}: expected a rate above 0 requests/s")
    if not duration_s > 0:
        raise OrtbenchError(f"--duration {duration_s}: expected seconds above 0")
    expected = rate * duration_s
    if expected > MAX_REQUESTS:
        raise OrtbenchError(
            f"--rate {rate:g} for {duration_s:g} s is {expected:,.0f} requests; at most "
            f"{MAX_REQUESTS:,} per step: lower the rate or the duration"
        )
    rng = np.random.default_rng([seed, 0])
    if arrivals == "constant":
        n = max(1, int(np.floor(expected)))
        offsets = np.arange(n, dtype=np.float64) / rate
    else:
        # Draw a little more than needed, then cut at the duration: a Poisson count.
        n_draw = int(expected + 10 * np.sqrt(expected) + 20)
        offsets = np.cumsum(rng.exponential(1.0 / rate, n_draw))
        while offsets[-1] < duration_s:  # rare: extend the same stream
            more = offsets[-1] + np.cumsum(rng.exponential(1.0 / rate, n_draw))
            offsets = np.concatenate([offsets, more])
        offsets = offsets[offsets < duration_s]
        if offsets.size == 0:
            offsets = np.zeros(1)
    shapes_rng = np.random.default_rng([seed, 1])
    w = np.asarray(weights or [1.0], dtype=np.float64)
    if len(w) == 1:
        shapes = np.zeros(offsets.size, dtype=np.int16)
    else:
        shapes = shapes_rng.choice(len(w), size=offsets.size, p=w / w.sum()).astype(np.int16)
    return Schedule(
        (offsets * 1e9).astype(np.int64), shapes, float(rate), arrivals, int(seed), duration_s
    )
