"""The child process of a load curve: one session, then every point of the grid on it.

One session for the whole curve (not one per dim value): the swept dims stay symbolic in the
session (they are removed from free_dimensions), so each point only feeds inputs of its own
shape, and the curve measures one session's behaviour as its load changes, as a server would
see it. A point: its inputs (the inputs engine, with the point's dim sizes), one untimed run
(output shapes for IO binding), warm-up on C threads, then C threads in a closed loop on the
session, each timing its own requests (perf_counter_ns around the call only) into its own
preallocated int64 arrays. ORT's Run releases the GIL, so the threads overlap in ORT.

A point ORT cannot run (an error, out of memory) becomes a PointFailed and the curve goes on;
a Stop from the parent ends the point being measured (dropped) and the curve.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..child_main import ChildContext, run_child
from ..protocol import (
    Connection,
    CurveChildRequest,
    CurveFinal,
    Done,
    PointDone,
    PointFailed,
    PointProgress,
    SessionMeta,
    SessionReady,
    Stop,
    Stopped,
)
from ..run_eta import count_cap_s
from ..run_inputs import unbindable

CHUNK = 1 << 16
"""Samples per preallocated array; a thread that fills one takes the next (outside timing)."""
POLL_S = 0.1
"""How often the main thread reports progress and reads a Stop while the threads run."""

Call = tuple[Callable[..., Any], tuple[Any, ...]]


class ThreadLoop:
    """One thread's closed loop: call, time, store; until its quota or the shared stop flag.

    The loop does no more per request than the single-run worker's timed loop, plus the
    start time and the stop flag: under the GIL, every extra bytecode between two calls is
    time another thread may wait for. Progress is read by the main thread from the start
    times (zero until written), so the loop keeps no counter.
    """

    def __init__(self, calls: list[Call], quota: int, stop: list[bool]) -> None:
        self.calls = calls
        self.quota = quota
        self.stop = stop
        self.lat: list[np.ndarray] = []
        self.starts: list[np.ndarray] = []
        self.error: BaseException | None = None

    @property
    def count(self) -> int:
        """Requests done so far (read from another thread while the loop runs)."""
        if not self.starts:
            return 0
        *full, last = self.starts
        return sum(a.size for a in full) + int(np.count_nonzero(last))

    def run(self, barrier: threading.Barrier | None) -> None:
        try:
            if barrier is not None:
                barrier.wait()
            self._loop()
        except BaseException as exc:  # an ORT error ends this point, not the curve
            self.error = exc
            self.stop[0] = True

    def _loop(self) -> None:
        pc = time.perf_counter_ns
        calls, k, stop = self.calls, len(self.calls), self.stop
        n = 0
        while n < self.quota and not stop[0]:
            size = min(CHUNK, self.quota - n)
            lat = np.empty(size, dtype=np.int64)
            st = np.zeros(size, dtype=np.int64)
            self.lat.append(lat)
            self.starts.append(st)
            done = size
            for i in range(size):
                if stop[0]:
                    done = i
                    break
                fn, args = calls[(n + i) % k]
                t0 = pc()
                fn(*args)
                t1 = pc()
                lat[i] = t1 - t0
                st[i] = t0
            if done < size:
                self.lat[-1], self.starts[-1] = lat[:done], st[:done]
            n += done
            if done < size:
                break


class CurveWorker:
    """The session and the model's inputs, and the measurement of one point at a time."""

    def __init__(self, conn: Connection, request: CurveChildRequest) -> None:
        from ...hardware import physical_cores
        from ...profile import profile_from_dict
        from ..run_inputs import effective_spec

        self.conn = conn
        self.request = request
        self.profile = profile_from_dict(request["profile"], source="profile")
        # the same reading as every run's (bench.run_inputs), profile's inputs_npz included
        self.spec = effective_spec(request["inputs"], self.profile)
        self.physical = physical_cores()
        self.stop_requested = False
        self.warnings: list[str] = []

    def setup(self) -> SessionMeta:
        from ...hardware import detect
        from ...models import inspect_model
        from ...session import create_session
        from .request import base_free_dims

        model_path = Path(self.request["model_path"])
        if self.profile.run.precision != "fp32":
            from ...precision import derive_model

            model_path = derive_model(model_path, self.profile)
        self.inputs = inspect_model(model_path).inputs
        swept = list(self.request["dims"])
        self.free = base_free_dims(self.profile, swept)
        session_profile = self.profile.copy()
        session_profile.session.free_dimensions = dict(self.free)
        self.sess, report, create_ms = create_session(model_path, session_profile, self.physical)
        self.warnings.extend(report.warnings)
        self.output_names = [o.name for o in self.sess.get_outputs()]
        self.device = "cuda" if report.active[0] in ("CUDAExecutionProvider",) else "cpu"
        return {
            "providers": report.to_dict(),
            "session_create_ms": create_ms,
            "intra_op_threads": self.profile.resolved_intra_threads(self.physical),
            "worker_cpus": sorted(os.sched_getaffinity(0)),
            "hardware": detect(probe_eps=False).to_dict(),
        }

    # -- one point ------------------------------------------------------------------------------

    def _calls(self, feeds: list[dict[str, np.ndarray]], threads: int) -> list[list[Call]]:
        """Per thread, one Call per input set; with IO binding each thread binds its own
        outputs (threads never write into one buffer)."""
        first = self.sess.run(None, feeds[0])  # untimed: output shapes for the bindings
        if not self.profile.run.io_binding or unbindable(feeds[0]):
            return [[(self.sess.run, (None, f)) for f in feeds] for _ in range(threads)]
        import onnxruntime as ort

        run_options = ort.RunOptions()
        run_options.add_run_config_entry("gpu_graph_id", "-1")  # absent key: ~22 us per call
        keep: list[Any] = []
        self._keep = keep  # OrtValues must outlive their bindings
        inputs = [
            {n: ort.OrtValue.ortvalue_from_numpy(a, self.device, 0) for n, a in f.items()}
            for f in feeds
        ]
        keep.extend(inputs)
        out: list[list[Call]] = []
        for _ in range(threads):
            calls: list[Call] = []
            for bound in inputs:
                b = self.sess.io_binding()
                for name, value in bound.items():
                    b.bind_ortvalue_input(name, value)
                for name, o in zip(self.output_names, first, strict=True):
                    if isinstance(o, np.ndarray):
                        v = ort.OrtValue.ortvalue_from_shape_and_type(o.shape, o.dtype, self.device)
                        keep.append(v)
                        b.bind_ortvalue_output(name, v)
                    else:
                        b.bind_output(name, self.device)
                calls.append((self.sess.run_with_iobinding, (b, run_options)))
            out.append(calls)
        return out

    def _threads(self, index: int, phase: str, loops: list[ThreadLoop], total: int | None) -> bool:
        """Run the loops on their threads; report progress and read Stop until they end.
        True when the time cap of a point by count (run.max_duration_s) ended them."""
        barrier = threading.Barrier(len(loops))
        threads = [threading.Thread(target=lp.run, args=(barrier,), daemon=True) for lp in loops]
        started = time.perf_counter()
        for t in threads:
            t.start()
        run = self.profile.run
        seconds = 0.0
        if phase == "timed":
            seconds = run.duration_s if run.duration_s > 0 else count_cap_s(run)
        deadline = started + seconds if seconds > 0 else None
        capped = False
        while any(t.is_alive() for t in threads):
            if self.conn.poll(POLL_S) and isinstance(self.conn.recv(), Stop):
                self.stop_requested = True
            now = time.perf_counter()
            if deadline is not None and now >= deadline and not loops[0].stop[0]:
                capped = run.duration_s <= 0  # by time the deadline is the plan, not a cap
                loops[0].stop[0] = True
            if self.stop_requested:
                loops[0].stop[0] = True
            done = sum(lp.count for lp in loops)
            self.conn.send(PointProgress(index, phase, done, total, now - started))
        for t in threads:
            t.join()
        if self.stop_requested:
            raise Stopped
        for lp in loops:
            if lp.error is not None:
                raise lp.error
        # The cap may strike as the last request ends: then the count, not the cap, ended it.
        return capped and sum(lp.count for lp in loops) < sum(lp.quota for lp in loops)

    def measure(self, point: dict[str, Any]) -> None:
        from ...feeds import prepare_inputs
        from .request import point_spec

        index, c = point["index"], point["concurrency"]
        while self.conn.poll():  # a Stop sent between two points
            self.stop_requested |= isinstance(self.conn.recv(), Stop)
        if self.stop_requested:
            raise Stopped
        run = self.profile.run
        free = {**self.free, **point["dims"]}
        spec = point_spec(self.spec, self.inputs, point["dims"])
        prepared = prepare_inputs(self.inputs, spec, free, run.input_seed, run.input_sets)
        calls = self._calls(prepared.sets, c)
        per = -(-run.warmup_runs // c)
        if per:
            stop = [False]
            warm = [ThreadLoop(calls[t], per, stop) for t in range(c)]
            self._threads(index, "warmup", warm, per * c)
        by_time = run.duration_s > 0
        total = None if by_time else run.timed_runs
        quotas = [2**62] * c if by_time else [run.timed_runs // c + (t < run.timed_runs % c)
                                               for t in range(c)]  # fmt: skip
        stop = [False]
        loops = [ThreadLoop(calls[t], quotas[t], stop) for t in range(c)]
        capped = self._threads(index, "timed", loops, total)
        lat = np.concatenate([a for lp in loops for a in lp.lat])
        starts = np.concatenate([a for lp in loops for a in lp.starts])
        order = np.argsort(starts, kind="stable")
        wall_ns = int((starts + lat).max() - starts.min()) if lat.size else 0
        first = prepared.records[0].shape if prepared.records else ()
        info = {
            "items_per_request": int(first[0]) if len(first) else 1,
            "shapes": {r.name: list(r.shape) for r in prepared.records},
            "thread_requests": [sum(a.size for a in lp.lat) for lp in loops],
        }
        if capped:
            info["capped_s"] = count_cap_s(run)
        self.conn.send(PointDone(index, lat[order], wall_ns / 1e9, info))


def point_error(exc: BaseException) -> str:
    text = "".join(traceback.format_exception_only(exc)).strip()
    return text.removeprefix("onnxruntime.capi.onnxruntime_pybind11_state.")


def curve_main(conn: Any, request: CurveChildRequest, log_path: str) -> None:
    """Entry point of the curve's child process: points from request["start"] on."""
    run_child(conn, request, log_path, request["profile"]["run"].get("pin_cpus") or [], _points)


def _points(child: ChildContext[CurveChildRequest]) -> None:
    conn, request = child.conn, child.request
    w = CurveWorker(conn, request)
    conn.send(SessionReady(0, w.setup()))
    for point in request["points"][request.get("start", 0) :]:
        try:
            w.measure(point)
        except Stopped:
            break
        except Exception as exc:
            print(traceback.format_exc(), file=sys.stderr)
            conn.send(PointFailed(point["index"], point_error(exc)))
    conn.send(Done(CurveFinal(w.stop_requested, w.warnings)))
