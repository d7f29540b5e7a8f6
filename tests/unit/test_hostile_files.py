"""Hostile files and paths never crash a command or stall it (issue 20: items 8, 9, 10, 17)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import input_models as im
import numpy as np
import pytest
from onnx import numpy_helper

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.inputs.files import load_file_set
from ortbench_tui.inputs.store import model_key
from ortbench_tui.models import inspect_model
from ortbench_tui.profile import load_profile
from ortbench_tui.profile.locate import list_profiles, resolve_profile_path

DEEP = "x = " + "{ a = " * 500 + "1" + " }" * 500 + "\n"
"""About 3 KB of nested inline tables: past tomllib's recursion limit."""


def _ortbench(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ortbench_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_deeply_nested_profile_is_an_error_not_a_recursion_crash(tmp_path: Path):
    bad = tmp_path / "deep.toml"
    bad.write_text(DEEP)
    with pytest.raises(OrtbenchError, match=r"deep\.toml: .*nested too deeply"):
        load_profile(bad)


def test_one_deeply_nested_file_in_profiles_blocks_no_other(tmp_path: Path):
    """Item 8: `ortbench profiles` and `run --profile NAME` read ./profiles; one bad file is
    listed with its error and the others still resolve."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "deep.toml").write_text(DEEP)
    (tmp_path / "profiles" / "fine.toml").write_text('name = "fine"\n')
    listed = {loc.path.name: loc for loc in list_profiles(tmp_path)}
    assert "nested too deeply" in (listed["deep.toml"].error or "")
    assert not listed["fine.toml"].error
    assert resolve_profile_path("fine", tmp_path).name == "fine.toml"
    done = _ortbench("profiles", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "fine" in done.stdout


def test_a_profile_with_a_utf8_bom_loads(tmp_path: Path):
    """Item 17: Windows editors write a byte-order mark; tomllib alone calls it line 1's error."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + b'name = "bom"\n[session]\nintra_op_num_threads = 1\n')
    profile = load_profile(path)
    assert profile.name == "bom"
    assert profile.session.intra_op_num_threads == 1


def test_a_symlink_loop_as_the_model_path_is_bad_input(tmp_path: Path):
    """Item 9: Path.resolve raised RuntimeError("Symlink loop") through to a traceback."""
    loop = tmp_path / "loop.onnx"
    os.symlink(loop, loop)
    with pytest.raises(OrtbenchError, match=r"loop\.onnx"):
        model_key(loop)
    done = _ortbench("run", str(loop), "--runs", "1", "--no-history", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "loop.onnx" in done.stderr


def _pb(folder: Path, name: str, arr: np.ndarray, tensor: str = "") -> None:
    (folder / name).write_bytes(numpy_helper.from_array(arr, tensor).SerializeToString())


def test_a_pb_input_linked_to_dev_zero_is_refused_not_read(tmp_path: Path):
    """Item 10: the .pb reader read the link to /dev/zero forever (4.9 GiB after 12 s)."""
    model = im.gather_table(tmp_path)
    folder = tmp_path / "set"
    folder.mkdir()
    os.symlink("/dev/zero", folder / "input_0.pb")
    with pytest.raises(OrtbenchError, match=r"input_0\.pb is a character device"):
        load_file_set(folder, inspect_model(model).inputs)


def test_a_pb_input_that_is_a_fifo_is_refused_not_waited_on(tmp_path: Path):
    model = im.gather_table(tmp_path)
    folder = tmp_path / "set"
    folder.mkdir()
    os.mkfifo(folder / "input_0.pb")
    with pytest.raises(OrtbenchError, match=r"input_0\.pb is a named pipe"):
        load_file_set(folder, inspect_model(model).inputs)


def test_two_pb_files_for_one_input_are_refused(tmp_path: Path):
    """Item 17: input_1.pb and input_01.pb, or two tensors of one name, kept only one silently."""
    model = im.sample_rate_if(tmp_path)
    inputs = inspect_model(model).inputs
    rate = np.array(im.SAMPLE_RATE, np.int64)
    audio = np.ones((1, 16), np.float32)
    folder = im.pb_folder(tmp_path / "numbered", {"rate": rate, "audio": audio}, named=False)
    _pb(folder, "input_01.pb", audio)
    with pytest.raises(OrtbenchError, match=r"input_01\.pb and input_1\.pb are both input 1"):
        load_file_set(folder, inputs)
    named = im.pb_folder(tmp_path / "named", {"rate": rate, "audio": audio}, named=True)
    _pb(named, "input_2.pb", audio, "audio")
    with pytest.raises(OrtbenchError, match=r"input_1\.pb and input_2\.pb both hold input 'audio'"):
        load_file_set(named, inputs)
