"""The child process of a load job: one session, N serving threads' calls, then step after step.

The session is made as `curve` makes it (`CurveWorker.setup`): a dim of the shape mix stays
symbolic in the session and each shape of the mix gets its own inputs and, with IO binding,
its own bindings per serving thread (threads never write into one buffer). Warm-up runs every
shape on every thread's calls, untimed. Then the worker waits for the parent's StepRequest,
runs the step with `harness.OpenLoop` on its main thread (the issuing thread) while a
reporter thread sends StepLive about ten times a second and reads a Stop, and sends the
step's timeline back. It ends on NoMoreSteps or a Stop.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

import numpy as np

from ..child_main import ChildContext, run_child
from ..curve.worker import CurveWorker
from ..protocol import Done, LoadChildRequest, LoadFinal, SessionReady, Stop
from .harness import Call, OpenLoop
from .messages import NoMoreSteps, StepDone, StepLive, StepRequest
from .schedule import Schedule, make_schedule

REPORT_S = 0.1
SWITCH_INTERVAL_S = 0.0005
"""The GIL switch interval in the load worker (CPython's default is 5 ms): the issuing thread
waking from its sleep waits at most this long for a thread running Python to hand the GIL
over, instead of 5 ms, which would show as issue lag."""


class LoadWorker(CurveWorker):
    """The session, every shape's calls per serving thread, and the steps."""

    request: LoadChildRequest

    def prepare_calls(self) -> list[list[list[Call]]]:
        """calls[thread][shape]: each shape's input sets, bound per thread."""
        from ...feeds import prepare_inputs
        from ..curve.request import point_spec

        run = self.profile.run
        threads = int(self.request["workers"])
        per_shape: list[list[list[Call]]] = []
        self.shape_records: list[dict[str, list[int]]] = []
        for dims in self.request["shapes"]:
            free = {**self.free, **dims}
            spec = point_spec(self.spec, self.inputs, dims)
            prepared = prepare_inputs(self.inputs, spec, free, run.input_seed, run.input_sets)
            self.shape_records.append({r.name: list(r.shape) for r in prepared.records})
            per_shape.append(self._calls(prepared.sets, threads))
        return [[per_shape[s][t] for s in range(len(per_shape))] for t in range(threads)]

    def warm_up(self, calls: list[list[list[Call]]]) -> float:
        """Every binding once, then the profile's warm-up runs spread over the shapes (at
        least 20); returns their median in ms (where a --find-max search starts)."""
        import time

        import numpy as np

        for per_thread in calls:
            for per_shape in per_thread:
                for fn, args in per_shape:
                    fn(*args)
        shapes = calls[0]
        times = []
        for i in range(max(20, self.profile.run.warmup_runs)):
            per_shape = shapes[i % len(shapes)]
            fn, args = per_shape[i % len(per_shape)]
            t0 = time.perf_counter_ns()
            fn(*args)
            times.append(time.perf_counter_ns() - t0)
        return float(np.median(times)) / 1e6

    def step(self, calls: list[list[list[Call]]], req: StepRequest) -> bool:
        """Run one step and send its timeline; True when the parent asked to stop."""
        if req.offsets_ns is not None:
            shapes = req.shapes if req.shapes is not None else np.zeros(req.offsets_ns.size)
            schedule = Schedule(
                req.offsets_ns, shapes.astype(np.int16), req.rate, "trace", req.seed,
                req.duration_s,
            )  # fmt: skip
        else:
            schedule = make_schedule(
                req.rate, req.duration_s, req.arrivals, req.seed, self.request.get("weights")
            )
        loop = OpenLoop(schedule, calls, req.drain_s)
        stop_seen = [False]
        finished = threading.Event()

        def report() -> None:
            while not finished.wait(REPORT_S):
                while self.conn.poll():
                    if isinstance(self.conn.recv(), Stop):
                        stop_seen[0] = True
                        loop.stop()
                v = loop.view()
                self.conn.send(
                    StepLive(req.index, v.issued, v.started, v.done, v.total, v.elapsed_s,
                             v.response_ns)
                )  # fmt: skip

        reporter = threading.Thread(target=report, daemon=True)
        reporter.start()
        try:
            timeline = loop.run()
        finally:
            finished.set()
            reporter.join()
        self.conn.send(StepDone(req.index, timeline))
        return stop_seen[0]


def load_main(conn: Any, request: LoadChildRequest, log_path: str) -> None:
    """Entry point of the load job's child process."""
    run_child(conn, request, log_path, request["profile"]["run"].get("pin_cpus") or [], _serve)


def _serve(child: ChildContext[LoadChildRequest]) -> None:
    conn = child.conn
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    w = LoadWorker(conn, child.request)
    meta = w.setup()
    calls = w.prepare_calls()
    meta["warm_service_ms"] = w.warm_up(calls)
    meta["shapes"] = w.shape_records
    conn.send(SessionReady(0, meta))
    stopped = False
    while not stopped:
        msg = conn.recv()
        if isinstance(msg, StepRequest):
            stopped = w.step(calls, msg)
        elif isinstance(msg, Stop | NoMoreSteps):
            stopped = isinstance(msg, Stop)
            break
    conn.send(Done(LoadFinal(stopped, w.warnings)))
