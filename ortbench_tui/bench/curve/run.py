"""The parent side of a load curve: the worker process, its events, the finished curve.

Used by the CLI (`run_curve`, blocking) and the TUI (`CurveRun.events()` in a thread worker,
`cancel()` from Esc). A point that kills the worker (out of memory, a crashing EP) is marked
failed with the worker's last words, and a fresh worker goes on from the next point.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import OrtbenchError
from ...profile import profile_to_dict
from ..child import ChildDied, ChildProcess
from ..job import JobFailed, JobProgress, drive, eta_from_fraction, fraction_from_eta
from ..job_records import CurveResult
from ..protocol import (
    CurveChildRequest,
    CurveFinal,
    Done,
    Error,
    PointDone,
    PointFailed,
    PointProgress,
    SessionMeta,
    SessionReady,
)
from ..run_eta import capped_warning, run_eta
from ..sample_store import SampleStore
from .points import PointResult, failed_point, knee_lines, summarize_point
from .request import CurveRequest, Point, base_free_dims, batch_dim, check_dims, point_spec
from .worker import curve_main


@dataclass(frozen=True)
class CurveProgress(JobProgress):
    """The point being measured (phase: warmup | timed), its place in the grid in `detail`."""

    point: Point | None = None
    points_total: int = 0


@dataclass
class CurvePointDone:
    """A point is measured (or failed); `points` is every point so far, in grid order."""

    point: PointResult
    points: list[PointResult]
    samples_ns: np.ndarray | None
    elapsed_s: float


@dataclass
class CurveFinished:
    result: CurveResult
    samples: dict[str, np.ndarray]
    points: list[PointResult]
    path: Path | None = None
    cancelled: bool = False
    failed: list[PointResult] = field(default_factory=list)


CurveEvent = CurveProgress | CurvePointDone | CurveFinished | JobFailed


def check_request(request: CurveRequest, inputs: list[Any], points: list[Point]) -> None:
    """Bad input before any process starts (exit 2): unknown dims, shapes that cannot resolve."""
    from ...inputs.shapes import resolve_shapes
    from ...inputs.spec import validate_spec
    from ...session import thread_problems

    problems = thread_problems(request.profile)
    if problems:
        raise OrtbenchError("; ".join(problems))
    check_dims(request.dims, inputs, request.model)
    if any(c < 1 for c in request.concurrency) or not request.concurrency:
        raise OrtbenchError(f"--concurrency: levels must be at least 1, got {request.concurrency}")
    bad = [f"{k}={v}" for k, vs in request.dims.items() for v in vs if v < 1]
    if bad:
        raise OrtbenchError(f"--dim {bad[0]}: dim values must be at least 1")
    validate_spec(request.inputs, inputs)
    free = base_free_dims(request.profile, list(request.dims))
    for p in points[:1]:  # the others differ only in the swept dims
        resolve_shapes(inputs, point_spec(request.inputs, inputs, p.dims), {**free, **p.dims})


class CurveRun:
    """A running curve. Iterate `events()`; `cancel()` from any thread keeps what is measured."""

    def __init__(self, request: CurveRequest, target: Callable[..., None] = curve_main) -> None:
        from ...models import file_sha256, inspect_model
        from ...samples import resolve_model

        self.request = request
        self.model_path = resolve_model(request.model)
        self.inputs = inspect_model(self.model_path).inputs
        self.points = request.points()
        check_request(request, self.inputs, self.points)
        self.model_sha256 = file_sha256(self.model_path)
        self.batch_dim = batch_dim(self.inputs)
        self._target = target
        self._child: ChildProcess | None = None
        self._cancelled = False
        self.started = time.perf_counter()
        self.meta: SessionMeta = {}
        self.warnings: list[str] = []
        self._results: dict[int, PointResult] = {}
        self._samples: dict[str, SampleStore | np.ndarray] = {}
        """Measured points, by index, and their samples: what `partial` keeps. A point's
        samples go to its own store on disk once summarized; the finished curve reads them
        back (memory-mapped) and removes the stores' files."""

    def cancel(self) -> None:
        self._cancelled = True
        if self._child is not None:
            self._child.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _child_request(self, start: int) -> CurveChildRequest:
        return {
            "model_path": str(self.model_path),
            "profile": profile_to_dict(self.request.profile),
            "inputs": self.request.inputs.to_dict(),
            "dims": {k: list(v) for k, v in self.request.dims.items()},
            "points": [p.to_dict() for p in self.points],
            "start": start,
        }

    def partial(self) -> CurveFinished:
        """The points measured when the events stopped early (Ctrl-C, SIGTERM or SIGHUP
        unwound the caller), the rest "not run", cancelled and kept like a finished curve."""
        self._cancelled = True
        return self._finish(self._results, self._samples)

    def events(self, poll_s: float = 0.05) -> Iterator[CurveEvent]:
        results = self._results
        samples = self._samples
        start = 0
        while start < len(self.points) and not self._cancelled:
            child = ChildProcess(self._target, self._child_request(start), "ortbench-curve-")
            self._child = child
            if self._cancelled:
                child.cancel()
            current: int | None = None
            next_start = len(self.points)
            for msg in child.messages(poll_s):
                elapsed = time.perf_counter() - self.started
                if isinstance(msg, SessionReady):
                    self.meta = self.meta or msg.meta
                elif isinstance(msg, PointProgress):
                    current = msg.index
                    point = self.points[msg.index]
                    fraction = (len(results) + self._within(msg)) / len(self.points)
                    yield CurveProgress(
                        msg.phase,
                        msg.done,
                        msg.total,
                        elapsed,
                        eta_from_fraction(elapsed, fraction),
                        f"[{msg.index + 1}/{len(self.points)}] {point.label}",
                        point,
                        len(self.points),
                    )
                elif isinstance(msg, PointDone | PointFailed):
                    point = self.points[msg.index]
                    if isinstance(msg, PointDone):
                        res = summarize_point(point, msg.samples_ns, msg.wall_s, msg.info)
                        samples[f"point_{msg.index}"] = kept_on_disk(msg.samples_ns)
                        got: np.ndarray | None = msg.samples_ns
                        cap = msg.info.get("capped_s")
                        if cap:  # the point's requests are its samples: say what was kept
                            planned = self.request.profile.run.timed_runs
                            line = capped_warning(int(msg.samples_ns.size), planned, cap)
                            self.warnings.append(f"{point.label}: {line}")
                    else:
                        res, got = failed_point(point, msg.message), None
                    results[msg.index] = res
                    current = None
                    yield CurvePointDone(res, self._ordered(results), got, elapsed)
                elif isinstance(msg, Done):
                    final = msg.final_as(CurveFinal)
                    self.warnings += [w for w in final.warnings if w not in self.warnings]
                elif isinstance(msg, Error):
                    if msg.kind == "input" or not results:
                        yield JobFailed(msg.kind, msg.message)
                        return
                    self.warnings.append(f"the worker failed: {msg.message}")
                elif isinstance(msg, ChildDied):
                    if self._cancelled:
                        break
                    if not self.meta:
                        yield JobFailed("run", msg.message)
                        return
                    idx = current if current is not None else self._first_open(results, start)
                    if idx is None:
                        break
                    res = failed_point(self.points[idx], msg.message)
                    results[idx] = res
                    yield CurvePointDone(res, self._ordered(results), None, elapsed)
                    next_start = idx + 1
            start = next_start
        yield self._finish(results, samples)

    def _within(self, msg: PointProgress) -> float:
        """The share of the current point done: by time for a point by time or one its time
        cap will end (the run's ETA rule, bench.run_eta), else by count."""
        if msg.phase != "timed":
            return 0.0
        left = run_eta(self.request.profile.run, msg.done, msg.total, msg.elapsed_s)
        share = fraction_from_eta(msg.elapsed_s, left)
        if share is None:
            share = msg.done / msg.total if msg.total else 0.0
        return min(share, 1.0)

    def _first_open(self, results: dict[int, PointResult], start: int) -> int | None:
        return next((p.index for p in self.points[start:] if p.index not in results), None)

    def _ordered(self, results: dict[int, PointResult]) -> list[PointResult]:
        return [results[i] for i in sorted(results)]

    def _finish(
        self, results: dict[int, PointResult], kept: dict[str, SampleStore | np.ndarray]
    ) -> CurveFinished:
        from .result import build_curve_result, save_curve

        for key, store in list(kept.items()):
            if isinstance(store, SampleStore):  # mapped, then its file unlinked: the map stays
                kept[key] = store.array()
                store.discard()
        samples = {k: v for k, v in kept.items() if isinstance(v, np.ndarray)}

        points = [
            results.get(p.index) or failed_point(p, "stopped before it ran", status="not run")
            for p in self.points
        ]
        result = build_curve_result(self, points)
        path = None
        if self.request.save_history and any(p.ok for p in points):
            path = save_curve(result, samples)
        failed = [p for p in points if p.status == "failed"]
        return CurveFinished(result, samples, points, path, self._cancelled, failed)

    def knee(self, points: list[PointResult]) -> list[str]:
        return knee_lines(points, self.batch_dim)


def kept_on_disk(samples_ns: np.ndarray) -> SampleStore | np.ndarray:
    """A point's samples in a store that keeps no copy in memory (an empty point as it is)."""
    if not samples_ns.size:
        return np.asarray(samples_ns, dtype=np.int64)
    store = SampleStore(exact_limit=0)
    store.extend(samples_ns)
    store.finish()
    return store


def start_curve(request: CurveRequest) -> CurveRun:
    return CurveRun(request)


def run_curve(
    request: CurveRequest, on_event: Callable[[Any], None] | None = None
) -> CurveFinished:
    """Run every point; OrtbenchError for bad input, RunFailed when no session could run."""
    return drive(start_curve(request), CurveFinished, on_event, "curve worker")
