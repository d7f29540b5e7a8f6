"""The smaller defects of issue 20 item 17 (the BOM and the duplicate .pb are in
test_hostile_files.py)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import numpy as np

from ortbench_tui.bench.run_watch import describe_stop
from ortbench_tui.cli import main
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


def test_a_json_whose_samples_hit_a_full_disk_is_not_left_without_them(
    capsys, tmp_path: Path, monkeypatch
):
    """On a full disk `out.json` was left without `out.npy` (the small file fit, the big one
    did not): `compare out.json ...` then had no samples. Neither is left; the run is printed."""
    real = os.write

    def full_for_npy(fd, data):
        target = os.readlink(f"/proc/self/fd/{fd}") if fd > 2 else ""
        if ".npy" in target and target.endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", full_for_npy)
    out = tmp_path / "out.json"
    code = main(["run", "sample:tiny", "--runs", "50", "--no-history", "--json", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "No space left on device" in captured.err
    assert f"{out} not written: its samples could not be written" in captured.err
    assert os.listdir(tmp_path) == []
    assert "p50" in captured.out
