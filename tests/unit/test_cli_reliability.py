"""`ortbench run` never throws a measured run away: unusable history, bad or full output paths,
a killed, stopped or interrupted worker; and it leaves no worker or worker log behind."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from ortbench_tui.cli import main

FAST = ["--runs", "60", "--warmup", "2", "--set", "session.intra_op_num_threads=1"]


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def history_files(data: Path) -> list[str]:
    folder = data / "results"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@pytest.mark.slow
@pytest.mark.parametrize("where", ["data-dir-is-a-file", "results-is-a-file", "read-only"])
def test_history_that_cannot_be_written_is_a_warning_not_a_lost_run(
    capsys, tmp_path, monkeypatch, isolated_dirs, where
):
    if where == "data-dir-is-a-file":
        blocker = tmp_path / "data-file"
        blocker.write_text("")
        monkeypatch.setenv("ORTBENCH_DATA_DIR", str(blocker))
    elif where == "results-is-a-file":
        (isolated_dirs / "results").write_text("")
    else:  # root ignores chmod, so a read-only file system is faked where files are made
        import tempfile

        real = tempfile.mkstemp

        def read_only(*args, dir=None, **kwargs):
            if dir is not None and Path(dir) == isolated_dirs / "results":
                raise OSError(errno.EROFS, os.strerror(errno.EROFS))
            return real(*args, dir=dir, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out_json = tmp_path / "r.json"
    code, out, err = run_cli(capsys, "run", "sample:tiny", *FAST, "--json", str(out_json))
    assert code == 0, err
    assert "p50" in out and "status ok" in out
    result = json.loads(out_json.read_text())
    assert result["runs"] == 60 and "history_path" not in result
    assert "ortbench: warning: not kept in history" in err
    assert any(w.startswith("not kept in history") for w in result["warnings"])


def test_samples_into_a_missing_folder_is_exit_2_before_anything_is_measured(
    capsys, tmp_path, isolated_dirs
):
    """Every output path is checked before measuring (README, "Outputs"): a missing folder is
    a bad path, said at once, and nothing is run or written."""
    out_json = tmp_path / "r.json"
    bad = tmp_path / "nope" / "s.npy"
    code, out, err = run_cli(
        capsys, "run", "sample:tiny", *FAST, "--samples", str(bad), "--json", str(out_json)
    )
    assert code == 2
    assert f"--samples {bad}: the folder {bad.parent} does not exist" in err
    assert "Traceback" not in err and "p50" not in out
    assert not out_json.exists() and not history_files(isolated_dirs)


def test_full_disk_is_exit_1_with_the_result_printed_and_nothing_half_written(
    capsys, tmp_path, monkeypatch, isolated_dirs
):
    real = os.write

    def full(fd, data):
        target = os.readlink(f"/proc/self/fd/{fd}") if fd > 2 else ""
        if target.endswith(".tmp"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd, data)

    monkeypatch.setattr(os, "write", full)
    out_json, out_npy = tmp_path / "r.json", tmp_path / "s.npy"
    code, out, err = run_cli(
        capsys, "run", "sample:tiny", *FAST, "--json", str(out_json), "--samples", str(out_npy)
    )
    assert code == 1
    assert f"cannot write {out_npy}: No space left on device" in err
    assert "not kept in history" in err and "Traceback" not in err
    assert "p50" in out
    assert os.listdir(tmp_path) == []
    assert history_files(isolated_dirs) == []  # no JSON without its samples, no temp files


# -- the worker killed, stopped, interrupted ----------------------------------------------------


def start_cli(tmp_path: Path, *argv: str) -> subprocess.Popen:
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    return subprocess.Popen(
        [sys.executable, "-m", "ortbench_tui", "run", "sample:tiny", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a shell gives a job
        preexec_fn=default_interrupt,
    )


def default_interrupt() -> None:
    """SIGINT at its default and unblocked in the CLI, as an interactive shell starts a job.
    Exec keeps an ignored signal ignored and a blocked one blocked, and Python then never
    raises KeyboardInterrupt: the test process's own state must not decide the test (on a
    loaded CI runner the Ctrl-C case once ran its whole 60 s run)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def measuring_worker(
    cli: subprocess.Popen, cpu_s: float = 2.5, timeout: float = 90
) -> psutil.Process:
    """The worker child, once it has spent `cpu_s` of CPU (imports, session, then timed runs)."""
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
        time.sleep(0.1)
    cli.kill()
    raise AssertionError("the worker never got going")


def worker_logs(tmp_path: Path) -> list[str]:
    return [p for p in os.listdir(tmp_path / "tmp") if p.startswith("ortbench-worker-")]


@pytest.mark.slow
def test_killed_worker_keeps_the_partial_run_marked_failed(tmp_path, isolated_dirs):
    out_json = tmp_path / "r.json"
    cli = start_cli(tmp_path, "--duration", "60", "--json", str(out_json))
    measuring_worker(cli).kill()
    out, err = cli.communicate(timeout=60)
    assert cli.returncode == 1, err
    assert "run failed:" in err and "tiny.onnx" in err and "killed by SIGKILL" in err
    result = json.loads(out_json.read_text())
    assert result["status"] == "failed" and result["runs"] > 0
    assert "killed by SIGKILL" in result["reason"]
    assert any(w.startswith("failed: the worker process died") for w in result["warnings"])
    assert "status failed" in out
    assert_partial_figures(result)
    saved = json.loads(Path(result["history_path"]).read_text())
    assert saved["status"] == "failed" and saved["runs"] == result["runs"]
    assert worker_logs(tmp_path) == []


def assert_partial_figures(result: dict) -> None:
    """Issue 20 item 16: a partial run once said wall_s 0.0 with null throughput, first run
    and peak RSS (the worker never sent its final figures; the parent has them)."""
    assert result["wall_s"] > 0
    assert result["throughput_per_s"] == pytest.approx(result["runs"] / result["wall_s"])
    assert result["first_run_ms"] > 0
    assert result["rss_peak_mb"] > 10  # an interpreter with onnxruntime loaded


@pytest.mark.slow
@pytest.mark.parametrize("how", ["ctrl-c", "sigterm", "sighup"])
def test_interrupt_exits_fast_keeps_the_partial_run_and_leaves_nothing_behind(tmp_path, how):
    """SIGHUP is an SSH session dropping under the CLI (issue 20 item 2): it once ended the
    process on the spot with nothing kept and the worker left running."""
    out_json = tmp_path / "r.json"
    cli = start_cli(tmp_path, "--duration", "60", "--json", str(out_json))
    worker = measuring_worker(cli)
    sent = time.monotonic()
    if how == "ctrl-c":
        os.killpg(cli.pid, signal.SIGINT)  # the terminal signals the whole foreground group
    elif how == "sigterm":
        cli.send_signal(signal.SIGTERM)  # the CLI alone, as `kill PID` or a job scheduler does
    else:
        cli.send_signal(signal.SIGHUP)
    out, err = cli.communicate(timeout=60)
    assert time.monotonic() - sent < 15
    codes = {"ctrl-c": 130, "sigterm": 128 + signal.SIGTERM, "sighup": 128 + signal.SIGHUP}
    assert cli.returncode == codes[how], err
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    assert worker_logs(tmp_path) == []
    result = json.loads(out_json.read_text())
    assert result["status"] == "cancelled" and result["runs"] > 0
    assert result["reason"].startswith("interrupted")
    assert "Traceback" not in err
    assert_partial_figures(result)
    saved = json.loads(Path(result["history_path"]).read_text())
    assert saved["status"] == "cancelled" and saved["runs"] == result["runs"]


@pytest.mark.slow
def test_a_stopped_worker_is_named_a_stall(tmp_path):
    out_json = tmp_path / "r.json"
    # 12 s: on a loaded machine the worker reaches 2 s of CPU late in its run, and a pause
    # after the timed runs ended is no stall.
    cli = start_cli(tmp_path, "--duration", "12", "--json", str(out_json))
    worker = measuring_worker(cli, cpu_s=2.0)
    worker.suspend()
    time.sleep(4)
    worker.resume()
    out, err = cli.communicate(timeout=90)
    assert cli.returncode == 0, err
    result = json.loads(out_json.read_text())
    stalls = [w for w in result["warnings"] if w.startswith("stall:")]
    assert stalls and "went silent once" in stalls[0]


def test_json_into_a_missing_folder_is_exit_2_before_anything_is_measured(
    capsys, tmp_path, isolated_dirs
):
    bad = tmp_path / "no" / "r.json"
    code, out, err = run_cli(capsys, "run", "sample:tiny", *FAST, "--json", str(bad))
    assert code == 2
    assert f"--json {bad}: the folder {bad.parent} does not exist" in err and "p50" not in out
    assert not history_files(isolated_dirs)
    assert not (tmp_path / "no").exists()
