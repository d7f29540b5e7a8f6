"""Preloading the NVIDIA pip libraries, and the hint for a library that does not load."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import types
from pathlib import Path

import pytest

from ortbench_tui.gpu import libs as gpu_libs
from ortbench_tui.gpu.libs import (
    EXTRA_INSTALL,
    PreloadReport,
    library_fix_hint,
    missing_library,
    nvidia_library_dirs,
    preload_gpu_libraries,
)

# What ORT 1.31 says on this CPU-only machine (a session asking for each GPU EP).
CUDA_FAILURE = (
    "Failed to load library /venv/lib/python3.11/site-packages/onnxruntime/capi/"
    "libonnxruntime_providers_cuda.so with error: libcublasLt.so.13: cannot open shared "
    "object file: No such file or directory"
)
TRT_FAILURE = CUDA_FAILURE.replace("providers_cuda", "providers_tensorrt").replace(
    "libcublasLt", "libcublas"
)
CUDA = "CUDAExecutionProvider"
TRT = "TensorrtExecutionProvider"


def fake_site(tmp_path: Path, *folders: str) -> Path:
    """A site-packages with NVIDIA pip library folders (nvidia/cu13/lib, tensorrt_libs, ...)."""
    site = tmp_path / "site"
    for folder in folders:
        lib = site / folder if folder == "tensorrt_libs" else site / "nvidia" / folder / "lib"
        lib.mkdir(parents=True)
    return site


def use_site(monkeypatch: pytest.MonkeyPatch, site: Path) -> None:
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        if name in ("nvidia", "tensorrt_libs"):
            path = site / name
            if not path.is_dir():
                return None
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [str(path)]
            return spec
        return real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def fake_ort(monkeypatch: pytest.MonkeyPatch, preload: object) -> list[str]:
    calls: list[str] = []
    module = types.ModuleType("onnxruntime")
    if preload is not None:

        def preload_dlls() -> None:
            calls.append("preload_dlls")
            if callable(preload):
                preload()

        module.preload_dlls = preload_dlls  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "onnxruntime", module)
    return calls


def test_absent_here_it_does_nothing_and_says_nothing(capfd: pytest.CaptureFixture[str]):
    """The real path on this machine: no NVIDIA pip packages installed."""
    report = preload_gpu_libraries()
    assert report == PreloadReport()
    assert not report.did_anything
    assert "no NVIDIA pip libraries" in report.summary()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_absent_with_a_fake_site_does_not_touch_onnxruntime(monkeypatch, tmp_path):
    use_site(monkeypatch, fake_site(tmp_path))
    calls = fake_ort(monkeypatch, preload=True)
    assert preload_gpu_libraries() == PreloadReport()
    assert calls == []


def test_present_it_calls_ort_preload_quietly(monkeypatch, tmp_path, capfd):
    site = fake_site(tmp_path, "cu13", "cudnn")
    use_site(monkeypatch, site)
    calls = fake_ort(monkeypatch, preload=lambda: print("Failed to load libcudnn.so.9: nope"))
    report = preload_gpu_libraries()
    assert calls == ["preload_dlls"]
    assert report.called_ort_preload and report.did_anything
    assert report.library_dirs == {
        "cu13": site / "nvidia" / "cu13" / "lib",
        "cudnn": site / "nvidia" / "cudnn" / "lib",
    }
    assert report.problems == ("Failed to load libcudnn.so.9: nope",)
    assert "cu13, cudnn" in report.summary() and "1 failed" in report.summary()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_raising_preload_is_reported_not_raised(monkeypatch, tmp_path):
    use_site(monkeypatch, fake_site(tmp_path, "cu13"))

    def boom() -> None:
        raise RuntimeError("Invalid parameter of directory")

    fake_ort(monkeypatch, preload=boom)
    report = preload_gpu_libraries()
    assert not report.called_ort_preload
    assert report.problems == ("onnxruntime.preload_dlls(): Invalid parameter of directory",)


def test_an_ort_without_preload_dlls_is_reported(monkeypatch, tmp_path):
    use_site(monkeypatch, fake_site(tmp_path, "cudnn"))
    fake_ort(monkeypatch, preload=None)
    assert "no preload_dlls()" in preload_gpu_libraries().problems[0]


def test_tensorrt_libraries_are_loaded_from_their_package(monkeypatch, tmp_path):
    site = fake_site(tmp_path, "tensorrt_libs")
    (site / "tensorrt_libs" / "libnvinfer.so.10").write_bytes(b"not an ELF")
    use_site(monkeypatch, site)
    calls = fake_ort(monkeypatch, preload=True)
    report = preload_gpu_libraries()
    assert calls == []  # no CUDA pip folders: ORT's preload would only print failures
    assert report.library_dirs == {"tensorrt_libs": site / "tensorrt_libs"}
    problems = "\n".join(report.problems)
    assert "Failed to load" in problems and "libnvinfer.so.10" in problems
    assert "libnvonnxparser.so.10 is not in" in problems


def test_a_broken_lookup_never_raises(monkeypatch):
    def broken(*_args: object) -> dict[str, Path]:
        raise PermissionError("site-packages unreadable")

    monkeypatch.setattr(gpu_libs, "nvidia_library_dirs", broken)
    report = preload_gpu_libraries()
    assert "site-packages unreadable" in report.problems[0]


def test_nothing_is_installed_on_this_machine():
    assert nvidia_library_dirs() == {}


@pytest.mark.parametrize(
    ("text", "library"),
    [
        (CUDA_FAILURE, "libcublasLt.so.13"),
        (TRT_FAILURE, "libcublas.so.13"),
        ("libcudnn_graph.so.9: cannot open shared object file", "libcudnn_graph.so.9"),
        ("error: libnvinfer.so.10: cannot open shared object file", "libnvinfer.so.10"),
        ("libcuda.so.1: cannot open shared object file", "libcuda.so.1"),
        ("Failed to load library libonnxruntime_providers_cuda.so", None),
        ("some other ORT error", None),
    ],
)
def test_missing_library_picks_the_gpu_library_not_ort_s_own(text: str, library: str | None):
    assert missing_library(text) == library


def test_hint_for_missing_cuda_libraries_names_the_extra_and_the_system_versions():
    hint = library_fix_hint(CUDA_FAILURE, CUDA, library_dirs={})
    assert hint is not None
    assert hint.startswith(f"{CUDA} cannot load libcublasLt.so.13 (cuBLASLt from CUDA 13)")
    assert EXTRA_INSTALL["cuda"] in hint and "CUDA 13.x and cuDNN 9.x" in hint


def test_hint_for_cudnn():
    hint = library_fix_hint("libcudnn.so.9: cannot open shared object file", CUDA, {})
    assert hint is not None and "cuDNN 9" in hint and "ortbench-tui[cuda]" in hint


def test_tensorrt_missing_cuda_gets_the_tensorrt_extra_which_brings_cuda():
    hint = library_fix_hint(TRT_FAILURE, TRT, library_dirs={})
    assert hint is not None and EXTRA_INSTALL["tensorrt"] in hint
    assert "pypi.nvidia.com" in hint and "TensorRT 10.x for CUDA 13" in hint


def test_hint_for_tensorrt_itself():
    hint = library_fix_hint("libnvinfer.so.10: cannot open shared object file", TRT, {})
    assert hint is not None and "(TensorRT 10)" in hint and EXTRA_INSTALL["tensorrt"] in hint


def test_a_library_installed_but_not_loaded_gets_its_folder(tmp_path):
    lib = tmp_path / "nvidia" / "cu13" / "lib"
    lib.mkdir(parents=True)
    (lib / "libcublasLt.so.13").touch()
    hint = library_fix_hint(CUDA_FAILURE, CUDA, library_dirs={"cu13": lib})
    assert hint is not None and f"LD_LIBRARY_PATH={lib}" in hint and "pip install" not in hint


def test_the_driver_is_not_a_pip_package():
    hint = library_fix_hint("libcuda.so.1: cannot open shared object file", CUDA, {})
    assert hint is not None and "NVIDIA driver (580 or newer" in hint and "pip install" not in hint


def test_a_failure_naming_only_ort_s_provider_library_still_gets_a_hint():
    windows = "LoadLibrary failed with error 126 when trying to load onnxruntime_providers_cuda.dll"
    hint = library_fix_hint(windows, CUDA, {})
    assert hint is not None and EXTRA_INSTALL["cuda"] in hint


def test_other_errors_get_no_hint():
    assert library_fix_hint("Invalid device ID: 3", CUDA, {}) is None


def test_the_real_failure_on_this_machine_gets_a_hint(capfd):
    """Ask ORT for CUDA here (no GPU, no CUDA libraries) and read what it logs."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=[CUDA])
    if CUDA in session.get_providers():
        pytest.skip("the CUDA EP loads here")
    _, err = capfd.readouterr()
    hint = library_fix_hint(err, CUDA)
    assert hint is not None and "cannot load lib" in hint
