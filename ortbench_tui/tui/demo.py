"""Fixed data: a machine, profiles, samples, results and a run handle that plays them back.

Nothing here depends on this machine or the clock, so the snapshot tests, the screenshots
script and demos draw the same screens everywhere. The handle has the engine's RunHandle
interface (`events()`, `cancel()`, `cancelled`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np

from ortbench_tui.bench.job import JobFailed
from ortbench_tui.bench.result_record import result_view
from ortbench_tui.bench.runner import Event, Finished, RunProgress, RunRequest
from ortbench_tui.bench.stats import PERCENTILE_METHOD, summarize
from ortbench_tui.hardware import HardwareInfo, ProviderProbe
from ortbench_tui.profile import profile_to_dict

CREATED = "2026-01-02T03:04:05+00:00"

PROFILE_TOML = """\
name = "cpu-latency"
description = "batch-1 latency on CPU"

[session]
graph_optimization_level = "all"
intra_op_num_threads = "physical"
free_dimensions = { batch = 1 }

[provider]
name = "cpu"

[run]
warmup_runs = 5
timed_runs = 200
io_binding = true
"""

CUDA_TOML = """\
name = "cuda"
description = "CUDA EP"

[provider]
name = "cuda"
options = { cudnn_conv_algo_search = "HEURISTIC" }
fallback = []
"""


def fixed_hardware() -> HardwareInfo:
    """A made-up 4-core machine where only the CPU EP works."""
    return HardwareInfo(
        cpu_model="Test CPU 9000",
        physical_cores=4,
        logical_cores=8,
        memory_mb=16384,
        cpu_governor="performance",
        cpu_freq_mhz=None,
        load_avg=None,
        gpus=[],
        gpu_status="not detected",
        ort_version="1.31.1",
        providers=[
            ProviderProbe("CUDAExecutionProvider", True, False, "libcublas missing"),
            ProviderProbe("CPUExecutionProvider", True, True, "ok"),
        ],
        os="Linux",
        python="3.11",
    )


def fixed_samples(n: int = 2000, seed: int = 7) -> np.ndarray:
    """Log-normal latencies around 70 µs with a few slow runs (int64 ns)."""
    rng = np.random.default_rng(seed)
    ms = np.exp(rng.normal(np.log(0.07), 0.08, n))
    ms[rng.choice(n, size=max(n // 100, 1), replace=False)] *= 2.5
    return np.round(ms * 1e6).astype(np.int64)


def fixed_result(
    samples: np.ndarray,
    request: RunRequest | None = None,
    status: str = "ok",
    warnings: list[str] | None = None,
    active: list[str] | None = None,
) -> dict[str, Any]:
    stats = summarize(samples)
    cv = stats.pop("cv")
    profile = (
        profile_to_dict(request.profile)
        if request is not None
        else {"name": "cpu-latency", "provider": {"name": "cpu"}}
    )
    model = request.model if request is not None else "sample:tiny"
    return {
        "schema": 1,
        "ortbench_version": "0.1.0",
        "created": CREATED,
        "status": status,
        "model": {"spec": model, "path": "/models/tiny.onnx", "sha256": "0" * 64, "name": model},
        "profile": profile,
        "hardware": fixed_hardware().to_dict(),
        "providers": {
            "requested": ["CPUExecutionProvider"],
            "active": active or ["CPUExecutionProvider"],
            "fallback_nodes": [],
        },
        "intra_op_threads": 4,
        "session_create_ms": 12.5,
        "first_run_ms": 0.42,
        "warmup_runs": 5,
        "runs": int(samples.size),
        "wall_s": 0.2,
        "latency_ms": stats,
        "cv": cv,
        "throughput_per_s": 13500.0,
        "rss_peak_mb": 80.0,
        "gpu_mem_peak_mb": None,
        "percentile_method": PERCENTILE_METHOD,
        "warnings": list(warnings or []),
    }


class FakeHandle:
    """Plays a run back: first run, warm-up, timed batches, then Finished (or JobFailed)."""

    def __init__(
        self,
        request: RunRequest,
        samples: np.ndarray | None = None,
        *,
        batches: int = 4,
        hold: bool = False,
        failure: tuple[str, str] | None = None,
        warnings: list[str] | None = None,
        active: list[str] | None = None,
    ) -> None:
        self.request = request
        self.samples = fixed_samples() if samples is None else samples
        self.batches = batches
        self.hold = hold
        """Stop after the first timed batch until cancel() (for cancel tests)."""
        self.failure = failure
        self.warnings = warnings
        self.active = active
        self._cancel = threading.Event()
        self.released = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def events(self) -> Iterator[Event]:
        yield RunProgress("first_run", 0, 1, 0.01, None)
        yield RunProgress("warmup", 5, 5, 0.02, None)
        total = int(self.samples.size)
        done = 0
        chunks = np.array_split(self.samples, self.batches)
        for i, chunk in enumerate(chunks):
            done += chunk.size
            yield RunProgress("timed", done, total, 0.05 + 0.05 * i, None, new_samples_ns=chunk)
            if self.hold and i == 0:
                self._cancel.wait(20)
            if self.cancelled:
                part = self.samples[:done]
                yield Finished(
                    result_view(
                        fixed_result(
                            part,
                            self.request,
                            "cancelled",
                            [f"cancelled: partial result from {done} timed runs"],
                        )
                    ),
                    part,
                )
                return
        if self.failure is not None:
            yield JobFailed(self.failure[0], self.failure[1], None)
            return
        result = fixed_result(
            self.samples, self.request, warnings=self.warnings, active=self.active
        )
        yield Finished(result_view(result), self.samples)


class FakeRunOptions(TypedDict, total=False):
    """How every run of a `fake_runner` plays (`FakeHandle`'s keyword arguments)."""

    samples: np.ndarray | None
    batches: int
    hold: bool
    failure: tuple[str, str] | None
    warnings: list[str] | None
    active: list[str] | None


class FakeRunner:
    """A start_run replacement that records the requests and plays fixed runs."""

    def __init__(self, **options: Unpack[FakeRunOptions]) -> None:
        self.options = options
        self.started: list[FakeHandle] = []
        """Every run started, in order."""

    def __call__(self, request: RunRequest) -> FakeHandle:
        handle = FakeHandle(request, **self.options)
        self.started.append(handle)
        return handle


def fake_runner(**options: Unpack[FakeRunOptions]) -> FakeRunner:
    """A start_run replacement that records the requests and plays fixed runs."""
    return FakeRunner(**options)


def write_profiles(folder: Path) -> Path:
    """The two fixed profiles (cpu-latency and cuda) in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cpu-latency.toml").write_text(PROFILE_TOML)
    (folder / "cuda.toml").write_text(CUDA_TOML)
    return folder
