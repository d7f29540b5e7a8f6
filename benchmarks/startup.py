"""How long from launching `ortbench` to its first frame on the terminal?

Each round starts a fresh interpreter on a pseudo-terminal (120x40) that runs exactly what
the `ortbench` command runs with no arguments (`ortbench_tui.cli.main([])`), with one
addition: when the app is ready (Textual's Ready: the DOM is mounted and the first frame has
been written to the terminal) it records the time since its process was created and quits.
The median over rounds is reported, with the imports of onnx and onnxruntime checked (the UI
must import neither to start: onnx's import alone, ml_dtypes' extension included, takes
longer than the whole first frame should).

Target: median at most 0.5 s on a quiet 2-core machine.

    .venv/bin/python benchmarks/startup.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

PROBE = r"""
import os, sys, time
out = sys.argv[1]
with open(f"/proc/{os.getpid()}/stat") as fh:
    start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
with open("/proc/uptime") as fh:
    uptime = float(fh.read().split()[0])
born = time.time() - (uptime - start_ticks / os.sysconf("SC_CLK_TCK"))

from ortbench_tui.tui import app as tui_app

original_run = tui_app.OrtbenchApp.run

def run(self, *args, **kwargs):
    async def first_frame(pilot):
        elapsed = time.time() - born
        with open(out, "w") as fh:
            engine = 'onnx' in sys.modules or 'onnxruntime' in sys.modules
            fh.write(f"{elapsed} {int(engine)}\n")
        pilot.app.exit()
    return original_run(self, *args, auto_pilot=first_frame, **kwargs)

tui_app.OrtbenchApp.run = run
from ortbench_tui.cli import main
sys.exit(main([]))
"""


def one_round(work: Path, env: dict[str, str]) -> tuple[float, bool]:
    out = work / "first-frame.txt"
    out.unlink(missing_ok=True)
    master, slave = pty.openpty()
    termios_size = struct.pack("HHHH", 40, 120, 0, 0)
    import fcntl

    fcntl.ioctl(slave, termios.TIOCSWINSZ, termios_size)
    proc = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(out)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=work,
        env=env,
        close_fds=True,
    )
    os.close(slave)
    deadline = time.monotonic() + 60
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    os.read(master, 65536)  # drain the terminal so the app never blocks
                except OSError:
                    break
        proc.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    elapsed, ort = out.read_text().split()
    return float(elapsed), ort == "1"


TARGET_S = 0.5


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ortbench-startup-") as tmp:
        work = Path(tmp)
        drop = ("COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")
        env = {k: v for k, v in os.environ.items() if k not in drop}
        env.update(
            TERM="xterm-256color",
            ORTBENCH_DATA_DIR=str(work / "data"),
            ORTBENCH_CACHE_DIR=env.get("ORTBENCH_CACHE_DIR", str(work / "cache")),
            # Compiled once, in the warm-up round, as an installed ortbench is: a developer's
            # PYTHONDONTWRITEBYTECODE would otherwise add compiling ortbench's modules from
            # source (~0.1 s of CPU) to each round. The cache is kept in the temporary
            # folder, not in the tree.
            PYTHONPYCACHEPREFIX=str(work / "pycache"),
        )
        one_round(work, env)  # warm the OS file cache, the bytecode and the samples cache
        times, imported = [], []
        for i in range(args.rounds):
            elapsed, ort = one_round(work, env)
            times.append(elapsed)
            imported.append(ort)
            print(f"  round {i + 1}: {elapsed * 1e3:.0f} ms", file=sys.stderr)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print()
    print(f"start-up to first frame, {args.rounds} rounds (120x40 pseudo-terminal)")
    print(f"{'median':>8} {'min':>8} {'max':>8}  onnx or onnxruntime imported before it")
    print(
        f"{statistics.median(times) * 1e3:>5.0f} ms {min(times) * 1e3:>5.0f} ms "
        f"{max(times) * 1e3:>5.0f} ms  {'yes' if any(imported) else 'no'}"
    )
    print(f"target: median at most {TARGET_S * 1e3:.0f} ms (quiet); load average now {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
