"""An SSH drop under the TUI (issue 20 item 2): SIGHUP ends ortbench like q does, the run in
progress stops at once and its partial result is kept. The real ortbench in tmux."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import time
from pathlib import Path

import psutil
import pytest
from test_tmux import QUICK_PROFILE, Tmux, ortbench_command

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

LONG_PROFILE = QUICK_PROFILE.replace("timed_runs = 200", "duration_s = 30.0")


def ortbench_process(tmux: Tmux) -> psutil.Process:
    """The ortbench process in the pane (the pane runs `sh -c`, which waits for it)."""
    shell = psutil.Process(int(tmux("display", "-p", "-t", "e2e", "#{pane_pid}").stdout))
    return next(p for p in shell.children() if "ortbench" in " ".join(p.cmdline()))


@pytest.mark.parametrize("how", ["kill-hup", "kill-session"])
def test_hang_up_keeps_the_partial_run_and_stops_the_worker(tmp_path: Path, how: str):
    work = tmp_path / "work"
    (work / "profiles").mkdir(parents=True)
    (work / "profiles" / "a-quick.toml").write_text(LONG_PROFILE)
    data = tmp_path / "data"
    env = {
        "ORTBENCH_DATA_DIR": str(data),
        "ORTBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "TERM": "xterm-256color",
    }
    rc = tmp_path / "rc"
    command = " ".join(
        ["env -u COLUMNS -u LINES"]
        + [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        + [shlex.quote(part) for part in ortbench_command()]
    )
    script = f"{command}; echo $? > {shlex.quote(str(rc))}; sleep 30"
    tmux = Tmux(f"ortbench-e2e-hup-{os.getpid()}")
    tmux("new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", "-c", str(work), script)
    try:
        tmux.wait_for(lambda s: "a-quick" in s, 30, "the main screen")
        tmux("send-keys", "-t", "e2e", "Home")
        tmux.wait_for(lambda s: "Run: sample:tiny × a-quick" in s, 10, "sample:tiny selected")
        app = ortbench_process(tmux)
        tmux("send-keys", "-t", "e2e", "r")
        tmux.wait_for(lambda s: "/30 s" in s, 60, "the timed runs")
        workers = [p for p in app.children(recursive=True) if "resource_tracker" not in
                   " ".join(p.cmdline())]  # fmt: skip
        if how == "kill-hup":
            app.send_signal(signal.SIGHUP)
        else:  # the terminal goes away with the signal, as when sshd loses the client
            tmux("kill-session", "-t", "e2e")
        app.wait(timeout=20)
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, f"worker(s) left running: {alive}"
        if how == "kill-hup":
            # The pane's shell writes the exit code once the app is gone: `> rc` creates the
            # file before `echo` fills it, so wait for the whole line (a loaded runner once
            # read it empty in between).
            deadline = time.monotonic() + 10
            while not (rc.exists() and rc.read_text().endswith("\n")):
                assert time.monotonic() < deadline, "the shell never wrote the exit code"
                time.sleep(0.05)
            assert rc.read_text().strip() == str(128 + signal.SIGHUP)
        results = [json.loads(p.read_text()) for p in (data / "results").glob("*.json")]
        assert len(results) == 1, "the partial run was not kept"
        assert results[0]["status"] == "cancelled" and results[0]["runs"] > 0
    finally:
        tmux("kill-server", check=False)
