"""What a sweep is asked for, what it streams, and what it finds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...errors import OrtbenchError
from ...inputs.spec import InputSpec
from ...profile import Profile, Provenance, profile_to_dict, save_profile
from ...text import format_ms
from ..compare import DEFAULT_MARGIN
from ..job import JobProgress
from .grid import Candidate, GridAxis


def halving_plan(n: int, eta: int = 2) -> list[int]:
    """Candidates measured in each round: 12 -> [12, 6, 3, 2] with eta 2 (the last round
    decides between the final few)."""
    plan = []
    while n > 1:
        plan.append(n)
        n = max(1, math.ceil(n / eta))
    return plan or [n]


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
    inputs: InputSpec = field(default_factory=InputSpec)
    """The model's input shapes and values, the same for every candidate."""
    until_decided: bool = False
    """Within each round, stop measuring candidates decided slower than the round's best
    (`sweep.decide`), so the round's time goes to the close calls."""
    started: float | None = None
    """When the user started waiting (`time.perf_counter()`: the CLI's start, the TUI's
    Enter); the budget counts from there. None: from the sweep's own start."""


SweepStage = Literal["planned", "round_started", "measuring", "round_done"]
"""Where a sweep is: its plan made, a round started, a round streaming in, a round ranked."""


@dataclass(frozen=True)
class SweepUpdate(JobProgress):
    """The table changed (done/total count the halving rounds): rows are ranked (measured
    first, by median), skipped last; `message` says it in words."""

    candidates: list[Candidate] = field(default_factory=list)
    stage: SweepStage = "measuring"
    final: bool = False
    message: str = ""
    eta_s: float | None = None
    """Seconds left: what the budget has not spent yet (the budget bounds the wall time)."""


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
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """The inputs measured (feeds.InputRecord dicts)."""
    cancelled: bool = False
    warnings: list[str] = field(default_factory=list)
    tied: list[int] = field(default_factory=list)
    """Indices of the last round's candidates not decided slower than the winner: a tie
    with it (the winner is then no winner, only the fastest median)."""
    pick: Candidate | None = None
    """What `--save-best` saves: the winner when decided; in a tie, the cheapest of the
    tied (`bench.cost`). None: the winner."""
    pick_reason: str = ""
    margin: float = DEFAULT_MARGIN
    inputs_spec: dict[str, Any] = field(default_factory=dict)
    """The input spec the sweep was given (`InputSpec.to_dict`), for the saved profile's
    provenance."""

    @property
    def decided(self) -> bool:
        """The winner was decided faster than every other candidate of the last round."""
        return self.winner is not None and not self.tied

    @property
    def best(self) -> Candidate | None:
        """The candidate to keep (`pick`, else the winner)."""
        return self.pick or self.winner

    def tie_text(self) -> str:
        """One line on the tie and which candidate is cheaper; "" when decided."""
        w = self.winner
        if w is None or not self.tied:
            return ""
        by = {c.index: c for c in self.candidates}
        parts = []
        for i in self.tied:
            vs = by[i].vs_best
            ci = "" if not vs or math.isnan(vs[1]) else f" {vs[0]:.3f}x [{vs[1]:.3f}, {vs[2]:.3f}]"
            parts.append(f"#{i}{ci}")
        line = (
            f"tie: #{w.index} (fastest median) and {', '.join(parts)} cannot be told apart "
            "(CI of the ratio crosses 1 + margin), so no winner"
        )
        best = self.best
        if best is not None and self.pick_reason:
            line += f"; keep #{best.index} {best.label}: {self.pick_reason}"
        return line

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
            "decided": self.decided,
            "tied": list(self.tied),
            "pick": self.best.index if self.best else None,
            "pick_reason": self.pick_reason,
            "pick_profile": profile_to_dict(self.best.profile) if self.best else None,
            "candidates": [c.to_dict() for c in self.ranked()],
            "inputs": list(self.inputs),
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
            f"search: successive halving, eta {self.eta}, within a {self.budget_s:g} s budget of "
            f"wall time, set-up and sessions included ({self.elapsed_s:.1f} s used); "
            f"{self.rounds_done} rounds: "
            + " -> ".join(str(n) for n in self.plan[: self.rounds_done])
            + " -> 1 candidates",
        ]
        if w is not None and w.median_ms is not None:
            ci = (
                f", 95% CI [{format_ms(w.median_ci[0])}, {format_ms(w.median_ci[1])}]"
                if w.median_ci
                else ""
            )
            title = "winner" if self.decided else "fastest median (a tie, see below)"
            lines.append(f"{title}: #{w.index} {w.label}: median {format_ms(w.median_ms)}{ci}")
            ru = self.runner_up
            if ru is not None and ru.vs_best is not None:
                r, lo, hi = ru.vs_best
                ci = "" if math.isnan(lo) else f" [{lo:.3f}, {hi:.3f}]"
                lines.append(
                    f"runner-up: #{ru.index} {ru.label}: {r:.3f}x the winner's median"
                    f"{ci} in the last round"
                )
            if self.tied:
                lines.append(self.tie_text())
        hw = self.hardware
        if hw:
            lines.append(
                f"machine: {hw.get('cpu_model')}, {hw.get('physical_cores')} physical / "
                f"{hw.get('logical_cores')} logical cores, ORT {hw.get('ort_version')}"
            )
        lines.append(f"CI: {self.method}")
        return "\n".join(lines)

    def save_best(self, path: str | Path, overwrite: bool = False) -> Path:
        best = self.best
        if best is None:
            raise OrtbenchError("the sweep has no winner to save (nothing was measured)")
        profile = best.profile.copy()
        stem = Path(path).stem
        profile.name = stem
        profile.description = f"best of an ortbench sweep on {self.model}: {best.label}"
        profile.provenance = self.provenance(best)
        return save_profile(profile, path, overwrite=overwrite, header=self.header())

    def provenance(self, best: Candidate) -> Provenance:
        """What `best` beat and by how much: the runner-up (else the fastest other of its last
        round) when it is the winner, the winner when it is the cheaper of a tie; ORT's
        defaults when no rival was measured."""
        from ..provenance import build_provenance, inverted

        rival = self.winner if best is not self.winner else self.runner_up
        if rival is None:  # halving kept one: the fastest other of the winner's last round
            rivals = [
                c
                for c in self.candidates
                if c is not best
                and not c.skip
                and c.median_ms is not None
                and c.rounds == best.rounds
                and c.vs_best is not None
            ]
            rival = min(rivals, key=lambda c: c.median_ms or math.inf, default=None)
        ratio: tuple[float, ...] | None = None
        if rival is None or rival is best:
            beaten, label = Profile(name="ort-defaults"), "ORT defaults (no rival was measured)"
        else:
            beaten, label = rival.profile.copy(), f"#{rival.index} {rival.label}"
            beaten.name = f"sweep #{rival.index}"
            if best is self.winner and rival.vs_best is not None:
                ratio = rival.vs_best  # the runner-up's median / the winner's
            elif best.vs_best is not None:
                ratio = inverted(*best.vs_best)  # the winner's median / the kept one's
        return build_provenance(
            found_by="sweep",
            model=self.model,
            model_sha256=self.model_sha256,
            hardware=self.hardware,
            inputs_spec=self.inputs_spec,
            beaten=beaten,
            beaten_label=label,
            margin=self.margin,
            decided=self.decided,
            ratio=(ratio[0], ratio[1], ratio[2]) if ratio is not None else None,
        )


def rank(candidates: list[Candidate]) -> list[Candidate]:
    """Winner (or the tie) first, then by the last round reached (later is better), then by
    median."""

    def key(c: Candidate) -> tuple[int, int, float, int]:
        if c.skip:
            return (2, 0, 0.0, c.index)
        if c.median_ms is None:
            return (1, 0, 0.0, c.index)
        reached = c.rounds if c.status not in ("winner", "tie") else 10_000
        return (0, -reached, c.median_ms, c.index)

    return sorted(candidates, key=key)


def tied_with(winner: Candidate | None, candidates: list[Candidate]) -> list[Candidate]:
    """The winner's round's other candidates not decided slower than it (`Candidate.tied`:
    their CI of median / winner's median reaches below 1 + margin): a tie with it."""
    if winner is None:
        return []
    return [
        c
        for c in candidates
        if c is not winner and c.rounds == winner.rounds and not c.skip and c.tied
    ]


def pick_of_tie(
    winner: Candidate | None, tied: list[Candidate], physical: int
) -> tuple[Candidate | None, str]:
    """The candidate to keep: the winner when decided; in a tie, the cheapest of the tied
    (`bench.cost`: fewer threads first), with why in words."""
    from ..cost import cheapest, why_cheaper

    if winner is None or not tied:
        return winner, ""
    group = [winner, *tied]
    pick = group[cheapest([c.profile for c in group], physical)]
    if pick is winner:
        return pick, "the fastest median, and no dearer than the others of the tie"
    why = why_cheaper(pick.profile, winner.profile, physical)
    return pick, f"the cheapest of the tie ({why} of #{winner.index}, the fastest median)"
