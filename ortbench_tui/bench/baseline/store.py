"""Named baselines kept beside the history: `<data dir>/baselines/NAME.json` + `NAME.npz`.

The JSON is the record (schema below, also in the README); the .npz holds every unit's
samples in ns as `u{unit}_s{session}` int64 arrays, so a baseline can be re-analysed later.
The samples are written first and the JSON last (the JSON is what `baseline list` sees), both
atomically, so a crash leaves no baseline without its samples.

    {"schema": 1, "kind": "baseline", "name", "created", "ortbench_version",
     "model": {"spec", "path", "sha256", "name"}, "profile": {resolved profile},
     "inputs_spec": {InputSpec dict}, "inputs": [per input: name, dtype, shape, source],
     "fingerprint": {"ort_version", "cpu_model", "physical_cores", "logical_cores",
                     "gpus": [names], "gpu_driver"},
     "plan": {"sessions", "seconds"},
     "units": [{"log_value", "session_medians_ms", "runs"}],
     "p50_ms", "spread_pct", "warnings": [...]}
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ... import __version__
from ...errors import OrtbenchError
from ...fileio import RESULT_LIMIT, check_regular, read_regular, write_atomic
from ...hardware.machine import machine_fingerprint
from ..results import results_dir
from .units import Unit, UnitPlan

SCHEMA = 1
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
"""A baseline name is a file name everywhere: no path parts, no leading dot or dash."""


def baselines_dir() -> Path:
    """Beside the history: `<data dir>/baselines`."""
    return results_dir().parent / "baselines"


def check_name(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise OrtbenchError(
            f"baseline name {name!r}: expected 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter, digit or '_'"
        )
    return name


@dataclass
class Baseline:
    name: str
    record: dict[str, Any]
    """The JSON object above."""

    @property
    def log_values(self) -> list[float]:
        return [float(u["log_value"]) for u in self.record["units"]]

    @property
    def model_sha256(self) -> str:
        return str(self.record["model"]["sha256"])


def build_record(
    *,
    name: str,
    model_spec: str,
    model_path: Path,
    model_sha256: str,
    model_name: str,
    profile: dict[str, Any],
    inputs_spec: dict[str, Any],
    plan: UnitPlan,
    units: list[Unit],
    warnings: list[str],
) -> dict[str, Any]:
    meta = units[0].meta if units else {}
    values = [u.log_value for u in units]
    spread = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
    return {
        "schema": SCHEMA,
        "kind": "baseline",
        "name": name,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "ortbench_version": __version__,
        "model": {
            "spec": model_spec,
            "path": str(model_path),
            "sha256": model_sha256,
            "name": model_name,
        },
        "profile": profile,
        "inputs_spec": inputs_spec,
        "inputs": list(meta.get("inputs") or []),
        "providers": meta.get("providers") or {},
        "fingerprint": machine_fingerprint(meta.get("hardware") or {}),
        "plan": {"sessions": plan.sessions, "seconds": plan.seconds},
        "units": [
            {
                "log_value": u.log_value,
                "session_medians_ms": u.session_medians_ms,
                "runs": u.runs,
            }
            for u in units
        ],
        "p50_ms": math.exp(float(np.mean(values))) if values else None,
        "spread_pct": None if math.isnan(spread) else 100.0 * (math.exp(spread) - 1.0),
        "warnings": warnings,
    }


def save_baseline(record: dict[str, Any], units: list[Unit], overwrite: bool = False) -> Path:
    """Write NAME.npz then NAME.json; an existing baseline is kept unless `overwrite`."""
    name = check_name(str(record["name"]))
    folder = baselines_dir()
    path = folder / f"{name}.json"
    if path.exists() and not overwrite:
        raise OrtbenchError(
            f"baseline '{name}' already exists ({path}); give another --name, or --replace"
        )
    arrays = {
        f"u{i}_s{j}": np.asarray(s, dtype=np.int64)
        for i, unit in enumerate(units)
        for j, s in enumerate(unit.sessions)
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    write_atomic(path.with_suffix(".npz"), buffer.getvalue(), overwrite=True, make_parents=True)
    text = json.dumps(record, indent=2, allow_nan=False) + "\n"
    write_atomic(path, text, overwrite=True)
    return path


REQUIRED = ("name", "model", "profile", "fingerprint", "units", "plan")


def load_baseline(name: str) -> Baseline:
    """A stored baseline by name; errors name the file and what is wrong."""
    path = baselines_dir() / f"{check_name(name)}.json"
    if not path.exists():
        known = ", ".join(b.name for b in list_baselines()[0]) or "none yet"
        raise OrtbenchError(f"no baseline named '{name}' in {baselines_dir()} (known: {known})")
    return Baseline(name, read_record(path))


def read_record(path: Path) -> dict[str, Any]:
    raw = read_regular(path, RESULT_LIMIT, "baseline file")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise OrtbenchError(f"{path}: not a readable baseline JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "baseline":
        raise OrtbenchError(f'{path}: not a baseline (expected "kind": "baseline")')
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise OrtbenchError(f"{path}: missing {', '.join(missing)}")
    units = data["units"]
    if not isinstance(units, list) or not all(
        isinstance(u, dict) and isinstance(u.get("log_value"), int | float) for u in units
    ):
        raise OrtbenchError(f"{path}: units: expected a list of objects with a log_value")
    if len(units) < 2:
        raise OrtbenchError(f"{path}: a baseline needs at least 2 units, it has {len(units)}")
    if not isinstance(data["model"], dict) or not data["model"].get("sha256"):
        raise OrtbenchError(f"{path}: model: expected an object with a sha256")
    return data


def load_samples(name: str) -> dict[str, np.ndarray]:
    """The stored samples of a baseline (unit/session -> ns), refused if not plain int64."""
    path = baselines_dir() / f"{check_name(name)}.npz"
    check_regular(path, RESULT_LIMIT * 64, "baseline samples")
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def list_baselines() -> tuple[list[Baseline], list[tuple[Path, str]]]:
    """Readable baselines by name, and unreadable files with the reason (never fatal)."""
    folder = baselines_dir()
    good: list[Baseline] = []
    bad: list[tuple[Path, str]] = []
    if not folder.is_dir():
        return good, bad
    for path in sorted(folder.glob("*.json")):
        try:
            good.append(Baseline(path.stem, read_record(path)))
        except OrtbenchError as exc:
            bad.append((path, str(exc).removeprefix(f"{path}: ")))
    return good, bad


def remove_baseline(name: str) -> list[Path]:
    """Remove a baseline's files; an unknown name is an error."""
    path = baselines_dir() / f"{check_name(name)}.json"
    if not path.exists():
        raise OrtbenchError(f"no baseline named '{name}' in {baselines_dir()}")
    removed = []
    for p in (path, path.with_suffix(".npz")):
        if p.exists():
            p.unlink()
            removed.append(p)
    return removed
