"""The CUDA, cuDNN and TensorRT libraries the GPU execution providers load, and how to fix them.

onnxruntime-gpu's provider libraries carry no RUNPATH to the NVIDIA pip packages, so with the
libraries installed by pip (`ortbench-tui[cuda]`, `[tensorrt]`, or PyTorch's) the CUDA EP fails
with `libcublasLt.so.13: cannot open shared object file` unless they are loaded first.
`preload_gpu_libraries` does that once per process, silently; `library_fix_hint` turns a load
failure into the missing library and the one command that fixes it on this machine.
"""

from __future__ import annotations

import ctypes
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..quiet import native_output_captured

# What onnxruntime-gpu 1.31 is built for (build_and_package_info.cuda_version, and the NEEDED
# entries of its provider libraries: libcublasLt.so.13, libcudnn.so.9, libnvinfer.so.10).
CUDA_MAJOR = "13"
CUDNN_MAJOR = "9"
TENSORRT_MAJOR = "10"
CUDA_MIN_DRIVER = "580"
"""The oldest Linux driver series CUDA 13 runs on."""

# Pip packages keep their libraries in site-packages/nvidia/<folder>/lib; CUDA 13 puts the whole
# toolkit in one folder (cu13), cuDNN keeps its own.
NVIDIA_LIB_FOLDERS = (f"cu{CUDA_MAJOR}", "cudnn")
TENSORRT_LIB_PACKAGE = "tensorrt_libs"
# Load order matters: the plugin and the parser link against libnvinfer.
TENSORRT_LIBRARIES = (
    f"libnvinfer.so.{TENSORRT_MAJOR}",
    f"libnvinfer_plugin.so.{TENSORRT_MAJOR}",
    f"libnvonnxparser.so.{TENSORRT_MAJOR}",
)
_GPU_LIBRARY_NAME = re.compile(
    r"lib(cublas|cudart|curand|cufft|nvrtc|nvJitLink|cudnn|nvinfer|nvonnx)"
)

EXTRA_INSTALL = {
    "cuda": "pip install 'ortbench-tui[cuda]'",
    "tensorrt": "pip install --extra-index-url https://pypi.nvidia.com 'ortbench-tui[tensorrt]'",
}
"""TensorRT's wheels live on NVIDIA's index; PyPI only has stubs that point there."""


@dataclass(frozen=True)
class PreloadReport:
    """What `preload_gpu_libraries` found and did."""

    library_dirs: dict[str, Path] = field(default_factory=dict)
    """Pip library folders found: "cu13", "cudnn", "tensorrt_libs" -> their lib folder."""
    called_ort_preload: bool = False
    loaded: tuple[str, ...] = ()
    """GPU libraries mapped into this process afterwards (file names)."""
    problems: tuple[str, ...] = ()
    """What failed to load, one line each; empty when all went well."""

    @property
    def did_anything(self) -> bool:
        return bool(self.library_dirs)

    def summary(self) -> str:
        if not self.library_dirs:
            return "no NVIDIA pip libraries installed; the system library path decides"
        found = ", ".join(sorted(self.library_dirs))
        text = f"preloaded NVIDIA pip libraries ({found}): {len(self.loaded)} loaded"
        return text + (f"; {len(self.problems)} failed" if self.problems else "")


def nvidia_library_dirs() -> dict[str, Path]:
    """The NVIDIA pip packages' lib folders present in this environment, by folder name."""
    found: dict[str, Path] = {}
    spec = _find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec else []:
        for folder in NVIDIA_LIB_FOLDERS:
            lib = Path(root) / folder / "lib"
            if folder not in found and lib.is_dir():
                found[folder] = lib
    trt = _find_spec(TENSORRT_LIB_PACKAGE)
    for root in (trt.submodule_search_locations or []) if trt else []:
        if Path(root).is_dir():
            found[TENSORRT_LIB_PACKAGE] = Path(root)
            break
    return found


def _find_spec(name: str) -> importlib.machinery.ModuleSpec | None:
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None


def preload_gpu_libraries() -> PreloadReport:
    """Load the pip-installed CUDA/cuDNN/TensorRT libraries before any GPU session is made.

    Does nothing when no NVIDIA pip package is installed (system CUDA, or no GPU at all).
    Never raises and never writes to stdout/stderr: ORT's preload prints its failures, so they
    are captured and returned as `problems` instead.
    """
    if not (sys.platform.startswith("linux") or sys.platform == "win32"):
        return PreloadReport()  # preload_dlls knows only the Linux and Windows layouts
    try:
        dirs = nvidia_library_dirs()
    except Exception as exc:  # a broken site-packages must not stop a CPU run
        return PreloadReport(problems=(f"looking for NVIDIA pip libraries: {exc}",))
    if not dirs:
        return PreloadReport()
    problems: list[str] = []
    called = False
    with native_output_captured() as captured:
        if any(folder in dirs for folder in NVIDIA_LIB_FOLDERS):
            called = _call_ort_preload(problems)
        if TENSORRT_LIB_PACKAGE in dirs:
            _load_tensorrt(dirs[TENSORRT_LIB_PACKAGE], problems)
    problems += [line for line in captured.text.splitlines() if "Failed to load" in line]
    return PreloadReport(
        library_dirs=dirs,
        called_ort_preload=called,
        loaded=loaded_gpu_libraries(),
        problems=tuple(problems),
    )


def _call_ort_preload(problems: list[str]) -> bool:
    try:
        import onnxruntime

        preload = getattr(onnxruntime, "preload_dlls", None)
        if preload is None:
            problems.append("this onnxruntime has no preload_dlls(); use onnxruntime-gpu >= 1.21")
            return False
        preload()
    except Exception as exc:  # ORT raises RuntimeError for a bad folder; report, go on
        problems.append(f"onnxruntime.preload_dlls(): {exc}")
        return False
    return True


def _load_tensorrt(folder: Path, problems: list[str]) -> None:
    for name in TENSORRT_LIBRARIES:
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is not in {folder}")
            continue
        try:
            ctypes.CDLL(str(path))
        except OSError as exc:
            problems.append(f"Failed to load {path}: {exc}")


def loaded_gpu_libraries() -> tuple[str, ...]:
    """File names of the CUDA/cuDNN/TensorRT libraries this process has mapped (Linux)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return ()
    names = {line.rsplit("/", 1)[-1] for line in maps.splitlines() if "/" in line}
    return tuple(sorted(n for n in names if _GPU_LIBRARY_NAME.match(n)))


# Library name prefix -> (what it is, the extra that ships it, or None when pip cannot).
_COMPONENTS: tuple[tuple[str, str, str | None], ...] = (
    ("libcublasLt", f"cuBLASLt from CUDA {CUDA_MAJOR}", "cuda"),
    ("libcublas", f"cuBLAS from CUDA {CUDA_MAJOR}", "cuda"),
    ("libcudart", f"the CUDA {CUDA_MAJOR} runtime", "cuda"),
    ("libcurand", f"cuRAND from CUDA {CUDA_MAJOR}", "cuda"),
    ("libcufft", f"cuFFT from CUDA {CUDA_MAJOR}", "cuda"),
    ("libnvrtc", f"NVRTC from CUDA {CUDA_MAJOR}", "cuda"),
    ("libnvJitLink", f"nvJitLink from CUDA {CUDA_MAJOR}", "cuda"),
    ("libcudnn", f"cuDNN {CUDNN_MAJOR}", "cuda"),
    ("libnvinfer", f"TensorRT {TENSORRT_MAJOR}", "tensorrt"),
    ("libnvonnxparser", f"TensorRT {TENSORRT_MAJOR}'s ONNX parser", "tensorrt"),
    ("libcuda.", "the NVIDIA driver", None),
)
_MISSING_LIBRARY = re.compile(r"(lib[A-Za-z0-9_+-]+\.so(?:\.\d+)*)")


def missing_library(error_text: str) -> str | None:
    """The GPU library a load failure names (`libcublasLt.so.13`), or None."""
    for match in _MISSING_LIBRARY.finditer(error_text):
        name = match.group(1)
        if "onnxruntime" not in name and _component(name) is not None:
            return name
    return None


def _component(library: str) -> tuple[str, str | None] | None:
    for prefix, what, extra in _COMPONENTS:
        if library.startswith(prefix):
            return what, extra
    return None


def library_fix_hint(
    error_text: str, ep: str, library_dirs: dict[str, Path] | None = None
) -> str | None:
    """What is missing and the one thing that fixes it here, or None for other failures.

    `library_dirs` defaults to the pip library folders of this environment: a library that is
    installed but not found needs loading (ortbench does it; other programs must call
    onnxruntime.preload_dlls() or set LD_LIBRARY_PATH), one that is absent needs installing.
    """
    dirs = nvidia_library_dirs() if library_dirs is None else library_dirs
    library = missing_library(error_text)
    if library is None:
        return _provider_library_hint(error_text, ep)
    found = _component(library)
    assert found is not None  # missing_library only returns known libraries
    what, extra = found
    if ep == "TensorrtExecutionProvider" and extra == "cuda" and TENSORRT_LIB_PACKAGE not in dirs:
        extra = "tensorrt"  # the TensorRT extra brings CUDA too; the next miss would be libnvinfer
    lead = f"{ep} cannot load {library} ({what})"
    if extra is None:
        return (
            f"{lead}: install the NVIDIA driver ({CUDA_MIN_DRIVER} or newer for CUDA "
            f"{CUDA_MAJOR}); pip cannot provide it. No GPU here? Use a CPU profile."
        )
    folder = next((d for d in dirs.values() if (d / library).is_file()), None)
    if folder is not None:
        return (
            f"{lead}: it is installed in {folder} but nothing loaded it; run through ortbench "
            f"(it preloads pip libraries) or set LD_LIBRARY_PATH={folder}"
        )
    system = _system_requirement(extra)
    return f"{lead}: {EXTRA_INSTALL[extra]} (or install {system} system-wide)"


def _system_requirement(extra: str) -> str:
    if extra == "tensorrt":
        return f"TensorRT {TENSORRT_MAJOR}.x for CUDA {CUDA_MAJOR}"
    return f"CUDA {CUDA_MAJOR}.x and cuDNN {CUDNN_MAJOR}.x"


def _provider_library_hint(error_text: str, ep: str) -> str | None:
    """Windows and some Linux failures name only ORT's provider library, not what it lacks."""
    lowered = error_text.lower()
    if "onnxruntime_providers_tensorrt" in lowered:
        extra = "tensorrt"
    elif "onnxruntime_providers_cuda" in lowered:
        extra = "cuda"
    else:
        return None
    return (
        f"{ep}: ONNX Runtime's provider library did not load, most likely for want of "
        f"{_system_requirement(extra)}: {EXTRA_INSTALL[extra]}"
    )
