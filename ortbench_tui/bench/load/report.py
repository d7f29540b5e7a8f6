"""The load job as text, Markdown and CSV: one row per step (p99 against offered rate), the
search's answer, per-shape figures and the profile verdicts; all views of the result JSON."""

from __future__ import annotations

import csv
import io
from typing import Any

from ...text import aligned_table, format_ms, format_ratio, md_table
from .summary import StepSummary

HEADER = [
    "profile", "offered/s", "achieved/s", "resp p50", "resp p90", "resp p99", "resp p99.9",
    "serv p50", "serv p99", "wait mean", "lag p99 µs", "util", "kept up", "SLO",
]  # fmt: skip


def _ms(v: float | None) -> str:
    return format_ms(v) if v is not None else "-"


def step_row(profile: str, s: StepSummary) -> list[str]:
    d = s.decision
    slo = ""
    if d:
        ci = d.get("ci_ms")
        slo = d["outcome"] + (f" [{_ms(ci[0])}, {_ms(ci[1])}]" if ci else "")
        if d.get("retry"):
            slo += " (longer)"
    lag = s.issue_lag_us.get("p99")
    kept = "yes" if s.kept_up else "NO"
    if s.stopped:
        kept = "stopped"
    return [
        profile, f"{s.offered_per_s:,.0f}", f"{s.achieved_per_s:,.0f}",
        _ms(s.response_ms["p50"]), _ms(s.response_ms["p90"]), _ms(s.response_ms["p99"]),
        _ms(s.response_ms["p999"]), _ms(s.service_ms["p50"]), _ms(s.service_ms["p99"]),
        _ms(s.wait_ms["mean"]), f"{lag:,.0f}" if lag is not None else "-",
        f"{s.utilisation:.0%}", kept, slo,
    ]  # fmt: skip


def _steps(result: dict[str, Any]) -> list[tuple[str, StepSummary]]:
    from .result import steps_of

    return steps_of(result)


def answer_lines(result: dict[str, Any]) -> list[str]:
    lines = []
    slo = (result["load"].get("slo") or {}).get("text")
    for p in result["profiles"]:
        fm = p.get("find_max")
        if not fm:
            continue
        name = p["profile"]["name"]
        if fm.get("max_rate") is None:
            lines.append(
                f"{name}: no rate tried meets {slo}"
                + (f" ({fm['note']})" if fm.get("note") else "")
            )
            continue
        hi = fm.get("lowest_not_met")
        failed = next((s for s in p["steps"] if s["rate"] == hi), None)
        bracket = "; no rate tried failed it"
        if hi:
            bracket = f"; {hi:,.0f}/s does not" + (
                f" (offered {failed['offered_per_s']:,.0f}/s)" if failed else ""
            )
        met = next((s for s in p["steps"] if s["rate"] == fm["max_rate"] and s.get("decision")
                    and s["decision"]["outcome"] == "met"), None)  # fmt: skip
        ci = ""
        if met and met["decision"].get("ci_ms"):
            lo_ms, hi_ms = met["decision"]["ci_ms"]
            what = slo.split("=")[0] if slo else "percentile"
            ci = (
                f" (its {what} {_ms(met['decision']['percentile_ms'])}, "
                f"95% CI {_ms(lo_ms)}-{_ms(hi_ms)})"
            )
        offered = f" (offered {met['offered_per_s']:,.0f}/s)" if met else ""
        lines.append(
            f"{name}: highest rate meeting {slo}: {fm['max_rate']:,.0f}/s{offered}{ci}{bracket}"
            + (f"; {fm['note']}" if fm.get("note") else "")
        )
    return lines


def keep_up_lines(result: dict[str, Any]) -> list[str]:
    out = []
    for name, s in _steps(result):
        if not s.kept_up and not s.stopped:
            out.append(
                f"{name} at {s.offered_per_s:,.0f}/s: could not keep up (achieved "
                f"{s.achieved_per_s:,.0f}/s, queue up to {s.max_queue}"
                + (f", {s.given_up} requests given up at the drain limit" if s.given_up else "")
                + "): the rate is above this profile's capacity"
            )
    return out


def shape_lines(result: dict[str, Any]) -> list[str]:
    rows = [["profile", "offered/s", "shape", "requests", "resp p50", "resp p99", "serv p50",
             "serv p99"]]  # fmt: skip
    for name, s in _steps(result):
        for ps in s.per_shape:
            r, sv = ps["response_ms"], ps["service_ms"]
            rows.append([name, f"{s.offered_per_s:,.0f}", ps["shape"], str(ps["requests"]),
                         _ms(r["p50"]), _ms(r["p99"]), _ms(sv["p50"]), _ms(sv["p99"])])  # fmt: skip
    return aligned_table(rows, right={1, 3, 4, 5, 6, 7}, indent="") if len(rows) > 1 else []


def verdict_lines(result: dict[str, Any]) -> list[str]:
    out = []
    for c in result.get("comparisons") or []:
        for r in c["rates"]:
            ratio = format_ratio(r["ratio"], *(r["ci"] or (None, None)))
            out.append(
                f"{c['b']} vs {c['a']} at {r['rate']:g}/s: p{c['percentile']:g} response "
                f"{_ms(r['b_ms'])} vs {_ms(r['a_ms'])}, ratio {ratio}: {r['verdict']}"
            )
    return out


def format_load(result: dict[str, Any]) -> str:
    rows = [HEADER] + [step_row(n, s) for n, s in _steps(result)]
    load = result["load"]
    head = (
        f"{result['model']['name']} · {load['arrivals']} arrivals · {load['workers']} serving "
        f"thread(s) on one session · seed {load['seed']}"
    )
    lines = [head, *aligned_table(rows, right=set(range(1, 12)), indent="")]
    lines += shape_lines(result)
    lines += keep_up_lines(result)
    lines += answer_lines(result)
    lines += verdict_lines(result)
    lines += [f"warning: {w}" for w in result.get("warnings", [])]
    return "\n".join(lines)


def load_markdown(result: dict[str, Any]) -> str:
    out = md_table(HEADER, [step_row(n, s) for n, s in _steps(result)])
    extra = keep_up_lines(result) + answer_lines(result) + verdict_lines(result)
    return "\n".join(out + ([""] + [f"- {x}" for x in extra] if extra else [])) + "\n"


def load_csv(result: dict[str, Any]) -> str:
    """One row per step, numbers unformatted (ms, requests/s), for a p99-vs-rate chart."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([
        "profile", "rate", "offered_per_s", "achieved_per_s", "response_p50_ms",
        "response_p90_ms", "response_p99_ms", "response_p999_ms", "service_p50_ms",
        "service_p99_ms", "wait_mean_ms", "issue_lag_p99_us", "utilisation", "kept_up",
        "slo_outcome",
    ])  # fmt: skip
    for name, s in _steps(result):
        w.writerow([
            name, s.rate, f"{s.offered_per_s:.3f}", f"{s.achieved_per_s:.3f}",
            s.response_ms["p50"], s.response_ms["p90"], s.response_ms["p99"],
            s.response_ms["p999"], s.service_ms["p50"], s.service_ms["p99"], s.wait_ms["mean"],
            s.issue_lag_us["p99"], f"{s.utilisation:.4f}", s.kept_up,
            (s.decision or {}).get("outcome", ""),
        ])  # fmt: skip
    return buf.getvalue()
