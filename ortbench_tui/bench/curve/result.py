"""The curve's result file (`kind: "curve"`), its raw samples (.npz), and curve comparisons.

The curve is built as its typed record (`job_records.CurveResult`), carried as one, and
written as JSON only here (`save_curve`) and by `curve --json`; `load_curve` reads a file back
through the record's one check.

The JSON holds every point with its summary; the .npz beside it holds each measured point's
samples in ns as `point_N` (N = the point's index in the grid). Run results and curves share
the history folder, which lists each as what it is (results.scan_history). Two curves of the
same grid compare point by point: the ratio of p50s B / A with the comparisons' bootstrap CI
and verdict.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np

from ... import __version__
from ...errors import OrtbenchError
from ...fileio import slug, write_atomic
from ...profile import profile_to_dict
from ...text import format_ms, format_ratio
from ..compare.bootstrap import DEFAULT_MARGIN, bootstrap_ratio, sequential_set, verdict
from ..job_records import (
    CURVE_KIND,
    CURVE_SCHEMA,
    CurveResult,
    GridRecord,
    PerPointRecord,
    curve_record,
    record_dict,
)
from ..result_record import HardwareRecord, ModelRecord, ProvidersRecord, ResultProblem, given
from ..results import (
    environment_warnings,
    job_kind,
    model_name,
    read_job_json,
    results_dir,
    write_job_json,
)
from ..run_eta import count_cap_s
from ..stats import PERCENTILE_METHOD
from .points import PointResult, knee_lines

SCHEMA: Literal[1] = CURVE_SCHEMA
KIND: Literal["curve"] = CURVE_KIND


def build_curve_result(run: Any, points: list[PointResult]) -> CurveResult:
    """The curve record from a finished (or stopped) CurveRun and its points."""
    req = run.request
    prof = req.profile
    meta = run.meta
    hardware = req.hardware or meta.get("hardware") or {}
    providers = meta.get("providers")
    failed = [p.label for p in points if p.status == "failed"]
    status = "cancelled" if run.cancelled else "failed" if failed else "ok"
    warnings = list(run.warnings) + environment_warnings(hardware, prof.run.pin_cpus)
    by_time = prof.run.duration_s > 0
    return CurveResult(
        schema=SCHEMA,
        kind=KIND,
        ortbench_version=__version__,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        status=status,
        model=ModelRecord(
            spec=req.model,
            path=str(run.model_path),
            sha256=run.model_sha256,
            name=model_name(req.model, run.model_path),
        ),
        profile=profile_to_dict(prof),
        inputs=req.inputs.to_dict(),
        hardware=msgspec.convert(hardware, HardwareRecord),
        providers=None if providers is None else msgspec.convert(providers, ProvidersRecord),
        intra_op_threads=meta.get("intra_op_threads"),
        session_create_ms=meta.get("session_create_ms"),
        grid=GridRecord(
            dims={k: list(v) for k, v in req.dims.items()},
            concurrency=list(req.concurrency),
        ),
        batch_dim=run.batch_dim,
        per_point=PerPointRecord(
            warmup_runs=prof.run.warmup_runs,
            timed_runs=None if by_time else prof.run.timed_runs,
            duration_s=prof.run.duration_s if by_time else None,
            max_duration_s=count_cap_s(prof.run) or None,
        ),
        points=[p.record() for p in points],
        knee=knee_lines(points, run.batch_dim),
        failed=failed,
        percentile_method=PERCENTILE_METHOD,
        warnings=warnings,
    )


def save_curve(result: CurveResult, samples: dict[str, np.ndarray]) -> Path:
    """Keep the curve in the history folder: its samples as .npz, then the JSON beside them
    (so no curve JSON is ever kept without its samples)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    model, profile = (
        slug(name, "run", 40) for name in (result.model_name(), result.profile_name())
    )
    stem = f"{stamp}-{model}-{profile}-curve"
    path = results_dir() / f"{stem}.json"
    npz = save_curve_samples(samples, path.with_suffix(".npz"), make_parents=True)
    try:
        write_job_json(record_dict(result), path, overwrite=False, make_parents=True)
    except BaseException:
        npz.unlink(missing_ok=True)
        raise
    return path


def save_curve_samples(
    samples: dict[str, np.ndarray], path: Path, make_parents: bool = False
) -> Path:
    """Every point's samples (int64 ns) as one .npz, through the one atomic writer."""
    buffer = io.BytesIO()
    arrays: dict[str, Any] = {k: np.asarray(v, dtype=np.int64) for k, v in samples.items()}
    np.savez(buffer, **arrays)
    return write_atomic(path, buffer.getvalue(), make_parents=make_parents)


def is_curve_file(path: str | Path) -> bool:
    """A result JSON whose kind is "curve" (False for anything unreadable: the caller's
    own loader then says what is wrong)."""
    return job_kind(path) == KIND


def load_curve(path: str | Path) -> CurveResult:
    """Read a saved curve (through the history's one safe reader: a named pipe or a huge
    file is refused, not read) as its record; errors name the file and the field."""
    data = read_job_json(path, "curve file")
    try:
        return curve_record(data)  # the one check: the file converts to its record
    except ResultProblem as exc:
        raise OrtbenchError(f"{path}: {exc}") from None


def curve_points(result: CurveResult) -> list[PointResult]:
    """The points of a curve record as the reports, knees and comparisons take them."""
    return [PointResult.from_record(p) for p in result.points]


def load_curve_samples(path: str | Path) -> dict[str, np.ndarray]:
    npz = Path(path).with_suffix(".npz")
    if not npz.exists():
        return {}
    with np.load(npz) as data:
        return {k: np.asarray(data[k], dtype=np.int64) for k in data.files}


@dataclass
class PointComparison:
    label: str
    a_p50_ms: float | None
    b_p50_ms: float | None
    ratio: float | None
    ci: tuple[float, float] | None
    verdict: str | None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["ci"] = list(self.ci) if self.ci else None
        return d


@dataclass
class CurveComparison:
    a: str
    b: str
    margin: float
    rows: list[PointComparison] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "curve-comparison",
            "a": self.a,
            "b": self.b,
            "margin": self.margin,
            "points": [r.to_dict() for r in self.rows],
            "warnings": list(self.warnings),
        }


def _grid_text(curve: CurveResult) -> str:
    """The grid as the error has always shown it (the JSON object's repr; None without one)."""
    grid = given(curve.grid, None)
    return str(None if grid is None else msgspec.to_builtins(grid))


def _grid_key(p: PointResult) -> tuple[Any, ...]:
    return tuple(sorted(p.dims.items())), p.concurrency


def compare_curves(
    path_a: str | Path, path_b: str | Path, margin: float = DEFAULT_MARGIN
) -> CurveComparison:
    """B against A, point by point; the grids must be the same (else OrtbenchError)."""
    ca, cb = load_curve(path_a), load_curve(path_b)
    pa = curve_points(ca)
    pb = {_grid_key(p): p for p in curve_points(cb)}
    if {_grid_key(p) for p in pa} != set(pb):
        grid_a, grid_b = (_grid_text(c) for c in (ca, cb))
        raise OrtbenchError(
            f"{path_b} measures another grid than {path_a} ({grid_b} vs "
            f"{grid_a}): curves compare point by point on the same grid"
        )
    sa, sb = load_curve_samples(path_a), load_curve_samples(path_b)
    out = CurveComparison(str(path_a), str(path_b), margin)
    if given(ca.model.sha256, None) != given(cb.model.sha256, None):
        out.warnings.append(f"different models: {ca.model_name()} vs {cb.model_name()}")
    for i, a in enumerate(pa):
        b = pb[_grid_key(a)]
        xa, xb = sa.get(f"point_{a.index}"), sb.get(f"point_{b.index}")
        a50, b50 = a.latency_ms.get("p50"), b.latency_ms.get("p50")
        row = PointComparison(a.label, a50, b50, None, None, None)
        if not (a.ok and b.ok and a50 and b50):
            row.note = "a point failed or did not run"
        else:
            row.ratio = b50 / a50
            if xa is None or xb is None:
                row.note = "no raw samples: no CI"
            else:
                ci = bootstrap_ratio(sequential_set([xa]), sequential_set([xb]), seed=i)
                if ci is None:
                    row.note = "too few samples for a CI"
                else:
                    row.ci = (ci.low, ci.high)
                    row.verdict = verdict(ci.low, ci.high, margin)
        out.rows.append(row)
    return out


def format_curve_comparison(comp: CurveComparison) -> str:
    from ...text import aligned_table

    rows = [["point", "A p50", "B p50", "B/A [95% CI]", "verdict"]]
    for r in comp.rows:
        ratio = format_ratio(r.ratio, *(r.ci or (None, None)))
        rows.append(
            [r.label, format_ms(r.a_p50_ms), format_ms(r.b_p50_ms), ratio, r.verdict or r.note]
        )
    lines = [f"A: {comp.a}", f"B: {comp.b}", *aligned_table(rows, right={1, 2, 3}, indent="")]
    lines += [f"warning: {w}" for w in comp.warnings]
    return "\n".join(lines)
