"""A saved best profile's [provenance]: written, read back, checked, compared with this machine,
and its contest run again by `ortbench check --profile`."""

from __future__ import annotations

import json
import tomllib

import pytest

from ortbench_tui.bench.provenance import build_provenance
from ortbench_tui.cli import main
from ortbench_tui.commands.common import warn_if_won_elsewhere
from ortbench_tui.commands.compare import parse_profile_spec
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.hardware import HardwareInfo, machine_fingerprint
from ortbench_tui.models import file_sha256
from ortbench_tui.profile import (
    Profile,
    load_profile,
    mismatch,
    mismatch_line,
    profile_to_dict,
    save_profile,
)
from ortbench_tui.samples import resolve_model
from ortbench_tui.tui.workspace import Workspace

WON_ON = {
    "cpu_model": "Intel Xeon Gold 6338",
    "physical_cores": 8,
    "logical_cores": 16,
    "gpus": [],
    "ort_version": "1.30.0",
}


def hardware(**changes: object) -> HardwareInfo:
    info = {
        "cpu_model": "Intel Xeon Gold 6338",
        "physical_cores": 8,
        "logical_cores": 16,
        "memory_mb": 1,
        "gpus": [],
        "ort_version": "1.30.0",
    }
    info.update(changes)
    return HardwareInfo.from_dict(info)


def best_profile(sha256: str = "ab" * 32, hw: dict | None = None, ratio=(1.2, 1.1, 1.3)) -> Profile:
    """A profile as `--save-best` leaves it: one thread, having beaten two threads."""
    beaten = Profile(name="sweep #2")
    beaten.session.intra_op_num_threads = 2
    profile = Profile(name="x-best", description="best of a sweep")
    profile.session.intra_op_num_threads = 1
    profile.provenance = build_provenance(
        found_by="sweep",
        model="sample:tiny",
        model_sha256=sha256,
        hardware=WON_ON if hw is None else hw,
        inputs_spec={},
        beaten=beaten,
        beaten_label="#2 intra_op_num_threads=2",
        margin=0.01,
        decided=True,
        ratio=ratio,
    )
    return profile


def test_provenance_is_written_as_a_table_and_read_back(tmp_path):
    best = best_profile()
    path = save_profile(best, tmp_path / "x-best.toml")
    data = tomllib.loads(path.read_text())
    prov = data["provenance"]
    assert prov["found_by"] == "sweep" and prov["ort_version"] == "1.30.0"
    assert prov["machine"] == {
        "cpu_model": "Intel Xeon Gold 6338",
        "physical_cores": 8,
        "logical_cores": 16,
        "gpus": [],
        "gpu_driver": "",
    }
    assert prov["model"] == {"spec": "sample:tiny", "name": "sample:tiny", "sha256": "ab" * 32}
    assert prov["ratio"] == 1.2 and prov["ci"] == [1.1, 1.3]
    # only what differs from ORT's defaults: enough to rebuild the beaten profile
    assert prov["beaten"] == {
        "name": "sweep #2",
        "description": "",
        "session": {"intra_op_num_threads": 2},
    }
    loaded = load_profile(path)
    assert loaded.provenance == best.provenance
    # Not a setting: a result's `profile` and a run's request never carry it.
    assert "provenance" not in profile_to_dict(loaded)


def test_provenance_survives_an_edit_saved_over_the_file(tmp_path):
    best = best_profile()
    path = save_profile(best, tmp_path / "x-best.toml")
    path.write_text("# why one thread: see the sweep\n" + path.read_text())
    edited = load_profile(path)
    edited.run.io_binding = True
    save_profile(edited, path, overwrite=True)
    text = path.read_text()
    assert text.startswith("# why one thread")  # tomlkit kept the user's comment
    again = load_profile(path)
    assert again.run.io_binding is True
    assert again.provenance == best.provenance


def test_workspace_save_duplicate_rename_and_discard_keep_it(tmp_path):
    folder = tmp_path / "profiles"
    folder.mkdir()
    best = best_profile()
    save_profile(best, folder / "x-best.toml")
    ws = Workspace(cwd=tmp_path, include_samples=False, include_shipped=False)
    ws.scan()
    entry = ws.find_profile("x-best")
    assert entry is not None and entry.profile.provenance is not None
    entry.profile.run.warmup_runs = 3
    ws.save(entry, entry.path)
    assert load_profile(folder / "x-best.toml").provenance == best.provenance
    copy = ws.duplicate(entry, "x-copy")
    assert load_profile(copy.path).provenance == best.provenance
    ws.rename(entry, "x-renamed")
    assert load_profile(folder / "x-renamed.toml").provenance == best.provenance
    from ortbench_tui.tui.screens.profile_files import discard

    entry.profile.run.warmup_runs = 7
    discard(ws, entry)
    assert entry.profile.run.warmup_runs == 3 and entry.profile.provenance is not None


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("ratio = 1.2", 'ratio = "fast"', "provenance.ratio: expected a positive number"),
        ('found_by = "sweep"', 'found_by = "luck"', "provenance.found_by: expected one of"),
        ("physical_cores = 8", 'physical_cores = "8"', "provenance.machine.physical_cores"),
        ('sha256 = "abab', 'sha256 = "XYZ', "provenance.model.sha256: expected 64"),
        ('ort_version = "1.30.0"\n', "", "provenance.ort_version: missing"),
        ("intra_op_num_threads = 2", "intra_op_num_thread = 2", "'session.intra_op_num_thread'"),
        ("margin = 0.01", "margin = 0.01\nwinner = 1", "unknown key 'provenance.winner'"),
    ],
)
def test_a_bad_provenance_value_names_the_file_and_key(tmp_path, old, new, needle):
    path = save_profile(best_profile(), tmp_path / "x-best.toml")
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(OrtbenchError) as err:
        load_profile(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_mismatch_names_what_differs():
    prov = best_profile().provenance
    assert prov is not None
    same = machine_fingerprint(hardware().to_dict())
    assert mismatch(prov, same) == [] and mismatch_line("x-best", prov, same) == ""
    newer = machine_fingerprint(hardware(ort_version="1.31.1").to_dict())
    assert mismatch(prov, newer) == ["ORT 1.30.0 -> 1.31.1"]
    line = mismatch_line("x-best", prov, newer)
    assert line == (
        "profile 'x-best' won on ORT 1.30.0 on 'Intel Xeon Gold 6338, 8 cores'; here ORT "
        "1.31.1 on 'Intel Xeon Gold 6338, 8 cores': re-check with "
        "`ortbench check sample:tiny --profile x-best`"
    )
    other = machine_fingerprint(hardware(cpu_model="AMD EPYC", physical_cores=2).to_dict())
    assert mismatch(prov, other) == [
        "cpu_model 'Intel Xeon Gold 6338' -> 'AMD EPYC'",
        "physical_cores 8 -> 2",
    ]


def test_run_and_compare_warn_in_one_line_when_it_won_elsewhere(tmp_path, monkeypatch, capsys):
    import ortbench_tui.hardware as hw

    path = save_profile(best_profile(), tmp_path / "x-best.toml")
    monkeypatch.setattr(hw, "detect", lambda probe_eps=False: hardware())
    warn_if_won_elsewhere(load_profile(path), "x-best")
    assert capsys.readouterr().err == ""  # the same ORT and machine: nothing to say
    monkeypatch.setattr(hw, "detect", lambda probe_eps=False: hardware(ort_version="1.31.1"))
    warn_if_won_elsewhere(load_profile(path), "x-best")
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("warning: profile 'x-best' won on ORT 1.30.0 on 'Intel Xeon")
    assert "here ORT 1.31.1" in err and "`ortbench check sample:tiny --profile x-best`" in err
    parse_profile_spec(f"{path}", [])  # compare's --profile goes through the same check
    assert "won on ORT 1.30.0" in capsys.readouterr().err
    warn_if_won_elsewhere(Profile(name="plain"), "plain")  # no provenance: nothing
    assert capsys.readouterr().err == ""


def here() -> dict:
    from ortbench_tui.hardware import detect

    return detect(probe_eps=False).to_dict()


@pytest.mark.slow
def test_check_profile_reruns_the_contest_on_tiny(tmp_path, capsys):
    """The saved profile against itself (the beaten one has the same settings): exit 3 would
    need the until-decided rule to call a pair of identical profiles slower by more than
    the 50% margin, which its guarantee bounds by alpha (5%, `stopping.DEFAULT_ALPHA`) and
    which a 50% margin makes far rarer still; 0 (equal within the margin) or 4 (undecided
    within 2 s) are the outcomes."""
    sha = file_sha256(resolve_model("sample:tiny"))
    profile = best_profile(sha, hw=here())
    assert profile.provenance is not None
    profile.provenance.beaten = {"name": "same", "session": {"intra_op_num_threads": 1}}
    path = save_profile(profile, tmp_path / "x-best.toml")
    out = tmp_path / "check.json"
    argv = ["check", "--profile", str(path), "--budget", "2", "--margin", "50%", "-q"]
    code = main([*argv, "--json", str(out)])
    assert code in (0, 4), capsys.readouterr()
    data = json.loads(out.read_text())
    assert data["kind"] == "profile check" and data["exit_code"] == code
    assert data["outcome"] == ("equal within margin" if code == 0 else "undecided")
    assert data["profile"] == "x-best" and data["beaten"] == "#2 intra_op_num_threads=2"
    assert data["model"]["sha256"] == sha and data["margin"] == 0.5
    assert data["won"]["ratio"] == 1.2 and data["differences"] == []
    assert data["here"]["ort_version"] == here()["ort_version"]
    assert data["history_paths"]  # what was measured is kept
    text = capsys.readouterr().out
    assert "profile   x-best: won against #2 intra_op_num_threads=2" in text
    assert "(the same)" in text


def test_check_profile_refuses_what_it_cannot_rerun(tmp_path, capsys):
    plain = save_profile(Profile(name="plain"), tmp_path / "plain.toml")
    assert main(["check", "sample:tiny", "--profile", str(plain), "-q"]) == 2
    err = capsys.readouterr().err
    assert "has no [provenance]" in err and "not saved by `ortbench sweep --save-best`" in err
    # another model file than the one it won on: refused before anything is measured
    other = save_profile(best_profile("cd" * 32), tmp_path / "other.toml")
    assert main(["check", "--profile", str(other), "-q"]) == 2
    assert "not the contest 'x-best' won: model: sha256" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--profile", "a", "--baseline", "b"], "not allowed with argument"),
        ([], "one of the arguments --baseline --profile is required"),
    ],
)
def test_check_takes_a_baseline_or_a_profile(capsys, argv, needle):
    with pytest.raises(SystemExit) as exited:
        main(["check", "sample:tiny", *argv])
    assert exited.value.code == 2 and needle in capsys.readouterr().err
