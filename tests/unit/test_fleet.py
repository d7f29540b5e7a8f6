"""Fleet runs: node selection, the report and host history without Ray; then real runs on a
three-node Ray cluster made here (ray.cluster_utils.Cluster, one CPU per node), ending with a
node removed mid-run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import pytest

from ortbench_tui import cli
from ortbench_tui.bench.job import JobProgress, drive
from ortbench_tui.bench.result_record import run_record
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.fleet.cluster import RESOURCE, NodeInfo, nodes_from_ray_list, select_nodes
from ortbench_tui.fleet.driver import JobOutcome
from ortbench_tui.fleet.history import history_by_host
from ortbench_tui.fleet.job import FleetFinished
from ortbench_tui.fleet.payload import Bundle, NodeJob
from ortbench_tui.fleet.report import build_report, exit_code, format_report, report_csv
from ortbench_tui.models import file_sha256

ray = pytest.importorskip("ray")

# Ray clusters, the connection of this process and its signal handlers are one shared
# thing: with `pytest -n`, every test that touches Ray runs in one worker, in order.
pytestmark = pytest.mark.xdist_group("ray")

# --- without a cluster -----------------------------------------------------------------------


def _raw(node_id: str, host: str, slots: float = 1.0, **labels: str) -> dict:
    resources = {"CPU": 1.0, **({RESOURCE: slots} if slots else {})}
    return {
        "NodeID": node_id,
        "Alive": True,
        "NodeManagerHostname": host,
        "NodeManagerAddress": f"10.0.0.{len(host)}",
        "Resources": resources,
        "Labels": labels,
    }


def test_nodes_are_labelled_uniquely_and_selected_by_host_label_resource_or_id():
    nodes = nodes_from_ray_list(
        [
            _raw("aaaa1111", "gpu-box", gpu="a100"),
            _raw("bbbb2222", "cpu-box"),
            _raw("cccc3333", "cpu-box"),
            {**_raw("dddd4444", "gone"), "Alive": False},
        ]
    )
    assert [n.label for n in nodes] == ["cpu-box/bbbb22", "cpu-box/cccc33", "gpu-box"]
    assert [n.label for n in select_nodes(nodes, ["label:gpu=a1*"])[0]] == ["gpu-box"]
    assert len(select_nodes(nodes, ["cpu-*"])[0]) == 2
    chosen = select_nodes(nodes, ["id:cccc", "host:gpu-box"])[0]
    assert {n.node_id for n in chosen} == {"cccc3333", "aaaa1111"}
    assert len(select_nodes(nodes, ["resource:CPU"])[0]) == 3
    with pytest.raises(OrtbenchError, match="matches no alive node"):
        select_nodes(nodes, ["host:nowhere"])


def test_a_node_without_the_ortbench_resource_is_named_and_skipped():
    nodes = nodes_from_ray_list([_raw("a1", "bench"), _raw("b2", "head", slots=0)])
    usable, skipped = select_nodes(nodes, [])
    assert [n.label for n in usable] == ["bench"]
    assert skipped and skipped[0].startswith("head: does not offer the 'ortbench' resource")
    with pytest.raises(OrtbenchError, match="no selected node takes ortbench benchmarks"):
        select_nodes(nodes, ["head"])


def _outcome(label: str, index: int, p50: float | None, status: str = "ok") -> JobOutcome:
    node = NodeInfo(node_id=label * 4, hostname=label, ip="", label=label)
    job = NodeJob(index, "sample:tiny", "sample:tiny", Bundle("m", []), {"name": "p"})
    result = {"latency_ms": {"p50": p50, "p99": p50}, "runs": 10} if p50 else None
    return JobOutcome(node, job, status, result=result, message="" if p50 else "broke")


def test_the_report_names_the_fastest_node_per_row_with_ratios_to_it():
    outs = [_outcome("a", 0, 2.5), _outcome("b", 0, 1.25), _outcome("c", 0, None, "run")]
    nodes = [o.node for o in outs]
    report = build_report(nodes, outs, {})
    row = report.rows[0]
    assert row.fastest == "b" and row.ratio("a") == pytest.approx(2.0) and row.ratio("c") is None
    text = format_report(report)
    assert "1.25 ms 1.00x *" in text and "2.00x" in text and "FAILED" in text
    assert "broke" in text
    lines = report_csv(report).splitlines()
    assert lines[0].startswith("model,profile,host,node_id,status,p50_ms")
    assert len(lines) == 4
    assert exit_code(report) == 1
    assert exit_code(build_report(nodes[:2], outs[:2], {})) == 0
    assert exit_code(build_report(nodes, [*outs[:2], _outcome("c", 0, None, "input")], {})) == 2


def test_history_lists_the_host_and_filters_by_it(isolated_dirs: Path):
    from ortbench_tui.bench.results import save_to_history

    base = {
        "schema": 1,
        "model": {"name": "m"},
        "profile": {"name": "p"},
        "latency_ms": {"p50": 1.0, "p99": 2.0},
        "runs": 3,
    }
    save_to_history(run_record({**base, "host": "alpha"}), np.arange(3))
    save_to_history(run_record({**base, "host": "beta"}), np.arange(3))
    save_to_history(run_record(dict(base)), np.arange(3))
    assert sorted(e.host for e in history_by_host()[0]) == ["(local)", "alpha", "beta"]
    assert [e.host for e in history_by_host("al*")[0]] == ["alpha"]
    assert [e.host for e in history_by_host("(local)")[0]] == ["(local)"]


def test_history_names_the_files_it_could_not_read_once(isolated_dirs: Path, capsys):
    from ortbench_tui.bench.results import results_dir, save_to_history

    base = {
        "schema": 1,
        "model": {"name": "m"},
        "profile": {"name": "p"},
        "latency_ms": {"p50": 1.0, "p99": 2.0},
        "runs": 3,
        "host": "alpha",
    }
    save_to_history(run_record(base), np.arange(3))
    (results_dir() / "20990101-broken.json").write_text("{not json")
    (results_dir() / "20990102-empty.json").write_text("")
    assert cli.main(["fleet", "--history", "--host", "alpha"]) == 0
    captured = capsys.readouterr()
    assert "alpha" in captured.out
    warnings = [line for line in captured.err.splitlines() if "could not be read" in line]
    assert len(warnings) == 1
    assert "20990101-broken.json" in warnings[0] and "20990102-empty.json" in warnings[0]


def _job() -> NodeJob:
    from ortbench_tui.profile import Profile, profile_to_dict

    return NodeJob(0, "m.onnx", "m", Bundle("m.onnx", []), profile_to_dict(Profile(name="p")))


class _FailingHandle:
    """A local run that measured 3 samples, then its worker died."""

    cancelled = False

    def __init__(self, partial: dict) -> None:
        from ortbench_tui.bench.sample_store import SampleStore

        self.samples = SampleStore(spill=False)  # as a RunHandle's, without the disk
        self.samples.extend(np.array([10, 11, 12], dtype=np.int64))
        self._partial = partial

    def events(self):
        from ortbench_tui.bench.job import JobFailed

        yield JobFailed("run", "the worker died (signal 9)", self._partial)

    def cancel(self) -> None:
        pass


def test_a_job_that_fails_mid_run_sends_back_its_partial_result(monkeypatch, tmp_path):
    from ortbench_tui.fleet import agent
    from ortbench_tui.inputs import InputSpec

    partial = {"status": "failed", "reason": "the worker died", "model": {}, "warnings": []}
    monkeypatch.setattr(agent, "receive", lambda bundle: tmp_path / "m.onnx")
    monkeypatch.setattr(agent, "node_input_spec", lambda job: InputSpec())
    monkeypatch.setattr(
        "ortbench_tui.bench.runner.start_run", lambda request: _FailingHandle(partial)
    )
    identity = {"hostname": "h", "node_id": "n1", "ip": "10.0.0.1", "ray_version": "x"}
    [msg] = list(agent.NodeAgent()._run_one(_job(), None, identity))
    assert isinstance(msg, agent.AgentFailed)
    assert (msg.index, msg.status) == (0, "run") and "signal 9" in msg.message
    assert msg.partial is not None
    assert msg.partial["status"] == "failed" and msg.partial["host"] == "h"
    assert msg.samples_ns is not None and msg.samples_ns.tolist() == [10, 11, 12]


def test_the_driver_turns_typed_agent_messages_into_progress_with_an_eta_and_outcomes():
    """No Ray: the agents' messages are put in the driver's queue as its node threads would."""
    from ortbench_tui.bench.job import JobProgress
    from ortbench_tui.fleet import agent
    from ortbench_tui.fleet.driver import (
        AgentEnded,
        FleetProgress,
        FleetRun,
        NodeLost,
        NodeMessage,
        NodeStatus,
    )

    a = NodeInfo(node_id="a1", hostname="a", ip="10.0.0.1", label="a")
    b = NodeInfo(node_id="b1", hostname="b", ip="10.0.0.2", label="b")
    run = FleetRun([a, b], [_job()])
    run._start = lambda: None  # type: ignore[method-assign]
    samples = np.array([5, 6, 7], dtype=np.int64)
    for node, msg in [
        (a, agent.AgentReady({"hostname": "a"}, ["hardware detection failed: x"])),
        (a, agent.AgentProgress(0, JobProgress("timed", 300, 1000, 1.0, 2.0))),
        (a, agent.AgentFinished(0, {"status": "ok"}, samples)),
        (a, AgentEnded()),
        (b, NodeLost("connection reset")),
        (b, AgentEnded()),
    ]:
        run._queue.put(NodeMessage(node, msg))
    events = list(run.events())
    progress = [e for e in events if isinstance(e, FleetProgress)]
    moved = [e for e in progress if e.run is not None]  # by a node's own run
    assert len(moved) == 1 and moved[0].run.phase == "timed" and moved[0].eta_s == 2.0
    assert moved[0].node == a and "a timed 300/1000" in moved[0].detail
    # the fleet's own count: (node, job) pairs ended of all, each end counted once
    assert [(p.done, p.total) for p in progress] == [(0, 2), (0, 2), (1, 2), (2, 2)]
    outcomes = {o.node.label: o for o in events if isinstance(o, JobOutcome)}
    assert outcomes["a"].status == "ok" and outcomes["a"].samples_ns is samples
    assert outcomes["b"].status == "run" and "connection reset" in outcomes["b"].message
    ready = [e for e in events if isinstance(e, NodeStatus) and e.state == "ready"]
    assert ready[0].message == "hardware detection failed: x"


def test_a_cancel_while_the_events_are_followed_closes_them_within_the_grace_time():
    """No Ray: a node that never answers the cancel holds the run up for the grace time
    only; its job, and the one of the node that never started, end cancelled."""
    from ortbench_tui.fleet import agent
    from ortbench_tui.fleet.driver import FleetProgress, FleetRun, NodeMessage

    a = NodeInfo(node_id="a1", hostname="a", ip="10.0.0.1", label="a")
    b = NodeInfo(node_id="b1", hostname="b", ip="10.0.0.2", label="b")
    run = FleetRun([a, b], [_job()])
    run._start = lambda: None  # type: ignore[method-assign]
    run._queue.put(NodeMessage(a, agent.AgentProgress(0, JobProgress("timed", 3, 10, 1, 2))))
    events = []
    for event in run.events():
        events.append(event)
        if isinstance(event, FleetProgress) and event.run is not None:
            run.cancel(grace_s=0.3)
    outcomes = [e for e in events if isinstance(e, JobOutcome)]
    assert sorted((o.node.label, o.status) for o in outcomes) == [
        ("a", "cancelled"),
        ("b", "cancelled"),
    ]
    last = [e for e in events if isinstance(e, FleetProgress)][-1]
    assert (last.done, last.total) == (2, 2) and run.cancelled


def _failed_outcome(samples: np.ndarray) -> JobOutcome:
    node = NodeInfo(node_id="n1", hostname="h", ip="", label="h")
    result = {
        "schema": 1,
        "status": "failed",
        "reason": "the worker died",
        "model": {"name": "m"},
        "profile": {"name": "p"},
        "latency_ms": {"p50": 1.0, "p99": 2.0},
        "runs": int(samples.size),
        "host": "h",
        "warnings": [],
    }
    return JobOutcome(node, _job(), "run", result, samples, "h: the worker died")


def test_a_failed_jobs_partial_result_is_kept_in_history_like_a_local_runs(isolated_dirs):
    from ortbench_tui.commands.run_outputs import keep_in_history
    from ortbench_tui.fleet.history import keep_outcome

    outcome = _failed_outcome(np.arange(3))
    keep_outcome(outcome, "r1", keep_in_history)
    saved = json.loads(Path(outcome.history_path).read_text())
    assert saved["status"] == "failed" and saved["reason"] == "the worker died"
    assert saved["fleet"] == {"run_id": "r1"}
    [entry] = history_by_host("h")[0]
    assert entry.status == "failed" and entry.fleet_run == "r1"
    nothing = _failed_outcome(np.arange(0))
    keep_outcome(nothing, "r1", keep_in_history)
    assert nothing.history_path is None and len(history_by_host()[0]) == 1


def test_a_history_that_cannot_take_a_result_is_a_warning_not_the_end(
    isolated_dirs, monkeypatch, capsys
):
    from ortbench_tui.commands.run_outputs import keep_in_history
    from ortbench_tui.fleet.history import keep_outcome

    def refuse(result, samples):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ortbench_tui.bench.results.save_to_history", refuse)
    outcome = _failed_outcome(np.arange(3))
    keep_outcome(outcome, "r1", keep_in_history)
    assert outcome.history_path is None
    assert any("not kept in history" in w for w in outcome.result["warnings"])
    assert "No space left on device" in capsys.readouterr().err


def test_external_data_outside_the_models_folder_is_refused(tmp_path):
    from ortbench_tui.fleet.payload import external_data_files

    path = _external_data_model(tmp_path / "m")
    model = onnx.load(str(path), load_external_data=False)
    for entry in model.graph.initializer[0].external_data:
        if entry.key == "location":
            entry.value = "../../etc/passwd"
    onnx.save(model, str(path))
    with pytest.raises(OrtbenchError, match="not a path inside the model's folder"):
        external_data_files(path)


def _external_data_model(folder: Path) -> Path:
    """y = x @ W, x [batch, 16] (the batch needs --shape), W kept in weights/w.bin."""
    from onnx import TensorProto, helper, numpy_helper

    (folder / "weights").mkdir(parents=True, exist_ok=True)
    w = numpy_helper.from_array(np.eye(16, dtype=np.float32), "W")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])],
        "ext",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 16])],
        [w],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=10)
    path = folder / "ext.onnx"
    onnx.save_model(
        model, str(path), save_as_external_data=True, location="weights/w.bin", size_threshold=0
    )
    return path


def test_nothing_outside_the_fleet_package_loads_ray():
    code = (
        "import importlib, pkgutil, sys, ortbench_tui\n"
        "from ortbench_tui import cli\n"
        "cli.build_parser()\n"
        "for m in pkgutil.walk_packages(ortbench_tui.__path__, prefix='ortbench_tui.'):\n"
        "    if not m.name.startswith(('ortbench_tui.fleet', 'ortbench_tui.tui')):\n"
        "        importlib.import_module(m.name)\n"
        "sys.exit(1 if 'ray' in sys.modules else 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_without_ray_installed_one_clear_message_and_exit_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert cli.main(["fleet", "sample:tiny", "--ray", "local"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'ortbench-tui[fleet]'" in err and "Traceback" not in err


def test_without_a_cluster_at_the_address_one_clear_message_and_exit_2(capsys):
    if ray.is_initialized():
        pytest.skip("a cluster is already connected in this process")
    assert cli.main(["fleet", "sample:tiny", "--ray", "127.0.0.1:1"]) == 2
    assert "no Ray cluster at 127.0.0.1:1" in capsys.readouterr().err


# --- on a three-node cluster -----------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """Three nodes on this machine, each taking ortbench benchmarks; their workers inherit a
    test cache dir (nodes receive models there)."""
    from ray.cluster_utils import Cluster

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORTBENCH_CACHE_DIR", str(tmp_path_factory.mktemp("node-cache")))
        mp.delenv("RAY_ADDRESS", raising=False)
        # ray.init installs its own SIGTERM handler (exit 15): pytest's is put back, so a
        # SIGTERM a later test sends to its own child cannot end the whole session.
        handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
        c = Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "resources": {RESOURCE: 1}},
        )
        for _ in range(2):
            c.add_node(num_cpus=1, resources={RESOURCE: 1})
        ray.init(address=c.address, log_to_driver=False, namespace="ortbench")
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        c.wait_for_nodes()
        c.node_cache = Path(os.environ["ORTBENCH_CACHE_DIR"])
        yield c
        ray.shutdown()
        c.shutdown()


QUICK = ["--runs", "200", "--warmup", "5", "--quiet"]


@pytest.mark.slow
def test_every_job_runs_on_every_node_with_its_files_into_the_history(
    cluster, isolated_dirs, tmp_path, capsys
):
    """Two models on three nodes: sample:tiny, and a model whose weights are external data and
    whose batch needs --shape; both fed values from a .npy. The nodes run shipped copies."""
    from ortbench_tui.bench.compare import compare_files

    ext = _external_data_model(tmp_path / "model")
    values = np.linspace(-1, 1, 16, dtype=np.float32).reshape(1, 16)
    np.save(tmp_path / "x.npy", values)
    out = isolated_dirs / "fleet.json"
    argv = ["fleet", "sample:tiny", str(ext), "--shape", "x=1x16", "--input",
            f"x={tmp_path / 'x.npy'}", *QUICK, "--json", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    report = json.loads(out.read_text())
    assert len(report["nodes"]) == 3 and len(report["jobs"]) == 6
    assert all(j["status"] == "ok" for j in report["jobs"])
    assert sum(j["fastest"] for j in report["jobs"]) == 2
    paths = [j["result"] for j in report["jobs"]]
    results = [json.loads(Path(p).read_text()) for p in paths]
    assert len({r["node"]["node_id"] for r in results}) == 3
    assert all(r["host"] and r["runs"] == 200 and r["hardware"]["providers"] for r in results)
    assert sorted(r["model"]["name"] for r in results) == ["ext"] * 3 + ["sample:tiny"] * 3
    assert all(Path(p).with_suffix(".npy").exists() for p in paths)
    node_cache = str(cluster.node_cache)
    for r in results:
        [record] = r["inputs"]
        source = record["source"]
        assert record["shape"] == [1, 16] and source["kind"] == "file"
        assert source["path"].startswith(node_cache) and source["path"] != str(tmp_path / "x.npy")
        assert source["sha256"] == file_sha256(tmp_path / "x.npy")
    for r in (r for r in results if r["model"]["name"] == "ext"):
        model_path = Path(r["model"]["path"])
        assert str(model_path).startswith(node_cache) and model_path.name == "ext.onnx"
        assert r["model"]["sha256"] == file_sha256(ext)
        assert file_sha256(model_path.parent / "weights/w.bin") == file_sha256(
            ext.parent / "weights/w.bin"
        )
    comparison, _ = compare_files(paths[:2])
    assert comparison.pairs
    assert "fastest" in capsys.readouterr().out
    assert len(history_by_host(results[0]["host"])[0]) == 6


@pytest.mark.slow
def test_input_files_travel_checked_and_land_beside_each_other(cluster, tmp_path, monkeypatch):
    """An input_N.pb folder arrives as a folder, an .npy by itself; a damaged one is refused."""
    from onnx import numpy_helper

    from ortbench_tui.fleet.payload import node_input_spec, plan_jobs, receive
    from ortbench_tui.inputs import spec_from_flags
    from ortbench_tui.profile import Profile

    folder = tmp_path / "test_data_set_0"
    folder.mkdir()
    tensor = numpy_helper.from_array(np.ones((1, 16), np.float32), "x")
    (folder / "input_0.pb").write_bytes(tensor.SerializeToString())
    (folder / "notes.txt").write_text("not shipped")
    spec = spec_from_flags([], [], str(folder))
    [job] = plan_jobs(["sample:tiny"], [Profile(name="p")], {"sample:tiny": spec})
    monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(tmp_path / "node"))
    local = Path(node_input_spec(job).files)
    assert local.name == "test_data_set_0" and str(local).startswith(str(tmp_path / "node"))
    assert sorted(f.name for f in local.iterdir()) == ["input_0.pb"]
    assert (local / "input_0.pb").read_bytes() == (folder / "input_0.pb").read_bytes()
    bundle = job.input_files[spec.files]
    bundle.files[0].sha256 = "0" * 64
    with pytest.raises(OrtbenchError, match="arrived damaged"):
        receive(bundle)


@pytest.mark.slow
def test_an_ep_that_does_not_load_is_bad_input_on_each_node_not_a_traceback(
    cluster, isolated_dirs, capsys
):
    argv = ["fleet", "sample:tiny", "--set", "provider.name=cuda", *QUICK]
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert "bad input" in captured.out and "CUDAExecutionProvider" in captured.out
    assert "Traceback" not in captured.out + captured.err


@pytest.mark.slow
def test_a_different_ortbench_version_is_named_per_node(cluster, monkeypatch, capsys):
    monkeypatch.setattr("ortbench_tui.fleet.driver.__version__", "9.9.9")
    assert cli.main(["fleet", "sample:tiny", *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.count("runs ortbench 0.1.0, this is 9.9.9") == 3


def _session(selectors: list[str], duration: float, keep=None):
    from ortbench_tui.fleet.job import FleetJob
    from ortbench_tui.profile import Profile, apply_overrides

    profile = apply_overrides(Profile(name="p"), [f"run.duration_s={duration}"])
    return FleetJob(["sample:tiny"], [profile], None, selectors, run_id="t", keep=keep)


def _timed_on(event) -> str | None:
    """The node whose own run is in its timed phase, if the event says so."""
    run = getattr(event, "run", None)
    return event.node.node_id if run is not None and run.phase == "timed" else None


@pytest.mark.slow
def test_one_ortbench_benchmark_per_node_at_a_time(cluster, isolated_dirs):
    """A second fleet run on a busy node waits for the node's ortbench resource."""
    node = ray.nodes()[0]["NodeID"]
    ends: dict[str, float] = {}
    starts: dict[str, float] = {}

    def run(name: str) -> None:
        def on_event(event):
            if getattr(event, "state", "") == "ready":
                starts[name] = time.monotonic()
            if isinstance(event, JobOutcome):
                ends[name] = time.monotonic()

        drive(_session([f"id:{node}"], 1.5), FleetFinished, on_event, "fleet run")

    threads = [threading.Thread(target=run, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    first, second = sorted(starts, key=starts.__getitem__)
    assert starts[second] >= ends[first] - 0.05


@pytest.mark.slow
def test_drive_follows_a_fleet_job_to_its_report_with_one_progress_count(cluster, isolated_dirs):
    """The fleet is a Job like the others: `drive` returns its result, and its progress is
    `JobProgress` whose done never goes back and has a total: (node, job) pairs ended."""
    from ortbench_tui.fleet.job import FleetJob
    from ortbench_tui.profile import Profile, apply_overrides

    profile = apply_overrides(
        Profile(name="p"), ["run.timed_runs=200", "run.duration_s=0", "run.warmup_runs=5"]
    )
    job = FleetJob(["sample:tiny"], [profile], None, [], run_id="t")
    events: list = []
    done = drive(job, FleetFinished, events.append, "fleet run")
    assert isinstance(done, FleetFinished) and not done.cancelled and events[-1] is done
    assert exit_code(done.report) == 0 and len(done.report.outcomes) == 3
    progress = [e for e in events if isinstance(e, JobProgress)]
    counts = [p.done for p in progress]
    assert counts == sorted(counts) and all(p.total for p in progress)
    fleet = [p for p in progress if p.phase == "jobs done"]
    assert (fleet[-1].done, fleet[-1].total) == (3, 3)
    assert any(p.detail for p in fleet)  # each node's own phase, for the one line


@pytest.mark.slow
def test_a_cancel_through_the_job_closes_it_with_what_each_node_measured(cluster, isolated_dirs):
    """`cancel()` while `drive` follows the job: the result comes, marked cancelled, with
    every node's partial result and samples, long before the 30 s jobs would end."""
    job = _session([], 30.0)
    timed: set[str | None] = set()
    cancelled_at: list[float] = []

    def on_event(event):
        timed.add(_timed_on(event))
        if len(timed - {None}) == 3 and not cancelled_at:
            cancelled_at.append(time.monotonic())
            job.cancel()

    done = drive(job, FleetFinished, on_event, "fleet run")
    assert done.cancelled and job.cancelled
    outcomes = done.report.outcomes
    assert sorted(o.status for o in outcomes) == ["cancelled"] * 3
    assert all(o.samples_ns is not None and o.samples_ns.size > 0 for o in outcomes)
    assert time.monotonic() - cancelled_at[0] < 15


@pytest.mark.slow
def test_cancel_stops_every_remote_worker(cluster, isolated_dirs):
    """The events cut short, as Ctrl-C cuts them: `partial()` cancels every node's worker."""
    session = _session([], 30.0)
    events = session.events()  # held, as the interrupted caller's traceback holds it
    timed = set()
    for event in events:
        timed.add(_timed_on(event))
        if len(timed - {None}) == 3:
            break
    cancelled_at = time.monotonic()
    cut_short: list = []
    finished = session.partial(cut_short.append)
    outcomes = [e for e in cut_short if isinstance(e, JobOutcome)]
    assert finished is not None and finished.cancelled
    assert {id(o) for o in finished.report.outcomes} == {id(o) for o in outcomes}
    assert sorted(o.status for o in outcomes) == ["cancelled"] * 3
    # what each measured before the cancel comes back, to be kept as a local run keeps it
    assert all(o.result and o.result["status"] == "cancelled" for o in outcomes)
    assert all(o.samples_ns is not None and o.samples_ns.size > 0 for o in outcomes)
    # Every node had just begun 30 s of timed runs: a cancel that waited for them would take
    # ~30 s. Timed from the cancel, not the start (starting 3 nodes took 27 s under load).
    assert time.monotonic() - cancelled_at < 15


@pytest.mark.slow
def test_a_load_job_runs_on_every_node_with_one_schedule_into_the_history(
    cluster, isolated_dirs, capsys
):
    """`--load`: the same seeded schedule on each node, a load result per node kept with its
    host, and the report's load rows (200/s for 0.5 s on sample:tiny)."""
    out = isolated_dirs / "fleet-load.json"
    argv = ["fleet", "sample:tiny", "--load", "--rate", "200", "--duration", "0.5",
            "--seed", "5", "--set", "session.intra_op_num_threads=1", "--quiet",
            "--json", str(out)]  # fmt: skip
    assert cli.main(argv) == 0
    report = json.loads(out.read_text())
    assert report["jobs"] == [] and len(report["load"]) == 3
    assert all(r["status"] == "ok" and r["percentile"] == "p99" for r in report["load"])
    results = [json.loads(Path(r["result"]).read_text()) for r in report["load"]]
    assert len({r["node"]["node_id"] for r in results}) == 3
    assert all(r["kind"] == "load" and r["host"] and r["load"]["seed"] == 5 for r in results)
    schedules = [
        np.load(Path(r["result"]).with_suffix(".npz"))["p0_s0_scheduled"] for r in report["load"]
    ]
    assert all(np.array_equal(schedules[0], s) for s in schedules[1:])  # the same arrivals
    for row in report["load"]:
        [step] = row["steps"]
        assert step["rate"] == 200 and step["response_ms"] > 0 and step["achieved_per_s"] > 0
    assert "response time p99 per node" in capsys.readouterr().out
    assert sorted(e.kind for e in history_by_host()[0]) == ["load"] * 3


@pytest.mark.slow
def test_a_node_removed_mid_run_fails_its_jobs_by_name_and_the_others_finish(
    cluster, isolated_dirs
):
    """Last in this file: it takes a node away from the cluster."""
    victim = cluster.list_all_nodes()[-1]
    victim_id = victim.node_id
    outcomes: list[JobOutcome] = []

    def on_event(event):
        if _timed_on(event) == victim_id:
            if victim in cluster.list_all_nodes():
                cluster.remove_node(victim)
        if isinstance(event, JobOutcome):
            outcomes.append(event)

    from ortbench_tui.commands.run_outputs import keep_in_history

    report = drive(_session([], 2.0, keep_in_history), FleetFinished, on_event).report
    by_node = {o.node.node_id: o for o in outcomes}
    assert len(by_node) == 3
    lost = by_node.pop(victim_id)
    assert lost.status == "run" and lost.node.label in lost.message and "lost" in lost.message
    assert all(o.status == "ok" for o in by_node.values())
    assert exit_code(report) == 1
    assert len(history_by_host()[0]) == 2


# --- a long run's samples: bounded messages, the history's .npy whole -------------------------

LIMIT = 1_000
"""The exact limit for these tests (1 000 000 in use): a run of 5 000 samples passes it."""


def test_a_run_past_the_exact_limit_sends_bounded_chunks_and_the_history_keeps_all(
    monkeypatch, isolated_dirs
):
    """A real run of 5 000 samples on sample:tiny with the node's store limited to 1 000
    samples: no message carries more than 1 000 samples (the closing one none), the driver
    writes the chunks to its own store (not its queue), and the history keeps every sample with
    the node's histogram percentiles and their method; the report names the method."""
    from functools import partial

    from ortbench_tui.bench.loghist import LogHistogram
    from ortbench_tui.bench.sample_store import SampleStore
    from ortbench_tui.bench.stats import HISTOGRAM_METHOD, summarize_histogram
    from ortbench_tui.commands.run_outputs import keep_in_history
    from ortbench_tui.fleet import agent
    from ortbench_tui.fleet.driver import FleetRun
    from ortbench_tui.fleet.history import keep_outcome
    from ortbench_tui.fleet.report import job_rows
    from ortbench_tui.inputs import InputSpec
    from ortbench_tui.profile import Profile, profile_to_dict
    from ortbench_tui.samples import resolve_model

    monkeypatch.setattr(
        "ortbench_tui.bench.runner.SampleStore", partial(SampleStore, exact_limit=LIMIT)
    )
    monkeypatch.setattr(agent, "receive", lambda bundle: resolve_model("sample:tiny"))
    monkeypatch.setattr(agent, "node_input_spec", lambda job: InputSpec())
    profile = Profile(name="p")
    profile.session.intra_op_num_threads = 1
    profile.run.timed_runs, profile.run.warmup_runs = 5_000, 5
    job = NodeJob(0, "sample:tiny", "sample:tiny", Bundle("m", []), profile_to_dict(profile))
    identity = {"hostname": "h", "node_id": "n1", "ip": "10.0.0.1", "ray_version": "x"}
    messages = list(agent.NodeAgent()._run_one(job, None, identity))

    chunks = [m for m in messages if isinstance(m, agent.AgentSamples)]
    done = messages[-1]
    assert isinstance(done, agent.AgentFinished), done
    assert done.samples_ns is None and done.chunked == 5_000
    assert max(c.samples_ns.size for c in chunks) <= LIMIT and len(chunks) == 5
    assert [c.start for c in chunks] == [0, 1_000, 2_000, 3_000, 4_000]
    sent = np.concatenate([c.samples_ns for c in chunks])
    assert done.result["percentile_method"] == HISTOGRAM_METHOD
    node_p99 = done.result["latency_ms"]["p99"]
    assert node_p99 == pytest.approx(summarize_histogram(LogHistogram.of(sent))["p99"])

    node = NodeInfo(node_id="n1", hostname="h", ip="10.0.0.1", label="h")
    run = FleetRun([node], [job])
    run._start = lambda: None  # type: ignore[method-assign]
    for message in [*messages, agent_ended()]:
        run.receive(node, message)
    assert run._queue.qsize() == len(messages) - len(chunks) + 1  # no chunk in the queue
    [outcome] = [e for e in run.events() if isinstance(e, JobOutcome)]
    assert outcome.status == "ok" and outcome.samples_ns is not None
    assert not isinstance(outcome.samples_ns, np.ndarray)  # the driver's store, on disk

    keep_outcome(outcome, "r1", keep_in_history)
    assert outcome.history_path is not None
    saved = json.loads(Path(outcome.history_path).read_text())
    kept = np.load(Path(outcome.history_path).with_suffix(".npy"))
    assert kept.dtype == np.int64 and np.array_equal(kept, sent)
    assert saved["runs"] == 5_000 and saved["percentile_method"] == HISTOGRAM_METHOD
    assert saved["latency_ms"]["p99"] == node_p99 and saved["host"] == "h"
    exact_p99 = float(np.percentile(kept, 99)) / 1e6
    assert node_p99 == pytest.approx(exact_p99, rel=0.01)  # within the histogram's error

    report = build_report([node], [outcome], {})
    assert job_rows(report)[0].percentile_method == HISTOGRAM_METHOD
    assert f"percentiles: {HISTOGRAM_METHOD}" in format_report(report)


def agent_ended():
    from ortbench_tui.fleet.driver import AgentEnded

    return AgentEnded()


def test_a_run_within_the_exact_limit_sends_its_samples_whole_in_the_closing_message(
    monkeypatch, tmp_path
):
    """At or under the limit the closing message carries the array, as it always did."""
    from ortbench_tui.bench.sample_store import SampleStore
    from ortbench_tui.fleet import agent

    store = SampleStore(folder=tmp_path, exact_limit=LIMIT)
    store.extend(np.arange(1, LIMIT + 1, dtype=np.int64))
    steps = agent.send_samples(0, store)
    with pytest.raises(StopIteration) as end:
        next(steps)
    whole, chunked = end.value.value
    assert chunked == 0 and whole is not None and whole.size == LIMIT

    store.extend(np.array([7], dtype=np.int64))  # one past the limit: chunks from the file
    steps = agent.send_samples(3, store)
    parts = []
    with pytest.raises(StopIteration) as end:
        while True:
            parts.append(next(steps))
    assert end.value.value == (None, LIMIT + 1)
    assert [(p.index, p.start, p.samples_ns.size) for p in parts] == [(3, 0, LIMIT), (3, LIMIT, 1)]


# --- the report and the history as typed records, against files written before them ---------

BEFORE_RECORD = Path(__file__).parent.parent / "data" / "fleet-before-record"


def _fleet_report_inputs():
    """Two nodes, two run jobs (one ok on both, one failed and bad input), one load job with
    an SLO and --find-max (found on one node, cancelled without a step on the other)."""
    from ortbench_tui.bench.load import LoadRequest, parse_slo
    from ortbench_tui.fleet.cluster import NodeInfo
    from ortbench_tui.fleet.driver import JobOutcome
    from ortbench_tui.fleet.payload import Bundle, NodeJob

    a = NodeInfo(
        "a1b2c3d4e5f6",
        "gpu-box",
        "10.0.0.7",
        {"CPU": 8.0, "ortbench": 1.0},
        {"pool": "bench"},
        "gpu-box",
    )
    b = NodeInfo(
        "f6e5d4c3b2a1", "cpu-box", "10.0.0.8", {"CPU": 2.0, "ortbench": 1.0}, {}, "cpu-box"
    )

    def job(index, model, profile, load=None):
        return NodeJob(index, model, model, Bundle("m.onnx", []), {"name": profile}, load=load)

    def run(p50, p99, runs):
        return {"latency_ms": {"p50": p50, "p99": p99}, "runs": runs}

    load = LoadRequest("", [], slo=parse_slo("p99.9=1ms"))
    step = {
        "rate": 1000.0,
        "offered_per_s": 991.5,
        "achieved_per_s": 990.25,
        "response_ms": {"p50": 0.1, "p90": 0.2, "p99": 0.3, "p999": 0.85},
        "kept_up": True,
        "stopped": False,
        "decision": {"outcome": "met", "percentile_ms": 0.85, "ci_ms": None},
    }
    found = {
        "profiles": [
            {
                "steps": [step],
                "find_max": {"max_rate": 1000.0, "lowest_not_met": 1500.0, "note": "bracketed"},
            }
        ]
    }
    j0, j1, j2 = (
        job(0, "sample:tiny", "ort-defaults"),
        job(1, "model", "cpu-latency"),
        job(2, "sample:mlp", "ort-defaults", load),
    )
    outcomes = [
        JobOutcome(a, j0, "ok", run(2.5, 3.125, 1000), history_path="/data/results/a.json"),
        JobOutcome(b, j0, "ok", run(1.25, 1.5, 1000), history_path="/data/results/b.json"),
        JobOutcome(a, j1, "run", None, message="gpu-box: the worker died (signal 9)"),
        JobOutcome(b, j1, "input", None, message="cpu-box: model: no such file"),
        JobOutcome(a, j2, "ok", found, history_path="/data/results/c.json"),
        JobOutcome(b, j2, "cancelled", None, message="cpu-box: cancelled"),
    ]
    messages = {"cpu-box": ["hardware detection failed: x"]}
    return [a, b], outcomes, messages


def _json_text(value: object) -> str:
    return json.dumps(value, indent=2, allow_nan=False) + "\n"  # as `--json` writes it


def test_a_fleet_report_written_before_its_record_reads_back_and_is_written_the_same():
    """`report.json` is what `ortbench fleet --json` wrote for these outcomes before the
    report was typed (tests/data/README.md): it reads back through the record, converts back
    to the same bytes, and today's code writes the same bytes for the same outcomes (their
    results name no percentile method, so none is written)."""
    import msgspec

    from ortbench_tui.fleet.report import read_fleet_report, report_dict

    text = (BEFORE_RECORD / "report.json").read_text()
    record = read_fleet_report(BEFORE_RECORD / "report.json")
    assert [j.host for j in record.jobs] == ["gpu-box", "cpu-box", "gpu-box", "cpu-box"]
    assert record.load[0].steps[0].response_ms == 0.85 and record.rows[1].fastest is None
    assert _json_text(msgspec.to_builtins(record)) == text
    nodes, outcomes, messages = _fleet_report_inputs()
    written = report_dict(build_report(nodes, outcomes, messages))
    assert _json_text({**written, "ortbench_version": "0.1.0"}) == text


def test_a_fleet_report_that_is_not_one_is_refused_naming_the_file_and_field(tmp_path):
    from ortbench_tui.fleet.report import read_fleet_report

    data = json.loads((BEFORE_RECORD / "report.json").read_text())
    data["jobs"][0]["runs"] = "many"
    bad = tmp_path / "fleet.json"
    bad.write_text(json.dumps(data))
    with pytest.raises(OrtbenchError, match=r"fleet\.json: not a readable fleet report: .*jobs"):
        read_fleet_report(bad)


def test_the_host_history_written_before_its_record_reads_back_the_same(isolated_dirs):
    """`history.json` is what `ortbench fleet --history --json` wrote before it was typed;
    today's command writes the same fields in the same order for the same saved runs."""
    import msgspec

    from ortbench_tui.bench.results import save_to_history
    from ortbench_tui.fleet.history import read_host_history

    text = (BEFORE_RECORD / "history.json").read_text()
    lines = read_host_history(BEFORE_RECORD / "history.json")
    assert [(x.host, x.p50_ms) for x in lines] == [
        ("(local)", 1.25), ("cpu-box", None), ("gpu-box", 1.25)
    ]  # fmt: skip
    assert _json_text(msgspec.to_builtins(lines)) == text

    base = {"schema": 1, "created": "2025-01-02T03:04:05+00:00", "status": "ok",
            "model": {"name": "sample:tiny"}, "profile": {"name": "ort-defaults"},
            "latency_ms": {"p50": 1.25, "p99": 2.5}, "runs": 3}  # fmt: skip
    save_to_history(
        run_record({**base, "host": "gpu-box", "fleet": {"run_id": "r1"}}), np.arange(3)
    )
    failed = {**base, "host": "cpu-box", "status": "failed", "fleet": {"run_id": "r1"},
              "latency_ms": {"p50": None, "p99": None}}  # fmt: skip
    save_to_history(run_record(failed), np.arange(3))
    save_to_history(run_record(dict(base)), np.arange(3))
    out = isolated_dirs / "history.json"
    assert cli.main(["fleet", "--history", "--json", str(out)]) == 0
    now = json.loads(out.read_text())
    before = json.loads(text)
    for item in [*now, *before]:
        item.pop("path")  # where each machine kept them
    assert sorted(now, key=lambda x: x["host"]) == sorted(before, key=lambda x: x["host"])
    assert [list(x) for x in now] == [list(x) for x in before]  # the same keys, in order
