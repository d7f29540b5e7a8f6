"""How a practices row is filled from what was measured: the ratio of medians with its CI
and verdict, the warm-up row's first runs, a precision row's accuracy, and the verdict of a
row that stopped on its own sequential rule."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..compare import CompareFinished, SampleSet, bootstrap_ratio, verdict
from ..level_bootstrap import LOOK_REPS
from ..result_record import RunResult, given
from .report import PracticeRow


def fill_ratio(
    row: PracticeRow, ref: SampleSet | None, var: SampleSet | None, margin: float
) -> None:
    """The row's medians, their ratio with its bootstrap CI, and the verdict."""
    if ref is None or var is None or not ref.size or not var.size:
        row.status, row.reason = "failed", "no samples"
        return
    row.ref_median_ms = float(np.median(ref.flat())) / 1e6
    row.var_median_ms = float(np.median(var.flat())) / 1e6
    row.ratio = row.var_median_ms / row.ref_median_ms
    if ref is var:
        row.ci_low = row.ci_high = 1.0
        row.verdict = "no clear difference"
        row.method = "same profile on both sides"
        return
    ci = bootstrap_ratio(ref, var, reps=LOOK_REPS)
    if ci is None:
        row.verdict, row.reason = None, "too few blocks for a CI"
        return
    row.ci_low, row.ci_high, row.method = ci.low, ci.high, ci.method
    row.verdict = verdict(ci.low, ci.high, margin)


WARM_UP_SIDE_LEVEL = 0.025
"""The sign test's level on each side (faster, slower) for the warm-up row."""


def sign_test_tail(above: int, n: int) -> float:
    """P(at least `above` of `n` fair coin flips land heads): how likely that many first runs
    lie above the steady median if a first run were an ordinary run."""
    return float(sum(math.comb(n, k) for k in range(above, n + 1)) / 2**n)


def median_bounds(values: list[float], side_level: float) -> tuple[float, float, bool]:
    """Distribution-free bounds for the median of `values`' population: the k-th smallest and
    k-th largest value, k the largest with P(Binomial(n, 1/2) < k) <= side_level (the sign
    test's interval), and True; the smallest and largest with False when n is too small for
    any k (the range then holds the median with less confidence than asked)."""
    xs = sorted(values)
    n = len(xs)
    k = 0
    for candidate in range(1, n // 2 + 1):
        if sign_test_tail(n - candidate + 1, n) <= side_level:  # = P(Bin(n, 1/2) < candidate)
            k = candidate
    return (xs[k - 1], xs[n - k], True) if k else (xs[0], xs[-1], False)


def fill_warm_up(row: PracticeRow, result: RunResult | None, steady: SampleSet | None) -> None:
    """Each session's first run (renewed sessions included) against the steady state."""
    comparison = given(result.comparison, {}) if result is not None else {}
    firsts = [
        f
        for key in ("session_first_run_ms", "renewed_first_run_ms")
        for f in comparison.get(key) or []
        if isinstance(f, (int, float))
    ]
    if not firsts or steady is None or not steady.size:
        row.status, row.reason = "failed", "no first run was measured"
        return
    flat = steady.flat().astype(np.float64) / 1e6
    median = float(np.median(flat))
    first = float(np.median(firsts))
    row.ref_median_ms, row.var_median_ms = first, median
    row.ratio = median / first
    # The interval: the steady median over the sign test's bounds for the first runs' median
    # (the range of the first runs when there are too few for those). Were the first runs
    # ordinary runs, the bounds would both lie above the steady median with probability at
    # most 2.5%, and all first runs above the steady p95 with 0.05 ** n (0.0025 for two
    # sessions): 'faster' on either, at most 0.0275 on each side.
    low_first, high_first, bounded = median_bounds(firsts, WARM_UP_SIDE_LEVEL)
    row.ci_low, row.ci_high = median / high_first, median / low_first
    p95, p5 = float(np.percentile(flat, 95)), float(np.percentile(flat, 5))
    n = len(firsts)
    if n >= 2 and (min(firsts) > p95 or (bounded and low_first > median)):
        row.verdict = "faster"
    elif n >= 2 and (max(firsts) < p5 or (bounded and high_first < median)):
        row.verdict = "slower"
    else:
        row.verdict = "no clear difference"
    above = sum(f > median for f in firsts)
    shown = ", ".join(f"{f:.3g}" for f in firsts[:6]) + (" ..." if n > 6 else "")
    row.method = (
        f"first run of {n} sessions ({shown} ms; {above} above the steady median) against "
        f"the steady state (median {median:.3g} ms, p95 {p95:.3g} ms); the interval is the "
        "steady median over the sign test's bounds for the first runs' median (their range "
        f"when they are few); 'faster' when those bounds (one-sided {WARM_UP_SIDE_LEVEL:.1%}) "
        "or every first run lie above the steady median, respectively p95"
    )


def fill_accuracy(row: PracticeRow, result: RunResult | None) -> None:
    """The precision row's accuracy against fp32, as the variant's run measured it."""
    from ...precision import accuracy_summary, calibration_note

    if result is None:
        return
    summary = accuracy_summary(given(result.accuracy, None))
    if summary is not None:
        row.cosine, row.max_abs_err = summary
    row.accuracy_note = calibration_note(result.profile.get("run") or {}) or ""
    quantization = given(result.quantization, None)
    if isinstance(quantization, dict) and "quantized_nodes" in quantization:
        row.quantized_nodes = int(quantization["quantized_nodes"])


def decided_pairs(finished: CompareFinished) -> dict[tuple[int, int], dict[str, Any]]:
    stopping = finished.comparison.stopping or {}
    return {(int(p["a"]), int(p["b"])): p for p in stopping.get("pairs", []) if "a" in p}


def apply_decided(row: PracticeRow, pair: dict[str, Any], method: str) -> None:
    """The row's verdict and CI from its sequential rule (its own error control), and how
    long it took to decide."""
    if pair.get("ci_low") is not None:
        row.ci_low, row.ci_high = pair["ci_low"], pair["ci_high"]
        row.verdict = pair["verdict"]
    else:
        row.verdict = "no clear difference"
    row.rounds = int(pair.get("rounds") or 0)
    # The row's own CI method, plus the rule's note (compare's method repeats the verdict's).
    note = method.find("; until decided")
    if note >= 0 and "; until decided" not in row.method:
        row.method += method[note:]
    row.stop_note = str(pair.get("note") or "")
