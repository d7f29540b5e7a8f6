"""SIGTERM to a fleet driver (issue 20 item 4): exit 143 with what finished or was cut short
kept, and stdout holding only the JSON (Ray's own text goes to stderr). A real `--ray local`
cluster, started by the CLI under test."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

# Ray clusters, the connection of this process and its signal handlers are one shared
# thing: with `pytest -n`, every test that touches Ray runs in one worker, in order.
pytestmark = pytest.mark.xdist_group("ray")


@pytest.mark.slow
def test_sigterm_to_the_driver_keeps_the_jobs_and_stdout_is_json(tmp_path: Path, isolated_dirs):
    short, long = tmp_path / "short.toml", tmp_path / "long.toml"
    short.write_text(
        'name = "short"\n[session]\nintra_op_num_threads = 1\n[run]\nduration_s = 2.0\n'
    )
    long.write_text(
        'name = "long"\n[session]\nintra_op_num_threads = 1\n[run]\nduration_s = 60.0\n'
    )
    cli = subprocess.Popen(
        [
            sys.executable, "-m", "ortbench_tui", "fleet", "sample:tiny",
            "--profile", str(short), "--profile", str(long), "--ray", "local", "--json", "-",
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    assert cli.stderr is not None
    deadline = time.monotonic() + 240
    seen = []
    for line in cli.stderr:  # a line per finished job: the 2 s one, then the 60 s one starts
        seen.append(line)
        if "p50" in line or time.monotonic() > deadline:
            break
    assert any("p50" in line for line in seen), "".join(seen)
    sent = time.monotonic()
    cli.send_signal(signal.SIGTERM)
    out, err = cli.communicate(timeout=120)
    assert time.monotonic() - sent < 60
    assert cli.returncode == 128 + signal.SIGTERM, err[-2000:]
    report = json.loads(out)  # nothing but the JSON on stdout
    statuses = sorted(job["status"] for job in report["jobs"])
    assert statuses == ["cancelled", "ok"], report["jobs"]
    assert "Traceback" not in err
