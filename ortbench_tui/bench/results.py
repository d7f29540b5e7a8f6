"""The result JSON (one object per run) and the history kept under the user data dir."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import OrtbenchError
from ..profile import Profile, atomic_write_text, profile_to_dict
from .stats import PERCENTILE_METHOD, stability_warnings, summarize

SCHEMA = 1
REQUIRED_KEYS = ("schema", "model", "profile", "latency_ms", "runs")


def results_dir() -> Path:
    """Where history lives: $ORTBENCH_DATA_DIR/results, else the user data dir."""
    root = os.environ.get("ORTBENCH_DATA_DIR")
    if not root:
        import platformdirs

        root = platformdirs.user_data_dir("ortbench")
    return Path(root) / "results"


def _environment_warnings(hardware: dict[str, Any], pinned: list[int]) -> list[str]:
    warnings = []
    logical = hardware.get("logical_cores") or 0
    load = (hardware.get("load_avg") or [0.0])[0]
    if not pinned and logical <= 2:
        warnings.append(
            f"shared cores: the worker shares this machine's {logical} logical cores with "
            "everything else (the UI included); expect noise"
        )
    if logical and load > 0.5 * logical:
        warnings.append(f"busy machine: load average {load:.2f} on {logical} logical cores")
    governor = hardware.get("cpu_governor")
    if governor and governor != "performance":
        warnings.append(f"CPU frequency scaling: governor is '{governor}', not 'performance'")
    return warnings


def build_result(
    *,
    model_spec: str,
    model_path: Path,
    model_sha256: str,
    profile: Profile,
    meta: dict[str, Any],
    final: dict[str, Any],
    samples_ns: np.ndarray,
    hardware: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the result object of DESIGN.md from what the parent and the worker measured."""
    hardware = hardware or meta.get("hardware") or {}
    n = int(samples_ns.size)
    # NaN (no samples) is not JSON: such figures become null.
    latency: dict[str, Any] = {k: (v if v == v else None) for k, v in summarize(samples_ns).items()}
    cv = latency.pop("cv")
    wall_s = float(final.get("wall_s") or 0.0)
    providers = meta.get("providers") or {"requested": [profile.provider_ep], "active": []}
    warnings = list(meta.get("warnings", [])) + list(final.get("warnings", []))
    if n:
        warnings += stability_warnings({**latency, "cv": cv}, n)
    warnings += _environment_warnings(hardware, profile.run.pin_cpus)
    if final.get("cancelled"):
        warnings.append(f"cancelled: partial result from {n} timed runs")
    if final.get("failed"):
        warnings.append(f"failed: the worker stopped early; partial result from {n} timed runs")
    status = "failed" if final.get("failed") else "cancelled" if final.get("cancelled") else "ok"
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "ortbench_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "status": status,
        "model": {
            "spec": model_spec,
            "path": str(model_path),
            "sha256": model_sha256,
            "name": _model_name(model_spec, model_path),
        },
        "profile": profile_to_dict(profile),
        "hardware": hardware,
        "providers": {**providers, "fallback_nodes": final.get("fallback_nodes", [])},
        "intra_op_threads": meta.get("intra_op_threads"),
        "worker_cpus": meta.get("worker_cpus"),
        "session_create_ms": meta.get("session_create_ms"),
        "first_run_ms": final.get("first_run_ms"),
        "warmup_runs": profile.run.warmup_runs,
        "runs": n,
        "wall_s": wall_s,
        "latency_ms": latency,
        "cv": cv,
        "throughput_per_s": (n / wall_s) if wall_s > 0 else None,
        "rss_peak_mb": final.get("rss_peak_mb"),
        "gpu_mem_peak_mb": final.get("gpu_mem_peak_mb"),
        "gpu_mem_note": final.get("gpu_mem_note"),
        "percentile_method": PERCENTILE_METHOD,
        "warnings": warnings,
    }
    for extra in ("accuracy", "trace", "stopping", "shifts"):
        if extra in final:
            result[extra] = final[extra]
    return result


def _model_name(spec: str, path: Path) -> str:
    return spec if spec.startswith("sample:") else path.stem


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "run"


def write_result_json(result: dict[str, Any], path: Path, overwrite: bool = True) -> Path:
    atomic_write_text(path, json.dumps(result, indent=2, allow_nan=False) + "\n", overwrite)
    return path


def save_to_history(result: dict[str, Any], samples_ns: np.ndarray) -> Path:
    """Keep a run (JSON + raw samples .npy beside it) so later comparisons can find it."""
    folder = results_dir()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    stem = f"{stamp}-{_slug(result['model']['name'])}-{_slug(result['profile']['name'])}"
    path = folder / f"{stem}.json"
    write_result_json(result, path, overwrite=False)
    save_samples(samples_ns, path.with_suffix(".npy"))
    return path


def save_samples(samples_ns: np.ndarray, path: Path) -> Path:
    """Raw samples in nanoseconds as int64 .npy, written atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        np.save(fh, np.asarray(samples_ns, dtype=np.int64))
    os.replace(tmp, path)
    return path


def load_result(path: str | Path) -> dict[str, Any]:
    """Read a result JSON; errors name the file and what is wrong."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OrtbenchError(f"result file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OrtbenchError(f"{path}: not a readable result JSON: {exc}") from None
    if not isinstance(data, dict):
        raise OrtbenchError(f"{path}: expected a JSON object")
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        raise OrtbenchError(f"{path}: not an ortbench result (missing {', '.join(missing)})")
    if data["schema"] != SCHEMA:
        raise OrtbenchError(f"{path}: result schema {data['schema']}, this ortbench reads {SCHEMA}")
    return data


def load_samples(result_path: str | Path) -> np.ndarray | None:
    """The raw samples saved beside a result, if any."""
    npy = Path(result_path).with_suffix(".npy")
    return np.load(npy) if npy.exists() else None


@dataclass
class HistoryEntry:
    path: Path
    created: str
    model: str
    profile: str
    p50_ms: float
    p99_ms: float
    runs: int
    status: str


def list_history(folder: Path | None = None) -> list[HistoryEntry]:
    """Saved runs, newest first; unreadable files are skipped, not fatal."""
    folder = folder or results_dir()
    entries = []
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            r = load_result(path)
        except OrtbenchError:
            continue
        entries.append(
            HistoryEntry(
                path=path,
                created=r.get("created", ""),
                model=r["model"].get("name", "?"),
                profile=r["profile"].get("name", "?"),
                p50_ms=r["latency_ms"].get("p50", float("nan")),
                p99_ms=r["latency_ms"].get("p99", float("nan")),
                runs=r["runs"],
                status=r.get("status", "ok"),
            )
        )
    return entries
