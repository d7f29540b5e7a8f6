"""The child process that makes the measured runs.

It runs alone in its own process (spawn context) so that the UI cannot perturb the timing
through the GIL, and a crashing EP takes down only this process. It speaks to the parent
with the messages of `bench.protocol`.

Two places matter when reading how a number is made:

* `Measurement.setup` is where a profile becomes an ORT session (`session.create_session`).
* `Measurement.timed_loop` is where a sample is timed: the one timed loop of ortbench, used
  by single runs here and by interleaved comparisons (`bench.interleave`). The session's
  very first inference is timed apart by `Measurement.first_run` (first_run_ms).
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..session import uses_cuda_graph
from .child_main import ChildContext, run_child
from .gpu_memory import GpuMemorySampler
from .gpu_session import (
    GpuSessionSetup,
    explain_capture_failure,
    placement_without_graph,
    prepare_gpu_session,
)
from .protocol import (
    Connection,
    Done,
    PhaseProgress,
    RunChildRequest,
    RunFinal,
    SampleBatch,
    SessionMeta,
    SessionReady,
    StopListener,
    Stopped,
)
from .run_eta import capped_warning, count_cap_s
from .run_inputs import (
    binding_off_warning,
    prepare_request_inputs,
    unbindable,
)

if TYPE_CHECKING:
    from ..feeds import PreparedInputs

BATCH_SECONDS = 0.1
MAX_BATCH = 100_000

Call = tuple[Callable[..., Any], tuple[Any, ...]]
"""(callable, args): one inference, ready to call in the timed loop."""


class Measurement:
    """Session, inputs and the timed loop for one profile on one model."""

    def __init__(self, conn: Connection, request: RunChildRequest) -> None:
        from ..hardware import physical_cores
        from ..profile import profile_from_dict

        self.conn = conn
        self.stop = StopListener(conn)
        self.request = request
        self.profile = profile_from_dict(request["profile"], source="profile")
        self.physical = physical_cores()
        self.warnings: list[str] = []
        self.first_outputs: list[Any] | None = None
        self._keep: list[Any] = []  # OrtValues must outlive their bindings
        self.prepared: PreparedInputs | None = None

    @property
    def stop_requested(self) -> bool:
        return self.stop.requested

    # -- set-up: where a profile becomes a session ------------------------------------------

    def setup(self) -> SessionMeta:
        from ..hardware import detect
        from ..models import inspect_model
        from ..session import create_session

        run = self.profile.run
        model_path = Path(self.request["model_path"])
        self.model_path = model_path
        if run.precision != "fp32":
            from ..precision import derive_model

            model_path = derive_model(model_path, self.profile)
        info = inspect_model(model_path)
        self.prepared = prepare_request_inputs(self.request, self.profile, info.inputs)
        from ..feeds import nonfinite_warnings

        self.warnings.extend(nonfinite_warnings(self.prepared))
        self.feeds = self.prepared.sets
        self.warnings.extend(self.prepared.warnings)
        gpu = self._prepare_gpu(model_path, info.inputs)
        self._session_args = (model_path, gpu.options.provider_options)
        try:
            self.sess, report, create_ms = create_session(
                model_path,
                self.profile,
                self.physical,
                self.request.get("profiling_prefix"),
                gpu.options.provider_options,
            )
        except Exception as exc:
            raise self._capture_error(exc, model_path) from None
        self.warnings.extend(report.warnings)
        self.output_names = [o.name for o in self.sess.get_outputs()]
        from ..models import file_sha256

        # Hashed after the load: a model replaced on disk since the parent hashed it shows
        # here, so a result never pairs one model's hash with another's latency.
        loaded_sha256 = file_sha256(self.model_path)
        self.device = (
            "cuda"
            if report.active[0] in ("CUDAExecutionProvider", "TensorrtExecutionProvider")
            else "cpu"
        )
        return {
            "providers": report.to_dict(),
            "session_create_ms": create_ms,
            "intra_op_threads": self.profile.resolved_intra_threads(self.physical),
            "run_model_path": str(model_path),
            "model_sha256": loaded_sha256,
            "worker_cpus": sorted(os.sched_getaffinity(0)),
            # Detected here, not in the parent: the UI process must not import onnxruntime.
            "hardware": detect(probe_eps=False).to_dict(),
            "inputs": self.prepared.records_dicts(),
            "tensorrt": gpu.outcome(create_ms, report.active),
        }

    def _prepare_gpu(self, model_path: Path, inputs: list[Any]) -> GpuSessionSetup:
        """CUDA graph checks and TensorRT options (bench.gpu_session), then the build phase."""
        shapes = {name: array.shape for name, array in self.feeds[0].items()}
        gpu = prepare_gpu_session(self.profile, model_path, inputs, shapes)
        gpu.announce(self.conn)
        return gpu

    def _capture_error(self, exc: Exception, model_path: Path) -> Exception:
        """A failed CUDA graph capture, explained by where the nodes ran (other errors pass)."""
        if not uses_cuda_graph(self.profile):
            return exc

        def placement() -> dict[str, str]:
            with tempfile.TemporaryDirectory(prefix="ortbench-capture-") as folder:
                return placement_without_graph(
                    model_path, self.profile, self.physical, self.feeds[0], Path(folder)
                )

        return explain_capture_failure(exc, self.profile, placement)

    def renew_session(self) -> float:
        """Retire the session and create a fresh one of the same profile, on the same model
        and inputs (`interleave`'s recycling: the session is a sampled unit). The old one is
        released first, so memory stays bounded. Bind again with first_run + make_calls.
        Returns the creation time in ms."""
        from ..session import create_session

        model_path, provider_options = self._session_args
        self._keep = []
        self.first_outputs = None
        del self.sess
        self.sess, _, create_ms = create_session(
            model_path, self.profile, self.physical, None, provider_options
        )
        return float(create_ms)

    def first_run(self) -> int:
        """Time the session's very first inference (cold start), in ns.

        It is a plain `run` on the first input set, made before any binding: IO binding needs
        the output shapes, which this call provides, so no untimed inference comes first.
        """
        pc = time.perf_counter_ns
        feed = self.feeds[0]
        t0 = pc()
        outputs = self.sess.run(None, feed)
        elapsed = pc() - t0
        self.first_outputs = outputs
        return elapsed

    def make_calls(self) -> list[Call]:
        """One Call per input set; the timed loop only indexes and calls."""
        if not self.profile.run.io_binding:
            return [(self.sess.run, (None, feed)) for feed in self.feeds]
        outputs = dict(zip(self.output_names, self.first_outputs or [], strict=False))
        strings = unbindable(self.feeds[0]) + unbindable(
            {n: o for n, o in outputs.items() if isinstance(o, np.ndarray)}
        )
        if strings:
            self.warnings.append(binding_off_warning(strings))
            return [(self.sess.run, (None, feed)) for feed in self.feeds]
        return self._bound_calls()

    def _bound_calls(self) -> list[Call]:
        import onnxruntime as ort

        if self.first_outputs is None:
            raise RuntimeError("first_run() must come before binding: it gives output shapes")
        graph = uses_cuda_graph(self.profile)
        feeds = self.feeds
        if graph and len(feeds) > 1:
            self.warnings.append(
                f"CUDA graph replays fixed buffers: using 1 input set instead of {len(feeds)}"
            )
            feeds = feeds[:1]
        run_options = ort.RunOptions()
        # Set explicitly: ORT 1.31 spends ~22 us per call looking up an absent key.
        run_options.add_run_config_entry("gpu_graph_id", "0" if graph else "-1")
        calls: list[Call] = []
        for feed in feeds:
            binding = self.sess.io_binding()
            for name, array in feed.items():
                value = ort.OrtValue.ortvalue_from_numpy(array, self.device, 0)
                self._keep.append(value)
                binding.bind_ortvalue_input(name, value)
            for name, out in zip(self.output_names, self.first_outputs, strict=True):
                if isinstance(out, np.ndarray):
                    value = ort.OrtValue.ortvalue_from_shape_and_type(
                        out.shape, out.dtype, self.device, 0
                    )
                    self._keep.append(value)
                    binding.bind_ortvalue_output(name, value)
                else:
                    binding.bind_output(name, self.device)
            calls.append((self.sess.run_with_iobinding, (binding, run_options)))
        return calls

    # -- runs -------------------------------------------------------------------------------

    def measure(self, gpu: GpuMemorySampler | None = None) -> RunFinal:
        """First run, warm-up, then timed batches streamed to the parent as SampleBatch."""
        run = self.profile.run
        pc = time.perf_counter_ns
        first_ns = self.first_run()
        calls = self.make_calls()
        k = len(calls)
        self.conn.send(PhaseProgress("first_run", 1, 1, first_ns / 1e6))

        estimate = max(first_ns, 1000)
        buf = np.empty(MAX_BATCH, dtype=np.int64)
        start = 0

        def warmed(done: int) -> None:
            self.conn.send(PhaseProgress("warmup", done, run.warmup_runs))
            self.stop.check()

        try:
            estimate = self.warm_up(calls, buf, run.warmup_runs, estimate, warmed)
            start = pc()
            by_time = run.duration_s > 0
            deadline = start + int(run.duration_s * 1e9)
            cap = count_cap_s(run)
            cap_at = start + int(cap * 1e9) if cap else None
            total = 0
            while True:
                n = self.batch_size(estimate)
                if not by_time:
                    n = min(n, run.timed_runs - total)
                self.timed_loop(calls, k, buf, total, n)
                estimate = int(np.median(buf[:n]))
                self.conn.send(SampleBatch(total, buf[:n].copy()))
                if gpu is not None:
                    gpu.sample()
                total += n
                if (by_time and pc() >= deadline) or (not by_time and total >= run.timed_runs):
                    break
                if cap_at is not None and pc() >= cap_at:
                    self.warnings.append(capped_warning(total, run.timed_runs, cap))
                    break
                self.stop.check()
        except Stopped:
            pass
        wall_s = (pc() - start) / 1e9 if start else 0.0
        return RunFinal(first_ns / 1e6, wall_s, self.stop_requested)

    @classmethod
    def warm_up(
        cls,
        calls: list[Call],
        buf: np.ndarray,
        runs: int,
        estimate_ns: int,
        after_batch: Callable[[int], None],
    ) -> int:
        """The warm-up loop (single runs and interleaved comparisons): `runs` runs in
        batches of ~BATCH_SECONDS sized from the latest median, `after_batch(runs done)`
        after each (progress, stop check). Returns the latest estimate of a run (ns)."""
        done = 0
        while done < runs:
            n = min(cls.batch_size(estimate_ns), runs - done)
            cls.timed_loop(calls, len(calls), buf, done, n)
            estimate_ns = int(np.median(buf[:n]))
            done += n
            after_batch(done)
        return estimate_ns

    @staticmethod
    def batch_size(estimate_ns: int) -> int:
        return int(min(MAX_BATCH, max(1, BATCH_SECONDS * 1e9 // max(estimate_ns, 1))))

    @staticmethod
    def timed_loop(calls: list[Call], k: int, buf: np.ndarray, offset: int, n: int) -> None:
        """The measured loop: perf_counter_ns around the call only, into a preallocated array."""
        pc = time.perf_counter_ns
        for i in range(n):
            fn, args = calls[(offset + i) % k]
            t0 = pc()
            fn(*args)
            buf[i] = pc() - t0


def quantization_section(derived: Path, source: Path) -> dict[str, Any]:
    """The result's `quantization` (int8 only): how many nodes the quantizer changed. Never
    raises: a model it cannot read gives {"error": ...} and the run keeps its result."""
    from ..precision.int8 import quantization_summary

    try:
        return quantization_summary(derived, source)
    except Exception as exc:
        return {"error": f"cannot count the quantized nodes: {exc}"}


def rss_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_main(conn: Any, request: RunChildRequest, log_path: str) -> None:
    """Entry point of the child process of a single run."""
    run_child(conn, request, log_path, request["profile"]["run"].get("pin_cpus") or [], _single_run)


def _single_run(child: ChildContext[RunChildRequest]) -> None:
    conn, request = child.conn, child.request
    try:
        m = Measurement(conn, request)
        child.measurements = [m]
        meta = m.setup()
        conn.send(SessionReady(0, meta))
        m.stop.check()
        gpu = GpuMemorySampler(m.device == "cuda")
        gpu.sample()
        timed = m.measure(gpu)
        # Peak RSS of the measured session, before the accuracy check loads a second model.
        rss_mb = rss_peak_mb()
        gpu_mb, gpu_note = gpu.finish()
        run_model = Path(meta["run_model_path"])
        accuracy = quantization = trace = None
        if m.profile.run.precision != "fp32":
            from ..precision import accuracy_report

            accuracy = accuracy_report(m.model_path, run_model, m.feeds, m.profile)
        if m.profile.run.precision == "int8":
            quantization = quantization_section(run_model, m.model_path)
        trace_file = None
        if request.get("profiling_prefix"):
            from .trace import trace_section

            trace_file = m.sess.end_profiling()
            trace = trace_section(trace_file, m.profile)
        final = replace(
            timed,
            warnings=m.warnings,
            rss_peak_mb=rss_mb,
            gpu_mem_peak_mb=gpu_mb,
            gpu_mem_note=gpu_note,
            accuracy=accuracy,
            quantization=quantization,
            trace_file=trace_file,
            trace=trace,
            fallback_nodes=trace.get("fallback_nodes", []) if trace is not None else [],
        )
        conn.send(Done(final))
    except Stopped:
        nothing_timed = RunFinal(
            None, 0.0, True, gpu_mem_note="cancelled before the timed runs", warnings=[]
        )
        conn.send(Done(nothing_timed))
