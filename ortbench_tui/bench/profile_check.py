"""Re-running the contest a saved best profile won (`ortbench check MODEL --profile P`).

A profile saved by `sweep --save-best` or `practices --save-best` carries its `[provenance]`:
the model, the inputs, the margin and the profile it beat. The check measures the two again,
interleaved, with compare's `--until-decided` rule (`compare.until`: its stopping rule and its
error bound are the ones used here, nothing new), P against what it beat:

  still faster        P decided faster                          exit 0
  equal within margin P and the beaten one decided equal        exit 0
  slower              P decided slower than what it beat        exit 3
  undecided           no verdict within the budget              exit 4

A different model file (sha256) is refused unless `compare_anyway`; a different ORT version
or machine is what the check is for, and is reported.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import OrtbenchError
from ..hardware.machine import machine_fingerprint
from ..inputs.spec import spec_from_dict
from ..profile import Profile, Provenance, mismatch, profile_from_dict
from ..profile.provenance import machine_text
from .baseline.jobs import ModelRef, resolve
from .compare import CompareFinished, CompareRequest, start_compare
from .compare.model import PairResult
from .compare.until import DecideSettings
from .job import JobFailed
from .stopping import DEFAULT_DECIDE_BUDGET_S
from .verdict import Verdict

OUTCOMES = {
    Verdict.FASTER: ("still faster", 0),
    Verdict.EQUAL: ("equal within margin", 0),
    Verdict.SLOWER: ("slower", 3),
}
"""The pair's verdict (the saved profile over the one it beat) -> (outcome, exit code); any
other verdict is undecided (exit 4)."""


def no_provenance_error(profile: Profile, source: str) -> OrtbenchError:
    return OrtbenchError(
        f"profile '{profile.name}' ({source}) has no [provenance]: it was not saved by "
        "`ortbench sweep --save-best` or `ortbench practices --save-best`, so there is no "
        "contest to re-run (to check a measurement against an earlier one, use "
        "`ortbench baseline save` and `ortbench check --baseline NAME`)"
    )


@dataclass
class ProfileCheckResult:
    """The closing event of a profile check."""

    profile: Profile
    provenance: Provenance
    model: ModelRef
    margin: float
    budget_s: float
    wall_s: float
    pair: PairResult | None
    """The saved profile (B) against the profile it beat (A); None when nothing was
    measured."""
    finished: CompareFinished | None
    differences: list[str] = field(default_factory=list)
    """Where the profile won against here: ORT and machine differences."""
    here: dict[str, Any] = field(default_factory=dict)
    """This machine's fingerprint."""
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def verdict(self) -> Verdict | None:
        if self.pair is None or self.pair.verdict is None:
            return None
        return Verdict(self.pair.verdict)

    @property
    def outcome(self) -> str:
        v = self.verdict
        return OUTCOMES[v][0] if v in OUTCOMES else "undecided"

    @property
    def exit_code(self) -> int:
        v = self.verdict
        return OUTCOMES[v][1] if v in OUTCOMES else 4

    def sentence(self) -> str:
        """'still faster: 0.87x [0.84, 0.90] of #2 ... (was 1.12x ...)'."""
        pair = self.pair
        beaten = self.provenance.beaten_label or "the profile it beat"
        if pair is None or pair.ratio is None:
            return f"undecided: nothing measured against {beaten}"
        ratio = f"{pair.ratio_text()} of {beaten}'s median"
        outcome = self.outcome
        if outcome == "still faster":
            return f"still faster: {ratio}"
        if outcome == "equal within margin":
            return f"a tie within the ±{self.margin:.0%} margin: {ratio}"
        if outcome == "slower":
            return f"now slower than what it beat: {ratio}"
        return f"undecided within the budget: {ratio} ({pair.verdict_text()})"

    def reason(self) -> str:
        if self.exit_code != 4:
            return ""
        return (
            "the CI still crosses the margin: a longer --budget, a quieter machine or pinned "
            "cores (run.pin_cpus) would narrow it"
        )


@dataclass
class Contest:
    """The comparison that re-runs a saved profile's contest, and what it was checked for."""

    request: CompareRequest
    model: ModelRef
    margin: float
    notes: list[str]


def rerun_contest(
    profile: Profile,
    source: str,
    model: str | None = None,
    margin: float | None = None,
    budget_s: float = DEFAULT_DECIDE_BUDGET_S,
    compare_anyway: bool = False,
    save_history: bool = True,
) -> Contest:
    """The interleaved until-decided comparison of the profile it beat (A) and `profile` (B);
    bad input (no provenance, another model file) is an OrtbenchError naming `source`."""
    provenance = profile.provenance
    if provenance is None:
        raise no_provenance_error(profile, source)
    margin = provenance.margin if margin is None else margin
    if not (math.isfinite(margin) and 0 <= margin < 1):
        raise OrtbenchError(f"--margin: expected a percentage in [0, 100), got {margin:.0%}")
    if not (math.isfinite(budget_s) and budget_s > 0):
        raise OrtbenchError(f"--budget: expected a positive number of seconds, got {budget_s}")
    ref = resolve(model or provenance.model["spec"])
    notes: list[str] = []
    won_sha = provenance.model["sha256"]
    if ref.sha256 != won_sha:
        what = (
            f"model: sha256 {ref.sha256[:12]} now ({ref.spec}), {won_sha[:12]} when "
            f"'{profile.name}' won ({provenance.model['spec']})"
        )
        if not compare_anyway:
            raise OrtbenchError(
                f"not the contest '{profile.name}' won: {what} (--compare-anyway measures it "
                "all the same)"
            )
        notes.append(f"compared anyway: {what}")
    inputs = spec_from_dict(provenance.inputs, f"{source}: provenance.inputs")
    beaten = profile_from_dict(provenance.beaten, source=f"{source}: provenance.beaten")
    contender = profile.copy()
    contender.provenance = None
    request = CompareRequest(
        model=ref.spec,
        profiles=[beaten, contender],
        interleave=True,
        margin=margin,
        save_history=save_history,
        until_decided=DecideSettings(budget_s=budget_s),
        inputs=inputs,
    )
    return Contest(request, ref, margin, notes)


class ProfileCheckJob:
    """The saved profile against the profile it beat, interleaved until decided."""

    def __init__(
        self,
        profile: Profile,
        source: str,
        model: str | None = None,
        margin: float | None = None,
        budget_s: float = DEFAULT_DECIDE_BUDGET_S,
        compare_anyway: bool = False,
        save_history: bool = True,
        hardware: dict[str, Any] | None = None,
        **targets: Any,
    ) -> None:
        self.started = time.perf_counter()
        contest = rerun_contest(
            profile, source, model, margin, budget_s, compare_anyway, save_history
        )
        assert profile.provenance is not None  # rerun_contest refused it otherwise
        self.profile, self.provenance = profile, profile.provenance
        self.margin, self.budget_s = contest.margin, budget_s
        self.model, self.notes = contest.model, contest.notes
        if hardware is None:
            from ..hardware import detect

            hardware = detect(probe_eps=False).to_dict()
        self.here = machine_fingerprint(hardware)
        self.differences = mismatch(self.provenance, self.here)
        self.run = start_compare(contest.request, **targets)

    def cancel(self) -> None:
        self.run.cancel()

    @property
    def cancelled(self) -> bool:
        return self.run.cancelled

    def result(self, finished: CompareFinished | None) -> ProfileCheckResult:
        pair = finished.comparison.pairs[0] if finished and finished.comparison.pairs else None
        return ProfileCheckResult(
            profile=self.profile,
            provenance=self.provenance,
            model=self.model,
            margin=self.margin,
            budget_s=self.budget_s,
            wall_s=time.perf_counter() - self.started,
            pair=pair,
            finished=finished,
            differences=list(self.differences),
            here=dict(self.here),
            notes=list(self.notes),
            cancelled=self.cancelled,
        )

    def partial(self, reason: str) -> ProfileCheckResult | None:
        """What was measured when the caller was interrupted (kept in history by compare)."""
        finished = self.run.partial(reason)
        return self.result(finished) if finished is not None else None

    def events(self) -> Iterator[Any]:
        for event in self.run.events():
            if isinstance(event, CompareFinished):
                yield self.result(event)
                return
            if isinstance(event, JobFailed) and self.cancelled:
                yield self.result(None)
                return
            yield event


def won_where(provenance: Provenance) -> str:
    """'sweep on sample:tiny, 2026-12-02, ORT 1.30.0 on ...'."""
    return (
        f"{provenance.found_by} on {provenance.model.get('spec')}, {provenance.date[:10]}, "
        f"{provenance.won_text()}"
    )


def here_text(here: dict[str, Any]) -> str:
    return f"ORT {here.get('ort_version')} on '{machine_text(here)}'"
