"""The host filter shared by the TUI's history and `ortbench fleet --history --host`."""

from __future__ import annotations

from pathlib import Path

from ortbench_tui.bench.hosts import LOCAL_HOST, entries_on_hosts, host_label
from ortbench_tui.bench.results import HistoryEntry


def entry(host: str) -> HistoryEntry:
    return HistoryEntry(Path(f"{host or 'x'}.json"), "", "m", "p", 1.0, 2.0, 10, "ok", host=host)


def test_local_runs_are_labelled_and_globs_match_the_label():
    entries = [entry("alpha-1"), entry(""), entry("beta"), entry("alpha-2")]
    assert host_label("") == LOCAL_HOST == "(local)" and host_label("beta") == "beta"
    assert [e.host for e in entries_on_hosts(entries, "alpha*")] == ["alpha-1", "alpha-2"]
    assert [e.host for e in entries_on_hosts(entries, "(local)")] == [""]
    assert [e.host for e in entries_on_hosts(entries, "b?ta")] == ["beta"]
    assert entries_on_hosts(entries, "") == entries
    assert entries_on_hosts(entries, "gamma") == []
