"""Which machine measured a saved run, as the history shows it, and the host filter that the
TUI's history and `ortbench fleet --history --host` share (no Ray here: the TUI uses it)."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

from .results import HistoryEntry

LOCAL_HOST = "(local)"
"""The host of a run made by `ortbench run` or the TUI on this machine (its result names no
host): one fixed word, so a glob means the same on every machine that reads the history."""


def host_label(host: str) -> str:
    """The host column's text: the fleet node's hostname, or LOCAL_HOST for a local run."""
    return host or LOCAL_HOST


def host_matches(host: str, glob: str) -> bool:
    """Whether a run's host (as `host_label` shows it) matches a shell glob (`alpha*`)."""
    return fnmatch.fnmatch(host_label(host), glob)


def entries_on_hosts(entries: Sequence[HistoryEntry], glob: str) -> list[HistoryEntry]:
    """The runs whose host matches `glob`, in their order; every run when `glob` is empty."""
    return [e for e in entries if not glob or host_matches(e.host, glob)]
