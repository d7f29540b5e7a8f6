"""Built-in samples: they run in ORT, are byte-identical everywhere, and are cached."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from ortbench_tui import samples
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.feeds import make_feeds
from ortbench_tui.models import inspect_model
from ortbench_tui.samples import (
    BUILTIN_SAMPLES,
    generated,
    list_samples,
    resolve_model,
    sample_path,
    write_samples,
)

GENERATED = ["tiny", "mlp", "conv", "encoder"]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty cache root for this test only."""
    root = tmp_path / "cache"
    monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(root))
    return root


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "free_dims", "out_shape"),
    [
        ("tiny", {}, (1, 16)),
        ("mlp", {}, (1, 10)),
        ("conv", {}, (1, 10)),
        ("encoder", {"batch": 2, "sequence": 8}, (2, 8, 64)),
        ("encoder", {"batch": 1, "sequence": 32}, (1, 32, 64)),
    ],
)
def test_generated_sample_runs_in_ort(name: str, free_dims: dict[str, int], out_shape: tuple):
    path = sample_path(name)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    info = inspect_model(path)
    (feed,) = make_feeds(info.inputs, free_dims, seed=0, sets=1)
    outputs = sess.run(None, feed)
    assert len(outputs) == 1
    assert outputs[0].shape == out_shape
    assert outputs[0].dtype == np.float32
    assert np.isfinite(outputs[0]).all()
    assert np.abs(outputs[0]).max() > 0  # weights are not all zeros


def test_encoder_output_depends_on_input():
    sess = ort.InferenceSession(str(sample_path("encoder")), providers=["CPUExecutionProvider"])
    a, b = make_feeds(
        inspect_model(sample_path("encoder")).inputs, {"batch": 1, "sequence": 4}, sets=2
    )
    assert not np.allclose(sess.run(None, a)[0], sess.run(None, b)[0])


def test_generated_models_declare_opset_17_and_an_ir_ort_loads():
    for name in GENERATED:
        model = onnx.load(str(sample_path(name)))
        assert model.ir_version == generated.IR_VERSION <= 10
        assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
        onnx.checker.check_model(model)


def test_generation_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    digests = []
    for sub in ("a", "b"):
        monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(tmp_path / sub))
        digests.append({name: _sha(sample_path(name)) for name in GENERATED})
    assert digests[0] == digests[1]
    assert len(set(digests[0].values())) == len(GENERATED)


def test_samples_written_under_cache_env(cache_dir: Path):
    path = sample_path("tiny")
    assert path.is_file()
    assert cache_dir in path.parents
    assert (cache_dir / "samples") in path.parents
    # atomic write leaves no temp files behind
    assert [p.name for p in path.parent.iterdir()] == ["tiny.onnx"]


def test_cached_file_not_rewritten(cache_dir: Path, monkeypatch: pytest.MonkeyPatch):
    first = sample_path("mlp")
    st = first.stat()

    def boom() -> onnx.ModelProto:
        raise AssertionError("regenerated a cached sample")

    monkeypatch.setitem(generated.GENERATORS, "mlp", boom)
    second = sample_path("mlp")
    assert second == first
    st2 = second.stat()
    assert (st2.st_ino, st2.st_mtime_ns, st2.st_size) == (st.st_ino, st.st_mtime_ns, st.st_size)


def test_missing_cached_file_is_regenerated(cache_dir: Path):
    path = sample_path("tiny")
    digest = _sha(path)
    path.unlink()
    assert _sha(sample_path("tiny")) == digest


def test_default_cache_root_is_platformdirs(monkeypatch: pytest.MonkeyPatch):
    import platformdirs

    monkeypatch.delenv("ORTBENCH_CACHE_DIR", raising=False)
    assert samples.cache_root() == Path(platformdirs.user_cache_dir("ortbench"))


def test_unwritable_cache_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(blocker))
    with pytest.raises(OrtbenchError, match="ORTBENCH_CACHE_DIR"):
        sample_path("tiny")


def test_light_samples_listed_and_used_in_place():
    light_dir = Path(os.path.dirname(onnx.__file__)) / "backend" / "test" / "data" / "light"
    expected = {f"{p.stem.removeprefix('light_')}-light" for p in light_dir.glob("light_*.onnx")}
    assert {"resnet50-light", "squeezenet-light"} <= expected
    infos = {s.name: s for s in list_samples()}
    for name in expected:
        assert infos[name].kind == "light"
        assert infos[name].spec == f"sample:{name}"
        assert name in BUILTIN_SAMPLES
    path = resolve_model("sample:resnet50-light")
    assert path == light_dir / "light_resnet50.onnx"
    assert path.is_file()


def test_light_sample_loads_in_ort():
    sess = ort.InferenceSession(
        str(sample_path("squeezenet-light")), providers=["CPUExecutionProvider"]
    )
    assert sess.get_inputs()[0].shape == [1, 3, 224, 224]


def test_list_samples_covers_generated():
    infos = list_samples()
    gen = [s for s in infos if s.kind == "generated"]
    assert [s.name for s in gen] == GENERATED
    assert all(s.spec == f"sample:{s.name}" and s.description for s in infos)
    assert [s.name for s in infos] == list(BUILTIN_SAMPLES)


def test_unknown_sample_lists_valid_names():
    with pytest.raises(OrtbenchError) as exc:
        sample_path("nope")
    msg = str(exc.value)
    assert "'nope'" in msg
    for name in ("tiny", "mlp", "conv", "encoder", "resnet50-light"):
        assert name in msg
    with pytest.raises(OrtbenchError, match="unknown sample"):
        resolve_model("sample:resnet51-light")


def test_resolve_model_paths(tmp_path: Path):
    model = tmp_path / "m.onnx"
    model.write_bytes(sample_path("tiny").read_bytes())
    assert resolve_model(str(model)) == model
    assert resolve_model(model) == model
    assert resolve_model("sample:tiny") == sample_path("tiny")

    missing = tmp_path / "missing.onnx"
    with pytest.raises(OrtbenchError, match=f"model file not found: {missing}"):
        resolve_model(str(missing))
    with pytest.raises(OrtbenchError, match="directory"):
        resolve_model(tmp_path)


def test_resolve_bare_sample_name_hints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OrtbenchError, match="did you mean sample:tiny"):
        resolve_model("tiny")


def test_write_samples(tmp_path: Path):
    out = tmp_path / "out" / "nested"
    written = write_samples(out)
    assert [p.name for p in written] == [f"{n}.onnx" for n in GENERATED]
    for name, p in zip(GENERATED, written, strict=True):
        assert p.read_bytes() == sample_path(name).read_bytes()
    # same bytes already there: fine, nothing changes
    assert write_samples(out) == written
    # a different file of the same name is never overwritten silently
    written[0].write_bytes(b"user data")
    with pytest.raises(OrtbenchError, match="tiny.onnx exists"):
        write_samples(out)
    assert written[0].read_bytes() == b"user data"
    write_samples(out, overwrite=True)
    assert written[0].read_bytes() == sample_path("tiny").read_bytes()


def test_write_samples_into_a_file_is_an_error(tmp_path: Path):
    f = tmp_path / "f"
    f.write_text("x")
    with pytest.raises(OrtbenchError, match="directory"):
        write_samples(f)


def test_every_generator_is_listed_by_name_and_every_name_has_a_generator():
    # The catalog lists samples from names.py without importing the generators (start-up).
    assert list(generated.GENERATORS) == list(samples.GENERATED_SAMPLES)
