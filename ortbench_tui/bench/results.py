"""The result JSON (one object per run) and the history kept under the user data dir."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import msgspec
import numpy as np
from msgspec import UNSET, UnsetType

from .. import __version__
from ..data_dir import data_dir
from ..errors import OrtbenchError
from ..fileio import RESULT_LIMIT, check_regular, read_regular, slug, write_atomic
from ..profile import Profile, profile_to_dict
from ..text import plural
from .job_records import CURVE_KIND, LOAD_KIND, PointRecord, curve_record, load_record
from .parent import parent_process_name
from .protocol import RunFinal, SessionMeta
from .result_record import (
    SCHEMA,
    HardwareRecord,
    InputRecord,
    LatencyRecord,
    ModelRecord,
    ProvidersRecord,
    ResultProblem,
    RunResult,
    given,
    record_dict,
    run_record,
)
from .stats import Described, describe, stability_warnings

Samples = np.ndarray | Described
"""A run's samples: an array (in memory or memory-mapped), or a `sample_store.SampleStore`."""

_NOT_A_RUN = {
    CURVE_KIND: "a curve (ortbench curve), not a run: a curve compares with another curve of "
    "the same grid (ortbench compare CURVE_A.json CURVE_B.json)",
    LOAD_KIND: "a load result (ortbench load), not a run: load results are not compared "
    "offline; profiles compare under load in one job, on the same schedule (ortbench load "
    "MODEL --profile A --profile B --rate R)",
}


def exports_dir() -> Path:
    """Where the TUI's exports (Markdown, CSV tables) go unless another path is typed:
    `exports` beside the history, in the data dir."""
    return results_dir().parent / "exports"


def results_dir() -> Path:
    """Where history lives: $ORTBENCH_DATA_DIR/results, else the user data dir."""
    return data_dir() / "results"


def environment_warnings(hardware: dict[str, Any], pinned: list[int]) -> list[str]:
    warnings = []
    logical = hardware.get("logical_cores") or 0
    load = (hardware.get("load_avg") or [0.0])[0]
    if not pinned and logical <= 2:
        warnings.append(
            f"shared cores: the worker shares this machine's {logical} logical cores with "
            + (
                f"everything else ({parent_process_name()} included)"
                if parent_process_name()
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
    final: RunFinal,
    samples_ns: Samples,
    hardware: dict[str, Any] | None = None,
) -> RunResult:
    """Assemble the result record (ARCHITECTURE.md §5) from what the parent and the worker
    measured."""
    hardware = hardware or meta.get("hardware") or {}
    stats, percentile_method = describe(samples_ns)
    n = int(samples_ns.size)
    # NaN (no samples) is not JSON: such figures become null.
    latency: dict[str, Any] = {k: (v if v == v else None) for k, v in stats.items()}
    cv = latency.pop("cv")
    wall_s = float(final.wall_s or 0.0)
    providers = meta.get("providers") or {"requested": [profile.provider_ep], "active": []}
    warnings = list(meta.get("warnings", [])) + list(final.warnings)
    if n:
        warnings += stability_warnings({**latency, "cv": cv}, n)
    warnings += environment_warnings(hardware, profile.run.pin_cpus)
    status = "failed" if final.failed else "cancelled" if final.cancelled else "ok"
    reason = final.reason or {
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
    quantized = final.quantization
    if isinstance(quantized, dict) and quantized.get("quantized_nodes") == 0:
        from ..precision.int8 import quantization_note

        warnings.append(quantization_note(quantized) or "")  # a non-empty summary has a note
    # The sections the worker and the machine describe come as JSON objects; msgspec reads them
    # into their records (it checks types, never values: a figure is kept whatever it is).
    return RunResult(
        schema=SCHEMA,
        ortbench_version=__version__,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        status=status,
        reason=str(reason) if status != "ok" and reason else UNSET,
        model=ModelRecord(
            spec=model_spec,
            path=str(model_path),
            sha256=model_sha256,
            name=model_name(model_spec, model_path),
        ),
        profile=profile_to_dict(profile),
        hardware=msgspec.convert(hardware, HardwareRecord),
        providers=msgspec.convert(
            {**providers, "fallback_nodes": final.fallback_nodes}, ProvidersRecord
        ),
        intra_op_threads=meta.get("intra_op_threads"),
        worker_cpus=meta.get("worker_cpus"),
        session_create_ms=meta.get("session_create_ms"),
        first_run_ms=final.first_run_ms,
        warmup_runs=profile.run.warmup_runs,
        runs=n,
        wall_s=wall_s,
        latency_ms=LatencyRecord(**latency),
        cv=cv,
        throughput_per_s=(n / wall_s) if wall_s > 0 else None,
        rss_peak_mb=final.rss_peak_mb,
        gpu_mem_peak_mb=final.gpu_mem_peak_mb,
        gpu_mem_note=final.gpu_mem_note,
        percentile_method=percentile_method,
        inputs=msgspec.convert(list(meta.get("inputs") or []), list[InputRecord]),
        warnings=warnings,
        # A section a run does not have stays absent (None is not written as null).
        accuracy=_section(final.accuracy),
        quantization=_section(final.quantization),
        trace=_section(final.trace),
        stopping=_section(final.stopping),
        shifts=_section(final.shifts),
        # engine_from_cache, build_s, cache_dir (bench.gpu_session)
        tensorrt=meta.get("tensorrt") or UNSET,
    )


S = TypeVar("S")


def _section(value: S | None) -> S | UnsetType:
    return UNSET if value is None else value


def model_name(spec: str, path: Path) -> str:
    return spec if spec.startswith("sample:") else path.stem


def write_result_json(
    result: RunResult, path: Path, overwrite: bool = True, make_parents: bool = False
) -> Path:
    """The record as its JSON file: the text today's files have (2-space indent, no NaN)."""
    return write_job_json(record_dict(result), path, overwrite, make_parents)


def write_job_json(
    data: dict[str, Any], path: Path, overwrite: bool = True, make_parents: bool = False
) -> Path:
    """A job's JSON object (a run's, a curve's, a load's) written atomically, as
    `read_job_json` reads it back."""
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    return write_atomic(path, text, overwrite=overwrite, make_parents=make_parents)


def save_to_history(result: RunResult, samples_ns: Samples) -> Path:
    """Keep a run (JSON + raw samples .npy beside it) so later comparisons can find it.

    The samples go first and claim the name (no-overwrite, so two processes saving in the same
    microsecond take different names); the JSON, which is what history lists, comes last and
    the samples are removed again if it cannot be written: never a JSON without its samples.
    """
    folder = results_dir()
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    model, profile = (
        slug(name, "run", 40) for name in (result.model_name(), result.profile_name())
    )
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


def read_job_json(path: str | Path, what: str) -> dict[str, Any]:
    """The JSON object of a result file (a run's, a curve's, a load's), read through the one
    safe reader: a named pipe is refused, never waited on, and a file over RESULT_LIMIT is
    refused, never read whole. OrtbenchError naming the file and what is wrong otherwise
    (`what` names the file in those errors: "load result", "curve file")."""
    raw = read_regular(path, RESULT_LIMIT, what)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise OrtbenchError(f"{path}: not a readable {what}: not UTF-8 ({exc})") from None
    except json.JSONDecodeError as exc:
        raise OrtbenchError(f"{path}: not a readable {what}: not JSON ({exc})") from None
    except RecursionError:
        raise OrtbenchError(f"{path}: not a readable {what}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise OrtbenchError(f"{path}: not {_a(what)}: expected a JSON object")
    out: dict[str, Any] = data
    return out


def _a(what: str) -> str:
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"


def job_kind(path: str | Path) -> str:
    """The `kind` a result file names (curve, load), or "" for anything else: run results
    have none, and an unreadable file is the caller's to report."""
    try:
        kind = read_job_json(path, "result file").get("kind")
    except OrtbenchError:
        return ""
    return kind if isinstance(kind, str) else ""


def load_result(path: str | Path) -> RunResult:
    """A run's result file as its record, checked once (`run_record`); errors name the file
    and what is wrong (a curve or a load result is named as what it is, with what to use
    instead)."""
    data = read_job_json(path, "result file")
    kind = data.get("kind")
    if isinstance(kind, str):
        note = _NOT_A_RUN.get(kind, f"a {kind!r} file, not a run's result")
        raise OrtbenchError(f"{path}: {note}")
    try:
        return run_record(data)  # the one check (result_record.py)
    except ResultProblem as exc:
        raise OrtbenchError(f"{path}: {exc}") from None


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
    """One line of the history: a run, a curve or a load result.

    For a run, p50/p99 are its latency's, runs its timed runs, status ok, cancelled or failed.
    For a curve ("curve"): p50/p99 of its first measured point, runs its requests in all,
    status its points (`curve 3/3`), inputs its points' labels.
    For a load result ("load"): p50/p99 of the response time (from the scheduled arrival) at
    the last whole step (one not stopped early) of its first profile, NaN when there is none;
    runs the requests served in all, every step of every profile; status what was measured
    (`load 3 rates`, or `load max 1,200/s` for --find-max, its first profile's answer), with
    `, cancelled` or `, failed` after it when the job did not end well; profile its profiles'
    names (`a vs b`); inputs the arrivals, rates and serving threads."""

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
    """"run", "curve" (`ortbench curve`) or "load" (`ortbench load`)."""


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
    """Every saved run, curve and load result in `folder` (default: the history), checked; bad
    files are skipped and reported, never fatal."""
    folder = folder or results_dir()
    scan = HistoryScan([], [])
    try:
        paths = sorted(folder.glob("*.json"), reverse=True)
    except OSError as exc:
        scan.skipped.append((folder, exc.strerror or str(exc)))
        return scan
    for path in paths:
        try:
            entry = _history_entry(path)
        except OrtbenchError as exc:
            # The file is named beside its reason: keep the path out of the reason itself.
            reason = str(exc).removeprefix(f"{path}: ").replace(str(path), path.name)
            scan.skipped.append((path, reason))
            continue
        if entry is not None:
            scan.entries.append(entry)
    return scan


def _history_entry(path: Path) -> HistoryEntry | None:
    """The history line of one file; None for another job's result this ortbench does not
    list (a kind it does not know: not a run, not bad); OrtbenchError naming what is wrong."""
    data = read_job_json(path, "result file")
    kind = data.get("kind")
    if kind == CURVE_KIND:
        return _curve_entry(path, data)
    if kind == LOAD_KIND:
        return _load_entry(path, data)
    if isinstance(kind, str):
        return None
    return _run_entry(path, data)


def _run_entry(path: Path, r: dict[str, Any]) -> HistoryEntry:
    from .run_inputs import shapes_of, shapes_text

    try:
        record = run_record(r)
    except ResultProblem as exc:
        raise OrtbenchError(str(exc)) from None
    return HistoryEntry(
        path=path,
        created=given(record.created, ""),
        model=record.model_name(),
        profile=record.profile_name(),
        p50_ms=_ms(given(record.latency_ms.p50, None)),
        p99_ms=_ms(given(record.latency_ms.p99, None)),
        runs=record.runs,
        status=record.run_status(),
        precision=record.precision(),
        inputs=shapes_text(shapes_of(record)) if given(record.inputs, None) else "",
        host=given(record.host, ""),
        fleet_run=str(given(record.fleet, {}).get("run_id", "")),
    )


def _curve_entry(path: Path, c: dict[str, Any]) -> HistoryEntry:
    """The history line of a curve file; OrtbenchError naming what is wrong with it."""
    try:
        curve = curve_record(c)  # the one check (job_records.py); the line reads the record
    except ResultProblem as exc:
        raise OrtbenchError(str(exc)) from None
    points = curve.points
    ok = [p for p in points if given(p.status, "ok") == "ok"]
    first = given(ok[0].latency_ms, None) if ok else None
    return HistoryEntry(
        path=path,
        created=given(curve.created, ""),
        model=curve.model_name(),
        profile=curve.profile_name(),
        p50_ms=_ms(given(first.p50, None) if first else None),
        p99_ms=_ms(given(first.p99, None) if first else None),
        runs=sum(given(p.requests, 0) for p in points),
        status=f"curve {len(ok)}/{len(points)}",
        precision=_precision(curve.profile),
        inputs=", ".join(_point_label(p) for p in points[:4]) + (" …" if len(points) > 4 else ""),
        host=given(curve.host, None) or "",
        kind=CURVE_KIND,
    )


def _load_entry(path: Path, data: dict[str, Any]) -> HistoryEntry:
    """The history line of a load result (HistoryEntry says what its figures are);
    OrtbenchError naming what is wrong with it."""
    try:
        load_record(data)  # the one check (job_records.py)
    except ResultProblem as exc:
        raise OrtbenchError(str(exc)) from None
    parts = [p for p in data["profiles"] if isinstance(p, dict)]
    if not parts:
        raise OrtbenchError("a load result with no profiles")
    steps = [[s for s in _list(p.get("steps")) if isinstance(s, dict)] for p in parts]
    whole = [s for s in steps[0] if not s.get("stopped") and not s.get("error")]
    response = _dict(whole[-1].get("response_ms")) if whole else {}
    load = _dict(data.get("load"))
    find_max = parts[0].get("find_max")
    if isinstance(find_max, dict):
        best = find_max.get("max_rate")
        status = f"load max {best:,.0f}/s" if _number(best) else "load max none"
    else:
        rates = {s.get("rate") for p in steps for s in p}
        status = f"load {plural(len(rates), 'rate')}"
    if data.get("status") in ("cancelled", "failed"):
        status += f", {data['status']}"
    return HistoryEntry(
        path=path,
        created=str(data.get("created", "")),
        model=_name(data.get("model")),
        profile=" vs ".join(_name(p.get("profile")) for p in parts),
        p50_ms=_ms(response.get("p50") if _number(response.get("p50")) else None),
        p99_ms=_ms(response.get("p99") if _number(response.get("p99")) else None),
        runs=sum(_count(s.get("served")) for p in steps for s in p),
        status=status,
        precision="/".join(dict.fromkeys(_precision(p.get("profile")) for p in parts)),
        inputs=_load_text(load),
        host=str(data.get("host") or ""),
        fleet_run=_fleet_run(data),
        kind=LOAD_KIND,
    )


def _load_text(load: dict[str, Any]) -> str:
    """`poisson arrivals at 200/s, 400/s · 1 thread`; for --find-max, the SLO searched."""
    slo = _dict(load.get("slo"))
    rates = [r for r in _list(load.get("rates")) if _number(r)]
    what = f"{load.get('arrivals', '?')} arrivals"
    if rates:
        what += " at " + ", ".join(f"{r:,.6g}/s" for r in rates)
    elif slo.get("text"):
        what += f", the highest rate meeting {slo['text']}"
    parts = [what]
    if _number(load.get("workers")):
        parts.append(plural(int(load["workers"]), "thread"))
    return " · ".join(parts)


def _name(block: Any) -> str:
    return str(block.get("name", "?")) if isinstance(block, dict) else "?"


def _precision(profile: Any) -> str:
    run = profile.get("run") if isinstance(profile, dict) else None
    return str(run.get("precision", "fp32")) if isinstance(run, dict) else "fp32"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _count(value: Any) -> int:
    return int(value) if _number(value) and math.isfinite(value) and value >= 0 else 0


def _point_label(point: PointRecord) -> str:
    return " ".join([*(f"{k}={v}" for k, v in point.dims.items()), f"C={point.concurrency}"])


def _fleet_run(result: dict[str, Any]) -> str:
    fleet = result.get("fleet")
    return str(fleet.get("run_id", "")) if isinstance(fleet, dict) else ""


def _ms(value: float | None) -> float:
    return float("nan") if value is None else float(value)


def list_history(folder: Path | None = None) -> list[HistoryEntry]:
    """Saved runs, newest first; unreadable files are skipped (`scan_history` names them)."""
    return scan_history(folder).entries
