"""NVIDIA GPUs: name, SM count, compute capability and memory, found without requiring anything.

Three sources, tried in order: pycuda (an optional extra), the driver's libcuda through ctypes
(same facts, nothing to build) and nvidia-smi (no SM count). None is required; `detect_gpus`
says which one answered, or why none did.
"""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from ..text import first_line

_NVIDIA_SMI_QUERY = "--query-gpu=index,name,compute_cap,memory.total"


@dataclass
class GpuInfo:
    index: int
    name: str
    sm_count: int | None
    compute_capability: str | None
    memory_mb: int | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _gpus_from_pycuda() -> list[GpuInfo]:
    """GPUs via the CUDA driver API. Raises ImportError when pycuda is not installed."""
    import pycuda.driver as cuda

    cuda.init()
    gpus = []
    for i in range(cuda.Device.count()):
        dev = cuda.Device(i)
        major, minor = dev.compute_capability()
        gpus.append(
            GpuInfo(
                index=i,
                name=str(dev.name()),
                sm_count=int(dev.get_attribute(cuda.device_attribute.MULTIPROCESSOR_COUNT)),
                compute_capability=f"{major}.{minor}",
                memory_mb=int(dev.total_memory()) // 2**20,
            )
        )
    return gpus


_LIBCUDA = "libcuda.so.1"
_CU_ATTR_SMS, _CU_ATTR_CC_MAJOR, _CU_ATTR_CC_MINOR = 16, 75, 76


def _gpus_from_libcuda() -> list[GpuInfo]:
    """GPUs via the driver's own libcuda through ctypes: SM counts without pycuda.

    pycuda rarely installs (no wheels), but every machine with an NVIDIA driver has
    libcuda.so.1. Raises OSError when the library is absent, RuntimeError on a CUDA error.
    """
    lib = ctypes.CDLL(_LIBCUDA)
    c_int, c_size_t, byref = ctypes.c_int, ctypes.c_size_t, ctypes.byref

    def check(rc: int, call: str) -> None:
        if rc != 0:
            raise RuntimeError(f"{call} failed with CUDA error {rc}")

    check(lib.cuInit(0), "cuInit")
    count = c_int()
    check(lib.cuDeviceGetCount(byref(count)), "cuDeviceGetCount")
    gpus = []
    for i in range(count.value):
        dev = c_int()
        check(lib.cuDeviceGet(byref(dev), c_int(i)), "cuDeviceGet")
        name = ctypes.create_string_buffer(256)
        check(lib.cuDeviceGetName(name, c_int(256), dev), "cuDeviceGetName")
        attrs = []
        for attr in (_CU_ATTR_SMS, _CU_ATTR_CC_MAJOR, _CU_ATTR_CC_MINOR):
            value = c_int()
            check(lib.cuDeviceGetAttribute(byref(value), c_int(attr), dev), "cuDeviceGetAttribute")
            attrs.append(value.value)
        memory = c_size_t()
        check(lib.cuDeviceTotalMem_v2(byref(memory), dev), "cuDeviceTotalMem")
        gpus.append(
            GpuInfo(
                i,
                name.value.decode(errors="replace"),
                attrs[0],
                f"{attrs[1]}.{attrs[2]}",
                memory.value // 2**20,
            )
        )
    return gpus


def _nvidia_smi_output() -> str:
    """Raw CSV from nvidia-smi. Raises FileNotFoundError when it is not on PATH."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        raise FileNotFoundError("nvidia-smi not found")
    proc = subprocess.run(
        [exe, _NVIDIA_SMI_QUERY, "--format=csv,noheader,nounits"],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    return proc.stdout


def _optional(value: str) -> str | None:
    value = value.strip()
    return None if not value or value.startswith("[") or value.upper() == "N/A" else value


def parse_nvidia_smi(text: str) -> list[GpuInfo]:
    """Parse `index, name, compute_cap, memory.total` lines; nvidia-smi has no SM count."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) < 4 or not parts[0].isdigit():
            continue
        # A GPU name could contain a comma: index first, cc and memory last.
        name = ", ".join(parts[1:-2])
        memory = _optional(parts[-1])
        gpus.append(
            GpuInfo(
                index=int(parts[0]),
                name=name,
                sm_count=None,
                compute_capability=_optional(parts[-2]),
                memory_mb=int(float(memory))
                if memory and re.fullmatch(r"[\d.]+", memory)
                else None,
            )
        )
    return gpus


def _gpus_from_nvidia_smi() -> list[GpuInfo]:
    return parse_nvidia_smi(_nvidia_smi_output())


def detect_gpus() -> tuple[list[GpuInfo], str]:
    """GPUs and a status line saying how they were found, or why none were. Never raises."""
    reasons = []
    try:
        gpus = _gpus_from_pycuda()
    except ImportError:
        reasons.append("pycuda not installed")
    except Exception as exc:  # cuInit fails without a driver or device
        reasons.append(f"pycuda: {first_line(exc)}")
    else:
        if gpus:
            return gpus, f"{len(gpus)} GPU(s) via pycuda"
        reasons.append("pycuda found no CUDA device")
    try:
        gpus = _gpus_from_libcuda()
    except OSError:
        reasons.append("libcuda not found")
    except Exception as exc:
        reasons.append(f"libcuda: {first_line(exc)}")
    else:
        if gpus:
            return gpus, f"{len(gpus)} GPU(s) via libcuda"
        reasons.append("libcuda found no CUDA device")
    try:
        gpus = _gpus_from_nvidia_smi()
    except FileNotFoundError:
        reasons.append("nvidia-smi not found")
    except subprocess.TimeoutExpired:
        reasons.append("nvidia-smi timed out")
    except subprocess.CalledProcessError as exc:
        detail = first_line(exc.stderr or exc.stdout or "") or f"exit status {exc.returncode}"
        reasons.append(f"nvidia-smi failed: {detail}")
    except Exception as exc:
        reasons.append(f"nvidia-smi: {first_line(exc)}")
    else:
        if gpus:
            return gpus, f"{len(gpus)} GPU(s) via nvidia-smi (SM count needs pycuda)"
        reasons.append("nvidia-smi listed no GPU")
    return [], "not detected: " + ", ".join(reasons)
