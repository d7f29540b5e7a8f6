"""The load job's result file (`kind: "load"`) and its per-request times (.npz beside it).

The JSON holds, per profile, every step's figures (and with --find-max the answer and every
step's decision); with two or more profiles, the verdict on the SLO percentile (p99 unless
--slo names another) of each profile against the first, at every rate they share. The .npz
holds every step's per-request times in ns from the step's start, as `pP_sS_scheduled`,
`_issued`, `_start`, `_end` (0: never reached) and `_shape`, so any figure can be made again.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ... import __version__
from ...errors import OrtbenchError
from ...fileio import slug, write_atomic
from ...profile import Profile, profile_to_dict
from ..job_records import LOAD_KIND, LOAD_SCHEMA, load_record
from ..protocol import SessionMeta
from ..result_record import ResultProblem
from ..results import (
    read_job_json,
    results_dir,
    write_job_json,
)
from ..stats import PERCENTILE_METHOD
from .decide import compare_percentile
from .harness import LEAD_S, SPIN_NS, Timeline
from .request import LoadRequest
from .summary import StepSummary, response_ns
from .worker import SWITCH_INTERVAL_S

SCHEMA = LOAD_SCHEMA
KIND = LOAD_KIND


@dataclass
class ProfileLoad:
    """One profile's part of the job: its session's facts, its steps and their timelines."""

    profile: Profile
    meta: SessionMeta = field(default_factory=lambda: SessionMeta())
    steps: list[StepSummary] = field(default_factory=list)
    timelines: list[Timeline] = field(default_factory=list)
    find_max: dict[str, Any] | None = None
    failed: str | None = None


class LoadSource(Protocol):
    """What the result is made from (a `run.LoadJob`)."""

    request: LoadRequest
    model_path: Path
    model_sha256: str
    warnings: list[str]

    @property
    def cancelled(self) -> bool: ...


def comparisons(job: LoadSource, parts: list[ProfileLoad]) -> list[dict[str, Any]]:
    """Each profile after the first against the first, at every rate both measured whole."""
    if len(parts) < 2:
        return []
    pct = job.request.slo.percentile if job.request.slo else 99.0
    base = parts[0]
    out = []
    for other in parts[1:]:
        rows = []
        for i, sa in enumerate(base.steps):
            j = next((j for j, sb in enumerate(other.steps)
                      if sb.rate == sa.rate and not sb.stopped), None)  # fmt: skip
            if j is None or sa.stopped:
                continue
            ra, rb = response_ns(base.timelines[i]), response_ns(other.timelines[j])
            rows.append(compare_percentile(sa.rate, ra, rb, pct).to_dict())
        out.append({
            "a": base.profile.name, "b": other.profile.name, "percentile": pct, "rates": rows,
        })  # fmt: skip
    return out


def build_load_result(job: LoadSource, parts: list[ProfileLoad]) -> dict[str, Any]:
    req = job.request
    hardware: dict[str, Any] = next(
        (p.meta["hardware"] for p in parts if p.meta.get("hardware")), {}
    )
    status = "cancelled" if job.cancelled else "failed" if any(p.failed for p in parts) else "ok"
    return {
        "schema": SCHEMA,
        "kind": KIND,
        "ortbench_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "status": status,
        "model": {
            "spec": req.model,
            "path": str(job.model_path),
            "sha256": job.model_sha256,
            "name": req.model if req.model.startswith("sample:") else job.model_path.stem,
        },
        "inputs": req.inputs.to_dict(),
        "hardware": hardware,
        "load": {
            "arrivals": req.arrivals,
            "seed": req.seed,
            "duration_s": req.duration_s,
            "workers": req.workers,
            "serving": "threads on one session",
            "rates": list(req.rates),
            "slo": {
                "text": req.slo.text,
                "percentile": req.slo.percentile,
                "bound_ms": req.slo.bound_ms,
            }
            if req.slo
            else None,  # fmt: skip
            "find_max": req.find_max,
            "mix": {"dim": req.mix.dim, "values": req.mix.values, "weights": req.mix.weights}
            if req.mix
            else None,
            "drain_s": req.drain_limit_s(),
            "trace": {
                "path": req.trace.path,
                "requests": int(req.trace.offsets_ns.size),
                "dim": req.trace.dim,
            }
            if req.trace
            else None,  # fmt: skip
            "mechanism": {
                "spin_ns": SPIN_NS,
                "lead_s": LEAD_S,
                "switch_interval_s": SWITCH_INTERVAL_S,
                "issue": "sleep to spin_ns before, then spin on perf_counter_ns with "
                "sleep(0) (releases the GIL); one issuing thread; FIFO queue to N threads",
            },
        },
        "profiles": [
            {
                "profile": profile_to_dict(p.profile),
                "providers": p.meta.get("providers"),
                "session_create_ms": p.meta.get("session_create_ms"),
                "intra_op_threads": p.meta.get("intra_op_threads"),
                "warm_service_ms": p.meta.get("warm_service_ms"),
                "shapes": p.meta.get("shapes"),
                "steps": [_json_safe(s.to_dict()) for s in p.steps],
                "find_max": p.find_max,
                "failed": p.failed,
            }
            for p in parts
        ],
        "comparisons": comparisons(job, parts),
        "percentile_method": PERCENTILE_METHOD,
        "warnings": list(job.warnings),
    }


def _json_safe(x: Any) -> Any:
    """NaN and infinities as null (the result JSON is strict JSON)."""
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x


def timeline_arrays(parts: list[ProfileLoad]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for p, part in enumerate(parts):
        for s, tl in enumerate(part.timelines):
            t0 = int(tl.scheduled_ns[0]) if tl.scheduled_ns.size else 0

            def rel(a: np.ndarray, t0: int = t0) -> np.ndarray:
                return np.where(a > 0, a - t0, 0).astype(np.int64)

            out[f"p{p}_s{s}_scheduled"] = rel(tl.scheduled_ns)
            out[f"p{p}_s{s}_issued"] = rel(tl.issued_ns)
            out[f"p{p}_s{s}_start"] = rel(tl.start_ns)
            out[f"p{p}_s{s}_end"] = rel(tl.end_ns)
            out[f"p{p}_s{s}_shape"] = np.asarray(tl.shapes, dtype=np.int16)
    return out


def save_load(result: dict[str, Any], parts: list[ProfileLoad]) -> Path:
    """Keep the job in the history folder: its timelines (.npz) first, then the JSON."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    names = "-vs-".join(slug(p["profile"]["name"], "load", 40) for p in result["profiles"])
    stem = f"{stamp}-{slug(result['model']['name'], 'load', 40)}-{names[:60]}-load"
    path = results_dir() / f"{stem}.json"
    buffer = io.BytesIO()
    np.savez(buffer, **timeline_arrays(parts))  # type: ignore[arg-type]
    npz = write_atomic(path.with_suffix(".npz"), buffer.getvalue(), make_parents=True)
    try:
        write_job_json(result, path, overwrite=False, make_parents=True)
    except BaseException:
        npz.unlink(missing_ok=True)
        raise
    return path


def load_load(path: str | Path) -> dict[str, Any]:
    """Read a saved load result (through the history's one safe reader: a named pipe or a
    huge file is refused, not read); errors name the file and what is wrong."""
    data = read_job_json(path, "load result")
    try:
        load_record(data)  # the one check: the file converts to its record (job_records.py)
    except ResultProblem as exc:
        raise OrtbenchError(f"{path}: {exc}") from None
    return data


def steps_of(result: dict[str, Any]) -> list[tuple[str, StepSummary]]:
    """(profile name, step) for every step of every profile."""
    return [
        (p["profile"]["name"], StepSummary.from_dict(s))
        for p in result["profiles"]
        for s in p["steps"]
    ]
