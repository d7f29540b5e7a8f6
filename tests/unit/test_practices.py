"""The practices check: each practice toggled alone, rows that do not apply, the report."""

from __future__ import annotations

import json

import pytest

from ortbench_tui.bench.compare import profile_diff
from ortbench_tui.bench.job import JobFailed
from ortbench_tui.bench.practices import (
    NOT_APPLICABLE,
    NOT_YET,
    PRACTICES,
    PracticesReport,
    PracticesRequest,
    PracticesRun,
    all_together,
    format_report,
    report_markdown,
)
from ortbench_tui.cli import main
from ortbench_tui.profile import Profile, apply_overrides, profile_to_dict

CPU_ONLY = ["CPUExecutionProvider"]
VERDICTS = {"faster", "slower", "no clear difference"}
FAST = ["session.intra_op_num_threads=1", "run.warmup_runs=5", "run.duration_s=0.03"]


def prof(*sets: str) -> Profile:
    return apply_overrides(Profile(name="base"), list(sets))


@pytest.mark.parametrize(
    ("key", "changed"),
    [
        ("opt_extended", ["session.graph_optimization_level"]),
        ("opt_all", ["session.graph_optimization_level"]),
        ("intra_physical", ["session.intra_op_num_threads"]),
        ("io_binding", ["run.io_binding"]),
        ("arena_mem_pattern", ["session.enable_cpu_mem_arena", "session.enable_mem_pattern"]),
        ("fp16", ["run.precision"]),
        ("int8", ["run.precision"]),
        (
            "cuda_graph",
            ["provider.options"],
        ),
    ],
)
def test_each_practice_changes_only_its_own_keys(key, changed):
    practice = next(p for p in PRACTICES if p.key == key)
    base = prof("session.free_dimensions.batch=1", "run.timed_runs=77")
    off, on = profile_to_dict(practice.off(base)), profile_to_dict(practice.on(base))
    assert [d.split(":")[0] for d in profile_diff(off, on)] == changed
    assert on["session"]["free_dimensions"] == {"batch": 1} and on["run"]["timed_runs"] == 77


def test_gpu_practices_ask_for_cuda_and_io_binding():
    graph = next(p for p in PRACTICES if p.key == "cuda_graph")
    on = graph.on(prof())
    assert on.provider.name == "cuda" and on.run.io_binding
    assert on.provider.options["enable_cuda_graph"] is True
    inter = next(p for p in PRACTICES if p.key == "inter_op_zero")
    assert inter.on(prof()).session.inter_op_num_threads == 0
    assert inter.off(prof()).session.execution_mode == "parallel"
    together = all_together(prof(), gpu=False)
    assert together.run.io_binding and together.session.intra_op_num_threads == "physical"
    assert together.provider.name == "cpu"


def check_rows(report: PracticesReport, precision: str) -> None:
    rows = {r.number: r for r in report.rows}
    assert list(rows) == ["1a", "1b", "2", "3", "4", "5", "6", "7a", "7b", "8", "all"]
    for n in ("3", "4"):
        assert rows[n].status == NOT_APPLICABLE and "no working CUDA EP" in rows[n].reason
    for n in ("1a", "1b", "2", "5", "6", "all"):
        r = rows[n]
        assert r.status == "measured" and r.verdict in VERDICTS, r
        assert r.ci_low is not None and r.ci_low <= r.ratio <= r.ci_high
    warm = rows["8"]
    assert warm.status == "measured" and warm.verdict in VERDICTS
    assert warm.ref_median_ms > 0 and "first run of 2 sessions" in warm.method
    if precision == "missing":
        assert rows["7a"].status == NOT_YET and rows["7b"].status == NOT_YET


@pytest.mark.slow
def test_practices_on_tiny_without_gpu_or_precision():
    request = PracticesRequest(
        "sample:tiny",
        prof(*FAST),
        sessions=2,
        working_providers=CPU_ONLY,
        precision_available=False,
    )
    events = list(PracticesRun(request).events())
    report = events[-1]
    assert isinstance(report, PracticesReport), report
    check_rows(report, "missing")
    text = format_report(report)
    assert "not applicable here: no working CUDA EP" in text and "not yet available" in text
    md = report_markdown(report)
    assert md.startswith("### ortbench practices · sample:tiny")
    assert "| 5 | IO binding | on vs off |" in md
    json.dumps(report.to_dict(), allow_nan=False)


@pytest.mark.slow
def test_precision_rows_run_through_the_normal_runner_when_available():
    request = PracticesRequest(
        "sample:mlp", prof(*FAST), sessions=1, working_providers=CPU_ONLY, precision_available=True
    )
    run = PracticesRun(request)
    details = []
    report = None
    for ev in run.events():
        if isinstance(ev, JobFailed):
            pytest.fail(ev.message)
        if isinstance(ev, PracticesReport):
            report = ev
        elif ev.detail not in details:
            details.append(ev.detail)
    assert report is not None
    assert "fp16 (normal runner)" in details and "int8 (normal runner)" in details
    rows = {r.number: r for r in report.rows}
    for n in ("7a", "7b"):
        assert rows[n].status in ("measured", "failed"), rows[n]
        if rows[n].status == "measured":
            assert rows[n].verdict in VERDICTS or rows[n].verdict is None
            assert "one after the other" in rows[n].method
            # The accuracy against fp32 stands beside the speed-up.
            assert rows[n].cosine is not None and 0 < rows[n].cosine <= 1 + 1e-6
        else:
            assert rows[n].reason


@pytest.mark.slow
def test_cli_practices_markdown_and_json(capsys, tmp_path):
    md = tmp_path / "p.md"
    code = main(
        [
            "practices",
            "sample:tiny",
            "--set",
            "session.intra_op_num_threads=1",
            "--duration",
            "0.03",
            "--warmup",
            "5",
            "--sessions",
            "2",
            "--no-precision",
            "--json",
            str(tmp_path / "p.json"),
            "--markdown",
            str(md),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "graph optimization EXTENDED" in out and "warm-up" in out and "all together" in out
    data = json.loads((tmp_path / "p.json").read_text())
    assert [r["number"] for r in data["rows"]][-2:] == ["8", "all"]
    assert "| all | all together |" in md.read_text()
    assert "left out (--no-precision)" in out
    assert main(["practices", str(tmp_path / "none.onnx")]) == 2


class _Captured(Exception):
    pass


@pytest.mark.parametrize(
    ("argv", "budget"),
    [
        ([], 60.0),  # decides by default, within its budget
        (["--budget", "12"], 12.0),
        (["--duration", "0.5"], None),  # a fixed length instead
        (["--runs", "200"], None),
        (["--duration", "0.5", "--until-decided"], 60.0),  # the length is the precision rows'
    ],
)
def test_cli_practices_decides_its_rows_unless_given_a_fixed_length(monkeypatch, argv, budget):
    """`ortbench practices MODEL` used to measure every row for a fixed second and leave ~1.5x
    differences undecided; now its fp32 rows run until decided unless a length is asked for."""
    seen: list[PracticesRequest] = []

    class Capture:
        def __init__(self, request: PracticesRequest) -> None:
            seen.append(request)
            raise _Captured

    monkeypatch.setattr("ortbench_tui.bench.practices.PracticesRun", Capture)
    with pytest.raises(_Captured):
        main(["practices", "sample:tiny", "-q", *argv])
    decide = seen[0].until_decided
    assert (decide.budget_s if decide is not None else None) == budget


def test_cli_practices_refuses_a_budget_with_a_fixed_length(capsys):
    assert main(["practices", "sample:tiny", "--duration", "1", "--budget", "5"]) == 2
    assert "--budget: not with --duration or --runs" in capsys.readouterr().err
