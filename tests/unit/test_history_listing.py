"""History lists the runs that read well and names, once, the files that do not."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ortbench_tui.bench.result_record import run_record
from ortbench_tui.bench.results import list_history, results_dir, save_to_history, scan_history
from ortbench_tui.tui.demo import fixed_result, fixed_samples


def bad_files(folder: Path) -> dict[str, str]:
    """name -> a word the reason must hold."""
    good = fixed_result(fixed_samples(100))
    cases = {
        "types.json": ({**good, "runs": "many"}, "runs"),
        "null-latency.json": ({**good, "latency_ms": None}, "latency_ms"),
        "model-string.json": ({**good, "model": "sample:tiny"}, "model"),
        "bad-p50.json": ({**good, "latency_ms": {"p50": "fast"}}, "latency_ms"),
        "list.json": ([1, 2], "object"),
        "old-schema.json": ({**good, "schema": 99}, "schema"),
    }
    for name, (data, _) in cases.items():
        (folder / name).write_text(json.dumps(data))
    (folder / "truncated.json").write_text(json.dumps(good)[:200])
    (folder / "empty.json").write_bytes(b"")
    os.mkfifo(folder / "pipe.json")
    words = {name: word for name, (_, word) in cases.items()}
    return {**words, "truncated.json": "JSON", "empty.json": "JSON", "pipe.json": "named pipe"}


def test_bad_history_files_are_skipped_with_their_reasons():
    samples = fixed_samples(100)
    kept = save_to_history(run_record(fixed_result(samples)), samples)
    expected = bad_files(results_dir())
    listing = scan_history()
    assert [e.path for e in listing.entries] == [kept]
    reasons = {path.name: reason for path, reason in listing.skipped}
    assert set(reasons) == set(expected)
    for name, word in expected.items():
        assert word in reasons[name], (name, reasons[name])
        assert str(results_dir()) not in reasons[name]  # the name is shown beside it once
    assert list_history() == listing.entries


def test_a_missing_history_folder_is_an_empty_history(tmp_path):
    listing = scan_history(tmp_path / "none")
    assert listing.entries == [] and listing.skipped == []
