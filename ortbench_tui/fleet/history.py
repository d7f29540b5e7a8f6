"""Fleet results in the local history (the same result files as local runs, with `host` and
`node`), and the history listed with its host column, filtered by host."""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..bench.results import list_history, load_result, save_to_history
from ..errors import OrtbenchError

LOCAL_HOST = "(local)"
"""The host column of results made by `ortbench run` on this machine (they carry no host)."""


def host_of(result: dict[str, Any]) -> str:
    return str(result.get("host") or LOCAL_HOST)


def keep_in_history(result: dict[str, Any], samples_ns: np.ndarray, run_id: str) -> Path:
    """Save one node's result as it arrives; `fleet.run_id` ties a fleet run's files together."""
    result["fleet"] = {"run_id": run_id}
    try:
        return save_to_history(result, samples_ns)
    except OrtbenchError:
        # Two nodes' results for one model and profile within the same microsecond share a
        # name; the next attempt has a later time stamp.
        return save_to_history(result, samples_ns)


@dataclass
class HostHistoryEntry:
    path: Path
    created: str
    host: str
    model: str
    profile: str
    p50_ms: float
    p99_ms: float
    runs: int
    status: str
    fleet_run: str

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["path"] = str(self.path)
        for key in ("p50_ms", "p99_ms"):
            if isinstance(out[key], float) and math.isnan(out[key]):
                out[key] = None
        return out


def history_by_host(host: str | None = None, folder: Path | None = None) -> list[HostHistoryEntry]:
    """Saved runs, newest first, with their host; `host` keeps those whose host matches the
    glob (`(local)` for this machine's own runs)."""
    entries = []
    for entry in list_history(folder):
        try:
            result = load_result(entry.path)
        except OrtbenchError:
            continue
        name = host_of(result)
        if host and not fnmatch.fnmatch(name, host):
            continue
        entries.append(
            HostHistoryEntry(
                path=entry.path,
                created=entry.created,
                host=name,
                model=entry.model,
                profile=entry.profile,
                p50_ms=entry.p50_ms,
                p99_ms=entry.p99_ms,
                runs=entry.runs,
                status=entry.status,
                fleet_run=str((result.get("fleet") or {}).get("run_id", "")),
            )
        )
    return entries
