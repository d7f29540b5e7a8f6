"""The run result record (bench/result_record.py): files written before it existed convert to
it and back unchanged, and a bad file is refused with the field, what it must be and what it is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ortbench_tui.bench.result_record import (
    ResultProblem,
    RunResult,
    record_dict,
    result_problem,
    result_view,
    run_record,
)
from ortbench_tui.bench.results import load_result
from ortbench_tui.errors import OrtbenchError

DATA = Path(__file__).parent.parent / "data"
OLD_RUNS = [
    DATA / "results-0.1.0" / "run.json",
    DATA / "results-0.1.0" / "partial.json",
    DATA / "results-before-record" / "run.json",  # `run sample:tiny --duration 1 --json`
    DATA / "results-before-record" / "run-until-ci.json",  # `--until-ci 5%`: stopping
]


def old_runs() -> list[tuple[str, dict]]:
    runs = [(p.name, json.loads(p.read_text())) for p in OLD_RUNS]
    compare = json.loads((DATA / "results-0.1.0" / "compare.json").read_text())
    runs += [(f"compare.json results[{i}]", r) for i, r in enumerate(compare["results"])]
    return runs


@pytest.mark.parametrize(("name", "data"), old_runs(), ids=[n for n, _ in old_runs()])
def test_a_run_written_before_the_record_round_trips_with_the_same_keys_and_values(name, data):
    record = run_record(data)
    assert isinstance(record, RunResult) and record.runs == data["runs"]
    assert record_dict(record) == data
    assert json.loads(json.dumps(record_dict(record))) == data


def test_every_field_a_saved_run_has_is_a_field_of_the_record():
    keys = set().union(*(d for _, d in old_runs()))
    assert keys <= set(RunResult.__struct_fields__)


def test_a_result_built_now_round_trips(tmp_path):
    from tests.unit.test_fileio import fixed_result

    minimal = fixed_result()
    assert record_dict(run_record(minimal)) == minimal
    path = tmp_path / "r.json"
    path.write_text(json.dumps(minimal))
    assert record_dict(load_result(path)) == minimal


GOOD = {
    "schema": 1,
    "model": {"name": "m"},
    "profile": {"name": "p"},
    "latency_ms": {"p50": 1.0, "p99": None},
    "runs": 3,
}

BAD = [
    (
        {k: v for k, v in GOOD.items() if k not in ("runs", "profile")},
        "not an ortbench result (missing profile, runs)",
    ),
    ({**GOOD, "schema": 2}, "result schema 2, this ortbench reads 1"),
    ({**GOOD, "schema": 2, "runs": "x"}, "result schema 2, this ortbench reads 1"),
    ({**GOOD, "model": "resnet"}, "model must be an object, got a string"),
    ({**GOOD, "model": {"name": 3}}, "model.name must be a string, got 3"),
    ({**GOOD, "latency_ms": None}, "latency_ms must be an object of numbers, got null"),
    (
        {**GOOD, "latency_ms": {"p50": "fast"}},
        "latency_ms.p50 must be a number or null, got a string",
    ),
    (
        {**GOOD, "latency_ms": {"p50": float("nan")}},
        "latency_ms.p50 must be a finite number >= 0, got nan",
    ),
    ({**GOOD, "cv": float("inf")}, "cv must be a finite number >= 0, got inf"),
    ({**GOOD, "wall_s": -1.0}, "wall_s must be a finite number >= 0, got -1.0"),
    ({**GOOD, "runs": "many"}, "runs must be a whole number >= 0, got a string"),
    ({**GOOD, "runs": -1}, "runs must be a whole number >= 0, got -1"),
    ({**GOOD, "runs": 2.5}, "runs must be a whole number >= 0, got 2.5"),
    ({**GOOD, "runs": True}, "runs must be a whole number >= 0, got true"),
    ({**GOOD, "warnings": {"a": 1}}, "warnings must be a list of strings, got an object"),
    ({**GOOD, "warnings": ["ok", 3]}, "warnings[1] must be a string, got 3"),
    ({**GOOD, "inputs": [{"dtype": "float32"}]}, "inputs[0] has no name"),
    (
        {**GOOD, "hardware": {"logical_cores": "two"}},
        "hardware.logical_cores must be a whole number or null, got a string",
    ),
    ([1, 2], "expected an object, got a list"),
]


@pytest.mark.parametrize(("data", "problem"), BAD, ids=[p for _, p in BAD])
def test_a_bad_result_names_the_field_what_it_must_be_and_what_it_is(data, problem):
    assert result_problem(data) == problem


def test_a_good_result_has_no_problem_and_reads_as_it_was_written(tmp_path):
    assert result_problem(GOOD) == ""
    path = tmp_path / "good.json"
    path.write_text(json.dumps(GOOD))
    assert record_dict(load_result(path)) == GOOD


def test_load_result_names_the_file_and_the_field(tmp_path):
    path = tmp_path / "nan.json"
    path.write_text(json.dumps({**GOOD, "latency_ms": {"p99": float("nan")}}))
    with pytest.raises(OrtbenchError) as err:
        load_result(path)
    assert str(err.value) == f"{path}: latency_ms.p99 must be a finite number >= 0, got nan"


def test_build_result_makes_a_record(tmp_path):
    """What `run` writes today converts to the record with every key kept."""
    from ortbench_tui.bench.protocol import RunFinal
    from ortbench_tui.bench.results import build_result
    from ortbench_tui.profile import Profile

    result = build_result(
        model_spec="sample:tiny",
        model_path=tmp_path / "tiny.onnx",
        model_sha256="0" * 64,
        profile=Profile(name="p"),
        meta={"providers": {"requested": ["CPUExecutionProvider"], "active": []}},
        final=RunFinal(1.5, 0.5, False),
        samples_ns=np.array([1_000_000, 2_000_000, 3_000_000], np.int64),
        hardware={"logical_cores": 4, "load_avg": [0.1, 0.2, 0.3]},
    )
    assert isinstance(result, RunResult)
    written = json.loads(json.dumps(record_dict(result)))
    assert run_record(written) == result
    assert record_dict(run_record(written)) == written


def test_a_final_gives_the_result_only_the_sections_its_run_has(tmp_path):
    """A run's final names every section (accuracy, quantization, trace, stopping, shifts);
    the result holds those the run has, even empty ones, and no key, not null, for the rest,
    as the files written before the final was a record."""
    from ortbench_tui.bench.protocol import RunFinal
    from ortbench_tui.bench.results import build_result
    from ortbench_tui.profile import Profile

    def result_of(final: RunFinal) -> dict:
        return record_dict(
            build_result(
                model_spec="sample:tiny",
                model_path=tmp_path / "tiny.onnx",
                model_sha256="0" * 64,
                profile=Profile(name="p"),
                meta={},
                final=final,
                samples_ns=np.array([1_000_000, 2_000_000], np.int64),
                hardware={"logical_cores": 4, "load_avg": [0.1]},
            )
        )

    sections = ("accuracy", "quantization", "trace", "stopping", "shifts")
    plain = result_of(RunFinal(1.0, 0.5, False))
    assert not set(sections) & set(plain)
    stopping = {"rule": "precision", "stopped_by": "max duration"}
    full = result_of(
        RunFinal(1.0, 0.5, False, accuracy={}, trace={"nodes": 1}, stopping=stopping, shifts=[])
    )
    assert full["accuracy"] == {} and full["trace"] == {"nodes": 1} and full["shifts"] == []
    assert full["stopping"] == stopping and "quantization" not in full
    failed = result_of(RunFinal(None, 0.5, True, failed=True, reason="the worker died\nstack"))
    assert (failed["status"], failed["reason"]) == ("failed", "the worker died\nstack")
    assert failed["warnings"][-1] == "failed: the worker died; partial result from 2 timed runs"


def test_a_final_of_another_kind_is_said_as_such():
    """A parent that reads a child's Done as another kind of final fails naming both: one
    record's fields are never read as another's."""
    from ortbench_tui.bench.protocol import CurveFinal, Done, RunFinal

    done = Done(CurveFinal(False, ["a note"]))
    assert done.final_as(CurveFinal).warnings == ["a note"]
    with pytest.raises(TypeError, match="sent a CurveFinal where a RunFinal was due"):
        done.final_as(RunFinal)


@pytest.mark.parametrize(("name", "data"), old_runs(), ids=[n for n, _ in old_runs()])
def test_a_screen_reads_the_same_record_as_the_check(name, data):
    assert result_view(data) == run_record(data)


def test_a_screen_reads_a_result_whose_trace_only_the_trace_screen_refuses():
    data = json.loads(OLD_RUNS[0].read_text())
    data["trace"] = {"nodes": [{"calls": -1}]}
    with pytest.raises(ResultProblem, match="trace"):
        run_record(data)
    record = result_view(data)
    assert record.trace == {"nodes": [{"calls": -1}]} and record.runs == data["runs"]
    del data["latency_ms"]
    with pytest.raises(ResultProblem, match="latency_ms"):
        result_view(data)


# -- the record as the producer makes it: the files it writes are today's files ------------------

BEFORE_TYPED_BUILD = DATA / "results-before-typed-build"


def built_on_fixed_inputs(monkeypatch) -> RunResult:
    """`build_result` on fixed inputs: a cancelled run with every section the final can carry,
    warnings from the worker and the parent, a TensorRT note and inputs (the clock and the
    version frozen so the file is the same each time)."""
    import datetime as dt

    from ortbench_tui.bench import results
    from ortbench_tui.bench.protocol import RunFinal
    from ortbench_tui.profile import Profile

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=tz)

    monkeypatch.setattr(results.dt, "datetime", Frozen)
    monkeypatch.setattr(results, "__version__", "0.1.0")
    active = ["CPUExecutionProvider"]
    source = {"kind": "normal", "seed": 0, "default": True}
    meta = {
        "providers": {"requested": active, "active": active, "fallback": False},
        "intra_op_threads": 2,
        "worker_cpus": None,
        "session_create_ms": 4.5,
        "inputs": [{"name": "x", "dtype": "float32", "shape": [1, 16], "source": source}],
        "warnings": ["from the worker"],
        "tensorrt": {"engine_from_cache": True, "build_s": 1.5},
    }
    final = RunFinal(
        0.75,
        0.002,
        True,
        warnings=["late"],
        rss_peak_mb=70.5,
        gpu_mem_note="no GPU execution provider in use",
        reason="cancelled by the user",
        stopping={"rule": "precision", "stopped_by": "max duration"},
        shifts=[{"run": 3}],
        accuracy={},
        quantization={"quantized_nodes": 0, "nodes": 4},
    )
    hardware = {"cpu_model": "x", "logical_cores": 4, "cpu_governor": "performance",
                "load_avg": [0.1, 0.2, 0.3]}  # fmt: skip
    return results.build_result(
        model_spec="sample:tiny",
        model_path=Path("/models/tiny.onnx"),
        model_sha256="ab" * 32,
        profile=Profile(name="p"),
        meta=meta,
        final=final,
        samples_ns=np.array([1_000_000, 2_000_000, 3_000_000, 2_500_000], np.int64),
        hardware=hardware,
    )


def test_the_built_record_is_written_as_the_json_object_was_and_read_back_equal(
    monkeypatch, tmp_path
):
    """The same inputs give the same file, byte for byte, as when `build_result` returned a
    JSON object (`built.json`, written by that version), and the file reads back as the
    record that wrote it."""
    from ortbench_tui.bench.results import load_result, write_result_json

    record = built_on_fixed_inputs(monkeypatch)
    assert isinstance(record, RunResult)
    path = write_result_json(record, tmp_path / "built.json")
    before = BEFORE_TYPED_BUILD / "built.json"
    assert path.read_text() == before.read_text()
    assert run_record(json.loads(path.read_text())) == record
    assert load_result(before) == record


def test_history_keeps_the_built_record_as_the_json_object_was_kept(monkeypatch, isolated_dirs):
    from ortbench_tui.bench.results import save_to_history

    record = built_on_fixed_inputs(monkeypatch)
    path = save_to_history(record, np.array([1, 2, 3], np.int64))
    assert path.read_text() == (BEFORE_TYPED_BUILD / "built.json").read_text()


@pytest.mark.parametrize(
    "path", [*OLD_RUNS, BEFORE_TYPED_BUILD / "run.json"], ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_a_file_written_before_is_written_again_with_the_same_keys_in_the_same_order(
    path, tmp_path
):
    """A result read as its record and written again (`write_result_json`) has the keys
    and values it was read with, in the order the file had them."""
    from ortbench_tui.bench.results import write_result_json

    data = json.loads(path.read_text())
    again = json.loads(write_result_json(run_record(data), tmp_path / "again.json").read_text())
    assert again == data
    assert list(again) == list(data)
