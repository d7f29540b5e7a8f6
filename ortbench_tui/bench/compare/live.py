"""Live comparisons: the child processes that measure, and their events as they stream.

Interleaved (the default): one child holds every session of every profile and alternates
them in blocks (`bench.interleave`), so drift hits all profiles alike. Sequential: normal
single runs, A B A B ..., one child each (`bench.runner`).
"""

from __future__ import annotations

import dataclasses
import math
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ...errors import OrtbenchError
from ...profile import profile_to_dict
from ..child import ChildDied, ChildProcess
from ..job import JobFailed, drive, eta_from_budget, eta_from_fraction, fraction_from_eta
from ..protocol import (
    Block,
    Done,
    Error,
    InterleaveChildRequest,
    InterleavedFinal,
    PhaseProgress,
    RunFinal,
    Schedule,
    ScheduleRequest,
    SessionMeta,
    SessionReady,
)
from ..run_eta import capped_eta, count_cap_s
from ..run_inputs import request_inputs
from ..runner import Finished, RunHandle, RunProgress, RunRequest, model_changed
from ..worker import worker_main
from .collect import Collector
from .request import (
    CompareEvent,
    CompareFinished,
    CompareProgress,
    CompareRequest,
    split_count,
    unique_names,
)
from .stream import SessionStream
from .until import UntilDecided


class CompareRun:
    """A live comparison. Iterate `events()` (in a thread for the TUI); `cancel()` from any
    thread stops it within a round and keeps what was measured."""

    def __init__(
        self,
        request: CompareRequest,
        interleave_target: Callable[..., None] | None = None,
        run_target: Callable[..., None] | None = None,
    ) -> None:
        """Bad model paths and impossible profiles fail here, before any process starts.
        The targets are the child entry points; tests swap in ones that crash on purpose."""
        from ...models import file_sha256
        from ...samples import resolve_model
        from ...session import profile_problems

        if len(request.profiles) < 2:
            raise OrtbenchError("compare needs at least two profiles")
        if request.sessions < 1:
            raise OrtbenchError("sessions per profile must be at least 1")
        for p in request.profiles:
            problems = profile_problems(p)
            if problems:
                raise OrtbenchError(f"profile '{p.name}': {'; '.join(problems)}")
        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        self.names = unique_names(request.profiles)
        self.run_id = uuid.uuid4().hex[:12]
        self._cancelled = False
        self._current: RunHandle | ChildProcess | None = None
        if interleave_target is None:
            from ..interleave import interleave_main

            interleave_target = interleave_main
        self._interleave_target = interleave_target
        self._run_target = run_target or worker_main
        self.started = time.perf_counter()
        self._timed_since: float | None = None
        self.collect = Collector(
            request, self.model_path, self.model_sha256, self.run_id, self.names, self.mode
        )
        self.streams: list[SessionStream] = []
        """Interleaved: each session's samples as they arrive (its store, its blocks)."""
        self._measured: Callable[[str], CompareFinished | None] = lambda reason: None
        """What `partial` builds from: set by the running mode as soon as it measures."""

    @property
    def mode(self) -> str:
        return "interleaved" if self.request.interleave else "sequential"

    def cancel(self) -> None:
        self._cancelled = True
        current = self._current
        if current is not None:
            current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def send_to_child(self, message: Any) -> None:
        """A StopUnit to the interleaved child (a sweep round dropping a decided candidate)."""
        if isinstance(self._current, ChildProcess):
            self._current.send(message)

    def end_early(self) -> None:
        """The caller knows its answer: stop the child at the end of its round, keeping what
        was measured (not a cancel: the results are whole)."""
        if isinstance(self._current, ChildProcess):
            self._current.cancel()

    def _elapsed(self) -> float:
        return time.perf_counter() - self.started

    @property
    def cap_s(self) -> float:
        """Interleaved by count: the time cap of all profiles' timed runs together (each
        profile's run.max_duration_s, the first profile's for all); 0 when none applies."""
        req = self.request
        if req.until_decided is not None:
            return 0.0
        return count_cap_s(req.profiles[0].run) * len(req.profiles)

    def _eta(self, timed_fraction: float | None, timed_ns: int = 0) -> float | None:
        """Interleaved: until decided, the wall budget left; else, once timing has started,
        the planned rounds at the pace so far, no later than the time cap of a run by count
        (`timed_ns` of timed runs so far, of the cap's seconds); before it, the seconds
        asked for, if by time."""
        req = self.request
        if req.until_decided is not None:
            # The budget counts timed rounds (`UntilDecided.elapsed_s`): all of it is left
            # while the sessions are set up, however long that takes.
            since = self._timed_since if self._timed_since is not None else time.perf_counter()
            return eta_from_budget(since, req.until_decided.budget_s)
        if self._timed_since is None or timed_fraction is None:
            seconds = req.profiles[0].run.duration_s * len(req.profiles)
            return seconds if seconds > 0 else None
        wall_s = time.perf_counter() - self._timed_since
        eta = eta_from_fraction(wall_s, timed_fraction)
        if timed_ns <= 0:
            return eta
        timed_s = timed_ns / 1e9  # the child's cap counts these, not the re-warm runs
        return capped_eta(eta, self.cap_s, timed_s, wall_s / timed_s)

    def partial(self, reason: str) -> CompareFinished | None:
        """What was measured when the events stopped early (Ctrl-C, SIGTERM or SIGHUP
        unwound the caller): every profile's results so far, marked cancelled, compared and
        kept in history like a finished comparison's; None when nothing was measured."""
        self._cancelled = True
        return self._measured(reason)

    def events(self) -> Iterator[CompareEvent]:
        if self.request.interleave:
            yield from self._interleaved()
        else:
            yield from self._sequential()

    # -- interleaved: one child, every session -----------------------------------------------

    def _interleaved(self) -> Iterator[CompareEvent]:
        req = self.request
        n_prof, n_sess = len(req.profiles), req.sessions
        units = [(s, p) for s in range(n_sess) for p in range(n_prof)]
        first = req.profiles[0]
        by_time = first.run.duration_s > 0
        schedule: ScheduleRequest = {
            # Each profile gets the timed runs (or seconds) of the first profile, split
            # among its sessions; by time the child's clock covers all profiles.
            "timed_runs": math.ceil(first.run.timed_runs / n_sess),
            "duration_s": first.run.duration_s * n_prof if by_time else 0.0,
            "min_rounds": req.min_rounds,
            "block_s": req.block_s,
            "cap_s": 0.0 if by_time else self.cap_s,
            # one session of every profile per group: they take turns call by call where safe
            "alternate_within": n_prof,
            "alternation": req.alternation,
        }
        decide = req.until_decided
        if decide is not None:
            if any(p.provider_ep != "CPUExecutionProvider" for p in req.profiles):
                # GPU sessions are kept (a CUDA graph or an engine is costly to redo): the rule
                # must then not count generations of sessions that are never made.
                decide = dataclasses.replace(decide, generation_rounds=0)
            # Open-ended: the parent stops it; timed seconds can never pass the wall budget.
            schedule["open"] = True
            schedule["duration_s"] = decide.budget_s
            schedule["recycle_rounds"] = decide.generation_rounds
        child_request: InterleaveChildRequest = {
            "model_path": str(self.model_path),
            "profiles": [profile_to_dict(req.profiles[p]) for _, p in units],
            "schedule": schedule,
            "inputs": request_inputs(req.inputs),
        }
        warnings = []
        pins = {tuple(p.run.pin_cpus) for p in req.profiles}
        if len(pins) > 1:
            warnings.append(
                "profiles ask for different run.pin_cpus; one process runs them all, pinned "
                f"as the first asks ({list(first.run.pin_cpus) or 'not pinned'})"
            )
        if req.until_decided is None and any(
            (p.run.timed_runs, p.run.duration_s, p.run.max_duration_s)
            != (first.run.timed_runs, first.run.duration_s, first.run.max_duration_s)
            for p in req.profiles
        ):
            warnings.append("run lengths differ between profiles; the first profile's is used")
        proc = ChildProcess(self._interleave_target, child_request, "ortbench-interleave-")
        self._current = proc
        if self._cancelled:
            proc.cancel()
        until = None
        if decide is not None:
            until = UntilDecided(
                units,
                n_prof,
                req.margin,
                decide,
                req.seed,
                _sender(proc),
                req.decide_pairs,
            )
        metas: list[SessionMeta] = [{} for _ in units]
        # Each session's samples go to its own store as they arrive (session after session
        # is the order of the results' samples); the parent keeps only the blocks' lengths.
        streams = [SessionStream() for _ in units]
        self.streams = streams
        planned: int | None = None

        def measured(reason: str) -> CompareFinished | None:
            if not all(x.rounds for x in streams):
                return None
            finals = [RunFinal(None, x.timed_ns / 1e9, True, reason=reason) for x in streams]
            done = InterleavedFinal(finals, min(x.rounds for x in streams))
            try:
                return self.collect.interleaved(units, metas, streams, done, list(warnings))
            finally:
                discard(streams)

        self._measured = measured
        rounds_seen = 0
        timed_ns = 0
        for msg in proc.messages():
            elapsed = self._elapsed()
            if isinstance(msg, SessionReady):
                changed = model_changed(self.model_path, self.model_sha256, msg.meta)
                if changed:  # one model's sessions against another's: refused, not mixed
                    proc.cancel(0.0)
                    yield JobFailed("run", changed, None)
                    return
                metas[msg.index] = msg.meta
                ready = sum(1 for m in metas if m)
                yield CompareProgress("setup", ready, len(units), elapsed, self._eta(None))
            elif isinstance(msg, PhaseProgress):
                yield CompareProgress(msg.phase, msg.done, msg.total, elapsed, self._eta(None))
            elif isinstance(msg, Schedule):
                planned = msg.rounds
                self._timed_since = time.perf_counter()
                self.collect.calls_alternated = msg.alternation == "call"
                if until is not None:
                    until.calls_alternated = msg.alternation == "call"
                    until.generation_rounds = msg.recycle_rounds
                    until.renewal_s = sum(m.get("session_create_ms") or 0.0 for m in metas) / 1e3
                    until.timed_started()
            elif isinstance(msg, Block):
                streams[msg.index].add(msg.samples_ns)
                timed_ns += int(msg.samples_ns.sum())
                rounds_seen = max(rounds_seen, msg.round + 1)
                if until is not None and not self._cancelled:
                    until.add_block(msg.index, msg.samples_ns, msg.switches)
                fraction = rounds_seen / planned if planned else None
                yield CompareProgress(
                    "timed",
                    rounds_seen,
                    planned,
                    elapsed,
                    self._eta(fraction, timed_ns),
                    profile=units[msg.index][1],
                    new_samples_ns=msg.samples_ns,
                    decide=until.states() if until is not None else None,
                    detail=until.progress_detail(self.names) if until is not None else "",
                )
            elif isinstance(msg, Done):
                final = msg.final_as(InterleavedFinal)
                if until is not None:
                    until.finish()
                    # Until decided, the parent's Stop is the planned end, not a cancel.
                    stopped = [
                        dataclasses.replace(f, cancelled=self._cancelled) for f in final.finals
                    ]
                    final = dataclasses.replace(final, finals=stopped)
                try:
                    end = self.collect.interleaved(units, metas, streams, final, warnings)
                finally:
                    discard(streams)
                if until is not None:
                    until.apply(end.comparison)
                yield end
            elif isinstance(msg, Error):
                yield JobFailed(msg.kind, msg.message, None)
            elif isinstance(msg, ChildDied):
                done = min((x.rounds for x in streams), default=0)
                yield JobFailed("run", f"{msg.message} (after {done} complete rounds)", None)

    # -- sequential: normal runs, A B A B ... -------------------------------------------------

    def _sequential(self) -> Iterator[CompareEvent]:
        req = self.request
        n_prof = len(req.profiles)
        per_profile: list[list[tuple[RunHandle, Finished]]] = [[] for _ in range(n_prof)]
        total = n_prof * req.sessions
        step = 0
        current: tuple[int, RunHandle] | None = None

        def measured(reason: str) -> CompareFinished | None:
            kept = [list(runs) for runs in per_profile]
            if current is not None:  # the run that was going: its samples so far
                p, handle = current
                partial = handle.partial(reason, cancelled=True)
                if partial is not None:
                    handle.final = handle.partial_final(reason, cancelled=True)
                    kept[p].append((handle, Finished(partial, handle.samples.array())))
            if not any(kept):
                return None
            return self.collect.sequential(kept, True)

        self._measured = measured
        for s in range(req.sessions):
            for p, profile in enumerate(req.profiles):
                if self._cancelled:
                    break
                try:
                    handle = RunHandle(
                        RunRequest(
                            req.model, split_count(profile, req.sessions, s), inputs=req.inputs
                        ),
                        target=self._run_target,
                    )
                except OrtbenchError as exc:
                    if step == 0:  # nothing started yet: bad input (exit 2)
                        raise
                    # The model went away mid-comparison: a comparison that failed (exit 1).
                    yield JobFailed("run", f"{self.names[p]}: {exc}", None)
                    return
                if handle.model_sha256 != self.model_sha256:
                    handle.close()
                    yield JobFailed(
                        "run",
                        f"{self.model_path} changed on disk during the comparison: "
                        "refusing to compare runs of two different models",
                        None,
                    )
                    return
                self._current = handle
                current = (p, handle)
                if self._cancelled:
                    handle.cancel()
                step += 1
                detail = f"run {step}/{total}: {self.names[p]} (session {s + 1})"
                for ev in handle.events():
                    if isinstance(ev, RunProgress):
                        # The run's share by time (its ETA knows its time cap), else by count.
                        within = fraction_from_eta(ev.elapsed_s, ev.eta_s)
                        if within is None:
                            within = ev.fraction if ev.phase == "timed" else 0.0
                        elapsed = self._elapsed()
                        fraction = (step - 1 + (within or 0.0)) / total
                        yield CompareProgress(
                            ev.phase,
                            ev.done,
                            ev.total,
                            elapsed,
                            eta_from_fraction(elapsed, fraction),
                            profile=p,
                            new_samples_ns=ev.new_samples_ns,
                            detail=detail,
                        )
                    elif isinstance(ev, Finished):
                        current = None
                        if ev.samples_ns.size:
                            per_profile[p].append((handle, ev))
                    elif isinstance(ev, JobFailed):
                        yield JobFailed(ev.kind, f"{self.names[p]}: {ev.message}", ev.partial)
                        return
        yield self.collect.sequential(per_profile, self._cancelled)


def discard(streams: list[SessionStream]) -> None:
    """The comparison is built from the sessions' stores: their spill files go."""
    for x in streams:
        x.discard()


def _sender(proc: ChildProcess) -> Callable[[Any], None]:
    """A Stop goes through `cancel` (a child that ignores it is killed); the rest as they are."""
    from ..protocol import Stop

    def send(message: Any) -> None:
        if isinstance(message, Stop):
            proc.cancel()
        else:
            proc.send(message)

    return send


def start_compare(request: CompareRequest, **targets: Any) -> CompareRun:
    return CompareRun(request, **targets)


def run_compare(
    request: CompareRequest, on_event: Callable[[CompareEvent], None] | None = None
) -> CompareFinished:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drive(start_compare(request), CompareFinished, on_event, "comparison")
