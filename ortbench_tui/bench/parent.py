"""The process that starts measuring children (the CLI or the TUI): what it must set up before
its first child, and how warnings name it. Light on purpose: the TUI imports it before its
first frame, so it imports neither numpy nor the runner.
"""

from __future__ import annotations

_NAME = {"name": ""}


def ensure_spawn_ready() -> None:
    """Start multiprocessing's resource tracker now: started lazily from inside a Textual app
    it fails (`bad value(s) in fds_to_keep`, stderr has fileno -1)."""
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


def set_parent_process(description: str) -> None:
    """Name the process that starts the runs, for the shared-cores warning ("the ortbench UI"):
    the CLI only waits on a pipe, the TUI redraws, which takes a share of the cores."""
    _NAME["name"] = description


def parent_process_name() -> str:
    """The name `set_parent_process` gave, or "" when none was given."""
    return _NAME["name"]
