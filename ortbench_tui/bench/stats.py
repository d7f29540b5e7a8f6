"""Exact statistics over all samples, and the warnings a careful reader would want."""

from __future__ import annotations

from typing import Any

import numpy as np

PERCENTILE_METHOD = "exact over all samples: numpy 'linear' (Hyndman & Fan type 7)"
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


def histogram(samples_ns: np.ndarray, bins: int = 40, log: bool = True) -> tuple[Any, Any]:
    """Counts and bin edges (ms) from min to max, log-spaced (for the CLI's text histogram)."""
    ms = samples_ns.astype(np.float64) / 1e6
    lo, hi = float(ms.min()), float(ms.max())
    if hi <= lo:
        hi = lo * 1.01 + 1e-6
    edges = np.geomspace(lo, hi, bins + 1) if log and lo > 0 else np.linspace(lo, hi, bins + 1)
    counts, _ = np.histogram(ms, bins=edges)
    return counts, edges
