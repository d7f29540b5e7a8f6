"""Hardware detection and EP probing: real on this machine, simulated for GPU libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types

import onnxruntime as ort
import pytest

from ortbench_tui import hardware
from ortbench_tui.hardware import (
    GpuInfo,
    detect,
    detect_gpus,
    format_hardware,
    machine,
    nvidia,
    one_line_summary,
    probe_providers,
)
from ortbench_tui.quiet import native_output_captured


def _probe(name: str) -> hardware.ProviderProbe | None:
    return next((p for p in probe_providers() if p.name == name), None)


def _cuda_works() -> bool:
    probe = _probe("CUDAExecutionProvider")
    return bool(probe and probe.works)


# -- cores and machine ----------------------------------------------------------------------


def test_cores_positive_and_physical_not_above_logical():
    phys, log = hardware.physical_cores(), hardware.logical_cores()
    assert phys >= 1 and log >= 1
    assert phys <= log


def test_physical_cores_falls_back_to_logical(monkeypatch):
    import psutil

    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: None)
    assert hardware.physical_cores() == hardware.logical_cores()


def test_detect_to_dict_is_json_and_consistent():
    info = detect()
    data = json.loads(json.dumps(info.to_dict()))
    assert data["physical_cores"] == info.physical_cores
    assert data["ort_version"] == ort.__version__
    assert data["memory_mb"] > 0
    assert "CPUExecutionProvider" in data["working_providers"]
    assert {p["name"] for p in data["providers"]} >= set(ort.get_available_providers())
    text = format_hardware(info)
    assert f"{info.physical_cores} physical / {info.logical_cores} logical" in text
    assert ort.__version__ in text
    summary = one_line_summary(info)
    assert f"ORT {ort.__version__}" in summary and "EPs: " in summary and "CPU" in summary


def test_detect_without_probe_marks_cpu_working():
    probe_providers.cache_clear()
    try:
        info = detect(probe_eps=False)
        assert info.working_providers == ["CPUExecutionProvider"]
        assert all(p.reason == "not probed" for p in info.providers if not p.works)
    finally:
        probe_providers.cache_clear()


# -- execution providers --------------------------------------------------------------------


def test_cpu_provider_works():
    cpu = _probe("CPUExecutionProvider")
    assert cpu is not None and cpu.listed and cpu.works


@pytest.mark.skipif(
    "CUDAExecutionProvider" not in ort.get_available_providers(),
    reason="this onnxruntime build does not list CUDA",
)
def test_listed_gpu_eps_do_not_work_without_gpu():
    gpus, _ = detect_gpus()  # independent of the probe under test
    if gpus:
        pytest.skip("a GPU is present")
    for name in ("CUDAExecutionProvider", "TensorrtExecutionProvider"):
        probe = _probe(name)
        if probe is None or not probe.listed:
            continue
        assert probe.works is False
        assert "fell back to CPUExecutionProvider" in probe.reason
        assert len(probe.reason) > len("session fell back to CPUExecutionProvider")
    assert "CUDAExecutionProvider" not in detect().working_providers


def test_probe_is_cached():
    assert probe_providers() is probe_providers()


def test_probe_does_not_leak_native_output(capfd):
    probe_providers.cache_clear()
    probe_providers()
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_failure_reason_prefers_library_load_error():
    noisy = (
        "\x1b[1;31m2026-01-01 00:00:00.0 [E:onnxruntime:Default, provider_bridge_ort.cc:2458 "
        "operator()] Failed to load library /x/libonnxruntime_providers_cuda.so with error: "
        "libcublasLt.so.13: cannot open shared object file\n\x1b[m\n"
        "\x1b[0;93m2026 [W:onnxruntime:Default, x.cc:1] Failed to create CUDAExecutionProvider."
        "\x1b[m\n"
    )
    assert hardware.failure_reason(noisy) == (
        "libonnxruntime_providers_cuda.so failed to load: libcublasLt.so.13: cannot open "
        "shared object file"
    )
    assert hardware.failure_reason("") == ""


# -- GPUs, simulated ------------------------------------------------------------------------


def _no_pycuda():
    raise ImportError("No module named 'pycuda'")


def _no_smi():
    raise FileNotFoundError("nvidia-smi not found")


def _no_libcuda():
    raise OSError("libcuda.so.1: cannot open shared object file")


@pytest.fixture
def no_libcuda(monkeypatch):
    monkeypatch.setattr(nvidia, "_gpus_from_libcuda", _no_libcuda)


def test_no_gpu_libraries_gives_empty_list_and_reason(monkeypatch, no_libcuda):
    monkeypatch.setattr(nvidia, "_gpus_from_pycuda", _no_pycuda)
    monkeypatch.setattr(nvidia, "_nvidia_smi_output", _no_smi)
    gpus, status = detect_gpus()
    assert gpus == []
    assert status == "not detected: pycuda not installed, libcuda not found, nvidia-smi not found"


def test_real_absence_of_pycuda_and_nvidia_smi(monkeypatch):
    monkeypatch.setitem(sys.modules, "pycuda", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "pycuda.driver", None)
    monkeypatch.setattr(nvidia, "_LIBCUDA", "libcuda-that-does-not-exist.so.0")
    monkeypatch.setenv("PATH", "/nonexistent")
    gpus, status = detect_gpus()
    assert gpus == []
    assert status == "not detected: pycuda not installed, libcuda not found, nvidia-smi not found"


def _fake_pycuda(monkeypatch, devices):
    driver = types.ModuleType("pycuda.driver")

    class Device:
        def __init__(self, i):
            self.spec = devices[i]

        @staticmethod
        def count():
            return len(devices)

        def name(self):
            return self.spec["name"]

        def get_attribute(self, attr):
            assert attr == "MULTIPROCESSOR_COUNT"
            return self.spec["sms"]

        def compute_capability(self):
            return self.spec["cc"]

        def total_memory(self):
            return self.spec["mem"]

    driver.init = lambda: None
    driver.Device = Device
    driver.device_attribute = types.SimpleNamespace(MULTIPROCESSOR_COUNT="MULTIPROCESSOR_COUNT")
    package = types.ModuleType("pycuda")
    package.driver = driver
    monkeypatch.setitem(sys.modules, "pycuda", package)
    monkeypatch.setitem(sys.modules, "pycuda.driver", driver)


def test_simulated_pycuda_gives_name_sms_cc_memory(monkeypatch):
    _fake_pycuda(
        monkeypatch,
        [{"name": "NVIDIA H100 80GB HBM3", "sms": 132, "cc": (9, 0), "mem": 80 * 2**30}],
    )
    monkeypatch.setattr(nvidia, "_nvidia_smi_output", _no_smi)
    gpus, status = detect_gpus()
    assert gpus == [GpuInfo(0, "NVIDIA H100 80GB HBM3", 132, "9.0", 80 * 1024)]
    assert "pycuda" in status


def test_pycuda_init_failure_falls_through_to_nvidia_smi(monkeypatch, no_libcuda):
    def broken():
        raise RuntimeError("cuInit failed: no CUDA-capable device is detected")

    monkeypatch.setattr(nvidia, "_gpus_from_pycuda", broken)
    monkeypatch.setattr(nvidia, "_nvidia_smi_output", _no_smi)
    gpus, status = detect_gpus()
    assert gpus == [] and "cuInit failed" in status and "nvidia-smi not found" in status


SMI_OUTPUT = "0, NVIDIA H100 80GB HBM3, 9.0, 81559\n1, Tesla T4, 7.5, 15360\n"


def test_simulated_nvidia_smi_is_parsed(monkeypatch, no_libcuda):
    monkeypatch.setattr(nvidia, "_gpus_from_pycuda", _no_pycuda)
    monkeypatch.setattr(nvidia, "_nvidia_smi_output", lambda: SMI_OUTPUT)
    gpus, status = detect_gpus()
    assert gpus == [
        GpuInfo(0, "NVIDIA H100 80GB HBM3", None, "9.0", 81559),
        GpuInfo(1, "Tesla T4", None, "7.5", 15360),
    ]
    assert "nvidia-smi" in status


def test_nvidia_smi_na_fields_and_failure(monkeypatch, no_libcuda):
    assert hardware.parse_nvidia_smi("0, Odd GPU, [N/A], [N/A]\n\n") == [
        GpuInfo(0, "Odd GPU", None, None, None)
    ]

    def failing():
        raise subprocess.CalledProcessError(9, "nvidia-smi", stderr="NVIDIA-SMI has failed\n")

    monkeypatch.setattr(nvidia, "_gpus_from_pycuda", _no_pycuda)
    monkeypatch.setattr(nvidia, "_nvidia_smi_output", failing)
    gpus, status = detect_gpus()
    assert gpus == [] and "nvidia-smi failed: NVIDIA-SMI has failed" in status


def test_nvidia_smi_subprocess_path(monkeypatch, tmp_path, no_libcuda):
    """The real subprocess call, against a fake nvidia-smi script on PATH."""
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!/bin/sh\nprintf '{SMI_OUTPUT.splitlines()[0]}\\n'\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(nvidia, "_gpus_from_pycuda", _no_pycuda)
    gpus, _ = detect_gpus()
    assert [g.name for g in gpus] == ["NVIDIA H100 80GB HBM3"]


FAKE_LIBCUDA_C = r"""
#include <stddef.h>
#include <string.h>
static int inited = 0;
int cuInit(unsigned int flags) { inited = 1; return flags; }
int cuDeviceGetCount(int *n) { if (!inited) return 3; *n = 2; return 0; }
int cuDeviceGet(int *dev, int ordinal) { *dev = 100 + ordinal; return 0; }
int cuDeviceGetName(char *name, int len, int dev) {
    strncpy(name, dev == 100 ? "Fake H100" : "Fake T4", len); return 0; }
int cuDeviceGetAttribute(int *v, int attr, int dev) {
    if (attr == 16) *v = dev == 100 ? 132 : 40;
    else if (attr == 75) *v = dev == 100 ? 9 : 7;
    else if (attr == 76) *v = dev == 100 ? 0 : 5;
    else return 1;
    return 0; }
int cuDeviceTotalMem_v2(size_t *bytes, int dev) {
    *bytes = (size_t)(dev == 100 ? 80 : 16) << 30; return 0; }
"""


def test_libcuda_ctypes_path_against_fake_driver(monkeypatch, tmp_path):
    """Compile a stand-in libcuda so the real ctypes calls run without a GPU."""
    import shutil

    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build a fake libcuda")
    src, lib = tmp_path / "fake_cuda.c", tmp_path / "libcuda.so.1"
    src.write_text(FAKE_LIBCUDA_C)
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    monkeypatch.setattr(nvidia, "_gpus_from_pycuda", _no_pycuda)
    monkeypatch.setattr(nvidia, "_LIBCUDA", str(lib))
    gpus, status = detect_gpus()
    assert gpus == [
        GpuInfo(0, "Fake H100", 132, "9.0", 80 * 1024),
        GpuInfo(1, "Fake T4", 40, "7.5", 16 * 1024),
    ]
    assert status == "2 GPU(s) via libcuda"


def test_gpu_info_in_text_and_json(monkeypatch):
    monkeypatch.setattr(
        machine,
        "detect_gpus",
        lambda: ([GpuInfo(0, "NVIDIA H100 80GB HBM3", 132, "9.0", 81559)], "1 GPU(s) via pycuda"),
    )
    info = detect()
    json.dumps(info.to_dict())
    assert "132 SMs" in format_hardware(info) and "cc 9.0" in format_hardware(info)
    assert "NVIDIA H100 80GB HBM3 (132 SMs, 80 GiB)" in one_line_summary(info)


# -- native output capture ------------------------------------------------------------------


def test_native_output_captured_catches_c_level_writes_and_restores():
    before = os.fstat(2)
    with native_output_captured() as out:
        os.write(2, b"native stderr noise\n")
        os.write(1, b"native stdout noise\n")
        print("python-level print")
    assert "native stderr noise" in out.text
    assert "native stdout noise" in out.text
    assert "python-level print" in out.text
    after = os.fstat(2)
    assert (before.st_dev, before.st_ino) == (after.st_dev, after.st_ino)


def test_native_output_restored_on_exception(capfd):
    with pytest.raises(ValueError):
        with native_output_captured() as out:
            os.write(2, b"before the error\n")
            raise ValueError("boom")
    assert "before the error" in out.text
    os.write(2, b"visible again\n")
    assert "visible again" in capfd.readouterr().err


def test_native_output_captured_in_subprocess_restores_terminal_fds():
    """Outside pytest's capture: the real fds 1 and 2 carry output again after the block."""
    code = (
        "import os\n"
        "from ortbench_tui.quiet import native_output_captured\n"
        "with native_output_captured() as out:\n"
        "    os.write(1, b'hidden-out\\n'); os.write(2, b'hidden-err\\n')\n"
        "os.write(1, b'shown-out ' + out.text.encode().replace(b'\\n', b'|') + b'\\n')\n"
        "os.write(2, b'shown-err\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "shown-out hidden-out|hidden-err|\n"
    assert proc.stderr == "shown-err\n"


def test_native_output_skips_closed_fd():
    code = (
        "import os\n"
        "os.close(1)\n"
        "from ortbench_tui.quiet import native_output_captured\n"
        "with native_output_captured() as out:\n"
        "    os.write(2, b'x')\n"
        "os.write(2, ('captured=' + out.text).encode())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.endswith("captured=x")


# -- real GPU -------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not _cuda_works(), reason="needs a working CUDA execution provider")
def test_cuda_works_and_gpu_listed_with_sms():
    info = detect()
    assert "CUDAExecutionProvider" in info.working_providers
    assert info.gpus, info.gpu_status
    assert "nvidia-smi" not in info.gpu_status, "libcuda should have given SM counts"
    assert all(g.sm_count and g.sm_count > 0 for g in info.gpus)
    assert all(g.compute_capability and g.memory_mb for g in info.gpus)


def test_detect_isolated_round_trips_through_a_child_process():
    from ortbench_tui.hardware import HardwareInfo, detect, detect_isolated

    child = detect_isolated()
    here = detect(probe_eps=True)
    assert child.physical_cores == here.physical_cores
    assert child.working_providers == here.working_providers
    assert HardwareInfo.from_dict(here.to_dict()).to_dict() == here.to_dict()
