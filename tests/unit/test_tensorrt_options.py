"""TensorRT caches on by default, shape profile strings, and cached engines told from builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.gpu.ep_options import validate_provider_options
from ortbench_tui.gpu.tensorrt import (
    ShapeRange,
    cache_folders,
    engine_cache_key,
    engine_cache_snapshot,
    engine_cache_state,
    tensorrt_cache_options,
    tensorrt_shape_profiles,
)

SHA = "ab" * 32
SHAPES = {"x": [1, 3, 224, 224]}


def test_caches_are_on_by_default_in_a_folder_keyed_by_model_and_options(tmp_path: Path):
    out = tensorrt_cache_options({"trt_fp16_enable": True}, SHA, SHAPES, tmp_path)
    assert out["trt_fp16_enable"] is True
    assert out["trt_engine_cache_enable"] is True and out["trt_timing_cache_enable"] is True
    engines = Path(out["trt_engine_cache_path"])
    assert engines.parent == tmp_path / "engines" and engines.name.startswith(SHA[:16] + "-")
    assert Path(out["trt_timing_cache_path"]).parent == tmp_path / "timing"
    validate_provider_options("TensorrtExecutionProvider", out)


def test_the_input_options_are_not_changed(tmp_path: Path):
    options = {"trt_fp16_enable": True}
    tensorrt_cache_options(options, SHA, SHAPES, tmp_path)
    assert options == {"trt_fp16_enable": True}


def test_user_set_values_win(tmp_path: Path):
    user = {"trt_engine_cache_path": "mine", "trt_timing_cache_enable": False}
    out = tensorrt_cache_options(user, SHA, SHAPES, tmp_path)
    assert out["trt_engine_cache_path"] == "mine" and out["trt_engine_cache_enable"] is True
    assert out["trt_timing_cache_enable"] is False and "trt_timing_cache_path" not in out


def test_a_disabled_engine_cache_gets_no_path(tmp_path: Path):
    out = tensorrt_cache_options({"trt_engine_cache_enable": "0"}, SHA, SHAPES, tmp_path)
    assert "trt_engine_cache_path" not in out


def test_the_engine_folder_changes_with_options_shapes_model_and_versions(tmp_path: Path):
    def folder(options=None, shapes=None, sha=SHA, versions=None) -> str:
        out = tensorrt_cache_options(options or {}, sha, shapes or SHAPES, tmp_path, versions)
        return str(out["trt_engine_cache_path"])

    base = folder()
    assert folder() == base  # stable
    assert folder({"trt_fp16_enable": True}) != base
    assert folder(shapes={"x": [8, 3, 224, 224]}) != base
    assert folder(sha="cd" * 32) != base
    assert folder(versions={"tensorrt": "10.16.1"}) != base
    # the cache options themselves do not key the folder; true and "1" are one value to ORT
    assert folder({"trt_timing_cache_enable": False}) == base
    assert folder({"trt_fp16_enable": True}) == folder({"trt_fp16_enable": "1"})


def test_the_timing_cache_is_shared_across_models_but_not_across_versions(tmp_path: Path):
    a = tensorrt_cache_options({}, SHA, SHAPES, tmp_path)["trt_timing_cache_path"]
    b = tensorrt_cache_options({"trt_fp16_enable": True}, "cd" * 32, {}, tmp_path)
    c = tensorrt_cache_options({}, SHA, SHAPES, tmp_path, {"tensorrt": "10.16"})
    assert a == b["trt_timing_cache_path"] != c["trt_timing_cache_path"]


def test_the_key_is_a_sha256_hex_digest():
    key = engine_cache_key(SHA, {}, SHAPES)
    assert len(key) == 64 and int(key, 16) >= 0


def test_cache_folders_lists_the_enabled_ones(tmp_path: Path):
    out = tensorrt_cache_options({}, SHA, SHAPES, tmp_path)
    assert cache_folders(out) == [
        Path(out["trt_engine_cache_path"]),
        Path(out["trt_timing_cache_path"]),
    ]
    assert cache_folders({"trt_engine_cache_path": "x"}) == []


def test_shape_profiles_are_ort_strings_per_input():
    profiles = tensorrt_shape_profiles(
        {
            "input_ids": ShapeRange(min=(1, 1), opt=(1, 128), max=(8, 512)),
            "mask": ShapeRange(min=(1, 1), opt=(1, 128), max=(8, 512)),
        }
    )
    assert profiles == {
        "trt_profile_min_shapes": "input_ids:1x1,mask:1x1",
        "trt_profile_opt_shapes": "input_ids:1x128,mask:1x128",
        "trt_profile_max_shapes": "input_ids:8x512,mask:8x512",
    }
    validate_provider_options("TensorrtExecutionProvider", profiles)


def test_no_inputs_no_profile():
    assert tensorrt_shape_profiles({}) == {}


@pytest.mark.parametrize(
    ("name", "spec", "fragment"),
    [
        ("x", ShapeRange((1, 3), (1, 3, 4), (1, 3)), "same rank"),
        ("x", ShapeRange((4, 3), (2, 3), (8, 3)), "dim 0 needs min <= opt <= max"),
        ("x", ShapeRange((0, 3), (1, 3), (1, 3)), "dim 0 must be at least 1"),
        ("input:0", ShapeRange((1,), (1,), (1,)), "cannot name inputs with ',' or ':'"),
    ],
)
def test_bad_shape_ranges_are_refused(name: str, spec: ShapeRange, fragment: str):
    with pytest.raises(OrtbenchError, match=fragment):
        tensorrt_shape_profiles({name: spec})


def write_engine(folder: Path, name: str, data: bytes = b"engine", mtime_ns: int = 10**18) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_an_engine_present_before_and_untouched_came_from_the_cache(tmp_path: Path):
    write_engine(tmp_path, "TRTKernel_graph_main_1_0_sm90.engine")
    before = engine_cache_snapshot(tmp_path)
    state = engine_cache_state(tmp_path, before)
    assert state.from_cache and state.built == ()
    assert "loaded from the cache (1)" in state.describe()


def test_an_engine_written_by_the_session_was_built(tmp_path: Path):
    before = engine_cache_snapshot(tmp_path / "missing")
    assert before == {}
    write_engine(tmp_path / "missing", "a.engine")
    state = engine_cache_state(tmp_path / "missing", before)
    assert not state.from_cache and state.built == ("a.engine",)
    assert "built 1 engines" in state.describe()


def test_a_rebuilt_engine_over_a_stale_one_counts_as_built(tmp_path: Path):
    write_engine(tmp_path, "a.engine", mtime_ns=10**18)
    write_engine(tmp_path, "b.engine")
    before = engine_cache_snapshot(tmp_path)
    write_engine(tmp_path, "a.engine", data=b"rebuilt", mtime_ns=2 * 10**18)
    state = engine_cache_state(tmp_path, before)
    assert state.built == ("a.engine",) and state.reused == ("b.engine",)
    assert "built 1 engines and reused 1" in state.describe()


def test_other_files_are_not_engines(tmp_path: Path):
    write_engine(tmp_path, "a.profile")
    write_engine(tmp_path, "timing.cache")
    state = engine_cache_state(tmp_path, {})
    assert state.built == () and state.reused == () and not state.from_cache
    assert "no TensorRT engine" in state.describe()
