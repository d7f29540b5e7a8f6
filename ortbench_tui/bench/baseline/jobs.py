"""The two baseline jobs: measure a baseline (`baseline save`) and check against one (`check`).

Both are jobs of the one shape (`bench.job`): JobProgress with an ETA, then their result or
a JobFailed. Units run one after another in child processes (`units.UnitRunner`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import OrtbenchError
from ...hardware.machine import machine_fingerprint
from ...inputs.spec import InputSpec, spec_from_dict
from ...profile import Profile, profile_from_dict
from ..job import JobFailed, JobProgress, eta_from_fraction
from .decide import DEFAULT_MARGIN, LOOKS, CheckVerdict, Outcome, decide
from .store import Baseline
from .units import Unit, UnitPlan, UnitRunner, UnitTarget

DEFAULT_UNITS = 8
"""Units in a new baseline: its spread then has 7 degrees of freedom."""
DEFAULT_BUDGET_S = 120.0
"""Wall time a check may take by default, set-up included."""


@dataclass
class ModelRef:
    spec: str
    path: Path
    sha256: str
    name: str


def resolve(spec: str) -> ModelRef:
    from ...models import file_sha256
    from ...samples import resolve_model

    path = resolve_model(spec)
    name = spec if spec.startswith("sample:") else path.stem
    return ModelRef(spec, path, file_sha256(path), name)


@dataclass
class UnitsMeasured:
    """The closing event of a baseline measurement."""

    model: ModelRef
    profile: Profile
    inputs: InputSpec
    plan: UnitPlan
    units: list[Unit]
    wall_s: float
    cancelled: bool = False


class BaselineJob:
    """Measure `units` units of a model with a profile (a new baseline)."""

    def __init__(
        self,
        model: str,
        profile: Profile,
        inputs: InputSpec,
        units: int = DEFAULT_UNITS,
        plan: UnitPlan | None = None,
        target: UnitTarget | None = None,
    ) -> None:
        if units < 2:
            raise OrtbenchError(f"--units: a baseline needs at least 2 units, got {units}")
        self.model = resolve(model)
        self.profile, self.inputs, self.count = profile, inputs, units
        self.plan = plan or UnitPlan()
        self.runner = UnitRunner(self.model.path, profile, inputs, self.plan, target)

    def cancel(self) -> None:
        self.runner.cancel()

    @property
    def cancelled(self) -> bool:
        return self.runner.cancelled

    def events(self) -> Iterator[Any]:
        started = time.perf_counter()
        units: list[Unit] = []
        while len(units) < self.count and not self.cancelled:
            for event in self.runner.run_unit():
                elapsed = time.perf_counter() - started
                if isinstance(event, JobProgress):
                    inside = event.fraction or 0.0
                    fraction = (len(units) + inside) / self.count
                    yield JobProgress(
                        f"unit {len(units) + 1}/{self.count} {event.phase}",
                        len(units) + inside,
                        self.count,
                        elapsed,
                        eta_from_fraction(elapsed, fraction),
                    )
                elif isinstance(event, Unit):
                    units.append(event)
                elif isinstance(event, JobFailed):
                    if self.cancelled:
                        break
                    yield event
                    return
        wall = time.perf_counter() - started
        if len(units) < 2:
            yield JobFailed("run", "cancelled before two units were measured: nothing kept")
            return
        yield UnitsMeasured(
            self.model, self.profile, self.inputs, self.plan, units, wall, self.cancelled
        )


@dataclass
class CheckResult:
    """The closing event of a check."""

    baseline: Baseline
    model: ModelRef
    verdict: CheckVerdict | None
    """None when the budget ended before the 2 units a verdict needs."""
    units: list[Unit]
    wall_s: float
    budget_s: float
    differences: list[str]
    notes: list[str] = field(default_factory=list)
    cancelled: bool = False

    @property
    def exit_code(self) -> int:
        if self.verdict is None:
            return Outcome.UNDECIDED.exit_code
        return self.verdict.outcome.exit_code

    def reason(self) -> str:
        if self.verdict is None:
            return (
                f"only {len(self.units)} unit(s) fit in the {self.budget_s:g} s budget; a "
                "verdict needs at least 2: give a longer --budget"
            )
        if self.verdict.outcome is Outcome.UNDECIDED:
            return self.verdict.why_undecided()
        return ""


def differences(
    baseline: Baseline, model: ModelRef, inputs: InputSpec, hardware: dict[str, Any]
) -> tuple[list[str], list[str]]:
    """What differs from the baseline: (refusing differences, notes). A different ORT version
    is what a check is for, so it is a note; a different model, inputs or machine refuse."""
    record = baseline.record
    refuse: list[str] = []
    notes: list[str] = []
    if model.sha256 != baseline.model_sha256:
        refuse.append(
            f"model: sha256 {model.sha256[:12]} now, {baseline.model_sha256[:12]} in the "
            f"baseline ({record['model'].get('path')})"
        )
    if inputs.to_dict() != (record.get("inputs_spec") or {}):
        refuse.append(
            f"inputs: {inputs.to_dict() or 'model defaults'} now, "
            f"{record.get('inputs_spec') or 'model defaults'} in the baseline"
        )
    now, then = machine_fingerprint(hardware), record["fingerprint"]
    machine = [
        f"{k} {then.get(k)!r} -> {now.get(k)!r}"
        for k in ("cpu_model", "physical_cores", "logical_cores", "gpus", "gpu_driver")
        if then.get(k) != now.get(k)
    ]
    if machine:
        refuse.append("machine: " + "; ".join(machine))
    if then.get("ort_version") != now.get("ort_version"):
        notes.append(f"ORT {then.get('ort_version')} in the baseline, {now.get('ort_version')} now")
    return refuse, notes


class CheckJob:
    """Measure the baseline's model, profile and inputs again until the rule decides, the
    budget (wall time, set-up included) is spent, or LOOKS runs out."""

    def __init__(
        self,
        baseline: Baseline,
        model: str | None = None,
        margin: float = DEFAULT_MARGIN,
        budget_s: float = DEFAULT_BUDGET_S,
        compare_anyway: bool = False,
        inputs: InputSpec | None = None,
        hardware: dict[str, Any] | None = None,
        target: UnitTarget | None = None,
    ) -> None:
        if not (math.isfinite(margin) and 0 <= margin < 1):
            raise OrtbenchError(f"--margin: expected a percentage in [0, 100), got {margin:.0%}")
        if not (math.isfinite(budget_s) and budget_s > 0):
            raise OrtbenchError(f"--budget: expected a positive number of seconds, got {budget_s}")
        record = baseline.record
        self.started = time.perf_counter()
        self.baseline, self.margin, self.budget_s = baseline, margin, budget_s
        self.model = resolve(model or str(record["model"]["spec"]))
        self.inputs = (
            inputs
            if inputs is not None
            else spec_from_dict(
                record.get("inputs_spec") or {}, f"baseline '{baseline.name}' inputs_spec"
            )
        )
        self.profile = profile_from_dict(
            record["profile"], source=f"baseline '{baseline.name}' profile"
        )
        if hardware is None:
            from ...hardware import detect

            hardware = detect(probe_eps=False).to_dict()
        self.differences, self.notes = differences(baseline, self.model, self.inputs, hardware)
        if self.differences and not compare_anyway:
            raise OrtbenchError(
                f"not comparable with baseline '{baseline.name}': "
                + "; ".join(self.differences)
                + " (--compare-anyway measures it all the same)"
            )
        plan_data = record["plan"]
        plan = UnitPlan(int(plan_data["sessions"]), float(plan_data["seconds"]))
        self.runner = UnitRunner(self.model.path, self.profile, self.inputs, plan, target)

    def cancel(self) -> None:
        self.runner.cancel()

    @property
    def cancelled(self) -> bool:
        return self.runner.cancelled

    def _result(self, units: list[Unit], verdict: CheckVerdict | None) -> CheckResult:
        notes = list(self.notes)
        if self.differences:
            notes += [f"compared anyway: {d}" for d in self.differences]
        return CheckResult(
            self.baseline,
            self.model,
            verdict,
            units,
            time.perf_counter() - self.started,
            self.budget_s,
            self.differences,
            notes,
            self.cancelled,
        )

    def events(self) -> Iterator[Any]:
        units: list[Unit] = []
        verdict: CheckVerdict | None = None
        base = self.baseline.log_values
        unit_cost: float | None = None
        for look in LOOKS:
            while len(units) < look:
                elapsed = time.perf_counter() - self.started
                if unit_cost is not None and elapsed + unit_cost > self.budget_s:
                    # The budget ends the check: one last look at what was measured.
                    if len(units) >= 2 and (verdict is None or verdict.units != len(units)):
                        verdict = decide(base, [u.log_value for u in units], self.margin)
                    yield self._result(units, verdict)
                    return
                unit_started = time.perf_counter()
                for event in self.runner.run_unit():
                    elapsed = time.perf_counter() - self.started
                    if isinstance(event, JobProgress):
                        yield JobProgress(
                            f"unit {len(units) + 1} {event.phase}",
                            elapsed,
                            self.budget_s,
                            elapsed,
                            max(0.0, self.budget_s - elapsed),
                            verdict.sentence() if verdict else "",
                        )
                    elif isinstance(event, Unit):
                        units.append(event)
                    elif isinstance(event, JobFailed):
                        if self.cancelled:
                            yield self._result(units, verdict)
                        else:
                            yield event
                        return
                if self.cancelled:
                    yield self._result(units, verdict)
                    return
                took = time.perf_counter() - unit_started
                unit_cost = took if unit_cost is None else max(unit_cost, took)
            verdict = decide(base, [u.log_value for u in units], self.margin)
            if verdict.outcome is not Outcome.UNDECIDED:
                break
        yield self._result(units, verdict)
