"""Errors the engine raises on purpose; the CLI maps them to exit codes."""


class OrtbenchError(Exception):
    """Bad input: a path, a file, a key or a value the user can fix (exit code 2)."""


class RunFailed(Exception):
    """A run that started and failed: a crashed worker, an ORT error mid-run (exit code 1)."""
