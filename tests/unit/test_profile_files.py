"""Profiles by NAME (shipped, ./profiles, the user folder), `ortbench profiles`, and saves that
keep the user's comments and layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import (
    apply_overrides,
    list_profiles,
    load_profile,
    load_profile_arg,
    resolve_profile_path,
    save_profile,
    shipped_profiles_dir,
    user_profiles_dir,
)

HAND_WRITTEN = """\
# My laptop profile: two threads, because the other two serve the build.
name = "laptop"

[session]
intra_op_num_threads = 2        # measured best on 2024-05-01
free_dimensions = { batch = 1 } # our service is batch-1

# IO binding only helps on GPU here
[run]
io_binding = false
"""


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_shipped_profile_is_found_by_name(in_tmp):
    assert resolve_profile_path("cpu-latency") == shipped_profiles_dir() / "cpu-latency.toml"
    assert load_profile_arg("cpu-latency").session.intra_op_num_threads == "physical"


def test_local_and_user_folders_are_searched_and_a_path_still_works(in_tmp):
    (in_tmp / "profiles").mkdir()
    (in_tmp / "profiles" / "mine.toml").write_text('name = "mine"\n')
    user = user_profiles_dir()
    user.mkdir(parents=True)
    (user / "theirs.toml").write_text('name = "their-name"\n')
    assert resolve_profile_path("mine") == in_tmp / "profiles" / "mine.toml"
    # By stem or by the name the file declares.
    assert resolve_profile_path("theirs") == user / "theirs.toml"
    assert resolve_profile_path("their-name") == user / "theirs.toml"
    assert load_profile_arg(str(user / "theirs.toml")).name == "their-name"


def test_an_ambiguous_name_is_an_error_naming_every_candidate(in_tmp, capsys):
    (in_tmp / "profiles").mkdir()
    (in_tmp / "profiles" / "cpu-latency.toml").write_text('name = "cpu-latency"\n')
    with pytest.raises(OrtbenchError, match="ambiguous") as info:
        resolve_profile_path("cpu-latency")
    assert str(shipped_profiles_dir() / "cpu-latency.toml") in str(info.value)
    assert str(in_tmp / "profiles" / "cpu-latency.toml") in str(info.value)
    code, _, err = run_cli(capsys, "run", "sample:tiny", "--profile", "cpu-latency")
    assert code == 2 and "ambiguous" in err and "(shipped)" in err and "(./profiles)" in err


def test_an_unknown_name_exits_2_and_lists_the_known_ones(in_tmp, capsys):
    code, _, err = run_cli(capsys, "run", "sample:tiny", "--profile", "no-such-profile")
    assert code == 2 and "no-such-profile" in err and "cpu-latency" in err
    assert "Traceback" not in err
    code, _, err = run_cli(capsys, "run", "sample:tiny", "--profile", "missing.toml")
    assert code == 2 and "profile file not found: missing.toml" in err


def test_profiles_command_lists_name_provider_and_where(in_tmp, capsys):
    user = user_profiles_dir()
    user.mkdir(parents=True)
    (user / "gpu.toml").write_text('description = "mine"\n[provider]\nname = "cuda"\n')
    code, out, _ = run_cli(capsys, "profiles", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["cpu-latency"]["where"] == "shipped" and rows["cuda"]["provider"] == "cuda"
    assert rows["gpu"] == {
        "name": "gpu",
        "description": "mine",
        "provider": "cuda",
        "where": "user folder",
        "path": str(user / "gpu.toml"),
        "error": "",
    }
    code, out, _ = run_cli(capsys, "profiles")
    assert code == 0 and "cpu-latency" in out and str(user / "gpu.toml") in out
    assert len(list_profiles()) == len(rows)


def test_compare_and_practices_accept_names(in_tmp):
    from ortbench_tui.commands.compare import parse_profile_spec

    p = parse_profile_spec("cpu-throughput+run.io_binding=false", [])
    assert p.name == "cpu-throughput+io_binding=false" and p.run.io_binding is False


# -- saving keeps comments ------------------------------------------------------------------


def test_an_edit_keeps_the_hand_written_comments_and_layout(tmp_path):
    path = tmp_path / "laptop.toml"
    path.write_text(HAND_WRITTEN)
    profile = apply_overrides(
        load_profile(path), ["session.intra_op_num_threads=4", "run.warmup_runs=3"]
    )
    save_profile(profile, path, overwrite=True)
    text = path.read_text()
    assert "# My laptop profile: two threads" in text
    assert "intra_op_num_threads = 4        # measured best on 2024-05-01" in text
    assert "free_dimensions = { batch = 1 } # our service is batch-1" in text
    assert "# IO binding only helps on GPU here" in text
    # Only what changed is written: no default filled in for every key.
    assert "warmup_runs = 3" in text and "enable_mem_pattern" not in text
    assert load_profile(path).session.intra_op_num_threads == 4
    assert not list(tmp_path.glob(".*.tmp"))  # atomic: no temp file left behind


def test_a_shipped_profile_saved_as_a_copy_keeps_the_shipped_comments(tmp_path):
    shipped = shipped_profiles_dir() / "cpu-latency.toml"
    profile = apply_overrides(load_profile(shipped), ["run.timed_runs=50"])
    target = save_profile(profile, tmp_path / "copy.toml", header="Saved.", based_on=shipped)
    text = target.read_text()
    assert text.startswith("# Saved.\n")
    assert "# Batch-1 latency on CPU, following the seed article's CPU practices:" in text
    assert "# resolved to the physical core count at run time" in text
    assert "timed_runs = 50" in text
    assert load_profile(target).run.timed_runs == 50
    # Saved again over itself: the header is not repeated.
    save_profile(load_profile(target), target, overwrite=True, header="Saved.")
    assert target.read_text().count("# Saved.") == 1


def test_the_workbench_save_keeps_comments(tmp_path):
    from ortbench_tui.tui.workspace import Workspace

    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "laptop.toml").write_text(HAND_WRITTEN)
    ws = Workspace(profile_dirs=[folder], include_samples=False, include_shipped=False)
    ws.scan()
    entry = ws.find_profile("laptop")
    assert entry is not None
    entry.profile.run.io_binding = True
    ws.save(entry, ws.save_target(entry))
    text = (folder / "laptop.toml").read_text()
    assert "# measured best on 2024-05-01" in text and "io_binding = true" in text
    assert "# IO binding only helps on GPU here" in text
