"""The process that starts measuring children (the CLI or the TUI): what it must set up before
its first child, and how warnings name it. Light on purpose: the TUI imports it before its
first frame, so it imports neither numpy nor the runner.
"""

from __future__ import annotations

import threading

_STDERR_LENT = threading.Lock()
_NAME = {"name": ""}


def ensure_spawn_ready() -> None:
    """Start multiprocessing's resource tracker if it is not running (cheap when it is).

    The tracker is handed this process's stderr by file descriptor. Inside a running Textual
    app `sys.stderr` is Textual's capture, whose fileno is -1, and the start failed with `bad
    value(s) in fds_to_keep`; so the real stderr is lent for the call (nothing else in the app
    writes to `sys.stderr`, and the lock keeps two starting threads from swapping it
    crosswise). Every child start calls this (`child.ChildProcess`), so the TUI need not
    start the tracker before its first frame (~50 ms of imports and a process on 2 cores).
    """
    import sys
    from multiprocessing import resource_tracker

    with _STDERR_LENT:
        captured = sys.stderr
        if sys.__stderr__ is not None and not _has_descriptor(captured):
            sys.stderr = sys.__stderr__
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = captured


def _has_descriptor(stream: object) -> bool:
    try:
        return int(stream.fileno()) >= 0  # type: ignore[attr-defined]
    except Exception:  # no fileno, or one that raises: what multiprocessing would skip
        return False


def set_parent_process(description: str) -> None:
    """Name the process that starts the runs, for the shared-cores warning ("the ortbench UI"):
    the CLI only waits on a pipe, the TUI redraws, which takes a share of the cores."""
    _NAME["name"] = description


def parent_process_name() -> str:
    """The name `set_parent_process` gave, or "" when none was given."""
    return _NAME["name"]
