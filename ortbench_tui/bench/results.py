"""The result JSON (one object per run) and the history kept under the user data dir."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import __version__
from ..errors import OrtbenchError
from ..fileio import RESULT_LIMIT, check_regular, read_regular, slug, write_atomic
from ..profile import Profile, profile_to_dict
from ..text import plural
from .protocol import SessionMeta
from .result_check import SCHEMA, result_problem
from .stats import Described, describe, stability_warnings

Samples = np.ndarray | Described
"""A run's samples: an array (in memory or memory-mapped), or a `sample_store.SampleStore`."""

CURVE_KIND = "curve"
"""The `kind` of a curve result (`ortbench curve`); run results have none."""
CURVE_SCHEMA = 1


def exports_dir() -> Path:
    """Where the TUI's exports (Markdown, CSV tables) go unless another path is typed:
    `exports` beside the history, in the data dir."""
    return results_dir().parent / "exports"


def results_dir() -> Path:
    """Where history lives: $ORTBENCH_DATA_DIR/results, else the user data dir."""
    root = os.environ.get("ORTBENCH_DATA_DIR")
    if not root:
        import platformdirs

        root = platformdirs.user_data_dir("ortbench")
    return Path(root) / "results"


# The parent process, named in the shared-cores warning when it does work of its own: the CLI's
# only waits on a pipe; the TUI's redraws (set by `ortbench tui` before the app starts).
_PARENT = {"name": ""}


def set_parent_process(description: str) -> None:
    """Name the process that starts the runs, for the shared-cores warning ("the ortbench UI")."""
    _PARENT["name"] = description


def environment_warnings(hardware: dict[str, Any], pinned: list[int]) -> list[str]:
    warnings = []
    logical = hardware.get("logical_cores") or 0
    load = (hardware.get("load_avg") or [0.0])[0]
    if not pinned and logical <= 2:
        warnings.append(
            f"shared cores: the worker shares this machine's {logical} logical cores with "
            + (
                f"everything else ({_PARENT['name']} included)"
                if _PARENT["name"]
                else "everything else running here"
            )
            + "; expect noise"
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
    meta: SessionMeta,
    final: dict[str, Any],
    samples_ns: Samples,
    hardware: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the result object (ARCHITECTURE.md §5) from what the parent and the worker
    measured."""
    hardware = hardware or meta.get("hardware") or {}
    stats, percentile_method = describe(samples_ns)
    n = int(samples_ns.size)
    # NaN (no samples) is not JSON: such figures become null.
    latency: dict[str, Any] = {k: (v if v == v else None) for k, v in stats.items()}
    cv = latency.pop("cv")
    wall_s = float(final.get("wall_s") or 0.0)
    providers = meta.get("providers") or {"requested": [profile.provider_ep], "active": []}
    warnings = list(meta.get("warnings", [])) + list(final.get("warnings", []))
    if n:
        warnings += stability_warnings({**latency, "cv": cv}, n)
    warnings += environment_warnings(hardware, profile.run.pin_cpus)
    status = "failed" if final.get("failed") else "cancelled" if final.get("cancelled") else "ok"
    reason = final.get("reason") or {
        "failed": "the worker stopped early",
        "cancelled": "cancelled before the planned end",
    }.get(status, "")
    if status != "ok":
        first_line = str(reason).splitlines()[0] if reason else ""
        warnings.append(
            f"{status}: "
            + (f"{first_line}; " if first_line else "")
            + f"partial result from {n} timed runs"
        )
    result: dict[str, Any] = {
        "schema": SCHEMA,
        "ortbench_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "status": status,
        **({"reason": str(reason)} if status != "ok" and reason else {}),
        "model": {
            "spec": model_spec,
            "path": str(model_path),
            "sha256": model_sha256,
            "name": model_name(model_spec, model_path),
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
        "percentile_method": percentile_method,
        "inputs": list(meta.get("inputs") or []),
        "warnings": warnings,
    }
    for extra in ("accuracy", "quantization", "trace", "stopping", "shifts"):
        if extra in final:
            result[extra] = final[extra]
    quantized = final.get("quantization")
    if isinstance(quantized, dict) and quantized.get("quantized_nodes") == 0:
        from ..precision.int8 import quantization_note

        result["warnings"] = [*warnings, quantization_note(quantized)]
    if meta.get("tensorrt"):  # engine_from_cache, build_s, cache_dir (bench.gpu_session)
        result["tensorrt"] = meta["tensorrt"]
    return result


def model_name(spec: str, path: Path) -> str:
    return spec if spec.startswith("sample:") else path.stem


def write_result_json(
    result: dict[str, Any], path: Path, overwrite: bool = True, make_parents: bool = False
) -> Path:
    text = json.dumps(result, indent=2, allow_nan=False) + "\n"
    return write_atomic(path, text, overwrite=overwrite, make_parents=make_parents)


def save_to_history(result: dict[str, Any], samples_ns: Samples) -> Path:
    """Keep a run (JSON + raw samples .npy beside it) so later comparisons can find it.

    The samples go first and claim the name (no-overwrite, so two processes saving in the same
    microsecond take different names); the JSON, which is what history lists, comes last and
    the samples are removed again if it cannot be written: never a JSON without its samples.
    """
    folder = results_dir()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    model, profile = (slug(result[k]["name"], "run", 40) for k in ("model", "profile"))
    stem = f"{stamp}-{model}-{profile}"
    for attempt in range(1, 100):
        path = folder / (f"{stem}.json" if attempt == 1 else f"{stem}-{attempt}.json")
        try:
            save_samples(samples_ns, path.with_suffix(".npy"), overwrite=False, make_parents=True)
        except OrtbenchError:
            if path.with_suffix(".npy").exists():
                continue  # another run took this name a moment ago
            raise
        try:
            return write_result_json(result, path, overwrite=False)
        except BaseException:
            path.with_suffix(".npy").unlink(missing_ok=True)
            raise
    raise OrtbenchError(f"cannot find a free name for {stem} in {folder}")


def save_samples(
    samples_ns: Samples, path: Path, overwrite: bool = True, make_parents: bool = False
) -> Path:
    """Raw samples in nanoseconds as int64 .npy, written atomically (a store's spill file is
    linked or copied, never read into memory)."""
    if not isinstance(samples_ns, np.ndarray):
        return samples_ns.save_npy(path, overwrite=overwrite, make_parents=make_parents)
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(samples_ns, dtype=np.int64))
    return write_atomic(path, buffer.getvalue(), overwrite=overwrite, make_parents=make_parents)


def load_result(path: str | Path) -> dict[str, Any]:
    """Read and check a result JSON; errors name the file and what is wrong."""
    path = Path(path)
    raw = read_regular(path, RESULT_LIMIT, "result file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OrtbenchError(f"{path}: not a readable result JSON: {exc}") from None
    except RecursionError:
        raise OrtbenchError(f"{path}: JSON nested too deeply") from None
    problem = result_problem(data)
    if problem:
        raise OrtbenchError(f"{path}: {problem}")
    result: dict[str, Any] = data
    return result


def json_samples(result_path: str | Path) -> Path:
    """Where the raw samples of a result file live: beside it, `a.json` -> `a.npy`."""
    return Path(result_path).with_suffix(".npy")


def read_samples(result_path: str | Path) -> tuple[np.ndarray | None, str]:
    """The raw samples saved beside a result and "", or None and why they cannot be used
    ("" when none were saved). A 0-byte or truncated .npy counts as missing, with its reason."""
    npy = json_samples(result_path)
    if not npy.exists():
        return None, ""
    try:
        check_regular(npy, RESULT_LIMIT * 8, "samples file")
        samples = np.load(npy, allow_pickle=False)
    except OrtbenchError as exc:
        return None, str(exc)
    except (OSError, ValueError, EOFError) as exc:
        return None, f"{npy.name} is not a readable .npy ({exc or 'empty'}); samples ignored"
    if not isinstance(samples, np.ndarray) or samples.dtype.kind not in "iu":
        return None, f"{npy.name} does not hold integer nanosecond samples; samples ignored"
    return samples, ""


def load_samples(result_path: str | Path) -> np.ndarray | None:
    """The raw samples saved beside a result, if any (unreadable ones count as none)."""
    return read_samples(result_path)[0]


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
    precision: str = "fp32"
    inputs: str = ""
    """The input shapes measured (``tokens 1x128``); "" for results made before they were kept."""
    host: str = ""
    """The fleet node that measured it; "" for a run on this machine."""
    fleet_run: str = ""
    kind: str = "run"
    """"run", or "curve" for a load curve (`ortbench curve`): p50/p99 are then those of its
    first measured point, runs its requests in all, status its points."""


@dataclass
class HistoryScan:
    """The readable runs, newest first, and the files skipped with the reason for each."""

    entries: list[HistoryEntry]
    skipped: list[tuple[Path, str]]

    def skipped_note(self) -> str:
        """One line for the user, or "" when every file was read."""
        if not self.skipped:
            return ""
        names = "; ".join(f"{p.name}: {why}" for p, why in self.skipped)
        return f"{plural(len(self.skipped), 'history file')} could not be read: {names}"


def scan_history(folder: Path | None = None) -> HistoryScan:
    """Every saved run in `folder` (default: the history), checked; bad files are skipped and
    reported, never fatal."""
    from .run_inputs import shapes_of, shapes_text

    folder = folder or results_dir()
    scan = HistoryScan([], [])
    try:
        paths = sorted(folder.glob("*.json"), reverse=True)
    except OSError as exc:
        scan.skipped.append((folder, exc.strerror or str(exc)))
        return scan
    for path in paths:
        try:
            curve = _curve_entry(path)
            if curve is not None:
                scan.entries.append(curve)
                continue
            r = load_result(path)
        except OrtbenchError as exc:
            if _job_kind(path):  # another job's result (a curve, a load): not a run, not bad
                continue
            # The file is named beside its reason: keep the path out of the reason itself.
            reason = str(exc).removeprefix(f"{path}: ").replace(str(path), path.name)
            scan.skipped.append((path, reason))
            continue
        scan.entries.append(
            HistoryEntry(
                path=path,
                created=r.get("created", ""),
                model=r["model"].get("name", "?"),
                profile=r["profile"].get("name", "?"),
                p50_ms=_ms(r["latency_ms"].get("p50")),
                p99_ms=_ms(r["latency_ms"].get("p99")),
                runs=r["runs"],
                status=r.get("status", "ok"),
                precision=str((r["profile"].get("run") or {}).get("precision", "fp32")),
                inputs=shapes_text(shapes_of(r)) if r.get("inputs") else "",
                host=str(r.get("host") or ""),
                fleet_run=_fleet_run(r),
            )
        )
    return scan


def _job_kind(path: Path) -> str:
    """The `kind` a job's result file names (curve, load), or "" for anything else: run
    results have none, and an unreadable file is the caller's to report."""
    try:  # the safe reader: a named pipe or a huge file must not hang or fill memory
        data = json.loads(read_regular(path, RESULT_LIMIT, "result file").decode("utf-8"))
    except (OrtbenchError, UnicodeDecodeError, ValueError, RecursionError):
        return ""
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else ""


def _curve_entry(path: Path) -> HistoryEntry | None:
    """The history line of a curve file (None when `path` is not one); OrtbenchError naming
    what is wrong with a curve file that cannot be read."""
    # save_curve names them `…-curve.json`: other files are not read twice.
    if not path.stem.endswith("-curve"):
        return None
    raw = read_regular(path, RESULT_LIMIT, "curve file")
    try:
        c = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None  # not JSON: load_result says what is wrong
    if not isinstance(c, dict) or c.get("kind") != CURVE_KIND:
        return None
    if c.get("schema") != CURVE_SCHEMA or not isinstance(c.get("points"), list):
        raise OrtbenchError(f"curve schema {c.get('schema')}, this ortbench reads {CURVE_SCHEMA}")
    points = [p for p in c["points"] if isinstance(p, dict)]
    ok = [p for p in points if p.get("status") == "ok"]
    first = (ok[0].get("latency_ms") or {}) if ok else {}
    return HistoryEntry(
        path=path,
        created=str(c.get("created", "")),
        model=str((c.get("model") or {}).get("name", "?")),
        profile=str((c.get("profile") or {}).get("name", "?")),
        p50_ms=_ms(first.get("p50")),
        p99_ms=_ms(first.get("p99")),
        runs=sum(int(p.get("requests") or 0) for p in points),
        status=f"curve {len(ok)}/{len(points)}",
        precision=str(((c.get("profile") or {}).get("run") or {}).get("precision", "fp32")),
        inputs=", ".join(str(p.get("label") or _point_label(p)) for p in points[:4])
        + (" …" if len(points) > 4 else ""),
        host=str(c.get("host") or ""),
        kind="curve",
    )


def _point_label(point: dict[str, Any]) -> str:
    dims = point.get("dims") or {}
    return " ".join([*(f"{k}={v}" for k, v in dims.items()), f"C={point.get('concurrency', 1)}"])


def _fleet_run(result: dict[str, Any]) -> str:
    fleet = result.get("fleet")
    return str(fleet.get("run_id", "")) if isinstance(fleet, dict) else ""


def _ms(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def list_history(folder: Path | None = None) -> list[HistoryEntry]:
    """Saved runs, newest first; unreadable files are skipped (`scan_history` names them)."""
    return scan_history(folder).entries
