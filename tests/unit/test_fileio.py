"""The one atomic writer and the guarded reader: modes, full disks, racing no-overwrite saves,
FIFOs and devices, size limits; and history that survives odd files."""

from __future__ import annotations

import errno
import json
import multiprocessing as mp
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from ortbench_tui import fileio
from ortbench_tui.bench.result_record import record_dict, run_record
from ortbench_tui.bench.results import (
    list_history,
    load_result,
    read_samples,
    save_to_history,
    scan_history,
)
from ortbench_tui.errors import OrtbenchError, RunFailed
from ortbench_tui.fileio import WriteFailed, read_regular, write_atomic
from ortbench_tui.inputs.spec import load_spec
from ortbench_tui.profile import Profile, load_profile, save_profile


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith(".tmp"))


def disk_full_for(monkeypatch, folder: Path, call: str = "write", after: int = 0) -> None:
    """os.write (or os.fsync) fails with ENOSPC for files under `folder` after `after` calls."""
    real = getattr(os, call)
    seen = {"n": 0}

    def fake(fd, *args):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.startswith(str(folder)):
            seen["n"] += 1
            if seen["n"] > after:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, *args)

    monkeypatch.setattr(os, call, fake)


# -- modes ---------------------------------------------------------------------------------


def test_replacing_keeps_the_mode_and_new_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        kept = tmp_path / "p.toml"
        kept.write_text("name = 'a'\n")
        kept.chmod(0o644)
        save_profile(Profile(name="b"), kept, overwrite=True)
        assert stat.S_IMODE(kept.stat().st_mode) == 0o644  # was 0600 (mkstemp's mode)
        kept.chmod(0o640)
        write_atomic(kept, "x", overwrite=True)
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
        new = save_profile(Profile(name="c"), tmp_path / "new.toml")
        assert stat.S_IMODE(new.stat().st_mode) == 0o644
        os.umask(0o077)
        assert stat.S_IMODE(write_atomic(tmp_path / "private", b"x").stat().st_mode) == 0o600
    finally:
        os.umask(old)


# -- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("call", ["write", "fsync"])
def test_full_disk_fails_cleanly_and_keeps_the_old_file(monkeypatch, tmp_path, call):
    target = tmp_path / "r.json"
    target.write_text("old")
    disk_full_for(monkeypatch, tmp_path, call)
    with pytest.raises(WriteFailed, match=r"r\.json: No space left on device") as info:
        write_atomic(target, "new" * 1000)
    assert isinstance(info.value, RunFailed)  # exit 1, not a bad-input 2
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


def test_bad_paths_are_bad_input_naming_the_path(tmp_path):
    with pytest.raises(OrtbenchError, match="missing/s.npy: No such file or directory"):
        write_atomic(tmp_path / "missing" / "s.npy", b"x")
    (tmp_path / "dir").mkdir()
    with pytest.raises(OrtbenchError, match="it is a folder"):
        write_atomic(tmp_path / "dir", b"x")
    (tmp_path / "file").write_text("")
    with pytest.raises(OrtbenchError, match="file is a file, not a folder"):
        write_atomic(tmp_path / "file" / "x.json", b"x", make_parents=True)
    with pytest.raises(OrtbenchError, match="x.json: Not a directory"):
        write_atomic(tmp_path / "file" / "sub" / "x.json", b"x", make_parents=True)
    with pytest.raises(OrtbenchError, match="x.json: Not a directory"):
        write_atomic(tmp_path / "file" / "x.json", b"x")
    assert leftovers(tmp_path) == []


def _race(path: str, payload: str, barrier, results) -> None:
    barrier.wait()
    try:
        write_atomic(Path(path), payload, overwrite=False)
        results.put(payload)
    except OrtbenchError:
        results.put("refused")


def test_no_overwrite_holds_when_two_processes_race_for_one_name(tmp_path):
    """Check-then-replace let both writers 'succeed' and the last one win; os.link lets one."""
    ctx = mp.get_context("fork")
    for round_ in range(10):
        path = tmp_path / f"race-{round_}.toml"
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [
            ctx.Process(target=_race, args=(str(path), who, barrier, results))
            for who in ("first", "second")
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        outcomes = sorted(results.get(timeout=5) for _ in procs)
        winners = [o for o in outcomes if o != "refused"]
        assert len(winners) == 1, outcomes
        assert path.read_text() == winners[0]
    assert leftovers(tmp_path) == []


# -- history -----------------------------------------------------------------------------------


def fixed_result(name: str = "m") -> dict:
    return {
        "schema": 1,
        "created": "2024-01-01T00:00:00+00:00",
        "model": {"name": name, "path": "/x.onnx"},
        "profile": {"name": "p"},
        "latency_ms": {"p50": 1.0, "p99": 2.0},
        "runs": 3,
        "status": "ok",
        "warnings": [],
    }


def test_full_disk_while_keeping_a_run_leaves_no_json_without_samples(monkeypatch, isolated_dirs):
    folder = isolated_dirs / "results"
    folder.mkdir()
    disk_full_for(monkeypatch, folder, "write", after=1)  # the .npy goes through, the JSON not
    with pytest.raises(WriteFailed):
        save_to_history(run_record(fixed_result()), np.arange(3, dtype=np.int64))
    assert sorted(os.listdir(folder)) == []


def test_two_runs_saved_in_the_same_instant_both_kept(monkeypatch, isolated_dirs):
    import datetime as dt

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2024, 1, 1, 12, 0, 0, 1)

    monkeypatch.setattr("ortbench_tui.bench.results.dt.datetime", Frozen)
    a = save_to_history(run_record(fixed_result()), np.arange(3, dtype=np.int64))
    b = save_to_history(run_record(fixed_result()), np.arange(3, dtype=np.int64))
    assert a != b and a.with_suffix(".npy").exists() and b.with_suffix(".npy").exists()


BAD_RESULTS = {
    "latency-null.json": {**fixed_result(), "latency_ms": None},
    "model-string.json": {**fixed_result(), "model": "resnet"},
    "runs-text.json": {**fixed_result(), "runs": "many"},
    "p50-text.json": {**fixed_result(), "latency_ms": {"p50": "fast"}},
    "schema-2.json": {**fixed_result(), "schema": 2},
    "warnings-dict.json": {**fixed_result(), "warnings": {"a": 1}},
    "a-list.json": [1, 2],
}


def test_history_skips_bad_files_and_names_them(isolated_dirs):
    folder = isolated_dirs / "results"
    good = save_to_history(run_record(fixed_result("good")), np.arange(3, dtype=np.int64))
    for name, data in BAD_RESULTS.items():
        (folder / name).write_text(json.dumps(data))
    (folder / "empty.json").write_text("")
    (folder / "dir.json").mkdir()
    os.mkfifo(folder / "fifo.json")
    scan = scan_history()
    assert [e.path for e in scan.entries] == [good]
    assert list_history() == scan.entries
    reasons = {p.name: why for p, why in scan.skipped}
    assert len(reasons) == len(BAD_RESULTS) + 3
    assert "latency_ms must be an object of numbers, got null" in reasons["latency-null.json"]
    assert "model must be an object, got a string" in reasons["model-string.json"]
    assert "latency_ms.p50 must be a number" in reasons["p50-text.json"]
    assert "named pipe" in reasons["fifo.json"] and "folder" in reasons["dir.json"]
    note = scan.skipped_note()
    assert note.startswith(f"{len(reasons)} history files could not be read: ")
    assert "model-string.json" in note


def test_truncated_or_empty_samples_count_as_missing_with_a_reason(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(fixed_result()))
    npy = path.with_suffix(".npy")
    npy.write_bytes(b"")
    samples, why = read_samples(path)
    assert samples is None and "r.npy is not a readable .npy" in why
    np.save(npy, np.arange(1000, dtype=np.int64))
    npy.write_bytes(npy.read_bytes()[:300])
    samples, why = read_samples(path)
    assert samples is None and "not a readable .npy" in why
    npy.unlink()
    assert read_samples(path) == (None, "")
    assert record_dict(load_result(path))["runs"] == 3


# -- hostile files to read -----------------------------------------------------------------------


def test_a_fifo_profile_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "p.toml"
    os.mkfifo(fifo)
    ctx = mp.get_context("fork")
    proc = ctx.Process(target=_load_or_exit, args=(str(fifo),))
    proc.start()
    proc.join(20)
    hung = proc.is_alive()
    if hung:
        proc.kill()
        proc.join()
    assert not hung, "reading a FIFO profile hung"
    assert proc.exitcode == 3  # refused with OrtbenchError
    with pytest.raises(OrtbenchError, match=r"p\.toml is a named pipe \(FIFO\), not a profile"):
        load_profile(fifo)


def _load_or_exit(path: str) -> None:
    try:
        load_profile(path)
    except OrtbenchError:
        os._exit(3)
    os._exit(0)


def test_device_links_folders_and_huge_files_are_refused(tmp_path):
    link = tmp_path / "zero.toml"
    link.symlink_to("/dev/zero")
    with pytest.raises(OrtbenchError, match=r"zero\.toml is a character device, not a profile"):
        load_profile(link)
    (tmp_path / "d.toml").mkdir()
    with pytest.raises(OrtbenchError, match=r"d\.toml is a folder, not a profile file"):
        load_profile(tmp_path / "d.toml")
    big = tmp_path / "big.toml"
    big.write_bytes(b"# " + b"x" * (fileio.PROFILE_LIMIT + 10) + b"\n")
    with pytest.raises(OrtbenchError, match=r"big\.toml is too large for a profile file"):
        load_profile(big)
    with pytest.raises(OrtbenchError, match=r"big\.toml is too large for an inputs file"):
        load_spec(big)
    huge = tmp_path / "r.json"
    with open(huge, "wb") as fh:
        fh.truncate(fileio.RESULT_LIMIT + 1)  # sparse: no disk used
    with pytest.raises(OrtbenchError, match=r"r\.json is too large for a result file"):
        load_result(huge)
    with pytest.raises(OrtbenchError, match="too large"):
        read_regular(big, 100, "profile file")


def test_relative_inputs_npz_in_a_profile_means_next_to_the_profile(tmp_path, monkeypatch):
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "p.toml").write_text('[run]\ninputs_npz = "data/in.npz"\n')
    monkeypatch.chdir(tmp_path)
    loaded = load_profile(Path("profiles") / "p.toml")
    assert loaded.run.inputs_npz == str(folder / "data" / "in.npz")
    save_profile(loaded, folder / "p.toml", overwrite=True)  # written back relative
    assert 'inputs_npz = "data/in.npz"' in (folder / "p.toml").read_text()
    assert load_profile(folder / "p.toml").run.inputs_npz == str(folder / "data" / "in.npz")


def test_slug_makes_one_file_name_part_for_results_profiles_and_derived_models():
    from ortbench_tui.fileio import slug

    assert slug("cpu latency/fp16 (x2)", "run") == "cpu-latency-fp16-x2"
    assert slug("..hidden.", "profile") == "hidden"  # never a hidden or dotted-end file
    assert slug("///", "run") == "run" and slug("", "model") == "model"
    assert slug("a" * 30 + " " + "b" * 30, "run", 40) == "a" * 30 + "-" + "b" * 9
    assert slug("a" * 39 + " b", "run", 40) == "a" * 39  # no dash left at the cut
