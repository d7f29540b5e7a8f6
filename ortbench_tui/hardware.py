"""What machine the numbers come from, and which ORT execution providers really work on it.

ORT lists CUDA and TensorRT on machines without a GPU and then silently runs on CPU, so the
list of available providers proves nothing: `probe_providers` creates a tiny session per EP
and checks what ORT actually activated. GPU facts come from pycuda (optional
extra), the driver's libcuda via ctypes (same facts, nothing to build) or nvidia-smi (no SM
count); none is required. Engine module: never imports Textual.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from typing import Any

from .quiet import native_output_captured, quiet_ort_logging

CPU_EP = "CPUExecutionProvider"
# Shown even when this onnxruntime build does not list them, so `detect` says why not.
_WELL_KNOWN_EPS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")
_NVIDIA_SMI_QUERY = "--query-gpu=index,name,compute_cap,memory.total"


# -- CPU and memory -------------------------------------------------------------------------


def logical_cores() -> int:
    """Logical CPUs (hyper-threads included), at least 1."""
    return max(1, os.cpu_count() or 1)


def physical_cores() -> int:
    """Physical cores: the seed article's intra-op thread count. Logical count as fallback."""
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except Exception:
        n = None
    return max(1, n or logical_cores())


def cpu_model_name() -> str:
    """CPU model from /proc/cpuinfo, else whatever `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_governor() -> str | None:
    """Frequency governor of cpu0 ("powersave" skews latency), None where not exposed."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def _cpu_freq_mhz() -> float | None:
    try:
        import psutil

        freq = psutil.cpu_freq()
    except Exception:
        return None
    return round(freq.current, 1) if freq and freq.current else None


def _memory_mb() -> int:
    try:
        import psutil

        return int(psutil.virtual_memory().total // 2**20)
    except Exception:
        return 0


def _load_avg() -> tuple[float, float, float] | None:
    try:
        a, b, c = os.getloadavg()
    except (OSError, AttributeError):
        return None
    return (round(a, 2), round(b, 2), round(c, 2))


# -- GPUs -----------------------------------------------------------------------------------


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
        reasons.append(f"pycuda: {_first_line(exc)}")
    else:
        if gpus:
            return gpus, f"{len(gpus)} GPU(s) via pycuda"
        reasons.append("pycuda found no CUDA device")
    try:
        gpus = _gpus_from_libcuda()
    except OSError:
        reasons.append("libcuda not found")
    except Exception as exc:
        reasons.append(f"libcuda: {_first_line(exc)}")
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
        detail = _first_line(exc.stderr or exc.stdout or "") or f"exit status {exc.returncode}"
        reasons.append(f"nvidia-smi failed: {detail}")
    except Exception as exc:
        reasons.append(f"nvidia-smi: {_first_line(exc)}")
    else:
        if gpus:
            return gpus, f"{len(gpus)} GPU(s) via nvidia-smi (SM count needs pycuda)"
        reasons.append("nvidia-smi listed no GPU")
    return [], "not detected: " + ", ".join(reasons)


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0].strip() if text else ""


# -- execution providers --------------------------------------------------------------------


@dataclass
class ProviderProbe:
    name: str
    listed: bool
    works: bool
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _probe_model() -> bytes:
    """y = x + x on float[1]: small enough that creating a session costs milliseconds."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "probe", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    return model.SerializeToString()


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOG_PREFIX = re.compile(r"^\S+ \S+ \[[EWIV]:onnxruntime:[^\]]*\] ")
_LOAD_FAILURE = re.compile(r"Failed to load library (\S+) with error: (.+)")


def failure_reason(captured: str) -> str:
    """The most telling line of ORT's output about an EP that did not load.

    ORT says "Failed to load library .../libonnxruntime_providers_cuda.so with error:
    libcublasLt.so.13: cannot open shared object file" on fd 2; prefer that, else the last
    line that is not decoration.
    """
    lines = [_LOG_PREFIX.sub("", _ANSI.sub("", ln)).strip() for ln in captured.splitlines()]
    lines = [ln for ln in lines if ln and not ln.strip("*").strip() == ""]
    for line in reversed(lines):
        m = _LOAD_FAILURE.search(line)
        if m:
            return f"{os.path.basename(m.group(1))} failed to load: {m.group(2).strip()}"
    for line in reversed(lines):
        if "Failed to create" in line or "Please install" in line or "EP Error" in line:
            return line
    return lines[-1] if lines else ""


def _probe_one(ort: Any, name: str, model: bytes) -> ProviderProbe:
    import numpy as np

    providers = [name] if name == CPU_EP else [name, CPU_EP]
    so = ort.SessionOptions()
    so.log_severity_level = 3
    with native_output_captured() as out:
        try:
            sess = ort.InferenceSession(model, sess_options=so, providers=providers)
            active = sess.get_providers()
            if name in active:
                sess.run(None, {"x": np.ones(1, dtype=np.float32)})
            error = None
        except Exception as exc:  # ORT raises its own types (Fail, RuntimeException, ...)
            active, error = [], _first_line(exc) or type(exc).__name__
    if error is not None:
        return ProviderProbe(name, True, False, error)
    if name in active:
        return ProviderProbe(name, True, True, "ok")
    detail = failure_reason(out.text)
    fell_back = f"session fell back to {', '.join(active) or 'nothing'}"
    return ProviderProbe(name, True, False, f"{fell_back}: {detail}" if detail else fell_back)


@functools.cache
def probe_providers() -> list[ProviderProbe]:
    """Create a tiny session per listed EP and report which ones ORT really activates.

    Cached per process (session creation for CUDA/TensorRT costs time);
    `probe_providers.cache_clear()` forces a new probe. Never raises.
    """
    try:
        import onnxruntime as ort

        quiet_ort_logging()
        listed = list(ort.get_available_providers())
        model = _probe_model()
    except Exception as exc:
        return [ProviderProbe(CPU_EP, False, False, f"onnxruntime unusable: {_first_line(exc)}")]
    probes = [_probe_one(ort, name, model) for name in listed]
    probes += [
        ProviderProbe(name, False, False, "not in this onnxruntime build")
        for name in _WELL_KNOWN_EPS
        if name not in listed
    ]
    return probes


def _unprobed_providers() -> list[ProviderProbe]:
    """Listed EPs without creating sessions: CPU always works, the rest are unknown."""
    try:
        import onnxruntime as ort

        listed = list(ort.get_available_providers())
    except Exception:
        return []
    return [
        ProviderProbe(n, True, n == CPU_EP, "ok" if n == CPU_EP else "not probed") for n in listed
    ]


# -- the whole machine ----------------------------------------------------------------------


@dataclass
class HardwareInfo:
    cpu_model: str
    physical_cores: int
    logical_cores: int
    memory_mb: int
    cpu_governor: str | None
    cpu_freq_mhz: float | None
    load_avg: tuple[float, float, float] | None
    gpus: list[GpuInfo]
    gpu_status: str
    ort_version: str
    providers: list[ProviderProbe]
    os: str
    python: str

    @property
    def working_providers(self) -> list[str]:
        return [p.name for p in self.providers if p.works]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the `hardware` section of result files and `ortbench detect --json`."""
        return {
            "cpu_model": self.cpu_model,
            "physical_cores": self.physical_cores,
            "logical_cores": self.logical_cores,
            "memory_mb": self.memory_mb,
            "cpu_governor": self.cpu_governor,
            "cpu_freq_mhz": self.cpu_freq_mhz,
            "load_avg": list(self.load_avg) if self.load_avg is not None else None,
            "gpus": [g.to_dict() for g in self.gpus],
            "gpu_status": self.gpu_status,
            "ort_version": self.ort_version,
            "providers": [p.to_dict() for p in self.providers],
            "working_providers": self.working_providers,
            "os": self.os,
            "python": self.python,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HardwareInfo:
        """The inverse of to_dict (for `detect_isolated` and saved results)."""
        load = data.get("load_avg")
        return cls(
            cpu_model=data["cpu_model"],
            physical_cores=data["physical_cores"],
            logical_cores=data["logical_cores"],
            memory_mb=data["memory_mb"],
            cpu_governor=data.get("cpu_governor"),
            cpu_freq_mhz=data.get("cpu_freq_mhz"),
            load_avg=tuple(load) if load else None,  # type: ignore[arg-type]
            gpus=[GpuInfo(**g) for g in data.get("gpus", [])],
            gpu_status=data.get("gpu_status", ""),
            ort_version=data.get("ort_version", ""),
            providers=[ProviderProbe(**p) for p in data.get("providers", [])],
            os=data.get("os", ""),
            python=data.get("python", ""),
        )


def detect_isolated(timeout_s: float = 60.0) -> HardwareInfo:
    """`detect()` in a child process: for the UI process, which must neither import
    onnxruntime (start-up time) nor redirect its own fd 2 while Textual draws there."""
    import json
    import sys

    from .errors import OrtbenchError

    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ortbench_tui", "detect", "--json", "-"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0:
            raise OrtbenchError(
                f"hardware detection failed (exit {proc.returncode}): "
                f"{proc.stderr.strip()[-500:] or 'no output'}"
            )
        return HardwareInfo.from_dict(json.loads(proc.stdout))
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError) as exc:
        raise OrtbenchError(f"hardware detection failed: {exc}") from None


def _ort_version() -> str:
    try:
        import onnxruntime as ort

        return str(ort.__version__)
    except Exception as exc:
        return f"unavailable ({_first_line(exc)})"


def detect(probe_eps: bool = True) -> HardwareInfo:
    """Everything `ortbench detect` shows. Without `probe_eps`, reuse a cached probe if any."""
    if probe_eps or probe_providers.cache_info().currsize:
        providers = probe_providers()
    else:
        providers = _unprobed_providers()
    gpus, gpu_status = detect_gpus()
    return HardwareInfo(
        cpu_model=cpu_model_name(),
        physical_cores=physical_cores(),
        logical_cores=logical_cores(),
        memory_mb=_memory_mb(),
        cpu_governor=cpu_governor(),
        cpu_freq_mhz=_cpu_freq_mhz(),
        load_avg=_load_avg(),
        gpus=gpus,
        gpu_status=gpu_status,
        ort_version=_ort_version(),
        providers=list(providers),
        os=platform.platform(),
        python=platform.python_version(),
    )


# -- text -----------------------------------------------------------------------------------


def _gib(mb: int | None) -> str:
    return "?" if mb is None else f"{mb / 1024:.1f} GiB"


def _short_ep(name: str) -> str:
    return name.removesuffix("ExecutionProvider")


def format_hardware(info: HardwareInfo) -> str:
    """Human-readable report for `ortbench detect`."""
    load = (
        " ".join(f"{x:.2f}" for x in info.load_avg) + " (1/5/15 min)"
        if info.load_avg
        else "unknown"
    )
    freq = f"{info.cpu_freq_mhz:.0f} MHz" if info.cpu_freq_mhz else "unknown"
    lines = [
        f"CPU        {info.cpu_model}",
        f"Cores      {info.physical_cores} physical / {info.logical_cores} logical",
        f"Memory     {_gib(info.memory_mb)}",
        f"Governor   {info.cpu_governor or 'unknown (no cpufreq in /sys)'}",
        f"Frequency  {freq}",
        f"Load       {load}",
    ]
    if info.gpus:
        lines.append(f"GPUs       {info.gpu_status}")
        for g in info.gpus:
            sms = f"{g.sm_count} SMs" if g.sm_count is not None else "SMs unknown"
            cc = f"cc {g.compute_capability}" if g.compute_capability else "cc unknown"
            lines.append(f"  [{g.index}] {g.name} · {sms} · {cc} · {_gib(g.memory_mb)}")
    else:
        lines.append(f"GPUs       none ({info.gpu_status})")
    lines.append(f"ORT        {info.ort_version}")
    lines.append("Providers")
    for p in info.providers:
        if p.works:
            lines.append(f"  works    {p.name}")
        else:
            why = p.reason if p.listed else f"not listed: {p.reason}"
            lines.append(f"  no       {p.name}: {why}")
    lines.append(f"System     {info.os} · Python {info.python}")
    return "\n".join(lines)


def _gib_short(mb: int | None) -> str:
    return "?" if not mb else f"{mb / 1024:.0f} GiB"


def one_line_summary(info: HardwareInfo) -> str:
    """Header line for the TUI: CPU, cores, memory, GPUs with SM counts, ORT, working EPs."""
    if info.gpus:
        sms = [f"{g.sm_count} SMs" if g.sm_count else "SMs ?" for g in info.gpus]
        gpu = ", ".join(
            f"{g.name} ({sm}, {_gib_short(g.memory_mb)})"
            for g, sm in zip(info.gpus, sms, strict=True)
        )
    else:
        gpu = "no GPU"
    eps = ", ".join(_short_ep(n) for n in info.working_providers) or "none"
    return (
        f"{info.cpu_model} · {info.physical_cores} phys / {info.logical_cores} log cores · "
        f"{_gib_short(info.memory_mb)} · {gpu} · ORT {info.ort_version} · EPs: {eps}"
    )
