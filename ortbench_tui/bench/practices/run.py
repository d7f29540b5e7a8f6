"""The practices check as a run: every fp32 profile it needs, measured together in one
interleaved child (see `bench.compare`), so every row meets the same machine weather;
FP16/INT8 go through the normal runner (a derived model per precision), as runs made one
after the other.

Rows that cannot be measured here say why: "not applicable here" (no working GPU EP for
the GPU-only practices) or, when the caller leaves the precision rows out, that reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ...inputs.spec import InputSpec
from ...profile import Profile, profile_to_dict
from ..compare import (
    DEFAULT_MARGIN,
    CompareFinished,
    CompareProgress,
    CompareRequest,
    CompareRun,
)
from ..compare.until import DecideSettings
from ..job import JobFailed, JobProgress, drive, eta_from_fraction
from ..level_bootstrap import LOOK_REPS
from ..result_record import record_dict
from .catalogue import GPU_EPS, PRACTICES, Practice, all_together
from .report import PracticeRow, PracticesReport
from .rows import apply_decided, decided_pairs, fill_accuracy, fill_ratio, fill_warm_up

DECIDE_BUDGET_S = 60.0
"""The fp32 rows' budget of timed rounds when the check decides them (its default): the
rows with a clear effect are decided in seconds and leave the rounds, the close calls get the
rest; a fixed length (`--duration`/`--runs`) left ~1.5x differences undecided on a 2-core VM."""
NOT_APPLICABLE = "not applicable here"
NOT_YET = "not yet available"


@dataclass
class PracticesRequest:
    model: str
    base: Profile
    sessions: int = 3
    margin: float = DEFAULT_MARGIN
    working_providers: list[str] | None = None
    """EPs that load here (None: probe them)."""
    precision_available: bool | None = None
    """False leaves the FP16/INT8 rows out; None or True measures them."""
    precision_reason: str = ""
    """Why the precision rows are left out, when `precision_available` is False."""
    gpu_detail: str = ""
    """Why the CUDA EP does not work, when `working_providers` is given (the TUI knows it
    from `detect_isolated`; probing here would redirect fd 2 under the UI)."""
    inputs: InputSpec = field(default_factory=InputSpec)
    """The model's input shapes and values, the same for every practice."""
    until_decided: DecideSettings | None = None
    """Measure the fp32 rows until each row's off/on pair is decided (`compare.until`):
    decided rows stop early and the budget goes to the close calls."""


@dataclass(frozen=True)
class PracticesProgress(JobProgress):
    """The check's progress; `detail` names the measurement running now."""

    step: int = 1
    """Which measurement of the check this is (the fp32 rows together, then each precision)."""
    steps: int = 1
    rows: tuple[str, ...] = ()
    """The numbers of the rows being timed now ("5", "7a"), for a UI to mark them."""

    def line(self) -> str:
        """`step 1 of 3 · timed 9/40 · 3.2 s · ETA 20 s · 9 profiles, interleaved`."""
        return f"step {self.step} of {self.steps} · {super().line()}"


def _gpu_reason(working: list[str], probe: bool) -> tuple[str | None, str]:
    """(None when a GPU EP works here, else the row's short reason; the probe's own words)."""
    if any(ep in working for ep in GPU_EPS):
        return None, ""
    why = ""
    if probe:
        from ...hardware import probe_providers

        why = next(
            (p.reason for p in probe_providers() if p.name == "CUDAExecutionProvider"),
            "not listed",
        )
    return "no working CUDA EP here (see `ortbench detect`)", why


def _key(profile: Profile) -> str:
    d = profile_to_dict(profile)
    d.pop("name", None)
    d.pop("description", None)
    return json.dumps(d, sort_keys=True, default=str)


class PracticesRun:
    """Iterate `events()`: PracticesProgress ..., then PracticesReport or JobFailed."""

    def __init__(self, request: PracticesRequest, **targets: Any) -> None:
        from ...samples import resolve_model

        resolve_model(request.model)  # a bad path fails here, before any process starts
        self.request = request
        self.targets = targets
        working = request.working_providers
        if working is None:
            from ...hardware import probe_providers

            working = [p.name for p in probe_providers() if p.works]
        self.working = working
        self.gpu_reason, self.gpu_detail = _gpu_reason(working, request.working_providers is None)
        self.gpu_detail = self.gpu_detail or request.gpu_detail
        self.precision_word = NOT_YET
        if request.precision_available is False and request.precision_reason:
            self.precision_word = "left out"
        self.precision_ok = request.precision_available is not False
        self.precision_reason = (
            "" if self.precision_ok else request.precision_reason or "precision rows off"
        )
        if self.precision_ok:
            # Imported here so that a broken precision module fails the check loudly.
            from ... import precision  # noqa: F401
        self._current: CompareRun | None = None
        self._cancelled = False
        self.started = time.perf_counter()
        self._measured: Callable[[str], PracticesReport | None] = lambda reason: None
        """What `partial` builds from: set by `events` once the rows are planned."""

    def cancel(self) -> None:
        self._cancelled = True
        if self._current is not None:
            self._current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def _eta(
        self, step: tuple[int, int], step_elapsed_s: float, step_eta_s: float | None
    ) -> float | None:
        """The steps left as long as those so far, the current one as its comparison says."""
        if step_eta_s is None:
            return None
        done_in_step = step_elapsed_s / (step_elapsed_s + step_eta_s) if step_eta_s else 1.0
        number, steps = step
        fraction = (number - 1 + done_in_step) / steps
        return eta_from_fraction(time.perf_counter() - self.started, fraction)

    def _measure(
        self,
        profiles: list[Profile],
        interleave: bool,
        label: str,
        step: tuple[int, int],
        rows_of: Callable[[int | None], tuple[str, ...]],
        decide: list[tuple[int, int]] | None = None,
    ) -> Iterator[PracticesProgress | JobFailed | CompareFinished]:
        req = self.request
        run = CompareRun(
            CompareRequest(
                req.model,
                profiles,
                interleave=interleave,
                sessions=req.sessions,
                reps=LOOK_REPS,
                inputs=req.inputs,
                margin=req.margin,
                until_decided=req.until_decided if decide else None,
                decide_pairs=decide,
            ),
            **self.targets,
        )
        self._current = run
        if self._cancelled:
            run.cancel()
        for ev in run.events():
            if isinstance(ev, CompareProgress):
                yield PracticesProgress(
                    ev.phase,
                    ev.done,
                    ev.total,
                    ev.elapsed_s,
                    self._eta(step, ev.elapsed_s, ev.eta_s),
                    label,
                    *step,
                    rows_of(ev.profile),
                )
            else:
                yield ev
        self._current = None

    def events(self) -> Iterator[PracticesProgress | PracticesReport | JobFailed]:
        req = self.request
        base = req.base.copy()
        gpu = self.gpu_reason is None
        baseline = base.copy()
        baseline.name = "base"
        # The fp32 profiles, deduplicated: many practices share the base as one side.
        profiles: list[Profile] = []
        index: dict[str, int] = {}

        def slot(p: Profile, name: str) -> int:
            k = _key(p)
            if k not in index:
                p = p.copy()
                p.name = name
                index[k] = len(profiles)
                profiles.append(p)
            return index[k]

        slot(baseline, "base")
        rows: list[PracticeRow] = []
        pairs: dict[int, tuple[int, int]] = {}
        precision_rows: list[tuple[int, Practice]] = []
        for practice in PRACTICES:
            row = PracticeRow(
                practice.number,
                practice.title,
                practice.compared,
                "measured",
                key=practice.key,
                toggles=list(practice.keys),
            )
            if practice.gpu and not gpu:
                row.status, row.reason = NOT_APPLICABLE, self.gpu_reason or ""
            elif practice.precision:
                if not self.precision_ok:
                    row.status, row.reason = self.precision_word, self.precision_reason
                else:
                    precision_rows.append((len(rows), practice))
            else:
                off, on = practice.off(base), practice.on(base)
                pairs[len(rows)] = (
                    slot(off, f"{practice.key}-off"),
                    slot(on, f"{practice.key}-on"),
                )
            rows.append(row)
        warm_row = len(rows)
        rows.append(PracticeRow("8", "warm-up", "steady-state median vs first run", "measured"))
        together_row = len(rows)
        rows.append(
            PracticeRow(
                "all",
                "all together",
                "every applicable practice vs the base"
                + (" (GPU practices included)" if gpu else ""),
                "measured",
            )
        )
        pairs[together_row] = (0, slot(all_together(base, gpu), "all-together"))

        steps = 1 + len(precision_rows)
        slot_rows: dict[int, list[str]] = {}
        for i, pair in pairs.items():
            for s in set(pair):
                slot_rows.setdefault(s, []).append(rows[i].number)
        everything = tuple(rows[i].number for i in sorted(pairs))

        def fp32_rows(profile: int | None) -> tuple[str, ...]:
            return tuple(slot_rows.get(profile, everything)) if profile is not None else everything

        decide = None
        if req.until_decided is not None:
            decide = sorted({(a, b) for a, b in pairs.values() if a != b})
        finished: CompareFinished | None = None

        def fill_fp32(finished: CompareFinished) -> tuple[str, list[str]]:
            sets = finished.sets
            method = ""
            decided = decided_pairs(finished)
            for i, (a, b) in pairs.items():
                fill_ratio(rows[i], sets[a], sets[b], req.margin)
                if (a, b) in decided and rows[i].verdict is not None:
                    apply_decided(rows[i], decided[(a, b)], finished.comparison.method)
                method = method or rows[i].method
            fill_warm_up(rows[warm_row], finished.results[0], sets[0])
            warnings = list(finished.comparison.warnings)
            if self.gpu_reason and self.gpu_detail:
                warnings.append(f"GPU rows: the CUDA EP does not work here: {self.gpu_detail}")
            return method, warnings

        report_notes: tuple[str, list[str]] | None = None

        def measured(reason: str) -> PracticesReport | None:
            main = finished
            if main is None:  # interrupted during the fp32 comparison: its rounds so far
                current = self._current
                main = current.partial(reason) if current is not None else None
                if main is None:
                    return None
            method, warnings = report_notes or fill_fp32(main)
            return self._report(main, rows, method, [*warnings, f"cancelled: {reason}"], True)

        self._measured = measured
        label = f"{len(profiles)} profiles, interleaved" + (", until decided" if decide else "")
        for ev in self._measure(profiles, True, label, (1, steps), fp32_rows, decide):
            if isinstance(ev, JobFailed):
                yield ev
                return
            if isinstance(ev, CompareFinished):
                finished = ev
            else:
                yield ev
        if finished is None:
            yield JobFailed("run", "the measurement stopped without a result", None)
            return
        report_notes = method, warnings = fill_fp32(finished)
        for n, (i, practice) in enumerate(precision_rows, start=2):
            ref, var = practice.off(base), practice.on(base)
            ref.name, var.name = "fp32", practice.precision
            pre: CompareFinished | None = None
            for ev in self._measure(
                [ref, var],
                False,
                f"{practice.precision} (normal runner)",
                (n, steps),
                _only(rows[i].number),
            ):
                if isinstance(ev, JobFailed):
                    rows[i].status, rows[i].reason = "failed", ev.message.splitlines()[0]
                    break
                if isinstance(ev, CompareFinished):
                    pre = ev
                else:
                    yield ev
            if pre is not None:
                fill_ratio(rows[i], pre.sets[0], pre.sets[1], req.margin)
                rows[i].method += "; runs made one after the other"
                fill_accuracy(rows[i], pre.results[1] if len(pre.results) > 1 else None)
            if self._cancelled:
                break
        yield self._report(finished, rows, method, warnings, False)

    def _report(
        self,
        finished: CompareFinished,
        rows: list[PracticeRow],
        method: str,
        warnings: list[str],
        cancelled: bool,
    ) -> PracticesReport:
        # The report is JSON: the base's machine and inputs go in as the result file has them.
        first = finished.results[0] if finished.results else None
        base = record_dict(first) if first is not None else {}
        return PracticesReport(
            model=self.request.model,
            base_name=self.request.base.name,
            rows=rows,
            method=method,
            margin=self.request.margin,
            warnings=warnings,
            hardware=base.get("hardware") or {},
            inputs=base.get("inputs") or [],
            status="cancelled" if cancelled else "ok",
            model_sha256=str((base.get("model") or {}).get("sha256", "")),
            inputs_spec=self.request.inputs.to_dict(),
        )

    def partial(self, reason: str) -> PracticesReport | None:
        """The rows measured when the events stopped early (Ctrl-C, SIGTERM or SIGHUP unwound
        the caller), marked cancelled; None when nothing was measured yet."""
        self._cancelled = True
        return self._measured(reason)


def _only(number: str) -> Callable[[int | None], tuple[str, ...]]:
    return lambda _profile: (number,)


def run_practices(
    request: PracticesRequest, on_event: Callable[[Any], None] | None = None
) -> PracticesReport:
    """Run to the end; raise OrtbenchError for bad input, RunFailed for a failed run."""
    return drive(PracticesRun(request), PracticesReport, on_event, "practices check")
