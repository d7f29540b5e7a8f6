"""A sweep as terminal text, Markdown and CSV."""

from __future__ import annotations

import csv
import io
from typing import NamedTuple

from ...text import aligned_table, format_ms, md_table
from .grid import Candidate
from .result import SweepResult, rank

SWEEP_HEADER = ("rank", "#", "settings", "median", "95% CI", "vs best", "runs", "status")


def _status_text(c: Candidate) -> str:
    if c.skip:
        return f"skipped: {c.skip}"
    if c.status == "out":
        # Out on its median only: its CI did not tell it from the round's best.
        return f"out in round {c.out_round}" + (" (a tie)" if c.tied else "")
    return c.status


class SweepRow(NamedTuple):
    """One candidate's cells, in the text table's order (SWEEP_HEADER); faces pick by name."""

    rank: str
    number: str
    settings: str
    median: str
    ci: str
    vs_best: str
    runs: str
    status: str


def sweep_rows(candidates: list[Candidate]) -> list[SweepRow]:
    rows: list[SweepRow] = []
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
            SweepRow(
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
    return "\n".join(aligned_table([SWEEP_HEADER, *sweep_rows(candidates)], set(), indent=""))


def format_sweep(result: SweepResult) -> str:
    lines = [format_table(result.candidates), ""]
    w = result.winner
    if w is not None and result.decided:
        lines.append(f"best: #{w.index} {w.label} (median {format_ms(w.median_ms)})")
    elif w is not None:
        lines.append(result.tie_text())
    lines.append(
        f"successive halving, eta {result.eta}: "
        + " -> ".join(str(n) for n in result.plan[: result.rounds_done])
        + f" -> 1 in {result.rounds_done} rounds, {result.elapsed_s:.1f} s of a "
        f"{result.budget_s:g} s budget"
    )
    lines.append("'vs best' = median / the round's best median, same interleaved round")
    lines.append(f"CI: {result.method}")
    lines += [f"#{c.index}: {c.decided}" for c in result.candidates if c.decided]
    lines += [f"warning: {x}" for x in result.warnings]
    return "\n".join(lines)


def sweep_markdown(result: SweepResult) -> str:
    table = md_table(SWEEP_HEADER, sweep_rows(result.candidates))
    from ..run_inputs import inputs_markdown

    text = [f"### ortbench sweep · {result.model}", "", inputs_markdown(result.inputs), ""]
    text += [*table, ""]
    text.append(result.header().replace("\n", "  \n"))
    return "\n".join(text) + "\n"


def sweep_csv(result: SweepResult) -> str:
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
