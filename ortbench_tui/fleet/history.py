"""Fleet results in the local history (the same result files as local runs, with `host` and
`node`), kept through the local run's own code path, and the history listed with its host
column, filtered by host."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..bench.hosts import entries_on_hosts, host_label
from ..bench.results import HistoryEntry, scan_history
from .driver import JobOutcome

Keeper = Callable[[dict[str, Any], np.ndarray], None]
"""Keeps one result in the history, as a local run does (`commands.run_outputs`): sets the
result's `history_path`, or adds a warning to it and says so when the history cannot take it."""


def host_of(result: dict[str, Any]) -> str:
    return host_label(str(result.get("host") or ""))


def keep_outcome(outcome: JobOutcome, run_id: str, keep: Keeper) -> None:
    """Save one node's result as it arrives: a finished job's, and a failed or cancelled one's
    partial result when it measured something (as a local run keeps it). `fleet.run_id` ties
    a fleet run's files together. A failure to save is the keeper's warning, never the end."""
    result, samples = outcome.result, outcome.samples_ns
    if result is None or samples is None or samples.size == 0:
        return
    result["fleet"] = {"run_id": run_id}
    keep(result, samples)
    path = result.pop("history_path", None)
    outcome.history_path = str(path) if path else None


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

    @classmethod
    def of(cls, e: HistoryEntry) -> HostHistoryEntry:
        return cls(
            e.path, e.created, host_label(e.host), e.model, e.profile, e.p50_ms, e.p99_ms,
            e.runs, e.status, e.fleet_run,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        out = dict(vars(self))
        out["path"] = str(self.path)
        for key in ("p50_ms", "p99_ms"):
            if isinstance(out[key], float) and math.isnan(out[key]):
                out[key] = None
        return out


def history_by_host(
    host: str | None = None, folder: Path | None = None
) -> tuple[list[HostHistoryEntry], str]:
    """Saved runs, newest first, with their host; `host` keeps those whose host matches the
    glob (`(local)` for this machine's own runs). Also the one line naming the history files
    that could not be read ("" when all could)."""
    scan = scan_history(folder)
    entries = [HostHistoryEntry.of(e) for e in entries_on_hosts(scan.entries, host or "")]
    return entries, scan.skipped_note()
