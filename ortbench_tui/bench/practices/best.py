"""The practices check turned into a profile: the base with every practice that won applied.

A practice is applied when its verdict is `faster` (the whole CI below 1 - margin): a row
whose CI crosses 1 is a tie with the base and is not applied. Practices that set the same key
(EXTENDED vs ALL, FP16 vs INT8) are alternatives: the faster one wins when their CIs do not
overlap; when they do, it is a tie and the milder change (the catalogue's first: EXTENDED,
FP16) is applied.
A precision row also needs its outputs to stay close to fp32 (cosine >= MIN_COSINE): a fast
INT8 with a cosine of 0.91 is not a win. The saved file's header says what was applied and
why, with the figures, and what was left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from ...profile import Profile, Provenance, save_profile
from ..verdict import Verdict
from .catalogue import PRACTICES
from .report import ARTICLE, PracticeRow, PracticesReport

MIN_COSINE = 0.999
"""The lowest cosine against fp32 at which a faster FP16/INT8 row is applied."""


def _why_not(row: PracticeRow) -> str | None:
    """None when the row is applied (before alternatives are weighed), else the reason."""
    if row.status != "measured":
        return row.status
    if row.verdict == Verdict.NO_CLEAR:
        return f"{Verdict.NO_CLEAR}: a tie with the base (CI {row.ratio_text()}), which is kept"
    if row.verdict != Verdict.FASTER:
        return row.verdict or "no verdict"
    practice = next((p for p in PRACTICES if p.key == row.key), None)
    if practice is None:
        return "not a profile setting"
    if practice.precision:
        if row.cosine is None:
            return "faster, but its accuracy was not measured"
        if row.cosine < MIN_COSINE:
            return f"faster, but cosine {row.cosine:.5f} < {MIN_COSINE} against fp32"
    return None


def choose_practices(
    report: PracticesReport,
) -> tuple[list[PracticeRow], list[tuple[PracticeRow, str]]]:
    """(the rows to apply, the rows left out with the reason for each)."""
    winners: dict[str, PracticeRow] = {}
    left_out: list[tuple[PracticeRow, str]] = []
    for row in report.rows:
        if not row.key:
            continue
        reason = _why_not(row)
        if reason is not None:
            left_out.append((row, reason))
            continue
        slot = row.toggles[0] if row.toggles else row.key
        other = winners.get(slot)
        if other is None:
            winners[slot] = row
        elif _tied(row, other):
            # Not told apart: the milder change (earlier in the catalogue) is kept.
            mild, strong = sorted((row, other), key=_catalogue_order)
            winners[slot] = mild
            left_out.append(
                (
                    strong,
                    f"a tie with {mild.number} {mild.practice} (their CIs overlap): "
                    f"{mild.number} is the milder change",
                )
            )
        elif (row.ratio or 1.0) < (other.ratio or 1.0):
            left_out.append((other, f"{row.number} {row.practice} was faster"))
            winners[slot] = row
        else:
            left_out.append((row, f"{other.number} {other.practice} was faster"))
    return list(winners.values()), left_out


def _catalogue_order(row: PracticeRow) -> int:
    """Alternatives are listed milder first (EXTENDED before ALL, FP16 before INT8)."""
    return next((i for i, p in enumerate(PRACTICES) if p.key == row.key), len(PRACTICES))


def _tied(a: PracticeRow, b: PracticeRow) -> bool:
    """Two alternatives, each decided faster than the base, that cannot be told apart from
    each other: their CIs overlap (or one has none)."""
    if None in (a.ci_low, a.ci_high, b.ci_low, b.ci_high):
        return True
    assert a.ci_low is not None and a.ci_high is not None  # for the type checker
    assert b.ci_low is not None and b.ci_high is not None
    return a.ci_low <= b.ci_high and b.ci_low <= a.ci_high


def best_profile(report: PracticesReport, base: Profile, name: str) -> tuple[Profile, str]:
    """(the base with the winning practices on, the header that says why)."""
    winners, left_out = choose_practices(report)
    profile = base.copy()
    for row in winners:
        practice = next(p for p in PRACTICES if p.key == row.key)
        profile = practice.on(profile)
    profile.name = name
    profile.description = f"{base.name} with the practices that measured faster on {report.model}"
    # A report without its model's sha256 (nothing measured) cannot name the contest.
    profile.provenance = _provenance(report, base, winners) if report.model_sha256 else None
    return profile, _header(report, base, winners, left_out)


def _provenance(report: PracticesReport, base: Profile, applied: list[PracticeRow]) -> Provenance:
    """The contest the saved profile won: against the base. Its ratio is known only when one
    practice was applied (that row measured exactly this pair); several applied together were
    never measured as a whole, which a re-check (`ortbench check --profile`) then does."""
    from ..provenance import build_provenance, inverted

    ratio = None
    if len(applied) == 1:
        row = applied[0]
        ratio = inverted(row.ratio, row.ci_low, row.ci_high)  # base / with the practice
    beaten = base.copy()
    beaten.provenance = None
    return build_provenance(
        found_by="practices",
        model=report.model,
        model_sha256=report.model_sha256,
        hardware=report.hardware,
        inputs_spec=report.inputs_spec,
        beaten=beaten,
        beaten_label=f"base profile {base.name}",
        margin=report.margin,
        decided=bool(applied),
        ratio=(ratio[0], ratio[1], ratio[2]) if ratio is not None else None,
    )


def _figures(row: PracticeRow) -> str:
    accuracy = f", {row.accuracy_text()}" if row.accuracy_text() else ""
    return f"{row.ratio_text()}{accuracy}"


def _header(
    report: PracticesReport,
    base: Profile,
    applied: Iterable[PracticeRow],
    left_out: list[tuple[PracticeRow, str]],
) -> str:
    rows = list(applied)
    lines = [
        f"Written by `ortbench practices --save-best` on {dt.date.today().isoformat()}:",
        f"base profile {base.name}, model {report.model}; practices from {ARTICLE}.",
        "Ratio = median with the practice / median without (below 1 is faster), 95% CI;",
        f"applied when the whole CI is below 1 - {report.margin:.0%} (verdict faster).",
        "",
        "Applied:" if rows else "Applied: none (no practice was clearly faster here).",
    ]
    lines += [f"  {r.number} {r.practice} ({', '.join(r.toggles)}): {_figures(r)}" for r in rows]
    if left_out:
        lines.append("Not applied:")
        lines += [f"  {r.number} {r.practice}: {why}" for r, why in left_out]
    return "\n".join(lines)


def save_best(
    report: PracticesReport,
    base: Profile,
    path: str | Path,
    overwrite: bool = False,
    based_on: str | Path | None = None,
) -> Path:
    """Write the best profile atomically (see `best_profile`); `based_on` keeps the base
    file's comments. An existing file is replaced only when `overwrite` is true."""
    path = Path(path)
    profile, header = best_profile(report, base, path.stem)
    return save_profile(profile, path, overwrite=overwrite, header=header, based_on=based_on)
