"""Successive halving: measure every candidate briefly, keep the best 1/eta, measure the
survivors longer, until one is left. Each round is one interleaved comparison."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ...errors import OrtbenchError
from ..compare import (
    CompareFinished,
    CompareProgress,
    CompareRequest,
    CompareRun,
    bootstrap_median,
    bootstrap_ratio,
    describe_method,
)
from ..job import JobFailed, drive, eta_from_budget
from ..level_bootstrap import HALVING_REPS
from ..result_record import record_dict
from ..verdict import is_tie
from .decide import RoundDecider
from .grid import Candidate, build_candidates
from .result import (
    SweepRequest,
    SweepResult,
    SweepStage,
    SweepUpdate,
    halving_plan,
    pick_of_tie,
    rank,
    tied_with,
)

LIVE_INTERVAL_S = 0.25
"""How often the live table is recomputed while a round streams in."""
SETUP_GUESS_S = 1.0
"""Spawning a round's child and importing ORT, before the first round has measured it."""
PER_CANDIDATE_GUESS_S = 0.35
"""Session creation, warm-up and re-warm runs per candidate and round, before measured."""
MIN_ROUNDS_PER_ROUND = 4
"""Interleaved rounds in a halving round: enough to rank, few enough to leave time to run."""
BUDGET_MARGIN_S = 2.0
"""What the budget may be overrun by: a round told to end finishes its interleaved round of
blocks and closes its sessions (README "Sweep": measured figures)."""


class SweepRun:
    """A running sweep. Iterate `events()` (SweepUpdate ..., then SweepResult or JobFailed);
    `cancel()` from any thread stops the current round and ranks what was measured."""

    def __init__(
        self,
        request: SweepRequest,
        interleave_target: Callable[..., None] | None = None,
    ) -> None:
        from ...hardware import physical_cores
        from ...models import file_sha256
        from ...samples import resolve_model

        # The budget is the wall time the user waits: the command's start-up and set-up
        # (imports, hashing, probing EPs) count.
        self.started = request.started if request.started is not None else time.perf_counter()
        if request.budget_s <= 0:
            raise OrtbenchError("--budget must be positive")
        if request.eta < 2:
            raise OrtbenchError("--eta must be at least 2")
        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        working = request.working_providers
        if working is None:
            from ...hardware import probe_providers

            working = [p.name for p in probe_providers() if p.works]
        self.candidates = build_candidates(request.base, request.axes, working, physical_cores())
        self.alive = [c for c in self.candidates if not c.skip]
        if not self.alive:
            reasons = "; ".join(f"#{c.index} {c.label}: {c.skip}" for c in self.candidates[:4])
            raise OrtbenchError(f"every combination of the grid is skipped ({reasons})")
        if len(self.alive) == 1:
            only = self.alive[0]
            raise OrtbenchError(
                f"only one combination of the grid can run here (#{only.index} {only.label}); "
                "nothing to search: use `ortbench run`"
            )
        self.plan = halving_plan(len(self.alive), request.eta)
        self._target = interleave_target
        self._current: CompareRun | None = None
        self._survivors: list[Candidate] = list(self.alive)
        """The candidates still in the race: what `partial` ranks."""
        self._cancelled = False
        self._budget_spent_in: int | None = None
        self._round_end: tuple[CompareFinished | None, JobFailed | None] = (None, None)
        self.hardware: dict[str, Any] = {}
        self.inputs: list[dict[str, Any]] = []
        self.rounds_done = 0

    def cancel(self) -> None:
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def partial(self) -> SweepResult:
        """The ranking so far when the events stopped early (Ctrl-C, SIGTERM or SIGHUP unwound
        the caller): the round in progress counts with its live medians, marked cancelled."""
        self._cancelled = True
        return self._result(self._survivors)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _update(self, r: int, stage: SweepStage, message: str) -> SweepUpdate:
        """The ranked table now; the ETA is the budget left (the plan spends all of it)."""
        ranked = rank(self.candidates)
        detail = ""
        if stage == "measuring":
            best = next((c for c in ranked if c.median_ms is not None), None)
            detail = f"leading #{best.index} {best.label}" if best else ""
        return SweepUpdate(
            "round",
            r,
            len(self.plan),
            self.elapsed(),
            self.remaining_s(),
            detail,
            ranked,
            stage,
            message=message,
        )

    def remaining_s(self) -> float:
        """The time the budget has left (the sweep ends by then, give or take
        BUDGET_MARGIN_S): its estimate of the time to the end."""
        return eta_from_budget(self.started, self.request.budget_s) or 0.0

    def _budget_spent(self, r: int, run: CompareRun) -> None:
        """The budget ran out during round `r`: end it at its next round of blocks (what it
        measured is kept and ranked), and start no other round."""
        self._budget_spent_in = r
        run.end_early()

    def events(self) -> Iterator[SweepUpdate | SweepResult | JobFailed]:
        req = self.request
        yield self._update(
            0, "planned", f"{len(self.alive)} candidates, {len(self.plan)} rounds planned"
        )
        fixed, per_cand = SETUP_GUESS_S, PER_CANDIDATE_GUESS_S
        survivors = self._survivors = list(self.alive)
        for r, _n in enumerate(self.plan, start=1):
            if self._cancelled or len(survivors) < 2 or self._budget_spent_in is not None:
                break
            if self.rounds_done and self.remaining_s() <= 0:
                self._budget_spent_in = r - 1
                break
            rounds_left = len(self.plan) - r + 1
            wall = max(0.0, req.budget_s - self.elapsed()) / rounds_left
            timed, block_s, rho = self._plan_round(wall, fixed, per_cand, survivors)
            per_candidate = timed / len(survivors)
            for c in survivors:
                c.status = "measuring"
            yield self._update(
                r,
                "round_started",
                f"round {r}/{len(self.plan)}: {len(survivors)} candidates, "
                f"{per_candidate:.2f} s of timed runs each",
            )
            profiles = []
            for c in survivors:
                p = c.profile.copy()
                p.run.duration_s = per_candidate
                profiles.append(p)
            round_start = time.perf_counter()
            targets = {"interleave_target": self._target} if self._target else {}
            run = CompareRun(
                CompareRequest(
                    req.model,
                    profiles,
                    interleave=True,
                    sessions=1,
                    reps=HALVING_REPS,
                    min_rounds=MIN_ROUNDS_PER_ROUND,
                    block_s=block_s,
                    inputs=req.inputs,
                    own_rounds=req.until_decided,
                ),
                **targets,
            )
            self._current = run
            if self._cancelled:
                run.cancel()
            decider = self._decider(run, survivors, timed, block_s) if req.until_decided else None
            live: list[list[np.ndarray]] = [[] for _ in survivors]
            last = 0.0
            finished: CompareFinished | None = None
            timer = threading.Timer(self.remaining_s(), self._budget_spent, (r, run))
            timer.daemon = True
            timer.start()
            try:
                yield from self._stream(r, run, survivors, live, decider, last)
            finally:
                timer.cancel()
            finished, failed = self._round_end
            if failed is not None:
                yield failed
                return
            self._current = None
            if finished is None:
                break
            round_wall = time.perf_counter() - round_start
            # Learn the cost of a candidate beyond its timed runs, for the next rounds.
            per_cand = max(0.05, (round_wall - timed * (1 + rho) - fixed) / len(survivors))
            if not self.hardware and finished.results and finished.results[0] is not None:
                # The report is JSON: the machine and inputs as the result file has them.
                first = record_dict(finished.results[0])
                self.hardware = first.get("hardware") or {}
                self.inputs = first.get("inputs") or []
            survivors = self._survivors = self._score_round(r, survivors, finished, decider)
            self.rounds_done = r
            yield self._update(r, "round_done", f"round {r} done: {len(survivors)} kept")
        yield self._result(survivors)

    def _stream(
        self,
        r: int,
        run: CompareRun,
        survivors: list[Candidate],
        live: list[list[np.ndarray]],
        decider: RoundDecider | None,
        last: float,
    ) -> Iterator[SweepUpdate]:
        """The round's events as live table updates; its end (CompareFinished or Failed)
        is left in self._round_end."""
        finished: CompareFinished | None = None
        self._round_end = (None, None)
        for ev in run.events():
            if isinstance(ev, CompareProgress):
                if ev.new_samples_ns is not None and ev.profile is not None:
                    live[ev.profile].append(ev.new_samples_ns)
                    if decider is not None and ev.phase == "timed":
                        decider.add_block(ev.profile, ev.new_samples_ns)
                    now = time.perf_counter()
                    if now - last >= LIVE_INTERVAL_S:
                        last = now
                        for c, parts in zip(survivors, live, strict=True):
                            if parts:
                                x = np.concatenate(parts)
                                c.median_ms = float(np.median(x)) / 1e6
                                c.runs = int(x.size)
                        yield self._update(r, "measuring", f"round {r}/{len(self.plan)}: measuring")
            elif isinstance(ev, CompareFinished):
                finished = ev
            elif isinstance(ev, JobFailed):
                if self._budget_spent_in == r:
                    # Ended for the budget before it had anything whole (still creating its
                    # sessions): the rounds before it are ranked.
                    return
                failed = JobFailed(ev.kind, f"sweep round {r}: {ev.message}", None)
                self._round_end = (None, failed)
                return
        self._round_end = (finished, None)

    @staticmethod
    def _plan_round(
        wall: float, fixed: float, per_cand: float, survivors: list[Candidate]
    ) -> tuple[float, float, float]:
        """(timed seconds for the round, block length, re-warm time per timed second).

        A round's wall time is about fixed + per_cand * n + timed * (1 + rho): every block
        opens with untimed re-warm runs and a session whose pool spins is waited for after
        it (`interleave.block_overhead_s`), so rho = that time / block length, and blocks
        are shorter when the round is short (at least MIN_ROUNDS_PER_ROUND rounds of blocks
        per round).
        """
        from ...hardware import physical_cores
        from ..interleave import block_overhead_s, has_thread_pool, spins

        phys = physical_cores()
        rewarm = float(
            np.mean(
                [
                    block_overhead_s(has_thread_pool(c.profile, phys), spins(c.profile, phys))
                    for c in survivors
                ]
            )
        )
        n = len(survivors)
        spare = max(0.0, wall - fixed - per_cand * n)
        block_s, rho = 0.1, rewarm / 0.1
        for _ in range(3):  # block length and re-warm share depend on each other
            timed = max(0.02 * n, spare / (1 + rho))
            block_s = max(0.02, min(0.1, timed / n / MIN_ROUNDS_PER_ROUND))
            rho = rewarm / block_s
        return timed, block_s, rho

    def _decider(
        self, run: CompareRun, survivors: list[Candidate], timed: float, block_s: float
    ) -> RoundDecider:
        """The round's looks are planned on the most rounds it could run (two candidates
        left for all of its timed seconds); looks it never reaches spend nothing."""
        from ..protocol import StopUnit

        most = max(MIN_ROUNDS_PER_ROUND, int(timed / (2 * block_s)))
        return RoundDecider(
            len(survivors),
            most,
            self.request.margin,
            drop=lambda i: run.send_to_child(StopUnit(i)),
            end=run.end_early,
            names=[c.index for c in survivors],
        )

    def _score_round(
        self,
        r: int,
        survivors: list[Candidate],
        finished: CompareFinished,
        decider: RoundDecider | None = None,
    ) -> list[Candidate]:
        sets = finished.sets
        for i, (c, s) in enumerate(zip(survivors, sets, strict=True)):
            c.rounds = r
            c.decided = decider.dropped.get(i, "") if decider is not None else ""
            c.blocks = s.rounds if s is not None else 0
            if s is None or not s.size:
                c.median_ms = None
                continue
            flat = s.flat()
            c.median_ms = float(np.median(flat)) / 1e6
            c.p99_ms = float(np.percentile(flat, 99)) / 1e6
            c.runs = int(flat.size)
            ci = bootstrap_median(s, reps=HALVING_REPS)
            c.median_ci = (ci.low, ci.high) if ci else None
        measured = [
            (c, s, c.median_ms)
            for c, s in zip(survivors, sets, strict=True)
            if s is not None and c.median_ms is not None
        ]
        if not measured:
            return survivors
        # Decided slower than the best: last, whatever the median of their fewer rounds.
        measured.sort(key=lambda item: (bool(item[0].decided), item[2]))
        best, best_set, best_median = measured[0]
        for c, s, median in measured:
            if c is best:
                c.vs_best = (1.0, 1.0, 1.0)
                continue
            ci = bootstrap_ratio(best_set, s, reps=HALVING_REPS)
            ratio = median / best_median
            c.vs_best = (ratio, ci.low, ci.high) if ci else (ratio, math.nan, math.nan)
            # Without a CI nothing tells it from the best either.
            c.tied = ci is None or is_tie(ci.low, ci.high, self.request.margin)
        if self._cancelled:
            for c, _, _ in measured:
                c.status = "kept"
            return [c for c, _, _ in measured]
        keep = max(1, math.ceil(len(measured) / self.request.eta))
        kept = [c for c, _, _ in measured[:keep]]
        for c, _, _ in measured[keep:]:
            c.status = "out"
            c.out_round = r
        for c in kept:
            c.status = "kept"
        return kept

    def _result(self, survivors: list[Candidate]) -> SweepResult:
        from ...hardware import physical_cores

        measured = sorted(
            (c for c in survivors if c.median_ms is not None),
            key=lambda c: c.median_ms if c.median_ms is not None else math.inf,
        )
        winner = measured[0] if measured else None
        runner_up = measured[1] if len(measured) > 1 else None
        tied = tied_with(winner, self.candidates) if self.rounds_done else []
        if winner is not None:
            winner.status = "winner" if not tied else "tie"
        for c in tied:
            c.status = "tie"
        for c in self.candidates:
            if c.status == "measuring":  # a round ended before it measured them
                c.status = "not measured"
        pick, pick_reason = pick_of_tie(winner, tied, physical_cores())
        warnings = []
        if self._cancelled:
            warnings.append(f"cancelled after {self.rounds_done} of {len(self.plan)} rounds")
        spent = self._budget_spent_in
        if spent is not None and winner is None:
            warnings.append(
                f"the {self.request.budget_s:g} s budget ran out before any candidate was "
                f"measured (set-up and session creation took it): give a larger --budget"
            )
        elif spent is not None:
            warnings.append(
                f"the {self.request.budget_s:g} s budget ran out in round {max(spent, 1)} of "
                f"{len(self.plan)}: ranked on what was measured by then"
            )
        method = (
            describe_method(True, 1, 0, HALVING_REPS, units_text="the round's")
            + "; each round uses fresh sessions"
        )
        if self.request.until_decided:
            method += (
                "; until decided: a candidate whose CI over the round's best lies wholly above "
                "1 + margin at a look (5, 10, 20 ... rounds; level 1 - 5%/(looks x rivals)) "
                "stops being measured in that round"
            )
        result = SweepResult(
            model=self.request.model,
            model_sha256=self.model_sha256,
            grid=self.request.axes,
            budget_s=self.request.budget_s,
            eta=self.request.eta,
            elapsed_s=self.elapsed(),
            plan=self.plan,
            rounds_done=self.rounds_done,
            candidates=self.candidates,
            winner=winner,
            runner_up=runner_up,
            tied=[c.index for c in tied],
            pick=pick,
            pick_reason=pick_reason,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            method=method,
            hardware=self.hardware,
            inputs=self.inputs,
            inputs_spec=self.request.inputs.to_dict(),
            margin=self.request.margin,
            cancelled=self._cancelled,
            warnings=warnings,
        )
        return result


def run_sweep(request: SweepRequest, on_event: Callable[[Any], None] | None = None) -> SweepResult:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drive(SweepRun(request), SweepResult, on_event, "sweep")
