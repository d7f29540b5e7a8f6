"""`ortbench fleet --load`: the load options parsed as `ortbench load` parses them, the node's
load job (the agent's methods called directly, a real load worker, no Ray), its result kept
with the host, and the report's load rows. The real-cluster run is in test_fleet.py."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ortbench_tui import cli
from ortbench_tui.bench.load import LoadRequest, parse_slo
from ortbench_tui.commands.fleet import load_request
from ortbench_tui.commands.load import add_traffic_arguments
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.fleet.cluster import NodeInfo
from ortbench_tui.fleet.driver import JobOutcome
from ortbench_tui.fleet.history import history_by_host, keep_outcome
from ortbench_tui.fleet.payload import Bundle, NodeJob
from ortbench_tui.fleet.report import (
    LOAD_CSV_COLUMNS,
    build_report,
    exit_code,
    format_report,
    report_csv,
    report_dict,
    report_markdown,
)
from ortbench_tui.profile import Profile, profile_to_dict

pytest.importorskip("ray")  # the fleet package's modules import Ray where they run

# --- the options -------------------------------------------------------------------------------


def _fleet_args(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(["fleet", "sample:tiny", *argv])


def test_fleet_load_takes_every_option_of_ortbench_load_as_it_does(monkeypatch):
    """Fleet adds its load options with the function `ortbench load` uses: the same options
    (all but --duration, which fleet has already and shares), with the same types."""
    from ortbench_tui.commands import fleet
    from ortbench_tui.commands import load as load_command

    added: list[list[argparse.Action]] = []

    def spy(parser: argparse.ArgumentParser, **kwargs: Any) -> list[argparse.Action]:
        added.append(add_traffic_arguments(parser, **kwargs))
        return added[-1]

    monkeypatch.setattr(fleet, "add_traffic_arguments", spy)
    fleet_parser = argparse.ArgumentParser()
    fleet.add_arguments(fleet_parser)
    load_parser = argparse.ArgumentParser()
    monkeypatch.setattr(load_command, "add_traffic_arguments", spy)
    load_command.add_arguments(load_parser)
    [ours, theirs] = added  # fleet's, then load's
    flags = [a.option_strings for a in ours]
    assert flags == [f for f in (a.option_strings for a in theirs) if f != ["--duration"]]
    assert len(flags) == 11
    for mine, load_action in zip(ours, (a for a in theirs if a.dest != "duration"), strict=True):
        assert (mine.type, mine.choices, mine.help, mine.default) == (
            load_action.type, load_action.choices, load_action.help, load_action.default,
        )  # fmt: skip


def test_the_load_options_make_the_request_every_node_runs():
    args = _fleet_args(
        "--load", "--rate", "200,400", "--arrivals", "constant", "--seed", "7", "--workers",
        "2", "--duration", "0.5", "--warmup", "3", "--slo", "p99.9=2ms",
    )  # fmt: skip
    request = load_request(args)
    assert isinstance(request, LoadRequest)
    assert request.rates == [200.0, 400.0] and request.arrivals == "constant"
    assert (request.seed, request.workers, request.duration_s) == (7, 2, 0.5)
    assert request.slo == parse_slo("p99.9=2ms") and not request.find_max
    search = load_request(_fleet_args("--load", "--find-max", "--slo", "p99=1ms"))
    assert search is not None and search.find_max and search.rates == []
    assert (search.arrivals, search.seed, search.workers, search.max_steps) == (
        "poisson", 0, 1, 12,
    )  # fmt: skip
    assert load_request(_fleet_args("--runs", "5")) is None


def test_with_load_the_duration_is_the_steps_not_the_profiles(monkeypatch):
    """--duration under --load is each step's length; the profile keeps its own run length
    (a run's duration would otherwise be written into the profile the node loads)."""
    from ortbench_tui.commands import fleet

    args = _fleet_args("--load", "--rate", "200", "--duration", "0.5", "--warmup", "3")
    [profile] = fleet._profiles(args)
    assert profile.run.duration_s == Profile().run.duration_s
    assert profile.run.warmup_runs == 3
    [timed] = fleet._profiles(_fleet_args("--duration", "0.5"))
    assert timed.run.duration_s == 0.5


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--load", "--runs", "5", "--rate", "200"], "leave out --runs with --load"),
        (["--rate", "200"], "--rate: a load option; add --load"),
        (["--find-max", "--slo", "p99=1ms"], "--find-max, --slo: a load option; add --load"),
        (["--load"], "give --rate R (requests/s), or --find-max --slo p99=1ms"),
        (["--load", "--rate", "fast"], "--rate fast: 'fast' is not a number"),
        (["--load", "--rate", "200,200"], "200 is given twice"),
        (["--load", "--find-max"], "--find-max needs a target, e.g. --slo p99=1ms"),
        (["--load", "--find-max", "--slo", "p99<1ms"], "--slo p99<1ms: expected PERCENTILE"),
        (["--load", "--rate", "200", "--find-max", "--slo", "p99=1ms"], "give --rate or"),
        (["--load", "--rate", "200", "--mix", "seq=16:x"], "'16:x' is not VALUE:WEIGHT"),
    ],
)
def test_bad_load_options_are_refused_with_the_reason_before_any_cluster(
    capsys, argv: list[str], needle: str
):
    # --ray names no cluster: the options are refused before one is looked for
    code = cli.main(["fleet", "sample:tiny", "--ray", "127.0.0.1:1", *argv])
    err = capsys.readouterr().err
    assert code == 2 and needle in err, err
    assert "no Ray cluster" not in err


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--arrivals", "bursty"]])
def test_argparse_refuses_bad_load_values_as_for_ortbench_load(capsys, argv: list[str]):
    with pytest.raises(SystemExit) as exc:
        cli.main(["fleet", "sample:tiny", "--load", "--rate", "200", *argv])
    assert exc.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_a_mix_dim_the_model_lacks_is_refused_once_on_the_driver():
    from ortbench_tui.bench.load import parse_mix
    from ortbench_tui.fleet.payload import plan_jobs

    load = LoadRequest("", [], rates=[200.0], mix=parse_mix("sequence=16:1,64:1"))
    with pytest.raises(OrtbenchError, match="sequence"):
        plan_jobs(["sample:tiny"], [Profile(name="p")], None, load)


# --- the node's load job, without Ray ----------------------------------------------------------

IDENTITY = {"hostname": "h", "node_id": "n1", "ip": "10.0.0.1", "ray_version": "x"}


def _load_job(load: LoadRequest) -> NodeJob:
    profile = Profile(name="p")
    profile.session.intra_op_num_threads = 1
    return NodeJob(
        0, "sample:tiny", "sample:tiny", Bundle("tiny.onnx", []), profile_to_dict(profile),
        load=load,
    )  # fmt: skip


@pytest.fixture
def node_files(monkeypatch, isolated_dirs):
    """The node 'receives' the driver's own sample file and no input files."""
    from ortbench_tui.fleet import agent, payload
    from ortbench_tui.inputs import InputSpec
    from ortbench_tui.samples import resolve_model

    path = resolve_model("sample:tiny")
    monkeypatch.setattr(agent, "receive", lambda bundle: path)
    monkeypatch.setattr(payload, "node_input_spec", lambda job: InputSpec())
    return isolated_dirs


def _node(label: str = "h") -> NodeInfo:
    return NodeInfo(node_id="n1" + label, hostname=label, ip="10.0.0.1", label=label)


def test_a_node_runs_the_load_job_and_its_result_is_kept_with_the_host(node_files):
    """200/s for 0.5 s on sample:tiny in a real load worker: progress, then the result with
    the node's identity and the step's timelines, kept as `ortbench load` keeps it."""
    from ortbench_tui.fleet import agent

    job = _load_job(LoadRequest("", [], rates=[200.0], duration_s=0.5, seed=3))
    messages = list(agent.NodeAgent()._run_one(job, None, IDENTITY))
    assert any(isinstance(m, agent.AgentProgress) for m in messages)
    done = messages[-1]
    assert isinstance(done, agent.AgentFinished), done
    assert done.samples_ns is None and done.load_parts is not None
    [part] = done.load_parts
    [step] = part.steps
    assert step.rate == 200.0 and step.served > 0 and len(part.timelines) == 1
    result = done.result
    assert result["kind"] == "load" and result["status"] == "ok" and result["host"] == "h"
    assert result["model"]["name"] == "sample:tiny" and result["node"]["node_id"] == "n1"
    assert result["load"]["seed"] == 3 and result["profiles"][0]["profile"]["name"] == "p"

    outcome = JobOutcome(_node(), job, "ok", result, load_parts=done.load_parts)
    keep_outcome(outcome, "r1", keep=lambda result, samples: pytest.fail("a run's keeper"))
    assert outcome.history_path is not None
    saved = json.loads(Path(outcome.history_path).read_text())
    assert saved["host"] == "h" and saved["fleet"] == {"run_id": "r1"}
    npz = np.load(Path(outcome.history_path).with_suffix(".npz"))
    assert npz["p0_s0_scheduled"].size == step.requests
    [entry] = history_by_host("h")[0]
    assert entry.kind == "load" and entry.fleet_run == "r1" and entry.host == "h"

    report = build_report([outcome.node], [outcome], {})
    [row] = report.load
    assert row.host == "h" and row.percentile == "p99" and row.result == outcome.history_path
    assert row.steps[0].response_ms == step.response_ms["p99"]
    assert "response time p99 per node" in format_report(report) and exit_code(report) == 0


def test_a_cancelled_node_load_job_sends_back_the_step_it_measured(node_files):
    """Ctrl-C on the driver cancels every agent: the step being measured is stopped, kept and
    sent back as a cancelled job with its timelines (then kept in the history)."""
    from ortbench_tui.fleet import agent

    job = _load_job(LoadRequest("", [], rates=[200.0], duration_s=60.0))
    node_agent = agent.NodeAgent()
    messages = []
    for msg in node_agent._run_one(job, None, IDENTITY):
        messages.append(msg)
        if isinstance(msg, agent.AgentProgress) and msg.progress.done > 0:
            node_agent.cancel()  # from the driver's cancel, as its second thread would
    last = messages[-1]
    assert isinstance(last, agent.AgentFailed) and last.status == "cancelled"
    assert last.partial is not None and last.partial["status"] == "cancelled"
    assert last.load_parts is not None
    [step] = last.load_parts[0].steps
    assert step.stopped and 0 < step.served < 200 * 60
    outcome = JobOutcome(_node(), job, "cancelled", last.partial, message="h: cancelled",
                         load_parts=last.load_parts)  # fmt: skip
    keep_outcome(outcome, "r2", keep=lambda result, samples: None)
    assert (
        outcome.history_path
        and json.loads(Path(outcome.history_path).read_text())["status"] == "cancelled"
    )
    report = build_report([outcome.node], [outcome], {})
    assert report.load[0].steps[0].stopped and "stopped" in format_report(report)
    assert exit_code(report) == 2


def test_a_bad_profile_on_the_node_is_bad_input_for_that_job(node_files):
    from ortbench_tui.fleet import agent

    job = _load_job(LoadRequest("", [], rates=[200.0], duration_s=0.5))
    job.profile["provider"]["name"] = "NoSuchExecutionProvider"
    [msg] = [m for m in agent.NodeAgent()._run_one(job, None, IDENTITY)
             if isinstance(m, agent.AgentFailed)]  # fmt: skip
    assert msg.status == "input" and "NoSuchExecutionProvider" in msg.message
    assert msg.load_parts is None and msg.partial is None


# --- the report ------------------------------------------------------------------------------


def _step(rate: float, achieved: float, p999: float, outcome: str, kept_up: bool = True) -> dict:
    return {
        "rate": rate,
        "offered_per_s": rate * 0.99,
        "achieved_per_s": achieved,
        "response_ms": {"p50": 0.1, "p90": 0.2, "p99": 0.3, "p999": p999},
        "kept_up": kept_up,
        "stopped": False,
        "decision": {"outcome": outcome, "percentile_ms": p999, "ci_ms": None},
    }


def _load_outcome(label: str, max_rate: float | None, steps: list[dict], status: str = "ok",
                  load: LoadRequest | None = None) -> JobOutcome:  # fmt: skip
    load = load or LoadRequest("", [], slo=parse_slo("p99.9=1ms"))
    job = _load_job(load)
    result: dict[str, Any] = {
        "profiles": [{"steps": steps, "find_max": {"max_rate": max_rate, "lowest_not_met":
                      None if max_rate is None else max_rate * 1.5, "note": ""}}],
    }  # fmt: skip
    return JobOutcome(_node(label), job, status, result, message=f"{label}: x")


def test_the_report_gives_each_nodes_slo_percentile_per_rate_and_its_highest_rate():
    a = _load_outcome("a", 1000.0, [_step(1000, 990, 0.8, "met"), _step(1500, 1200, 3.0,
                      "not met", kept_up=False)])  # fmt: skip
    b = _load_outcome("b", 2000.0, [_step(2000, 1985, 0.9, "met")])
    c = _load_outcome("c", None, [], status="run")
    report = build_report([a.node, b.node, c.node], [a, b, c], {})
    rows = {r.host: r for r in report.load}
    assert rows["a"].percentile == "p99.9" and rows["a"].find_max
    assert [s.response_ms for s in rows["a"].steps] == [0.8, 3.0]
    assert rows["a"].steps[1].achieved_per_s == 1200 and not rows["a"].steps[1].kept_up
    assert rows["b"].max_rate == 2000.0 and rows["c"].steps == []

    text = format_report(report)
    assert "response time p99.9 per node at each offered rate" in text
    line = next(x for x in text.splitlines() if x.split()[2:4] == ["a", "1,500"])
    assert line.split()[4:] == ["1,485", "1,200", "3", "ms", "NO", "not", "met"]
    assert "highest rate meeting p99.9=1ms per node" in text
    best = next(x for x in text.splitlines() if x.split()[2:3] == ["b"] and "2,000 *" in x)
    assert "3,000" in best  # its lowest rate not met
    failed = [x.split() for x in text.splitlines() if x.split()[2:3] == ["c"]]
    assert [x[3] for x in failed] == ["FAILED", "FAILED"] and "note: sample:tiny · p: c: x" in text
    assert report_markdown(report).count("| sample:tiny | p | a |") == 3  # 2 steps, 1 answer

    lines = report_csv(report).splitlines()
    assert lines[0] == ",".join(LOAD_CSV_COLUMNS)
    assert len(lines) == 1 + 2 + 1 + 1  # a's two steps, b's one, c's job without a step
    assert lines[2].startswith("sample:tiny,p,a,n1a,ok,1500,1485,1200,p99.9,3,False,False,")

    data = json.loads(json.dumps(report_dict(report)))
    by_host = {r["host"]: r for r in data["load"]}
    assert by_host["b"]["max_rate"] == 2000.0 and by_host["b"]["slo"] == "p99.9=1ms"
    assert by_host["a"]["steps"][0] == {
        "rate": 1000, "offered_per_s": 990.0, "achieved_per_s": 990, "response_ms": 0.8,
        "kept_up": True, "stopped": False, "slo_outcome": "met",
    }  # fmt: skip
    assert by_host["c"]["status"] == "run" and data["jobs"] == []
    assert exit_code(report) == 1
    assert exit_code(build_report([a.node, b.node], [a, b], {})) == 0


def test_without_an_slo_the_rows_give_p99_and_no_search():
    load = LoadRequest("", [], rates=[500.0])
    step = {**_step(500, 495, 0.9, "met"), "decision": None}
    report = build_report([_node("a")], [_load_outcome("a", None, [step], load=load)], {})
    [row] = report.load
    assert row.percentile == "p99" and row.steps[0].response_ms == 0.3
    assert not row.find_max and row.summary() == "500/s: p99 300 µs (achieved 495/s)"
    assert "highest rate" not in format_report(report)
