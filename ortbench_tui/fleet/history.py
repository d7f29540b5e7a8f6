"""Fleet results in the local history (the same result files as local runs and load jobs,
with `host` and `node`), kept through the local job's own code path, and the history listed
with its host column, filtered by host."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import msgspec
from msgspec import UnsetType

from ..bench.hosts import entries_on_hosts, host_label
from ..bench.load import ProfileLoad
from ..bench.load.result import save_load
from ..bench.result_record import ResultProblem, RunResult, given, run_record
from ..bench.results import HistoryEntry, Samples, results_dir, scan_history
from ..bench.sample_store import SampleStore
from ..errors import OrtbenchError
from ..fileio import RESULT_LIMIT, read_regular
from .driver import JobOutcome

Keeper = Callable[[RunResult, Samples], None]
"""Keeps one result in the history, as a local run does (`commands.run_outputs`): sets the
result's `history_path`, or adds a warning to it and says so when the history cannot take it."""


def keep_outcome(outcome: JobOutcome, run_id: str, keep: Keeper) -> None:
    """Save one node's result as it arrives: a finished job's, and a failed or cancelled one's
    partial result when it measured something (as a local run keeps it). `fleet.run_id` ties
    a fleet run's files together. A failure to save is the keeper's warning, never the end.
    A load job's result is kept as `ortbench load` keeps it (`keep_load`). A long run's samples
    came in chunks into a driver-side `SampleStore`: its spill file becomes the history's
    `.npy` (linked, else copied, never read into memory), then its own name goes."""
    result, samples = outcome.result, outcome.samples_ns
    if outcome.load_parts is not None:
        if result is not None and any(p.steps for p in outcome.load_parts):
            result["fleet"] = {"run_id": run_id}
            outcome.history_path = keep_load(result, outcome.load_parts)
        return
    if result is None or samples is None or samples.size == 0:
        return
    result["fleet"] = {"run_id": run_id}
    try:
        record = run_record(result)  # the node's result, read as a file of it would be
    except ResultProblem as exc:
        note = f"not kept in history: the node's result: {exc}"
        result["warnings"] = [*result.get("warnings", []), note]
        print(f"ortbench: warning: {note}", file=sys.stderr)
        return
    keep(record, samples)
    if not isinstance(record.warnings, UnsetType):  # the keeper's warning, if it added one
        result["warnings"] = record.warnings
    path = given(record.history_path, None)
    outcome.history_path = path
    if path and isinstance(samples, SampleStore):
        samples.discard()  # the history holds them now (the same file, when linked)


def keep_load(result: dict[str, Any], parts: list[ProfileLoad]) -> str | None:
    """A node's load result and its timelines into the history (`save_load`, as `ortbench
    load` keeps them); where the history cannot take it, a warning in the result and on
    stderr instead, and None."""
    try:
        return str(save_load(result, parts))
    except Exception as exc:  # the result is still reported; say why it was not kept
        note = f"not kept in history ({results_dir()}): {exc}"
        result["warnings"] = [*result.get("warnings", []), note]
        print(f"ortbench: warning: {note}", file=sys.stderr)
        return None


class HostHistoryLine(msgspec.Struct, frozen=True, kw_only=True):
    """One saved run as `ortbench fleet --history --json` writes it (its fields in that
    order); a percentile the run does not have is null."""

    path: str
    created: str
    host: str
    model: str
    profile: str
    p50_ms: float | None
    p99_ms: float | None
    runs: int
    status: str
    fleet_run: str


def _figure(value: float) -> float | None:
    return None if math.isnan(value) else value


def host_history_line(entry: HistoryEntry) -> HostHistoryLine:
    return HostHistoryLine(
        path=str(entry.path),
        created=entry.created,
        host=entry.host,
        model=entry.model,
        profile=entry.profile,
        p50_ms=_figure(entry.p50_ms),
        p99_ms=_figure(entry.p99_ms),
        runs=entry.runs,
        status=entry.status,
        fleet_run=entry.fleet_run,
    )


def host_history_json(entries: list[HistoryEntry]) -> list[object]:
    """The lines of `--history --json` as JSON values."""
    out: list[object] = msgspec.to_builtins([host_history_line(e) for e in entries])
    return out


def read_host_history(path: str | Path) -> list[HostHistoryLine]:
    """A file `ortbench fleet --history --json` wrote, checked against its record; an
    OrtbenchError naming the file and what is wrong otherwise."""
    raw = read_regular(path, RESULT_LIMIT, "fleet history")
    try:
        return msgspec.json.decode(raw, type=list[HostHistoryLine])
    except msgspec.DecodeError as exc:  # a ValidationError names the field ($[2].runs)
        raise OrtbenchError(f"{path}: not a readable fleet history: {exc}") from None


def history_by_host(
    host: str | None = None, folder: Path | None = None
) -> tuple[list[HistoryEntry], str]:
    """Saved runs, newest first, their host as `host_label` says it; `host` keeps those whose
    host matches the glob (`(local)` for this machine's own runs). Also the one line naming
    the history files that could not be read ("" when all could)."""
    scan = scan_history(folder)
    found = entries_on_hosts(scan.entries, host or "")
    entries = [replace(e, host=host_label(e.host)) for e in found]
    return entries, scan.skipped_note()
