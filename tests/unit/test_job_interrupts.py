"""Every job keeps what it measured when SIGTERM, SIGHUP or Ctrl-C ends it (issue 20 item 3):
compare, curve, sweep and practices, like `run`. Real processes: the CLI, its worker, a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ONE_THREAD = ["--set", "session.intra_op_num_threads=1"]


def start(tmp_path: Path, *argv: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return subprocess.Popen(
        [sys.executable, "-m", "ortbench_tui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def busy_child(cli: subprocess.Popen, cpu_s: float, timeout: float = 120) -> psutil.Process:
    """The measuring child, once it has spent `cpu_s` of CPU (imports, sessions, timed runs)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for child in psutil.Process(cli.pid).children():
            try:
                if "resource_tracker" in " ".join(child.cmdline()):
                    continue
                times = child.cpu_times()
                if times.user + times.system >= cpu_s:
                    return child
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.1)  # polling another process's CPU time: there is no event to await
    cli.kill()
    raise AssertionError("the measuring child never got going")


def stop(cli: subprocess.Popen, signum: int) -> tuple[str, str]:
    sent = time.monotonic()
    cli.send_signal(signum)
    out, err = cli.communicate(timeout=60)
    assert time.monotonic() - sent < 20, "the job did not stop within seconds"
    assert cli.returncode == 128 + signum, err
    assert "Traceback" not in err
    return out, err


def history(data: Path) -> list[dict]:
    folder = data / "results"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return [json.loads(p.read_text()) for p in files]


@pytest.mark.slow
def test_compare_interleaved_sigterm_keeps_both_profiles_marked_cancelled(
    tmp_path: Path, isolated_dirs: Path
):
    out_json = tmp_path / "c.json"
    cli = start(
        tmp_path,
        "compare", "sample:tiny", "--profile", "defaults",
        "--profile", "defaults+session.intra_op_num_threads=1",
        "--interleave", "--duration", "60", "--json", str(out_json), *ONE_THREAD,
    )  # fmt: skip
    busy_child(cli, cpu_s=3.0)
    out, err = stop(cli, signal.SIGTERM)
    saved = json.loads(out_json.read_text())
    assert [r["status"] for r in saved["results"]] == ["cancelled", "cancelled"]
    assert all(r["runs"] > 0 for r in saved["results"])
    assert any(w.startswith("cancelled:") for w in saved["comparison"]["warnings"])
    assert "verdict" in out  # the table was printed too
    kept = history(isolated_dirs)
    assert sorted(r["status"] for r in kept) == ["cancelled", "cancelled"]


@pytest.mark.slow
def test_compare_sequential_sighup_keeps_the_run_in_progress(tmp_path: Path, isolated_dirs: Path):
    out_json = tmp_path / "c.json"
    cli = start(
        tmp_path,
        "compare", "sample:tiny", "--profile", "defaults", "--profile", "defaults",
        "--duration", "60", "--json", str(out_json), *ONE_THREAD,
    )  # fmt: skip
    busy_child(cli, cpu_s=3.0)
    stop(cli, signal.SIGHUP)
    saved = json.loads(out_json.read_text())
    first = saved["results"][0]
    assert first["status"] == "cancelled" and first["runs"] > 0 and first["wall_s"] > 0
    assert [r["status"] for r in history(isolated_dirs)] == ["cancelled"]


@pytest.mark.slow
def test_curve_sigterm_keeps_the_points_measured(tmp_path: Path, isolated_dirs: Path):
    """The curve of the issue: SIGTERM after a point left no history and no --json."""
    out_json = tmp_path / "cv.json"
    cli = start(
        tmp_path,
        "curve", "sample:encoder", "--dim", "batch=1,2,4,8", "--dim", "sequence=16",
        "--duration", "1", "--warmup", "2", "--json", str(out_json), *ONE_THREAD,
    )  # fmt: skip
    assert cli.stderr is not None
    for line in cli.stderr:  # one line per finished point (stderr is not a terminal)
        if line.startswith("batch=1") and "p50" in line:
            break
    out, _ = stop(cli, signal.SIGTERM)
    saved = json.loads(out_json.read_text())
    assert saved["status"] == "cancelled"
    statuses = [p["status"] for p in saved["points"]]
    assert statuses[0] == "ok" and "not run" in statuses
    assert saved["saved"] and Path(saved["saved"]).exists()


@pytest.mark.slow
def test_sweep_sigterm_prints_the_ranking_so_far(tmp_path: Path):
    out_json = tmp_path / "s.json"
    cli = start(
        tmp_path,
        "sweep", "sample:tiny", "--grid", "session.intra_op_num_threads=1,2",
        "--budget", "120", "--json", str(out_json),
    )  # fmt: skip
    busy_child(cli, cpu_s=4.0)
    stop(cli, signal.SIGTERM)
    saved = json.loads(out_json.read_text())
    assert saved["cancelled"] is True
    assert any(c.get("median_ms") for c in saved["candidates"])


@pytest.mark.slow
def test_practices_sigterm_keeps_the_rows_measured(tmp_path: Path):
    out_json = tmp_path / "p.json"
    cli = start(
        tmp_path,
        "practices", "sample:tiny", "--no-precision", "--duration", "60",
        "--json", str(out_json), *ONE_THREAD,
    )  # fmt: skip
    busy_child(cli, cpu_s=8.0, timeout=180)
    stop(cli, signal.SIGTERM)
    saved = json.loads(out_json.read_text())
    assert saved["status"] == "cancelled"
    assert any(r.get("ratio") for r in saved["rows"])
