"""From finished runs to a comparison: one result per profile, the sample sets, the verdicts.

Interleaved runs give blocks per session and round; sequential runs give whole runs. Either
way each profile's sessions are merged into one result (saved to the history when asked)
and the comparison is built on the sessions as the bootstrap resamples them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ...errors import OrtbenchError
from ...profile import profile_to_dict
from ..protocol import InterleavedFinal, RunFinal, SessionMeta
from ..result_record import RunResult, given, record_dict
from ..run_eta import capped_warning, count_cap_s, is_capped_warning
from ..run_inputs import shape_mismatch_warning, shapes_of, shapes_text
from ..runner import Finished, RunHandle
from .bootstrap import SampleSet, sequential_set
from .model import build_comparison
from .request import CompareFinished, CompareRequest
from .stream import SessionStream

MACHINE_WARNINGS = ("shared cores", "busy machine", "CPU frequency")
"""Result warnings about the machine: said once for a comparison, not once per profile."""


@dataclass
class Collector:
    """What every result of one comparison shares."""

    request: CompareRequest
    model_path: Path
    model_sha256: str
    run_id: str
    names: list[str]
    mode: str
    calls_alternated: bool = False
    """Interleaved: the child alternated each group's profiles call by call (its Schedule
    says so); a pair's sessions are then resampled together."""

    def interleaved(
        self,
        units: list[tuple[int, int]],
        metas: list[SessionMeta],
        streams: list[SessionStream],
        done: InterleavedFinal,
        warnings: list[str],
    ) -> CompareFinished:
        """`streams`: per unit, its samples as they came (read back here from its store)."""
        from ..results import build_result

        req = self.request
        complete = min(x.rounds for x in streams)
        finals = done.finals
        adaptive = req.until_decided is not None or req.own_rounds
        cancelled = done.cancelled
        first = req.profiles[0].run  # its run length is every profile's
        cap = 0.0 if req.until_decided is not None or cancelled else count_cap_s(first)
        sets: list[SampleSet | None] = []
        results: list[RunResult | None] = []
        flats = []
        for p, profile in enumerate(req.profiles):
            mine = [u for u, (_, q) in enumerate(units) if q == p]
            # Until decided, a decided profile stops early: each keeps its own rounds (a
            # pair is resampled on the rounds both have, the same indices, the same time).
            mine_complete = min(streams[u].rounds for u in mine) if adaptive else complete
            sessions = [streams[u].blocks(mine_complete) for u in mine]
            s = (
                SampleSet(sessions, True, self.run_id, calls_alternated=self.calls_alternated)
                if mine_complete
                else None
            )
            flat = s.flat() if s else np.empty(0, dtype=np.int64)
            unit_finals = [finals[u] for u in mine]
            final = merge_finals(unit_finals)
            notes = [
                f"interleaved: {len(units)} sessions in one process ({len(mine)} of this "
                "profile); rss_peak_mb covers all of them"
            ]
            if cap and flat.size < first.timed_runs:  # the cap, not the count, ended it
                notes.append(capped_warning(int(flat.size), first.timed_runs, cap))
            final = replace(final, warnings=[*final.warnings, *notes])
            result = build_result(
                model_spec=req.model,
                model_path=self.model_path,
                model_sha256=self.model_sha256,
                profile=profile,
                meta=metas[mine[0]],  # carries the worker's hardware view
                final=final,
                samples_ns=flat,
            )
            result.comparison = {
                "mode": "interleaved",
                "alternation": "call" if self.calls_alternated else "block",
                "run_id": self.run_id,
                "profile_index": p,
                "sessions": len(mine),
                "session_runs": [int(x.size) for x in sessions],
                "rounds": mine_complete,
                "block_runs": int(sessions[0].shape[1]) if mine_complete else 0,
                "session_first_run_ms": [f.first_run_ms for f in unit_finals],
                "session_create_ms": [metas[u].get("session_create_ms") for u in mine],
                # the whole run's wait for spinning pool workers to park between blocks
                "pools_settled_s": round(done.settle_s, 3),
                "renewed_first_run_ms": [
                    f
                    for u in mine
                    if u < len(done.renewed_first_ms)
                    for f in done.renewed_first_ms[u]
                ],
            }
            sets.append(s)
            results.append(result)
            flats.append(flat)
            warnings += round_shifts(self.names[p], sessions) if mine_complete else []
        if cancelled:
            warnings.append(f"cancelled: compared on the {complete} complete rounds")
        if complete and complete < 10 and not adaptive:
            warnings.append(f"only {complete} rounds: the CI rests on few blocks; run longer")
        return self.finished(results, flats, sets, warnings)

    def sequential(
        self, per_profile: list[list[tuple[RunHandle, Finished]]], cancelled: bool
    ) -> CompareFinished:
        from ..results import build_result

        req = self.request
        warnings = [
            "sequential runs: drift between the runs is part of the difference; "
            "--interleave makes the verdict robust to it"
        ]
        if cancelled:
            warnings.append("cancelled: compared on the runs that were made")
        results: list[RunResult | None] = []
        flats: list[np.ndarray] = []
        sets: list[SampleSet | None] = []
        for p, profile in enumerate(req.profiles):
            runs = per_profile[p]
            if not runs:
                results.append(None)
                flats.append(np.empty(0, dtype=np.int64))
                sets.append(None)
                continue
            samples = [f.samples_ns for _, f in runs]
            flat = np.concatenate(samples)
            # A run killed after its stop sent no final: it counts as one that sent nothing.
            finals = [h.final or RunFinal(None, 0.0, False) for h, _ in runs]
            final = merge_finals(finals)
            # Each session stops at its share of the cap (split_count): the profile's line
            # says it once, for all its runs against its whole cap.
            if any(is_capped_warning(w) for w in final.warnings):
                line = capped_warning(int(flat.size), profile.run.timed_runs,
                                      count_cap_s(profile.run))  # fmt: skip
                kept = [w for w in final.warnings if not is_capped_warning(w)]
                final = replace(final, warnings=[*kept, line])
            result = build_result(
                model_spec=req.model,
                model_path=self.model_path,
                model_sha256=self.model_sha256,
                profile=profile,
                meta=runs[0][0].meta,
                final=final,
                samples_ns=flat,
                hardware=record_dict(runs[0][1].result).get("hardware"),
            )
            result.comparison = {
                "mode": "sequential",
                "run_id": self.run_id,
                "profile_index": p,
                "sessions": len(runs),
                "session_runs": [int(x.size) for x in samples],
                "session_first_run_ms": [f.first_run_ms for f in finals],
                "session_create_ms": [h.meta.get("session_create_ms") for h, _ in runs],
            }
            results.append(result)
            flats.append(flat)
            sets.append(sequential_set(samples))
        return self.finished(results, flats, sets, warnings)

    def finished(
        self,
        results: list[RunResult | None],
        flats: list[np.ndarray],
        sets: list[SampleSet | None],
        warnings: list[str],
    ) -> CompareFinished:
        """The comparison of the profiles' records (None for a profile that ran nothing),
        then each record kept in history (a warning when it cannot be)."""
        req = self.request
        summaries = [
            {
                "first_run_ms": given(r.first_run_ms, None) if r is not None else None,
                "status": r.run_status() if r is not None else "missing",
                "sessions": req.sessions,
            }
            for r in results
        ]
        warnings = warnings + summarize_warnings(results, self.names)
        measured = [r for r in results if r is not None]
        mismatch = shape_mismatch_warning(self.names, measured)
        if mismatch:
            warnings.append(mismatch)
        comp = build_comparison(
            mode=self.mode,
            names=self.names,
            sets=sets,
            summaries=summaries,
            profiles=[profile_to_dict(p) for p in req.profiles],
            margin=req.margin,
            reps=req.reps,
            seed=req.seed,
            warnings=warnings,
            model=req.model,
            hardware=next((h for h in (r.hardware_dict() for r in measured) if h), {}),
        )
        comp.inputs = [shapes_text(shapes_of(r)) if r is not None else "" for r in results]
        paths: list[str] = []
        if req.save_history:
            from ..results import save_to_history

            for r, flat in zip(results, flats, strict=True):
                if r is not None and flat.size:
                    try:
                        path = save_to_history(r, flat)
                    except OrtbenchError as exc:  # the comparison stands; history is extra
                        comp.warnings.append(f"not kept in history: {exc}")
                        continue
                    r.history_path = str(path)
                    paths.append(str(path))
        return CompareFinished(comp, results, flats, paths, sets)


def round_shifts(name: str, sessions: list[np.ndarray]) -> list[str]:
    """Sudden shifts in one profile's per-round medians (every session's block of a round
    together), for the warnings: another process took a core mid-comparison."""
    from ..drift import describe_shifts, find_shifts

    medians = [
        float(np.median(np.concatenate([x[r] for x in sessions]))) for r in range(len(sessions[0]))
    ]
    lines = describe_shifts(find_shifts(medians))
    return [f"{name}: {line.replace('batch', 'round')}" for line in lines]


def summarize_warnings(results: list[RunResult | None], names: list[str]) -> list[str]:
    """The results' warnings for a comparison: machine ones once, instability in one line."""
    out: list[str] = []
    unstable = []
    capped: list[tuple[str, str]] = []
    for r, name in zip(results, names, strict=True):
        if r is None:
            continue
        for w in r.warning_texts():
            if w.startswith(MACHINE_WARNINGS):
                text = w
            elif w.startswith("unstable"):
                unstable.append(f"{name} {given(r.cv, 0):.0%}")
                continue
            elif is_capped_warning(w):
                capped.append((name, w))
                continue
            elif w.startswith(("FALLBACK", "failed")):
                text = f"{name}: {w}"
            else:
                continue
            if text not in out:
                out.append(text)
    if unstable:
        out.insert(
            0,
            "unstable: coefficient of variation above 10% ("
            + ", ".join(unstable)
            + "); close other work, pin the worker (run.pin_cpus) or run longer",
        )
    # The time cap: one line when every profile stopped alike (interleaved), else per profile.
    alike = len(capped) == len([r for r in results if r is not None])
    alike = alike and len({w for _, w in capped}) == 1
    if capped and alike:
        out.append(capped[0][1])
    else:
        out += [f"{name}: {w}" for name, w in capped]
    return out


def merge_finals(finals: list[RunFinal]) -> RunFinal:
    """The worker figures of several sessions of one profile, as one run's."""
    warnings: list[str] = []
    for f in finals:
        for w in f.warnings:
            if w not in warnings:
                warnings.append(w)
    rss = [float(f.rss_peak_mb) for f in finals if f.rss_peak_mb is not None]
    gpu = [float(f.gpu_mem_peak_mb) for f in finals if f.gpu_mem_peak_mb is not None]
    notes = [str(f.gpu_mem_note) for f in finals if f.gpu_mem_note]
    # Every session of a profile runs the same derived model on the same inputs: one
    # session's accuracy against fp32 is the profile's.
    accuracy = next((f.accuracy for f in finals if f.accuracy), None)
    return RunFinal(
        first_run_ms=finals[0].first_run_ms if finals else None,
        wall_s=float(sum(f.wall_s or 0.0 for f in finals)),
        cancelled=any(f.cancelled for f in finals),
        rss_peak_mb=max(rss) if rss else None,
        gpu_mem_peak_mb=max(gpu) if gpu else None,
        gpu_mem_note=None if gpu else (notes[0] if notes else None),
        warnings=warnings,
        accuracy=accuracy,
    )
