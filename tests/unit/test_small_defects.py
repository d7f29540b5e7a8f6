"""The smaller defects of issue 20 item 17 (the BOM and the duplicate .pb are in
test_hostile_files.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ortbench_tui.bench.run_watch import describe_stop
from ortbench_tui.feeds import nonfinite_warnings, prepare_inputs
from ortbench_tui.inputs.spec import spec_from_flags
from ortbench_tui.models import inspect_model
from ortbench_tui.samples import resolve_model


def test_nan_and_inf_input_values_are_warned_about(tmp_path: Path):
    values = np.ones((1, 4, 64), np.float32)
    values[0, 0, :3] = [np.nan, np.inf, -np.inf]
    npy = tmp_path / "odd.npy"
    np.save(npy, values)
    inputs = inspect_model(resolve_model("sample:encoder")).inputs
    prepared = prepare_inputs(inputs, spec_from_flags([], [f"tokens={npy}"]), {})
    (warning,) = nonfinite_warnings(prepared)
    assert "input 'tokens': 3 value(s) are NaN or infinite" in warning
    clean = prepare_inputs(inputs, spec_from_flags(["tokens=1x4x64"]), {})
    assert nonfinite_warnings(clean) == []


def test_the_precision_ci_is_in_the_unit_of_a_microsecond_p50():
    """A 12 µs p50's CI was printed as [0.01231, 0.01235] ms."""
    stop = {"stopped_by": "precision reached", "target": 0.02, "half_width": 0.0016,
            "p50_ci_ms": [0.01231, 0.01235], "max_duration_s": 60.0}  # fmt: skip
    assert "[12.31, 12.35] µs" in describe_stop(stop)
    slow = {**stop, "p50_ci_ms": [2.5, 2.6]}
    assert "[2.5, 2.6] ms" in describe_stop(slow)
