"""Search a grid of profile settings within a time budget, by successive halving.

    --grid session.intra_op_num_threads=1,2 --grid run.io_binding=true,false ...

Every combination is built from the base profile; combinations that cannot work, or that
cannot differ from one already in the grid, are skipped with the reason. The rest are
measured in rounds: round 1 gives every candidate a short run, each round keeps the best
1/eta (by median) and gives the survivors longer runs, until one is left. The budget is
spread evenly over the rounds, so the last candidates get the longest runs.

All candidates of a round are measured in one interleaved child (`bench.interleave`): one
session each, alternated in blocks, so a busy neighbour hits every candidate of the round
alike and the ranking stays fair. Each round makes fresh sessions.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import OrtbenchError
from ..profile import Profile, apply_override, profile_to_dict, save_profile
from ..session import EP_OPTIONS, GPU_PROVIDERS, profile_problems
from ..text import format_ms
from .compare import (
    DEFAULT_MARGIN,
    CompareFinished,
    CompareProgress,
    CompareRequest,
    CompareRun,
    bootstrap_median,
    bootstrap_ratio,
)
from .runner import Failed, drain

GPU_OPTION_NAMES = frozenset(name for ep in GPU_PROVIDERS for name in EP_OPTIONS.get(ep, {})) | {
    "enable_cuda_graph",
    "trt_cuda_graph_enable",
}
LIVE_INTERVAL_S = 0.25
"""How often the live table is recomputed while a round streams in."""
SETUP_GUESS_S = 1.0
"""Spawning a round's child and importing ORT, before the first round has measured it."""
PER_CANDIDATE_GUESS_S = 0.35
"""Session creation, warm-up and re-warm runs per candidate and round, before measured."""
MIN_ROUNDS_PER_ROUND = 4
"""Interleaved rounds in a halving round: enough to rank, few enough to leave time to run."""


# --- the grid --------------------------------------------------------------------------------


@dataclass
class GridAxis:
    key: str
    values: list[str]


def _split_values(text: str) -> list[str]:
    """Split on commas outside [], {} and quotes: pin_cpus=[0,1],[1] is two values."""
    out, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def parse_grid(specs: list[str]) -> list[GridAxis]:
    """`KEY=V1,V2,...` per axis; errors name the --grid value."""
    axes: list[GridAxis] = []
    for spec in specs:
        if "=" not in spec:
            raise OrtbenchError(
                f"--grid {spec}: expected KEY=V1,V2,..., e.g. session.intra_op_num_threads=1,2"
            )
        key, raw = (s.strip() for s in spec.split("=", 1))
        values = _split_values(raw)
        if not key or any(v == "" for v in values):
            raise OrtbenchError(f"--grid {spec}: empty key or value")
        if len(set(values)) != len(values):
            raise OrtbenchError(f"--grid {spec}: a value is listed twice")
        if any(a.key == key for a in axes):
            raise OrtbenchError(f"--grid {spec}: {key} is already a grid axis")
        axes.append(GridAxis(key, values))
    if not axes:
        raise OrtbenchError("sweep needs at least one --grid KEY=V1,V2,...")
    return axes


def _short_key(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[2:]) if parts[1:2] in (["options"], ["config_entries"]) else parts[-1]


@dataclass
class Candidate:
    """One point of the grid and what is known of it so far."""

    index: int
    settings: list[tuple[str, str]]
    profile: Profile
    skip: str | None = None
    status: str = "waiting"
    """waiting | measuring | kept | out | winner | skipped"""
    out_round: int | None = None
    rounds: int = 0
    runs: int = 0
    median_ms: float | None = None
    p99_ms: float | None = None
    median_ci: tuple[float, float] | None = None
    vs_best: tuple[float, float, float] | None = None
    """(ratio, low, high) against the round's best, from the same interleaved round."""

    @property
    def label(self) -> str:
        return " ".join(f"{_short_key(k)}={v}" for k, v in self.settings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "label": self.label,
            "settings": {k: v for k, v in self.settings},
            "skip": self.skip,
            "status": self.status,
            "out_round": self.out_round,
            "rounds": self.rounds,
            "runs": self.runs,
            "median_ms": self.median_ms,
            "p99_ms": self.p99_ms,
            "median_ci": list(self.median_ci) if self.median_ci else None,
            "vs_best": list(self.vs_best) if self.vs_best else None,
        }


def _precision_available() -> bool:
    try:
        from .. import precision  # noqa: F401
    except Exception:
        return False
    return True


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def skip_reason(profile: Profile, working_providers: list[str] | None) -> str | None:
    """Why this combination cannot run (or cannot mean anything) here; None when it can."""
    problems = profile_problems(profile)
    if problems:
        return problems[0]
    ep = profile.provider_ep
    if working_providers is not None and ep not in working_providers:
        short = ep.removesuffix("ExecutionProvider")
        return f"{short} EP does not load here"
    if ep == "CPUExecutionProvider" and profile.provider.options:
        opts = profile.provider.options
        on = sorted(k for k, v in opts.items() if k in GPU_OPTION_NAMES and _truthy(v))
        if on:
            return f"{', '.join(on)}: a CUDA/TensorRT option, meaningless on the CPU EP"
        other = sorted(k for k in opts if k not in GPU_OPTION_NAMES)
        if other:
            return f"{', '.join(other)}: the CPU EP takes no provider options"
    if profile.run.precision != "fp32" and not _precision_available():
        return f"run.precision={profile.run.precision} needs the precision module (not yet here)"
    return None


def _canonical(profile: Profile, physical: int) -> tuple[str, list[str]]:
    """The profile with settings that have no effect put to one value, and why they have none.

    Two candidates with the same canonical form measure the same thing: the second is skipped.
    """
    p = profile.copy()
    why = []
    if p.session.execution_mode == "sequential" and p.session.inter_op_num_threads != 0:
        p.session.inter_op_num_threads = 0
        why.append("inter-op threads have no effect in sequential mode")
    if p.resolved_intra_threads(physical) == 1:
        if not p.session.allow_spinning or p.session.intra_op_thread_affinities:
            why.append("with one intra-op thread there is no pool to spin or pin")
        p.session.allow_spinning = True
        p.session.intra_op_thread_affinities = ""
    if p.provider_ep == "CPUExecutionProvider" and p.provider.options:
        # Only switched-off GPU options get here (skip_reason refuses the others).
        p.provider.options = {}
        why.append("the CPU EP ignores provider options")
    if p.session.intra_op_num_threads == "physical":
        p.session.intra_op_num_threads = physical
    d = profile_to_dict(p)
    d.pop("name", None)
    d.pop("description", None)
    return json.dumps(d, sort_keys=True, default=str), why


def build_candidates(
    base: Profile,
    axes: list[GridAxis],
    working_providers: list[str] | None = None,
    physical: int | None = None,
) -> list[Candidate]:
    """Every combination of the grid on top of `base`, each with its skip reason if any."""
    if physical is None:
        from ..hardware import physical_cores

        physical = physical_cores()
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    for i, combo in enumerate(itertools.product(*(a.values for a in axes))):
        settings = [(a.key, v) for a, v in zip(axes, combo, strict=True)]
        profile = base.copy()
        for key, value in settings:
            try:
                profile = apply_override(profile, f"{key}={value}")
            except OrtbenchError as exc:
                raise OrtbenchError(f"--grid {key}: {exc}") from None
        cand = Candidate(index=i + 1, settings=settings, profile=profile)
        cand.profile.name = f"{base.name}+sweep{i + 1}"
        cand.skip = skip_reason(profile, working_providers)
        if cand.skip is None:
            key, why = _canonical(profile, physical)
            if key in seen:
                cand.skip = f"same as #{seen[key]}" + (f" ({'; '.join(why)})" if why else "")
            else:
                seen[key] = cand.index
        if cand.skip:
            cand.status = "skipped"
        out.append(cand)
    return out


def halving_plan(n: int, eta: int = 2) -> list[int]:
    """Candidates measured in each round: 12 -> [12, 6, 3, 2] with eta 2 (the last round
    decides between the final few)."""
    plan = []
    while n > 1:
        plan.append(n)
        n = max(1, math.ceil(n / eta))
    return plan or [n]


# --- the sweep -------------------------------------------------------------------------------


@dataclass
class SweepRequest:
    model: str
    base: Profile
    axes: list[GridAxis]
    budget_s: float = 60.0
    """Wall-clock seconds for the whole sweep, set-up of each round included."""
    eta: int = 2
    margin: float = DEFAULT_MARGIN
    working_providers: list[str] | None = None
    """EPs that load here (None: probe them)."""


@dataclass
class SweepUpdate:
    """The table changed: rows are ranked (measured first, by median), skipped last."""

    round: int
    rounds: int
    elapsed_s: float
    candidates: list[Candidate]
    final: bool = False
    message: str = ""


@dataclass
class SweepResult:
    model: str
    model_sha256: str
    grid: list[GridAxis]
    budget_s: float
    eta: int
    elapsed_s: float
    plan: list[int]
    rounds_done: int
    candidates: list[Candidate]
    winner: Candidate | None
    runner_up: Candidate | None
    created: str
    method: str
    hardware: dict[str, Any] = field(default_factory=dict)
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)

    def ranked(self) -> list[Candidate]:
        return rank(self.candidates)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "model_sha256": self.model_sha256,
            "grid": {a.key: a.values for a in self.grid},
            "budget_s": self.budget_s,
            "eta": self.eta,
            "elapsed_s": self.elapsed_s,
            "plan": self.plan,
            "rounds_done": self.rounds_done,
            "created": self.created,
            "method": self.method,
            "cancelled": self.cancelled,
            "winner": self.winner.to_dict() if self.winner else None,
            "winner_profile": profile_to_dict(self.winner.profile) if self.winner else None,
            "candidates": [c.to_dict() for c in self.ranked()],
            "warnings": list(self.warnings),
        }

    def header(self) -> str:
        """How the best was found: the comment atop the saved TOML."""
        w = self.winner
        grid = "; ".join(f"{a.key}={','.join(a.values)}" for a in self.grid)
        skipped = [c for c in self.candidates if c.skip]
        lines = [
            f"Found by `ortbench sweep` on {self.model} (sha256 {self.model_sha256[:16]})",
            f"date: {self.created}",
            f"grid ({len(self.candidates)} points, {len(skipped)} skipped): {grid}",
            f"search: successive halving, eta {self.eta}, within a {self.budget_s:g} s budget "
            f"({self.elapsed_s:.1f} s used); {self.rounds_done} rounds: "
            + " -> ".join(str(n) for n in self.plan[: self.rounds_done])
            + " -> 1 candidates",
        ]
        if w is not None and w.median_ms is not None:
            ci = (
                f", 95% CI [{format_ms(w.median_ci[0])}, {format_ms(w.median_ci[1])}]"
                if w.median_ci
                else ""
            )
            lines.append(f"winner: #{w.index} {w.label}: median {format_ms(w.median_ms)}{ci}")
            ru = self.runner_up
            if ru is not None and ru.vs_best is not None:
                r, lo, hi = ru.vs_best
                lines.append(
                    f"runner-up: #{ru.index} {ru.label}: {r:.3f}x the winner's median "
                    f"[{lo:.3f}, {hi:.3f}] in the last round"
                )
        hw = self.hardware
        if hw:
            lines.append(
                f"machine: {hw.get('cpu_model')}, {hw.get('physical_cores')} physical / "
                f"{hw.get('logical_cores')} logical cores, ORT {hw.get('ort_version')}"
            )
        lines.append(f"CI: {self.method}")
        return "\n".join(lines)

    def save_best(self, path: str | Path, overwrite: bool = False) -> Path:
        if self.winner is None:
            raise OrtbenchError("the sweep has no winner to save (nothing was measured)")
        profile = self.winner.profile.copy()
        stem = Path(path).stem
        profile.name = stem
        profile.description = f"best of an ortbench sweep on {self.model}: {self.winner.label}"
        return save_profile(profile, path, overwrite=overwrite, header=self.header())


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Winner first, then by the last round reached (later is better), then by median."""

    def key(c: Candidate) -> tuple[int, int, float, int]:
        if c.skip:
            return (2, 0, 0.0, c.index)
        if c.median_ms is None:
            return (1, 0, 0.0, c.index)
        reached = c.rounds if c.status != "winner" else 10_000
        return (0, -reached, c.median_ms, c.index)

    return sorted(candidates, key=key)


class SweepRun:
    """A running sweep. Iterate `events()` (SweepUpdate ..., then SweepResult or Failed);
    `cancel()` from any thread stops the current round and ranks what was measured."""

    def __init__(
        self,
        request: SweepRequest,
        interleave_target: Callable[..., None] | None = None,
    ) -> None:
        from ..hardware import physical_cores
        from ..models import file_sha256
        from ..samples import resolve_model

        if request.budget_s <= 0:
            raise OrtbenchError("--budget must be positive")
        if request.eta < 2:
            raise OrtbenchError("--eta must be at least 2")
        self.request = request
        self.model_path = resolve_model(request.model)
        self.model_sha256 = file_sha256(self.model_path)
        working = request.working_providers
        if working is None:
            from ..hardware import probe_providers

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
        self._cancelled = False
        self.started = time.perf_counter()
        self.hardware: dict[str, Any] = {}
        self.rounds_done = 0

    def cancel(self) -> None:
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def _update(self, r: int, message: str = "", final: bool = False) -> SweepUpdate:
        return SweepUpdate(r, len(self.plan), self.elapsed(), rank(self.candidates), final, message)

    def events(self) -> Iterator[SweepUpdate | SweepResult | Failed]:
        req = self.request
        yield self._update(0, f"{len(self.alive)} candidates, {len(self.plan)} rounds planned")
        fixed, per_cand = SETUP_GUESS_S, PER_CANDIDATE_GUESS_S
        survivors = list(self.alive)
        for r, _n in enumerate(self.plan, start=1):
            if self._cancelled or len(survivors) < 2:
                break
            rounds_left = len(self.plan) - r + 1
            wall = max(0.0, req.budget_s - self.elapsed()) / rounds_left
            timed, block_s, rho = self._plan_round(wall, fixed, per_cand, survivors)
            per_candidate = timed / len(survivors)
            for c in survivors:
                c.status = "measuring"
            yield self._update(
                r,
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
                    reps=400,
                    min_rounds=MIN_ROUNDS_PER_ROUND,
                    block_s=block_s,
                ),
                **targets,
            )
            self._current = run
            if self._cancelled:
                run.cancel()
            live: list[list[np.ndarray]] = [[] for _ in survivors]
            last = 0.0
            finished: CompareFinished | None = None
            for ev in run.events():
                if isinstance(ev, CompareProgress):
                    if ev.new_samples_ns is not None and ev.profile is not None:
                        live[ev.profile].append(ev.new_samples_ns)
                        now = time.perf_counter()
                        if now - last >= LIVE_INTERVAL_S:
                            last = now
                            for c, parts in zip(survivors, live, strict=True):
                                if parts:
                                    x = np.concatenate(parts)
                                    c.median_ms = float(np.median(x)) / 1e6
                                    c.runs = int(x.size)
                            yield self._update(r, f"round {r}/{len(self.plan)}: measuring")
                elif isinstance(ev, CompareFinished):
                    finished = ev
                elif isinstance(ev, Failed):
                    yield Failed(ev.kind, f"sweep round {r}: {ev.message}", None)
                    return
            self._current = None
            if finished is None:
                break
            round_wall = time.perf_counter() - round_start
            # Learn the cost of a candidate beyond its timed runs, for the next rounds.
            per_cand = max(0.05, (round_wall - timed * (1 + rho) - fixed) / len(survivors))
            if not self.hardware and finished.results:
                self.hardware = finished.results[0].get("hardware") or {}
            survivors = self._score_round(r, survivors, finished)
            self.rounds_done = r
            yield self._update(r, f"round {r} done: {len(survivors)} kept")
        yield self._result(survivors)

    @staticmethod
    def _plan_round(
        wall: float, fixed: float, per_cand: float, survivors: list[Candidate]
    ) -> tuple[float, float, float]:
        """(timed seconds for the round, block length, re-warm time per timed second).

        A round's wall time is about fixed + per_cand * n + timed * (1 + rho): every block
        opens with untimed re-warm runs (interleave.REWARM_SECONDS for a session with a
        thread pool), so rho = re-warm / block length, and blocks are shorter when the
        round is short (at least MIN_ROUNDS_PER_ROUND rounds of blocks per round).
        """
        from ..hardware import physical_cores
        from .interleave import REWARM_SECONDS, REWARM_SINGLE_SECONDS, has_thread_pool

        phys = physical_cores()
        rewarm = float(
            np.mean(
                [
                    REWARM_SECONDS if has_thread_pool(c.profile, phys) else REWARM_SINGLE_SECONDS
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

    def _score_round(
        self, r: int, survivors: list[Candidate], finished: CompareFinished
    ) -> list[Candidate]:
        sets = finished.sets
        for c, s in zip(survivors, sets, strict=True):
            c.rounds = r
            if s is None or not s.size:
                c.median_ms = None
                continue
            flat = s.flat()
            c.median_ms = float(np.median(flat)) / 1e6
            c.p99_ms = float(np.percentile(flat, 99)) / 1e6
            c.runs = int(flat.size)
            ci = bootstrap_median(s, reps=400)
            c.median_ci = (ci.low, ci.high) if ci else None
        measured = [
            (c, s)
            for c, s in zip(survivors, sets, strict=True)
            if s is not None and c.median_ms is not None
        ]
        if not measured:
            return survivors
        measured.sort(key=lambda cs: cs[0].median_ms)  # type: ignore[arg-type, return-value]
        best, best_set = measured[0]
        for c, s in measured:
            if c is best:
                c.vs_best = (1.0, 1.0, 1.0)
                continue
            ci = bootstrap_ratio(best_set, s, reps=400)  # type: ignore[arg-type]
            ratio = c.median_ms / best.median_ms  # type: ignore[operator]
            c.vs_best = (ratio, ci.low, ci.high) if ci else (ratio, math.nan, math.nan)
        if self._cancelled:
            for c, _ in measured:
                c.status = "kept"
            return [c for c, _ in measured]
        keep = max(1, math.ceil(len(measured) / self.request.eta))
        kept = [c for c, _ in measured[:keep]]
        for c, _ in measured[keep:]:
            c.status = "out"
            c.out_round = r
        for c in kept:
            c.status = "kept"
        return kept

    def _result(self, survivors: list[Candidate]) -> SweepResult:
        measured = [c for c in survivors if c.median_ms is not None]
        measured.sort(key=lambda c: c.median_ms)  # type: ignore[arg-type, return-value]
        winner = measured[0] if measured else None
        runner_up = measured[1] if len(measured) > 1 else None
        if winner is not None:
            winner.status = "winner"
        warnings = []
        if self._cancelled:
            warnings.append(f"cancelled after {self.rounds_done} of {len(self.plan)} rounds")
        if self.rounds_done and winner is not None and runner_up is not None:
            r = runner_up.vs_best
            if r and r[1] == r[1] and r[1] <= 1.0 + self.request.margin:
                warnings.append(
                    f"the winner and the runner-up (#{runner_up.index}) are within noise of "
                    "each other in the last round; either is a fine choice"
                )
        from .compare import describe_method

        method = (
            describe_method(True, 1, 10, 400).replace("10 interleaved", "the round's interleaved")
            + "; each round uses fresh sessions"
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
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            method=method,
            hardware=self.hardware,
            cancelled=self._cancelled,
            warnings=warnings,
        )
        return result


def run_sweep(request: SweepRequest, on_event: Callable[[Any], None] | None = None) -> SweepResult:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drain(SweepRun(request).events(), SweepResult, on_event, "sweep")


# --- tables ----------------------------------------------------------------------------------

SWEEP_HEADER = ("rank", "#", "settings", "median", "95% CI", "vs best", "runs", "status")


def _status_text(c: Candidate) -> str:
    if c.skip:
        return f"skipped: {c.skip}"
    if c.status == "out":
        return f"out in round {c.out_round}"
    return c.status


def sweep_rows(candidates: list[Candidate]) -> list[tuple[str, ...]]:
    rows = []
    place = 0
    for c in rank(candidates):
        if c.skip or c.median_ms is None:
            rank_text = "-"
        else:
            place += 1
            rank_text = str(place)
        ci = f"[{format_ms(c.median_ci[0])}, {format_ms(c.median_ci[1])}]" if c.median_ci else "-"
        if c.vs_best and c.vs_best[1] == c.vs_best[1] and c.vs_best[0] != 1.0:
            vs = f"{c.vs_best[0]:.3f}x [{c.vs_best[1]:.3f}, {c.vs_best[2]:.3f}]"
        elif c.vs_best:
            vs = "best" if c.vs_best[0] == 1.0 else f"{c.vs_best[0]:.3f}x"
        else:
            vs = "-"
        rows.append(
            (
                rank_text,
                str(c.index),
                c.label,
                format_ms(c.median_ms),
                ci,
                vs,
                str(c.runs or "-"),
                _status_text(c),
            )
        )
    return rows


def format_table(candidates: list[Candidate]) -> str:
    rows = [SWEEP_HEADER, *sweep_rows(candidates)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(SWEEP_HEADER) - 1)]
    out = []
    for r in rows:
        cells = [cell.ljust(w) for cell, w in zip(r[:-1], widths, strict=True)]
        out.append("  ".join([*cells, r[-1]]).rstrip())
    return "\n".join(out)


def format_sweep(result: SweepResult) -> str:
    lines = [format_table(result.candidates), ""]
    w = result.winner
    if w is not None:
        lines.append(f"best: #{w.index} {w.label} (median {format_ms(w.median_ms)})")
    lines.append(
        f"successive halving, eta {result.eta}: "
        + " -> ".join(str(n) for n in result.plan[: result.rounds_done])
        + f" -> 1 in {result.rounds_done} rounds, {result.elapsed_s:.1f} s of a "
        f"{result.budget_s:g} s budget"
    )
    lines.append("'vs best' = median / the round's best median, same interleaved round")
    lines.append(f"CI: {result.method}")
    lines += [f"warning: {x}" for x in result.warnings]
    return "\n".join(lines)


def sweep_markdown(result: SweepResult) -> str:
    head = "| " + " | ".join(SWEEP_HEADER) + " |"
    sep = "|" + "|".join(["---"] * len(SWEEP_HEADER)) + "|"
    body = [
        "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"
        for r in sweep_rows(result.candidates)
    ]
    text = [f"### ortbench sweep · {result.model}", "", head, sep, *body, ""]
    text.append(result.header().replace("\n", "  \n"))
    return "\n".join(text) + "\n"


def sweep_csv(result: SweepResult) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["index", "settings", "median_ms", "ci_low_ms", "ci_high_ms", "vs_best", "status"])
    for c in rank(result.candidates):
        w.writerow(
            [
                c.index,
                c.label,
                "" if c.median_ms is None else f"{c.median_ms:.6g}",
                f"{c.median_ci[0]:.6g}" if c.median_ci else "",
                f"{c.median_ci[1]:.6g}" if c.median_ci else "",
                f"{c.vs_best[0]:.6g}" if c.vs_best else "",
                _status_text(c),
            ]
        )
    return buf.getvalue()
