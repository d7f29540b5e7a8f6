"""Profiles: defaults, validation with clear errors, TOML round trip, atomic saves, --set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import (
    Profile,
    apply_override,
    field_specs,
    load_profile,
    profile_from_dict,
    profile_to_dict,
    save_profile,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = sorted((REPO / "profiles").glob("*.toml"))


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_empty_profile_is_ort_defaults(tmp_path):
    p = load_profile(write(tmp_path, ""))
    assert p.name == "p"  # the file stem
    assert p.session.graph_optimization_level == "all"
    assert p.session.intra_op_num_threads == 0
    assert p.session.enable_cpu_mem_arena and p.session.enable_mem_pattern
    assert p.provider.name == "cpu" and p.provider.options == {}
    assert p.run.io_binding is False and p.run.precision == "fp32"


def test_two_line_profile(tmp_path):
    p = load_profile(write(tmp_path, 'name = "x"\n[session]\nintra_op_num_threads = 1\n'))
    assert (p.name, p.session.intra_op_num_threads, p.run.timed_runs) == ("x", 1, 1000)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_profiles_load_and_round_trip(path, tmp_path):
    p = load_profile(path)
    assert p.name == path.stem
    out = save_profile(p, tmp_path / path.name)
    assert profile_to_dict(load_profile(out)) == profile_to_dict(p)


def test_shipped_set_is_complete():
    names = {p.stem for p in SHIPPED}
    assert {
        "cpu-latency",
        "cpu-throughput",
        "cpu-ort-defaults",
        "cuda",
        "cuda-graph",
        "tensorrt-fp16",
    } <= names


def test_round_trip_is_exact_for_every_kind(tmp_path):
    p = Profile(name="all-kinds", description='é ü "quoted"')
    p.session.intra_op_num_threads = "physical"
    p.session.free_dimensions = {"batch": 4, "sequence": 128}
    p.session.config_entries = {"session.set_denormal_as_zero": "1", "n": 3, "f": 0.5, "b": True}
    p.provider.name = "cuda"
    p.provider.options = {"enable_cuda_graph": True, "gpu_mem_limit": 2**33}
    p.provider.fallback = ["cpu"]
    p.run.duration_s = 2.5
    p.run.pin_cpus = [0, 1]
    out = save_profile(p, tmp_path / "k.toml")
    assert load_profile(out) == p


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[session]\nbogus = 1\n", "unknown key 'session.bogus'"),
        ("colour = 1\n", "unknown key 'colour'"),
        ('[session]\nintra_op_num_threads = "four"\n', "session.intra_op_num_threads"),
        ("[session]\ninter_op_num_threads = -1\n", "non-negative integer"),
        ("[session]\nenable_mem_pattern = 1\n", "true or false"),
        ('[session]\ngraph_optimization_level = "max"\n', "disable, basic, extended, all"),
        ("[run]\ntimed_runs = 0\n", "run.timed_runs: expected an integer >= 1"),
        ("[run]\nwarmup_runs = 1.5\n", "run.warmup_runs"),
        ('[run]\nprecision = "fp8"\n', "fp32, fp16, int8"),
        ('[provider]\nname = "gpu"\n', "provider.name"),
        ("[session]\nfree_dimensions = { batch = 0 }\n", "positive integer"),
        ("[run]\npin_cpus = [-1]\n", "CPU indices"),
        ("session = 3\n", "[session]: expected a table"),
        ("[session\n", "not valid TOML"),
    ],
)
def test_bad_profiles_name_file_key_and_expectation(tmp_path, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(OrtbenchError) as err:
        load_profile(path)
    assert str(path) in str(err.value)
    assert needle in str(err.value)


def test_missing_profile_file(tmp_path):
    with pytest.raises(OrtbenchError, match="profile file not found"):
        load_profile(tmp_path / "nope.toml")


def test_save_refuses_to_overwrite_unless_told(tmp_path):
    target = write(tmp_path, "# precious\n", "keep.toml")
    with pytest.raises(OrtbenchError, match="already exists"):
        save_profile(Profile(name="x"), target)
    assert target.read_text() == "# precious\n"
    save_profile(Profile(name="x"), target, overwrite=True)
    assert load_profile(target).name == "x"


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    target = write(tmp_path, 'name = "old"\n', "a.toml")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OrtbenchError, match="disk full"):
        save_profile(Profile(name="new"), target, overwrite=True)
    assert target.read_text() == 'name = "old"\n'
    assert [p.name for p in tmp_path.iterdir()] == ["a.toml"]  # no temp file left behind


def test_save_header_becomes_comments(tmp_path):
    out = save_profile(Profile(name="h"), tmp_path / "h.toml", header="found by sweep\nline 2")
    text = out.read_text()
    assert text.startswith("# found by sweep\n# line 2\n")
    assert load_profile(out).name == "h"


def test_overrides_use_the_toml_path():
    p = Profile()
    p = apply_override(p, "session.intra_op_num_threads=1")
    p = apply_override(p, "session.intra_op_num_threads=physical")
    p = apply_override(p, "session.free_dimensions.batch=8")
    p = apply_override(p, "provider.options.enable_cuda_graph=true")
    p = apply_override(p, "provider.name=cuda")
    p = apply_override(p, "run.duration_s=1.5")
    p = apply_override(p, "session.intra_op_thread_affinities=1;2")
    assert p.session.intra_op_num_threads == "physical"
    assert p.session.free_dimensions == {"batch": 8}
    assert p.provider.options == {"enable_cuda_graph": True}
    assert (p.provider.name, p.run.duration_s) == ("cuda", 1.5)
    assert p.session.intra_op_thread_affinities == "1;2"


@pytest.mark.parametrize(
    ("assignment", "needle"),
    [
        ("session.intra_op_num_threads=abc", 'expected an integer from 0 to 1024 or "physical"'),
        ("run.timed_runs=many", "run.timed_runs"),
        ("run.nothing=1", "unknown key 'run.nothing'"),
        ("nothing.x=1", "unknown key 'nothing.x'"),
        ("run.timed_runs", "expected KEY=VALUE"),
    ],
)
def test_bad_overrides(assignment, needle):
    with pytest.raises(OrtbenchError) as err:
        apply_override(Profile(), assignment)
    assert needle in str(err.value) and "--set" in str(err.value)


def test_resolved_threads():
    p = profile_from_dict({"session": {"intra_op_num_threads": "physical"}})
    assert p.resolved_intra_threads(6) == 6
    assert profile_from_dict({}).resolved_intra_threads(6) == 0


def test_every_field_is_documented():
    for section in ("session", "provider", "run"):
        for key, meta, _default in field_specs(section):
            assert meta["doc"], f"{section}.{key} has no doc"
