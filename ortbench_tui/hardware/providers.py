"""Which ORT execution providers really work here, found by creating a tiny session per EP.

ORT lists CUDA and TensorRT on machines without a GPU and then silently runs on CPU, so the
list of available providers proves nothing: `probe_providers` checks what ORT activated.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import asdict, dataclass
from typing import Any

from ..quiet import native_output_captured, quiet_ort_logging
from ..text import first_line

CPU_EP = "CPUExecutionProvider"
# Shown even when this onnxruntime build does not list them, so `detect` says why not.
_WELL_KNOWN_EPS = ("TensorrtExecutionProvider", "CUDAExecutionProvider")


@dataclass
class ProviderProbe:
    name: str
    listed: bool
    works: bool
    reason: str
    fix: str | None = None
    """For an EP that does not work: the missing library and the one command or setting that
    fixes it here (gpu.libs.library_fix_hint); None when ortbench knows no fix."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _probe_model() -> bytes:
    """y = x + x on float[1]: small enough that creating a session costs milliseconds."""
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "probe", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    return bytes(model.SerializeToString())


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
            active, error = [], first_line(exc) or type(exc).__name__
    if error is not None:
        return ProviderProbe(name, True, False, error, _fix(f"{error}\n{out.text}", name))
    if name in active:
        return ProviderProbe(name, True, True, "ok")
    detail = failure_reason(out.text)
    fell_back = f"session fell back to {', '.join(active) or 'nothing'}"
    reason = f"{fell_back}: {detail}" if detail else fell_back
    return ProviderProbe(name, True, False, reason, _fix(f"{detail}\n{out.text}", name))


def _fix(error_text: str, name: str) -> str | None:
    from ..gpu.libs import library_fix_hint

    try:
        return library_fix_hint(error_text, name)
    except Exception:  # a hint must never cost the probe
        return None


NOT_IN_BUILD_FIX = (
    "this onnxruntime is the CPU build: pip uninstall onnxruntime && pip install onnxruntime-gpu"
)


@functools.cache
def probe_providers() -> list[ProviderProbe]:
    """Create a tiny session per listed EP and report which ones ORT really activates.

    Cached per process (session creation for CUDA/TensorRT costs time);
    `probe_providers.cache_clear()` forces a new probe. Never raises.
    """
    try:
        from ..gpu.libs import preload_gpu_libraries
        from ..quiet import import_onnxruntime

        preload_gpu_libraries()  # pip CUDA libraries, as the worker loads them; silent
        ort = import_onnxruntime()

        quiet_ort_logging()
        listed = list(ort.get_available_providers())
        model = _probe_model()
    except Exception as exc:
        return [ProviderProbe(CPU_EP, False, False, f"onnxruntime unusable: {first_line(exc)}")]
    probes = [_probe_one(ort, name, model) for name in listed]
    probes += [
        ProviderProbe(name, False, False, "not in this onnxruntime build", NOT_IN_BUILD_FIX)
        for name in _WELL_KNOWN_EPS
        if name not in listed
    ]
    return probes


def unprobed_providers() -> list[ProviderProbe]:
    """Listed EPs without creating sessions: CPU always works, the rest are unknown."""
    try:
        from ..quiet import import_onnxruntime

        ort = import_onnxruntime()

        listed = list(ort.get_available_providers())
    except Exception:
        return []
    return [
        ProviderProbe(n, True, n == CPU_EP, "ok" if n == CPU_EP else "not probed") for n in listed
    ]
