"""The engine never imports Textual: it runs headless in scripts, CI and the worker process."""

from __future__ import annotations

import subprocess
import sys

ENGINE_MODULES = [
    "ortbench_tui.profile",
    "ortbench_tui.hardware",
    "ortbench_tui.models",
    "ortbench_tui.samples",
    "ortbench_tui.feeds",
    "ortbench_tui.session",
    "ortbench_tui.bench.runner",
    "ortbench_tui.bench.worker",
    "ortbench_tui.bench.stats",
    "ortbench_tui.bench.results",
    "ortbench_tui.precision",
    "ortbench_tui.bench.trace",
    "ortbench_tui.bench.compare",
    "ortbench_tui.bench.interleave",
    "ortbench_tui.bench.sweep",
    "ortbench_tui.bench.practices",
    "ortbench_tui.cli",
]


def test_engine_does_not_import_textual():
    code = (
        "import importlib, sys\n"
        f"for name in {ENGINE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
