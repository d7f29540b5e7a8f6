"""Load results (`ortbench load`) in the history: listed with their figures, refused where a
run is expected, and read through the one safe reader (a named pipe never hangs a reader)."""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ortbench_tui.bench.curve import is_curve_file, load_curve
from ortbench_tui.bench.load import LoadRequest, load_load, run_load
from ortbench_tui.bench.result_record import run_record
from ortbench_tui.bench.results import results_dir, save_to_history, scan_history
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.tui.demo import fixed_result, fixed_samples


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_thread(name: str) -> Profile:
    return apply_overrides(
        Profile(name=name), ["session.intra_op_num_threads=1", "run.warmup_runs=2"]
    )


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real load result: two profiles at 200/s and 400/s for 0.4 s each on sample:tiny,
    saved by the job into a history of its own (each test copies it into its history)."""
    data = tmp_path_factory.mktemp("load-data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ORTBENCH_DATA_DIR", str(data))
        request = LoadRequest(
            "sample:tiny", [one_thread("a"), one_thread("b")], rates=[200, 400], duration_s=0.4
        )
        done = run_load(request)
    assert done.path is not None
    return done.path


def copy_into_history(path: Path, name: str = "") -> Path:
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or path.name)
    shutil.copy(path, target)
    shutil.copy(path.with_suffix(".npz"), target.with_suffix(".npz"))
    return target


def edited(source: Path, name: str, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of the measured result in the history, changed by `edit`."""
    data = json.loads(source.read_text())
    edit(data)
    target = results_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data))
    return target


@pytest.mark.slow
def test_a_load_result_is_listed_with_its_last_whole_step(measured: Path):
    path = copy_into_history(measured)
    result = load_load(path)
    scan = scan_history()
    assert scan.skipped == []
    (entry,) = scan.entries
    steps = result["profiles"][0]["steps"]
    assert [s["rate"] for s in steps] == [200, 400]
    assert entry.kind == "load" and entry.path == path
    assert entry.model == "sample:tiny" and entry.profile == "a vs b"
    assert entry.status == "load 2 rates"
    assert entry.p50_ms == steps[-1]["response_ms"]["p50"]
    assert entry.p99_ms == steps[-1]["response_ms"]["p99"]
    assert entry.runs == sum(s["served"] for p in result["profiles"] for s in p["steps"]) > 0
    assert entry.created == result["created"] and entry.host == ""
    assert entry.inputs == "poisson arrivals at 200/s, 400/s · 1 thread"


def test_find_max_cancelled_and_unfinished_load_results_say_so(measured: Path):
    def find_max(data: dict[str, Any]) -> None:
        data["load"]["rates"] = []
        data["load"]["slo"] = {"text": "p99=1ms", "percentile": 99.0, "bound_ms": 1.0}
        data["profiles"][0]["find_max"] = {"max_rate": 1200.0, "lowest_not_met": 1300.0}

    def none_met(data: dict[str, Any]) -> None:
        find_max(data)
        data["profiles"][0]["find_max"]["max_rate"] = None

    def cancelled(data: dict[str, Any]) -> None:
        data["status"] = "cancelled"
        data["profiles"][0]["steps"][-1]["stopped"] = True

    def nothing_whole(data: dict[str, Any]) -> None:
        data["status"] = "cancelled"
        data["profiles"] = data["profiles"][:1]
        data["profiles"][0]["steps"] = data["profiles"][0]["steps"][:1]
        data["profiles"][0]["steps"][0]["stopped"] = True

    for name, edit in [("1-load.json", find_max), ("2-load.json", none_met),
                       ("3-load.json", cancelled), ("4-load.json", nothing_whole)]:  # fmt: skip
        edited(measured, name, edit)
    scan = scan_history()
    assert scan.skipped == []
    by_name = {e.path.name: e for e in scan.entries}
    assert by_name["1-load.json"].status == "load max 1,200/s"
    assert (
        by_name["1-load.json"].inputs
        == "poisson arrivals, the highest rate meeting p99=1ms · 1 thread"
    )
    assert by_name["2-load.json"].status == "load max none"
    first = json.loads(measured.read_text())["profiles"][0]["steps"][0]
    stopped_last = by_name["3-load.json"]
    assert stopped_last.status == "load 2 rates, cancelled"
    assert stopped_last.p50_ms == first["response_ms"]["p50"]  # the last whole step
    nothing = by_name["4-load.json"]
    assert nothing.status == "load 1 rate, cancelled" and nothing.profile == "a"
    assert math.isnan(nothing.p50_ms) and math.isnan(nothing.p99_ms)


def test_a_load_result_that_is_wrong_is_skipped_with_its_reason(measured: Path):
    edited(measured, "schema-load.json", lambda d: d.update(schema=2))
    edited(measured, "no-profiles-load.json", lambda d: d.pop("profiles"))
    edited(measured, "empty-load.json", lambda d: d.update(profiles=[]))
    scan = scan_history()
    assert scan.entries == []
    reasons = {p.name: why for p, why in scan.skipped}
    assert reasons == {
        "schema-load.json": "load schema 2, this ortbench reads 1",
        "no-profiles-load.json": "a load result without its list of profiles",
        "empty-load.json": "a load result with no profiles",
    }


def test_ortbench_history_lists_load_results_in_text_and_json(
    measured: Path, capsys: pytest.CaptureFixture[str]
):
    path = copy_into_history(measured)
    samples = fixed_samples(100)
    run = save_to_history(run_record(fixed_result(samples)), samples)

    def first_step_stopped(data: dict[str, Any]) -> None:
        data["profiles"][0]["steps"] = data["profiles"][0]["steps"][:1]
        data["profiles"][0]["steps"][0]["stopped"] = True

    edited(measured, "0-load.json", first_step_stopped)
    code, out, err = run_cli(capsys, "history")
    assert code == 0 and err == ""
    line = next(x for x in out.splitlines() if " a vs b " in x and "load 2 rates" in x)
    assert line.startswith(json.loads(path.read_text())["created"][:19])
    code, out, err = run_cli(capsys, "history", "--json", "-")
    assert code == 0 and err == ""
    listed = {Path(e["path"]).name: e for e in json.loads(out)}
    assert set(listed) == {path.name, run.name, "0-load.json"}
    assert listed[path.name]["kind"] == "load" and listed[run.name]["kind"] == "run"
    assert listed[path.name]["status"] == "load 2 rates"
    assert (
        listed[path.name]["p50_ms"]
        == load_load(path)["profiles"][0]["steps"][-1]["response_ms"]["p50"]
    )
    # No whole step: no figure, null in the JSON (NaN is not JSON).
    assert listed["0-load.json"]["p50_ms"] is None and listed["0-load.json"]["p99_ms"] is None


def test_compare_and_trend_refuse_a_load_result_and_say_what_to_use(
    measured: Path, capsys: pytest.CaptureFixture[str]
):
    path = copy_into_history(measured)
    samples = fixed_samples(100)
    run = save_to_history(run_record(fixed_result(samples)), samples)
    for pair in [(run, path), (path, run)]:
        code, _, err = run_cli(capsys, "compare", *map(str, pair))
        assert code == 2 and "Traceback" not in err
        assert f"{path}: a load result (ortbench load), not a run" in err
        assert "ortbench load MODEL --profile A --profile B" in err
        assert "missing latency_ms" not in err
    # The trend follows runs: the load result is left out of it, not an error.
    code, out, err = run_cli(capsys, "history", "--trend", "sample:tiny")
    assert code == 0 and "Traceback" not in err


def finishes(call: Callable[[], Any], pipes: list[Path], timeout: float = 20.0) -> Any:
    """`call()`'s result or exception, or a failure when it has not returned in `timeout` s
    (it hangs on a named pipe: a writer is then opened on each pipe so the thread ends)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        for pipe in pipes:
            try:  # a reader blocked in open() gets its writer, then end of file
                os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        thread.join(5)
        pytest.fail(f"still reading a named pipe after {timeout} s")
    if "error" in box:
        return box["error"]
    return box["value"]


def test_named_pipes_in_the_history_are_refused_not_waited_on():
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    load_pipe, curve_pipe = folder / "x-load.json", folder / "x-curve.json"
    os.mkfifo(load_pipe)
    os.mkfifo(curve_pipe)
    pipes = [load_pipe, curve_pipe]
    scan = finishes(scan_history, pipes)
    assert scan.entries == []
    assert {p.name for p, _ in scan.skipped} == {"x-load.json", "x-curve.json"}
    assert all("named pipe" in why for _, why in scan.skipped)
    for reader, pipe in [(load_load, load_pipe), (load_curve, curve_pipe)]:
        error = finishes(lambda r=reader, p=pipe: r(p), pipes)
        assert isinstance(error, OrtbenchError) and "named pipe" in str(error)
    assert finishes(lambda: is_curve_file(curve_pipe), pipes) is False


def test_the_saved_timelines_are_beside_the_listed_result(measured: Path):
    """What the history lists can be made again: every step's per-request times are kept."""
    path = copy_into_history(measured)
    (entry,) = scan_history().entries
    with np.load(entry.path.with_suffix(".npz")) as npz:
        served = sum(int((npz[k] > 0).sum()) for k in npz.files if k.endswith("_end"))
    assert served == entry.runs and path == entry.path
