"""The `trace` section as a typed record (bench/result_record.py): traced result files written
before it existed open, convert to it and back unchanged and print the same report; a
hand-edited trace section is refused with the field, what it must be and what it is.

tests/data/results-before-trace-record/ holds three `ortbench trace --json` files written by
ortbench before the record (see tests/data/README.md), and `rendered.json`: what that version
printed (`format_trace`) and what its trace screen showed, recorded from it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from ortbench_tui.bench.result_record import (
    ResultProblem,
    TraceNode,
    TraceSummary,
    UnreadableTrace,
    record_dict,
    trace_dict,
    trace_record,
)
from ortbench_tui.bench.results import load_result
from ortbench_tui.bench.trace import format_trace, summarize_trace, trace_section
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile

DATA = Path(__file__).parent.parent / "data"
OLD = DATA / "results-before-trace-record"
OLD_FILES = sorted(p for p in OLD.glob("*.json") if p.name != "rendered.json")
RENDERED = json.loads((OLD / "rendered.json").read_text(encoding="utf-8"))


def test_the_old_files_are_there():
    assert [p.name for p in OLD_FILES] == [
        "trace-conv.json",
        "trace-if.json",
        "trace-mlp-cuda-fallback.json",
    ]
    assert set(RENDERED) == {p.name for p in OLD_FILES}


@pytest.mark.parametrize("path", OLD_FILES, ids=lambda p: p.name)
def test_a_traced_result_written_before_the_record_opens_and_round_trips(path):
    data = record_dict(load_result(path))  # the one check on read, the trace included
    summary = trace_record(data["trace"])
    assert isinstance(summary, TraceSummary) and summary.runs == data["runs"]
    assert trace_dict(summary) == data["trace"]
    assert json.loads(json.dumps(trace_dict(summary))) == data["trace"]


@pytest.mark.parametrize("path", OLD_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("top", ["15", "2", "0"])
def test_its_report_prints_as_it_did(path, top):
    summary = trace_record(record_dict(load_result(path))["trace"])
    assert format_trace(summary, top=int(top)) == RENDERED[path.name]["cli"][top]


def test_what_the_old_files_cover():
    """Subgraph nodes under their If, and a CUDA request that fell back to CPU."""
    traced = {p.name: trace_record(json.loads(p.read_text())["trace"]) for p in OLD_FILES}
    if_trace = traced["trace-if.json"]
    assert isinstance(if_trace, TraceSummary)
    assert any(n.parent_name == "choose" for n in if_trace.nodes)
    fallback = traced["trace-mlp-cuda-fallback.json"]
    assert isinstance(fallback, TraceSummary)
    assert fallback.gpu_requested and fallback.fallback_nodes


def test_a_summary_written_now_is_the_json_of_its_record():
    summary = summarize_trace(DATA / "ort_trace_cuda_fallback_SYNTHETIC.json", skip_runs=1)
    section = json.loads(json.dumps(trace_dict(summary), allow_nan=False))
    assert trace_record(section) == summary
    assert list(section) == list(TraceSummary.__struct_fields__)  # the order written
    assert list(section["nodes"][0]) == list(TraceNode.__struct_fields__)


def test_a_summary_before_version_2_has_no_parents_and_still_reads():
    """Version 1 (before exclusive times) wrote no inclusive_us, subgraph_us or parent."""
    section = json.loads((OLD / "trace-conv.json").read_text())["trace"]
    section["version"] = 1
    for node in section["nodes"]:
        for key in ("inclusive_us", "subgraph_us", "parent"):
            del node[key]
    summary = trace_record(section)
    assert isinstance(summary, TraceSummary)
    assert all(n.parent_name is None for n in summary.nodes)
    assert trace_dict(summary) == section
    assert "top 9 of 9 nodes" in format_trace(summary)


def test_the_worker_section_of_an_unreadable_trace(tmp_path):
    bad = tmp_path / "ort.json"
    bad.write_text("hello")
    section = trace_section(bad, Profile(name="t"))
    assert set(section) == {"file", "error"}
    record = trace_record(section)
    assert isinstance(record, UnreadableTrace) and record.file == str(bad)
    assert format_trace(record) == f"trace: {record.error}"
    assert trace_dict(record) == section


def _edited(change) -> dict:
    data = json.loads((OLD / "trace-if.json").read_text())
    change(data["trace"])
    return data


def _set(path: str, value: object):
    def change(trace: dict) -> None:
        *parents, last = path.split(".")
        target = trace
        for step in parents:
            target = target[int(step)] if step.isdigit() else target[step]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value

    return change


HAND_EDITED = [
    (_set("nodes.0.calls", -1), "trace.nodes[0].calls must be a whole number >= 0, got -1"),
    (_set("runs", "10"), "trace.runs must be a whole number, got a string"),
    (_set("nodes.0.share", float("nan")), "trace.nodes[0].share must be a finite number >= 0"),
    (_set("overhead_us", float("inf")), "trace.overhead_us must be a finite number, got inf"),
    (_set("memcpy", KeyError), "trace has no memcpy"),
    (_set("nodes.1.fallback", "no"), "trace.nodes[1].fallback must be a boolean, got a string"),
    (
        _set("providers.CPUExecutionProvider.nodes", 1.5),
        "trace.providers.CPUExecutionProvider.nodes must be a whole number, got 1.5",
    ),
    (_set("nodes.2.parent", 3), "trace.nodes[2].parent must be a string or null, got 3"),
]


@pytest.mark.parametrize(("change", "problem"), HAND_EDITED)
def test_a_hand_edited_trace_section_is_refused_naming_the_field(tmp_path, change, problem):
    path = tmp_path / "traced.json"
    path.write_text(json.dumps(_edited(change)))
    with pytest.raises(OrtbenchError) as refused:
        load_result(path)
    assert str(refused.value).startswith(f"{path}: ")
    assert problem in str(refused.value)


def test_a_trace_section_that_is_not_an_object_is_refused(tmp_path):
    path = tmp_path / "traced.json"
    path.write_text(json.dumps(_edited(lambda t: None) | {"trace": [1, 2]}))
    with pytest.raises(OrtbenchError, match="trace must be an object, got a list"):
        load_result(path)
    unreadable = _edited(lambda t: None) | {"trace": {"file": "x.json", "error": 5}}
    path.write_text(json.dumps(unreadable))
    with pytest.raises(OrtbenchError, match="trace.error must be a string, got 5"):
        load_result(path)


def test_the_record_is_what_the_screens_and_the_report_read():
    """Attributes, not keys: a copy edited through the record renders the edit."""
    summary = trace_record(json.loads((OLD / "trace-conv.json").read_text())["trace"])
    assert isinstance(summary, TraceSummary)
    edited = copy.deepcopy(summary)
    edited.nodes[0].name = "renamed_node"
    assert "renamed_node" in format_trace(edited) and "renamed_node" not in format_trace(summary)


def test_a_key_among_several_is_not_guessed():
    """msgspec names no key of an open object (`providers[...]`): with one EP the problem
    names it; among several it keeps `[...]` and claims no value."""
    summary = summarize_trace(DATA / "ort_trace_cuda_fallback_SYNTHETIC.json", skip_runs=1)
    section = trace_dict(summary)
    assert len(section["providers"]) == 2
    section["providers"]["CPUExecutionProvider"]["calls"] = -4
    with pytest.raises(ResultProblem) as refused:
        trace_record(section)
    assert str(refused.value) == "trace.providers[...].calls must be a whole number >= 0"
