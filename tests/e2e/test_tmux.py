"""End to end: the real `ortbench` in tmux, driven by keys, read off the screen."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

QUICK_PROFILE = """\
name = "a-quick"
description = "tiny run for the end-to-end test"

[session]
intra_op_num_threads = 1

[run]
warmup_runs = 5
timed_runs = 200
"""

P50 = re.compile(r"p50\s+(\d+(?:\.\d+)?)\s*(µs|ms|s)\b")
UNIT_MS = {"µs": 1e-3, "ms": 1.0, "s": 1e3}


def ortbench_command() -> list[str]:
    script = Path(sys.executable).with_name("ortbench")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ortbench_tui"]


class Tmux:
    """One private tmux server (its own socket), so nothing else is touched."""

    def __init__(self, socket: str) -> None:
        self.base = ["tmux", "-L", socket]

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*self.base, *args], capture_output=True, text=True, check=check)

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "e2e").stdout

    def alive(self) -> bool:
        return self("has-session", "-t", "e2e", check=False).returncode == 0

    def wait_for(self, predicate, timeout: float, what: str) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen() if self.alive() else ""
            if predicate(text):
                return text
            time.sleep(0.25)  # polling a real terminal: there is no event to await
        raise AssertionError(f"timed out waiting for {what}; last screen:\n{text}")


def test_run_tiny_from_the_keyboard_and_read_p50(tmp_path: Path):
    work = tmp_path / "work"
    (work / "profiles").mkdir(parents=True)
    (work / "profiles" / "a-quick.toml").write_text(QUICK_PROFILE)
    env = {
        "ORTBENCH_DATA_DIR": str(tmp_path / "data"),
        "ORTBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "TERM": "xterm-256color",
    }
    # COLUMNS/LINES inherited from the test runner would override the pane's 120x40.
    command = " ".join(
        ["-u COLUMNS -u LINES"]
        + [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        + [shlex.quote(part) for part in ortbench_command()]
    )
    tmux = Tmux(f"ortbench-e2e-{os.getpid()}")
    tmux(
        "new-session", "-d", "-s", "e2e", "-x", "120", "-y", "40", "-c", str(work), f"env {command}"
    )
    try:
        screen = tmux.wait_for(lambda s: "a-quick" in s, 30, "the main screen")
        assert "Profile: a-quick" in screen  # the wide layout: the pane really is 120x40
        # Select sample:tiny with the keyboard: the model list has focus; Home = first row.
        tmux("send-keys", "-t", "e2e", "Home")
        tmux.wait_for(lambda s: "Run: sample:tiny × a-quick" in s, 10, "sample:tiny selected")
        tmux("send-keys", "-t", "e2e", "r")
        screen = tmux.wait_for(
            lambda s: " done " in s and P50.search(s) is not None, 60, "a finished run"
        )
        value, unit = P50.search(screen).groups()
        p50_ms = float(value) * UNIT_MS[unit]
        assert 0 < p50_ms < 100, screen
        assert "EPs: CPU (as requested)" in screen
        results = list((tmp_path / "data" / "results").glob("*.json"))
        assert len(results) == 1
        tmux("send-keys", "-t", "e2e", "q")
        deadline = time.monotonic() + 15
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not tmux.alive(), "ortbench did not quit on q"
    finally:
        tmux("kill-server", check=False)


def start_ortbench(
    tmux: Tmux, work: Path, env: dict[str, str], size: tuple[int, int] = (120, 40)
) -> None:
    command = " ".join(
        ["-u COLUMNS -u LINES"]
        + [f"{k}={shlex.quote(v)}" for k, v in env.items()]
        + [shlex.quote(part) for part in ortbench_command()]
    )
    x, y = (str(n) for n in size)
    tmux("new-session", "-d", "-s", "e2e", "-x", x, "-y", y, "-c", str(work), f"env {command}")


def wait_gone(tmux: Tmux, what: str) -> None:
    deadline = time.monotonic() + 15
    while tmux.alive() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not tmux.alive(), what


def test_edit_quit_asks_save_then_run_twice_and_compare_from_history(tmp_path: Path):
    """The daily loop: an edit is not lost on quit (the prompt saves it), then two runs are
    compared from history with a verdict."""
    work = tmp_path / "work"
    (work / "profiles").mkdir(parents=True)
    profile_file = work / "profiles" / "a-quick.toml"
    profile_file.write_text(QUICK_PROFILE)
    env = {
        "ORTBENCH_DATA_DIR": str(tmp_path / "data"),
        "ORTBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "TERM": "xterm-256color",
    }
    tmux = Tmux(f"ortbench-e2e-loop-{os.getpid()}")
    keys = lambda *k: tmux("send-keys", "-t", "e2e", *k)  # noqa: E731
    try:
        start_ortbench(tmux, work, env)
        tmux.wait_for(lambda s: "a-quick" in s, 30, "the main screen")
        # Edit: the editor opens on the name, selected; type a new one (marked unsaved).
        keys("e")
        # 30 s: the first key can wait for the imports of the model read that starts with the
        # first frame (a loaded CI runner took more than 10 s).
        tmux.wait_for(lambda s: "Profile: a-quick ·" in s, 30, "the editor")
        keys("-l", "a-quick2")
        tmux.wait_for(lambda s: "Profile: a-quick2*" in s, 10, "the edit marked *")
        # Try to quit: the prompt, not an exit; s saves, then it quits.
        keys("C-q")
        tmux.wait_for(lambda s: "Unsaved profile edits" in s, 10, "the unsaved-edits prompt")
        assert tmux.alive()
        keys("s")
        wait_gone(tmux, "ortbench did not quit after saving")
        assert 'name = "a-quick2"' in profile_file.read_text()
        # Again: the saved profile is there; run twice.
        start_ortbench(tmux, work, env)
        tmux.wait_for(lambda s: "a-quick2" in s, 30, "the main screen again")
        keys("Home")
        tmux.wait_for(lambda s: "Run: sample:tiny × a-quick2" in s, 10, "sample:tiny selected")
        results = tmp_path / "data" / "results"
        for n in (1, 2):
            keys("r")
            deadline = time.monotonic() + 60
            while len(list(results.glob("*.json"))) < n and time.monotonic() < deadline:
                time.sleep(0.25)
            assert len(list(results.glob("*.json"))) == n, tmux.screen()
            tmux.wait_for(lambda s: " done " in s, 30, f"run {n} finished")
        # History: pick the two runs, compare them.
        keys("h")
        tmux.wait_for(lambda s: "2 runs in" in s, 15, "the history")
        keys("Space", "Down", "Space")
        keys("c")
        # The table and the title's "done" come with one message but may land in two frames.
        tmux.wait_for(
            lambda s: "ratio of medians" in s and "Compare · 2 saved results · done" in s,
            30,
            "the comparison, done",
        )
        keys("q")  # nothing unsaved now: quits at once
        wait_gone(tmux, "ortbench did not quit on q")
    finally:
        tmux("kill-server", check=False)


SWEEP_BUDGET_S = 12.0
SWEEP_MARGIN_S = 15.0
"""What the e2e allows beyond the sweep's budget, from the Enter that starts it to the
ranked table on screen: the sweep's own overrun (bench.sweep.halving.BUDGET_MARGIN_S, 2 s),
the EP probe the job screen runs before the sweep starts, and tmux polling, on a loaded
2-core machine."""


def test_80x24_run_a_budgeted_sweep_and_trace_an_if_model(tmp_path: Path):
    """At the SSH baseline (80x24): run a model with an If node, sweep it within a budget
    (the wall time stays within budget + SWEEP_MARGIN_S), trace it: the subgraph's nodes
    are listed under the If, and the footer keeps ? and q."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "unit"))
    from control_flow_models import if_model

    work = tmp_path / "work"
    (work / "profiles").mkdir(parents=True)
    (work / "profiles" / "a-quick.toml").write_text(QUICK_PROFILE)
    if_model(work / "models" / "if_branching.onnx")
    env = {
        "ORTBENCH_DATA_DIR": str(tmp_path / "data"),
        "ORTBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "TERM": "xterm-256color",
    }
    tmux = Tmux(f"ortbench-e2e-80-{os.getpid()}")
    keys = lambda *k: tmux("send-keys", "-t", "e2e", *k)  # noqa: E731
    selected = "Run: if_branching.onnx × a-quick"
    try:
        start_ortbench(tmux, work, env, size=(80, 24))
        screen = tmux.wait_for(
            lambda s: "a-quick" in s and "EPs: CPU" in s.splitlines()[0], 60, "the EPs detected"
        )  # the header keeps the EPs at 80 columns
        last = screen.splitlines()[-1]
        assert "? " in last + " " and " q" in last and "v Curve" in last, last
        for key in ("End", "Home"):
            keys(key)
            try:
                tmux.wait_for(lambda s: selected in s, 5, "the If model selected")
                break
            except AssertionError:
                continue
        tmux.wait_for(lambda s: selected in s, 5, "the If model selected")
        # 1. Run it.
        keys("r")
        tmux.wait_for(lambda s: " done " in s and "peak RSS" in s, 90, "a finished run")
        # 2. Sweep it within a budget.
        keys("w")
        tmux.wait_for(lambda s: "budget=" in s, 15, "the sweep prompt")
        keys("-l", f"run.io_binding=false,true; budget={SWEEP_BUDGET_S:g}")
        started = time.monotonic()
        keys("Enter")
        # Decided ("best: #") or a tie that names the one to keep: either ends the sweep.
        tmux.wait_for(
            lambda s: "best: #" in s or "tie: #" in s,
            SWEEP_BUDGET_S + SWEEP_MARGIN_S,
            "the sweep's best or its tie",
        )
        took = time.monotonic() - started
        assert took <= SWEEP_BUDGET_S + SWEEP_MARGIN_S
        keys("Escape")
        tmux.wait_for(lambda s: selected in s, 15, "back on the main screen")
        # 3. Trace it: the then-branch's nodes under the If, time columns on screen.
        keys("t")
        screen = tmux.wait_for(lambda s: "↳" in s, 90, "the trace with the subgraph")
        assert "If" in screen and "share of run" in screen and "total" in screen
        keys("Escape")
        tmux.wait_for(lambda s: selected in s, 15, "back on the main screen")
        keys("q")
        wait_gone(tmux, f"ortbench did not quit on q:\n{tmux.screen()}")
    finally:
        tmux("kill-server", check=False)
    print(f"e2e sweep: {took:.1f} s for a {SWEEP_BUDGET_S:g} s budget")
