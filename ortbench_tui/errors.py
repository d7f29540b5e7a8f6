"""Errors the engine raises on purpose; the CLI maps them to exit codes."""


class OrtbenchError(Exception):
    """Bad input: a path, a file, a key or a value the user can fix (exit code 2)."""


class RunFailed(Exception):
    """A run that started and failed: a crashed worker, an ORT error mid-run (exit code 1)."""


class WriteFailed(OrtbenchError, RunFailed):
    """A write that failed for a reason other than its path: a full disk, an I/O error.
    The CLI exits 1 for it (the path was fine); code that handles any OrtbenchError (the TUI's
    save and export dialogs) still catches it."""
