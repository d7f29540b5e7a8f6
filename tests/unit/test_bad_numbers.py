"""Bad numbers and unbounded inputs are exit 2 with a sentence naming the limit, never a raw
Python error, a pybind dump or a machine buried in threads (issue 20 items 13, 14, 15)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ortbench_tui.bench.child_main import send_error
from ortbench_tui.bench.compare import CompareRequest, start_compare
from ortbench_tui.bench.job import JobFailed
from ortbench_tui.bench.runner import RunHandle, RunRequest
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError, RunFailed
from ortbench_tui.feeds import prepare_inputs
from ortbench_tui.inputs.spec import spec_from_flags
from ortbench_tui.models import inspect_model
from ortbench_tui.profile import Profile, apply_overrides, load_profile
from ortbench_tui.samples import resolve_model


@pytest.mark.parametrize(
    "argv",
    [
        ["--duration", "inf"],
        ["--duration", "nan"],
        ["--duration", "1e309"],
        ["--precision", "2%", "--max-duration", "nan"],
    ],
)
def test_non_finite_durations_are_usage_errors(capsys, argv: list[str]):
    with pytest.raises(SystemExit) as exc:
        main(["run", "sample:tiny", *argv])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    # --duration must be above 0; --max-duration may be 0 (no cap): both must be finite.
    assert "expected a finite" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ("duration_s = nan", "run.duration_s: expected a finite non-negative number, got nan"),
        ("max_duration_s = inf", "run.max_duration_s: expected a finite non-negative number"),
    ],
)
def test_non_finite_profile_numbers_name_the_key(tmp_path: Path, line: str, needle: str):
    path = tmp_path / "p.toml"
    path.write_text(f"[run]\n{line}\n")
    with pytest.raises(OrtbenchError, match=needle):
        load_profile(path)


def test_a_thread_count_past_any_machine_is_refused_by_the_profile(tmp_path: Path):
    """99999999999999999 reached ORT's C int and came back as a pybind dump."""
    path = tmp_path / "p.toml"
    path.write_text("[session]\nintra_op_num_threads = 99999999999999999\n")
    with pytest.raises(OrtbenchError, match=r'expected an integer from 0 to 1024 or "physical"'):
        load_profile(path)


def test_threads_past_the_logical_cores_need_the_explicit_override(monkeypatch):
    """10,000 intra-op threads once started 1,100+ threads (load average 509)."""
    cores = os.cpu_count() or 1
    profile = apply_overrides(Profile(), [f"session.intra_op_num_threads={cores + 1}"])
    with pytest.raises(OrtbenchError, match=r"more than this machine's \d+ logical cores"):
        RunHandle(RunRequest("sample:tiny", profile))
    monkeypatch.setenv("ORTBENCH_ALLOW_OVERSUBSCRIPTION", "1")
    handle = RunHandle(RunRequest("sample:tiny", profile))  # meant: it starts
    handle.close()


def _encoder_inputs() -> list[Any]:
    return inspect_model(resolve_model("sample:encoder")).inputs


def test_input_sets_are_bounded():
    with pytest.raises(OrtbenchError, match=r"input_sets: .* at most 1024, got 100000000"):
        prepare_inputs(_encoder_inputs(), spec_from_flags(["tokens=1x4x64"]), {}, sets=100_000_000)


def test_inputs_too_large_for_memory_are_refused_with_their_size():
    """--shape tokens=1000000000000x16x64 once died as "_ArrayMemoryError ... 3.64 PiB"."""
    spec = spec_from_flags(["tokens=1000000000000x16x64"])
    with pytest.raises(OrtbenchError, match=r"would take 3\.6 PiB .*'tokens'.*at most"):
        prepare_inputs(_encoder_inputs(), spec, {}, sets=1)


def test_an_input_file_with_zero_sets_is_an_error(tmp_path: Path):
    """A leading axis of 0 was an IndexError."""
    npy = tmp_path / "empty.npy"
    np.save(npy, np.zeros((0, 1, 4, 64), np.float32))
    spec = spec_from_flags(["tokens=1x4x64"], [f"tokens={npy}"])
    with pytest.raises(OrtbenchError, match=r"holds 0 sets on its leading axis; expected 1 to"):
        prepare_inputs(_encoder_inputs(), spec, {})


class _Pipe:
    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> None:
        self.sent.append(message)


def test_a_failed_run_says_its_sentence_without_the_class_path():
    """Bad external data: "ortbench_tui.errors.RunFailed: ..." leaked into the message."""
    pipe = _Pipe()
    send_error(pipe, RunFailed("model.onnx: external data file weights.bin is missing"))
    assert pipe.sent[0].kind == "run"
    assert pipe.sent[0].message == "model.onnx: external data file weights.bin is missing"


def other_model_worker(conn: Any, request: Any, log_path: str) -> None:
    """A worker whose session is of another file than the parent hashed (it was replaced)."""
    import time

    from ortbench_tui.bench.protocol import SessionReady

    conn.send(SessionReady(0, {"model_sha256": "f" * 64}))
    time.sleep(60)  # it would measure now; the parent must refuse first


@pytest.mark.slow
def test_a_model_replaced_between_hash_and_load_is_refused():
    """Item 14: the result recorded the old model's sha256 with the new model's latency."""
    handle = RunHandle(RunRequest("sample:tiny", Profile()), target=other_model_worker)
    events = list(handle.events())
    assert isinstance(events[-1], JobFailed) and events[-1].kind == "input"
    assert "changed on disk while the run started" in events[-1].message
    assert not handle.process.is_alive()


def deleting_worker(conn: Any, request: Any, log_path: str) -> None:
    """One short run, after which the model file is gone (deleted during a comparison)."""
    from ortbench_tui.bench.protocol import Done, RunFinal, SampleBatch, SessionReady

    Path(request["model_path"]).unlink()
    conn.send(SessionReady(0, {}))
    conn.send(SampleBatch(0, np.full(10, 1000, np.int64)))
    conn.send(Done(RunFinal(None, 0.01, False)))


def test_a_model_deleted_during_a_sequential_compare_is_a_failed_run(tmp_path: Path):
    """Item 15: exit 2 (bad input) for a comparison that had started; it is a failed run."""
    model = tmp_path / "tiny.onnx"
    shutil.copy(resolve_model("sample:tiny"), model)
    job = start_compare(
        CompareRequest(str(model), [Profile(name="a"), Profile(name="b")], interleave=False),
        run_target=deleting_worker,
    )
    events = list(job.events())
    assert isinstance(events[-1], JobFailed) and events[-1].kind == "run", events[-1]
    assert "not found" in events[-1].message or "No such file" in events[-1].message
