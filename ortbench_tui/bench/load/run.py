"""The parent side of a load job, on the one job shape (`bench.job`).

`LoadJob(request).events()` yields `JobProgress`, `LoadLive` (about ten a second while a step
runs: what the live screen draws), `LoadStepDone` after each step, and closes with one
`LoadFinished` or one `JobFailed`. Each profile gets its own worker process (one session) and
runs the same steps (the same schedules: same rates, same seed); with --find-max each profile
searches on its own. `cancel()` ends the step being measured, keeps it, and ends the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import OrtbenchError
from ...profile import Profile, profile_to_dict
from ..child import ChildDied, ChildProcess
from ..job import JobFailed, JobProgress, drive, eta_from_fraction
from ..protocol import Done, Error, LoadChildRequest, LoadFinal, SessionReady
from .decide import judge_step
from .harness import Timeline
from .messages import NoMoreSteps, StepDone, StepLive, StepRequest
from .plan import FindMax, FixedRates, StepSpec
from .request import LoadRequest
from .result import ProfileLoad
from .summary import StepSummary, response_ns, summarize_step
from .worker import load_main


@dataclass(frozen=True)
class LoadLive:
    """A live view of the step being measured (for the TUI's screen)."""

    profile: str
    step: int
    rate: float
    live: StepLive


@dataclass(frozen=True)
class LoadStepDone:
    profile: str
    step: StepSummary


@dataclass
class LoadFinished:
    result: dict[str, Any]
    profiles: list[ProfileLoad]
    path: Path | None = None
    cancelled: bool = False


class LoadJob:
    """A running load job (the `bench.job.Job` protocol)."""

    def __init__(self, request: LoadRequest, target: Callable[..., None] = load_main) -> None:
        from ...models import file_sha256, inspect_model
        from ...samples import resolve_model
        from ..curve.request import check_dims

        if not request.profiles:
            raise OrtbenchError("load: at least one profile is needed")
        if not request.rates and request.slo is None:
            raise OrtbenchError("load: give --rate R (or R1,R2,...), or --find-max --slo p99=1ms")
        if request.workers < 1:
            raise OrtbenchError(f"--workers {request.workers}: expected at least 1 thread")
        self.request = request
        self.model_path = resolve_model(request.model)
        self.inputs = inspect_model(self.model_path).inputs
        if request.mix is not None:
            check_dims({request.mix.dim: request.mix.values}, self.inputs, request.model)
        self.model_sha256 = file_sha256(self.model_path)
        self._target = target
        self._child: ChildProcess | None = None
        self._cancelled = False
        self.started = time.perf_counter()
        self.warnings: list[str] = []

    def cancel(self) -> None:
        self._cancelled = True
        if self._child is not None:
            self._child.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _child_request(self, profile: Profile) -> LoadChildRequest:
        req = self.request
        return {
            "model_path": str(self.model_path),
            "profile": profile_to_dict(profile),
            "inputs": req.inputs.to_dict(),
            "dims": {req.mix.dim: list(req.mix.values)} if req.mix else {},
            "points": [],
            "start": 0,
            "shapes": req.shape_dims(),
            "weights": list(req.mix.weights) if req.mix else None,
            "workers": req.workers,
        }

    def _progress(self, label: str, done: float, total: float | None, detail: str,
                  fraction: float | None) -> JobProgress:  # fmt: skip
        elapsed = time.perf_counter() - self.started
        return JobProgress(label, done, total, elapsed, eta_from_fraction(elapsed, fraction),
                           detail)  # fmt: skip

    def events(self, poll_s: float = 0.05) -> Iterator[Any]:
        done_profiles: list[ProfileLoad] = []
        n_prof = len(self.request.profiles)
        for p_index, profile in enumerate(self.request.profiles):
            if self._cancelled:
                break
            part = ProfileLoad(profile)
            done_profiles.append(part)
            failed = yield from self._profile_events(p_index, n_prof, part, poll_s)
            if failed is not None:
                if not any(p.steps for p in done_profiles):
                    yield failed
                    return
                part.failed = failed.message
                self.warnings.append(f"{profile.name}: {failed.message}")
        yield self._finish(done_profiles)

    def _profile_events(
        self, p_index: int, n_prof: int, part: ProfileLoad, poll_s: float
    ) -> Generator[Any, None, JobFailed | None]:
        """One profile's worker and steps; returns a JobFailed when it could not go on."""
        req = self.request
        name = part.profile.name
        plan: FixedRates | FindMax = FindMax(req) if req.find_max else FixedRates(req)
        child = ChildProcess(self._target, self._child_request(part.profile), "ortbench-load-")
        self._child = child
        if self._cancelled:
            child.cancel()
        spec: StepSpec | None = None
        step_index = 0
        yield self._progress(f"{name}: session", 0, None, "", None)
        for msg in child.messages(poll_s):
            if isinstance(msg, SessionReady):
                part.meta = msg.meta
                spec = plan.first(msg.meta)
                self._send_step(child, spec, step_index)
            elif isinstance(msg, StepLive) and spec is not None:
                yield LoadLive(name, msg.index, spec.rate, msg)
                steps_total = plan.total
                frac = None
                if steps_total:
                    within = msg.issued / max(1, msg.total)
                    frac = (p_index * steps_total + step_index + within) / (n_prof * steps_total)
                yield self._progress(
                    f"{name}: {spec.rate:g}/s", msg.issued, msg.total,
                    f"queue {msg.queue}", frac,
                )  # fmt: skip
            elif isinstance(msg, StepDone) and spec is not None:
                summary = self._summarize(step_index, spec, msg.timeline)
                part.steps.append(summary)
                part.timelines.append(msg.timeline)
                yield LoadStepDone(name, summary)
                step_index += 1
                if self._cancelled or msg.timeline.stopped:
                    child.send(NoMoreSteps())
                    continue
                outcome = summary.decision["outcome"] if summary.decision else None
                spec = plan.next(outcome)
                self._send_step(child, spec, step_index)
            elif isinstance(msg, Done):
                final = msg.final_as(LoadFinal)
                self.warnings += [w for w in final.warnings if w not in self.warnings]
            elif isinstance(msg, Error):
                return JobFailed(msg.kind, msg.message, part.steps or None)
            elif isinstance(msg, ChildDied):
                if self._cancelled and part.steps:
                    break
                return JobFailed("run", msg.message, part.steps or None)
        part.find_max = plan.answer()
        return None

    def _send_step(self, child: ChildProcess, spec: StepSpec | None, index: int) -> None:
        if spec is None or self._cancelled:
            child.send(NoMoreSteps())
            return
        req = self.request
        drain = req.drain_limit_s()
        trace = req.trace
        child.send(
            StepRequest(
                index, spec.rate, spec.duration_s, req.arrivals, req.seed, drain,
                trace.offsets_ns if trace else None, trace.shape_index() if trace else None,
            )
        )  # fmt: skip

    def _summarize(self, index: int, spec: StepSpec, tl: Timeline) -> StepSummary:
        req = self.request
        s = summarize_step(index, spec.rate, spec.duration_s, req.workers, tl, req.shape_labels())
        if req.slo is not None and not tl.stopped:
            d = judge_step(response_ns(tl), req.slo.percentile, req.slo.bound_ms, s.kept_up)
            s.decision = {**d.to_dict(), "slo": req.slo.text, "retry": spec.retry}
        return s

    def _finish(self, parts: list[ProfileLoad]) -> LoadFinished:
        from .result import build_load_result, save_load

        result = build_load_result(self, parts)
        path = None
        if self.request.save_history and any(p.steps for p in parts):
            path = save_load(result, parts)
        return LoadFinished(result, parts, path, self._cancelled)


def step_responses(part: ProfileLoad, index: int) -> np.ndarray:
    return response_ns(part.timelines[index])


def run_load(request: LoadRequest, on_event: Callable[[Any], None] | None = None) -> LoadFinished:
    """Run the job to its end; OrtbenchError for bad input, RunFailed when nothing ran."""
    return drive(LoadJob(request), LoadFinished, on_event, "load job")
