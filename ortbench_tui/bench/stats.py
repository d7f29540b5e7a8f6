"""Statistics over all samples (exact percentiles up to EXACT_LIMIT samples, from a 3-digit
log histogram beyond), and the warnings a careful reader would want."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .loghist import RELATIVE_ERROR, SIGNIFICANT_DIGITS, LogHistogram

PERCENTILE_METHOD = "exact over all samples: numpy 'linear' (Hyndman & Fan type 7)"
EXACT_LIMIT = 1_000_000
"""Up to this many samples percentiles are exact (8 MB of int64 in memory); beyond it they
come from the run's log histogram, so a run of any length costs constant memory."""
HISTOGRAM_METHOD = (
    f"log histogram over all samples ({SIGNIFICANT_DIGITS} significant digits, relative "
    f"error at most {RELATIVE_ERROR:.2%}; used above {EXACT_LIMIT:,} samples) of numpy "
    "'linear' (Hyndman & Fan type 7); mean, std, min and max exact"
)
PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p999": 99.9}
LABELS = {"p50": "p50", "p90": "p90", "p95": "p95", "p99": "p99", "p999": "p99.9"}
CV_WARN = 0.10
# A percentile is trusted when at least this many samples lie beyond it.
TAIL_SAMPLES = 10


def summarize(samples_ns: np.ndarray) -> dict[str, float]:
    """Latency statistics in milliseconds (and the CV as a fraction) from raw nanoseconds."""
    if samples_ns.size == 0:
        return {k: float("nan") for k in ("mean", "std", "min", *PERCENTILES, "max", "cv")}
    ms = samples_ns.astype(np.float64) / 1e6
    qs = np.percentile(ms, list(PERCENTILES.values()), method="linear")
    mean = float(ms.mean())
    std = float(ms.std(ddof=1)) if ms.size > 1 else 0.0
    out = {"mean": mean, "std": std, "min": float(ms.min())}
    out.update({name: float(q) for name, q in zip(PERCENTILES, qs, strict=True)})
    out["max"] = float(ms.max())
    out["cv"] = std / mean if mean > 0 else 0.0
    return out


def summarize_histogram(hist: LogHistogram) -> dict[str, float]:
    """`summarize`'s figures from a log histogram: mean, std, min, max exact, percentiles
    within the histogram's relative error."""
    if hist.count == 0:
        return summarize(np.empty(0, dtype=np.int64))
    qs = hist.percentiles_ns(PERCENTILES.values()) / 1e6
    mean, std = hist.mean_ns / 1e6, hist.std_ns / 1e6
    out = {"mean": mean, "std": std, "min": hist.min_ns / 1e6}
    out.update({name: float(q) for name, q in zip(PERCENTILES, qs, strict=True)})
    out["max"] = hist.max_ns / 1e6
    out["cv"] = std / mean if mean > 0 else 0.0
    return out


@runtime_checkable
class Described(Protocol):
    """Samples that know their own statistics and how to save themselves
    (`bench.sample_store.SampleStore`)."""

    @property
    def size(self) -> int: ...

    @property
    def histogram(self) -> LogHistogram: ...

    def describe(self) -> tuple[dict[str, float], str]: ...

    def save_npy(self, path: Path, overwrite: bool = True, make_parents: bool = False) -> Path: ...


def describe(samples: np.ndarray | Described) -> tuple[dict[str, float], str]:
    """(statistics, percentile method) of all samples: exact up to EXACT_LIMIT samples, else
    from a log histogram built a chunk at a time (a memory-mapped array stays on disk)."""
    if not isinstance(samples, np.ndarray):
        return samples.describe()
    if samples.size <= EXACT_LIMIT:
        return summarize(samples), PERCENTILE_METHOD
    return summarize_histogram(LogHistogram.of(samples)), HISTOGRAM_METHOD


def min_samples_for(percentile: float) -> int:
    """Samples needed so that TAIL_SAMPLES lie beyond `percentile` (p99.9 needs 10 000)."""
    return int(round(TAIL_SAMPLES / (1.0 - percentile / 100.0)))


def stability_warnings(stats: dict[str, float], n: int) -> list[str]:
    warnings = []
    if n and stats["cv"] > CV_WARN:
        warnings.append(
            f"unstable: coefficient of variation {stats['cv']:.1%} is above {CV_WARN:.0%}; "
            "close other work, pin the worker (run.pin_cpus) or run longer"
        )
    thin = [name for name, p in PERCENTILES.items() if 0 < n < min_samples_for(p)]
    if thin:
        need = min_samples_for(PERCENTILES[thin[0]])
        warnings.append(
            f"few samples: {', '.join(LABELS[t] for t in thin)} from {n} runs rest on fewer "
            f"than {TAIL_SAMPLES} samples each ({LABELS[thin[0]]} needs {need} runs)"
        )
    return warnings


def histogram(
    samples_ns: np.ndarray | Described, bins: int = 40, log: bool = True
) -> tuple[Any, Any]:
    """Counts and bin edges (ms) from min to max, log-spaced (for the CLI's text histogram).
    Past EXACT_LIMIT samples the counts come from the log histogram (a bucket's middle picks
    its bin), so a long run is never loaded into memory for it."""
    if isinstance(samples_ns, np.ndarray) and samples_ns.size <= EXACT_LIMIT:
        ms = samples_ns.astype(np.float64) / 1e6
        lo, hi = float(ms.min()), float(ms.max())
        edges = _edges(lo, hi, bins, log)
        counts, _ = np.histogram(ms, bins=edges)
        return counts, edges
    hist = samples_ns.histogram if isinstance(samples_ns, Described) else None
    if hist is None:
        hist = LogHistogram.of(samples_ns)  # type: ignore[arg-type]
    edges = _edges(hist.min_ns / 1e6, hist.max_ns / 1e6, bins, log)
    edges_ns = edges * 1e6
    edges_ns[-1] = max(edges_ns[-1], hist.max_ns)  # the slowest sample, despite rounding
    counts, _ = hist.binned(edges_ns)
    return counts, edges


def _edges(lo: float, hi: float, bins: int, log: bool) -> np.ndarray:
    if hi <= lo:
        hi = lo * 1.01 + 1e-6
    return np.geomspace(lo, hi, bins + 1) if log and lo > 0 else np.linspace(lo, hi, bins + 1)
