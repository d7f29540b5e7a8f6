"""Offline comparisons: saved result files (with their .npy samples when kept)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ...errors import OrtbenchError
from ..level_bootstrap import BOOTSTRAP_REPS
from ..result_record import RunResult, given
from ..run_inputs import shape_mismatch_warning, shapes_of, shapes_text
from .bootstrap import DEFAULT_MARGIN, SampleSet, sequential_set
from .model import LETTERS, Comparison, build_comparison

HARDWARE_KEYS = ("cpu_model", "physical_cores", "logical_cores", "ort_version")


def _gpu_names(hw: dict[str, Any]) -> list[str]:
    return sorted(str(g.get("name")) for g in hw.get("gpus") or [])


def environment_warnings(results: list[RunResult], labels: list[str]) -> list[str]:
    """Different models or machines make a comparison mean something else: say so."""
    out = []
    base = results[0]
    sha0 = given(base.model.sha256, None)
    hw0 = base.hardware_dict()
    for label, r in zip(labels[1:], results[1:], strict=True):
        sha = given(r.model.sha256, None)
        if sha0 and sha and sha != sha0:
            out.append(
                f"different models: {labels[0]} ran {given(base.model.name, None)} "
                f"(sha256 {sha0[:12]}), {label} ran {given(r.model.name, None)} "
                f"(sha256 {sha[:12]})"
            )
        hw = r.hardware_dict()
        diffs = [
            f"{k} {hw0.get(k)!r} vs {hw.get(k)!r}" for k in HARDWARE_KEYS if hw0.get(k) != hw.get(k)
        ]
        if _gpu_names(hw0) != _gpu_names(hw):
            diffs.append(f"GPUs {_gpu_names(hw0)} vs {_gpu_names(hw)}")
        if diffs:
            out.append(f"different hardware ({labels[0]} vs {label}): " + "; ".join(diffs))
    return out


def sample_set_from_result(result: RunResult | None, samples: np.ndarray) -> SampleSet:
    """Rebuild sessions and rounds from what a compare run recorded, else chunk the run."""
    info = (given(result.comparison, None) if result is not None else None) or {}
    runs = [int(n) for n in info.get("session_runs") or []]
    if runs and sum(runs) == samples.size:
        parts = np.split(samples, np.cumsum(runs)[:-1])
        if info.get("mode") == "interleaved" and info.get("block_runs"):
            m = int(info["block_runs"])
            if all(p.size % m == 0 for p in parts):
                return SampleSet(
                    [p.reshape(-1, m) for p in parts],
                    paired=True,
                    run_id=str(info.get("run_id", "")),
                    calls_alternated=info.get("alternation") == "call",
                )
        return sequential_set(parts)
    return sequential_set([samples])


def compare_files(
    paths: list[str | Path],
    margin: float = DEFAULT_MARGIN,
    reps: int = BOOTSTRAP_REPS,
    seed: int = 0,
) -> tuple[Comparison, list[RunResult]]:
    """Compare saved results (each against the first), from their .npy samples if saved."""
    from ..results import load_result, read_samples

    if len(paths) < 2:
        raise OrtbenchError("compare needs at least two result files")
    results = [load_result(p) for p in paths]
    labels = [LETTERS[i % 26] for i in range(len(results))]
    warnings = environment_warnings(results, labels)
    sets: list[SampleSet | None] = []
    summaries = []
    for path, r in zip(paths, results, strict=True):
        summaries.append(
            {
                "median_ms": given(r.latency_ms.p50, None),
                "p99_ms": given(r.latency_ms.p99, None),
                "runs": r.runs,
                "cv": given(r.cv, None),
                "first_run_ms": given(r.first_run_ms, None),
                "status": r.run_status(),
                "sessions": given(r.comparison, {}).get("sessions", 1),
            }
        )
        samples, problem = read_samples(path)
        if problem:
            warnings.append(f"{Path(path).name}: {problem}")
        if samples is None:
            warnings.append(
                f"no raw samples beside {Path(path).name}: the CI cannot be computed; "
                "summary figures only"
            )
            sets.append(None)
            continue
        samples = np.asarray(samples, dtype=np.int64).ravel()
        if samples.size != r.runs:
            warnings.append(
                f"{Path(path).name}: {samples.size} samples beside a result of {r.runs} runs"
            )
        sets.append(sample_set_from_result(r, samples))
    run_ids = {s.run_id if s is not None and s.paired else None for s in sets}
    if any(s is not None for s in sets) and (len(run_ids) != 1 or None in run_ids):
        warnings.append(
            "these results were not measured in one interleaved run: drift between them is "
            "part of the difference"
        )
    names = [r.profile_name() for r in results]
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        seen[n] = seen.get(n, 0) + 1
        if seen[n] > 1:
            names[i] = f"{n} ({seen[n]})"
    model = given(results[0].model.name, "")
    mismatch = shape_mismatch_warning(labels, results)
    if mismatch:
        warnings.append(mismatch)
    comp = build_comparison(
        mode="offline",
        names=names,
        sets=sets,
        summaries=summaries,
        profiles=[r.profile for r in results],
        margin=margin,
        reps=reps,
        seed=seed,
        warnings=warnings,
        model=model,
        hardware=results[0].hardware_dict(),
    )
    comp.inputs = [shapes_text(shapes_of(r)) for r in results]
    return comp, results
