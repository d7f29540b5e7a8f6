"""multiprocessing's resource tracker starts from inside a running Textual app, whose
`sys.stderr` has no file descriptor (`bad value(s) in fds_to_keep` before)."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import io, sys
from multiprocessing import resource_tracker

class Capture(io.StringIO):  # like Textual's stderr capture: a stream without a descriptor
    def fileno(self):
        return -1

sys.stderr = Capture()
from ortbench_tui.bench.parent import ensure_spawn_ready
ensure_spawn_ready()
ensure_spawn_ready()  # running already: nothing more
assert isinstance(sys.stderr, Capture), "the capture is put back"
tracker = resource_tracker._resource_tracker
print("alive" if tracker._check_alive() else "dead")
"""


def test_the_tracker_starts_while_stderr_has_no_descriptor():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "alive"


CHILD_PROBE = """
import io, sys, threading

from ortbench_tui.bench.child import ChildProcess


def target(conn, request, log_path):
    conn.send(request["x"] + 1)


class Capture(io.StringIO):  # like Textual's stderr capture
    def fileno(self):
        return -1


def start(result):
    child = ChildProcess(target, {"x": 41}, "ortbench-test-")
    child.process.join(60)
    result["exit"] = child.process.exitcode


if __name__ == "__main__":
    sys.stderr = Capture()
    result = {}
    thread = threading.Thread(target=start, args=(result,))
    thread.start()
    thread.join()
    print(result["exit"])
"""


def test_a_child_started_from_a_thread_while_stderr_is_captured_runs(tmp_path):
    """The TUI's case end to end: its first child is started from a worker thread while
    sys.stderr is the capture, and no tracker was started before."""
    script = tmp_path / "probe.py"
    script.write_text(CHILD_PROBE)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=90)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"
