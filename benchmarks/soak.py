"""Does a long run cost the same at its sixtieth minute as at its first?

Three modes (run them one after another, or side by side on a machine with cores to spare):

  headless  `ortbench run sample:tiny --duration S -q` as a subprocess
  tui       the real app in a real terminal: tmux runs this script's `--app` mode (make_app
            on sample:tiny with a profile of S seconds), `r` is sent with `tmux send-keys`
  overhead  the worker's own timed loop (`Measurement`, as benchmarks/harness_overhead.py)
            against a bare `run_with_iobinding` loop, interleaved in rounds of a few seconds;
            ortbench's rounds include its session creation and 50 warm-up runs per 100 000
            runs (~0.5 % of a round), so the ratio errs against ortbench

For headless and tui, every `--every` seconds: the parent's RSS (the CLI, or the app), the
worker's RSS, the parent's CPU (% of one core since the last row) and the inferences per second
(the growth of the run's spill file in the data folder: 8 bytes per run). For overhead: inf/s
of each loop per round and their ratio, so a harness whose cost drifts over time shows.

Targets: parent RSS flat (within 20 MB of its value at minute 1), app CPU <= 5% of a core,
inf/s flat (last minute within 5% of the first on a quiet machine), harness/bare >= 0.95.

    .venv/bin/python benchmarks/soak.py headless --minutes 60 [--every 60]
    .venv/bin/python benchmarks/soak.py tui --minutes 60
    .venv/bin/python benchmarks/soak.py overhead --minutes 10 [--round-s 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

HEADER_BYTES = 128  # bench.sample_store.HEADER_BYTES (kept literal: this script imports little)
PROFILE = """name = "soak"
[session]
intra_op_num_threads = 1
[run]
warmup_runs = 1000
duration_s = {seconds}
io_binding = true
"""


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def spill_runs(data_dir: Path) -> int:
    files = list((data_dir / "streaming").glob("run-*.npy"))
    return max(((f.stat().st_size - HEADER_BYTES) // 8 for f in files), default=0)


def rss_mb(proc: psutil.Process | None) -> float:
    try:
        return proc.memory_info().rss / 2**20 if proc else float("nan")
    except psutil.Error:
        return float("nan")


def cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def worker_of(parent: psutil.Process) -> psutil.Process | None:
    """The measuring child (the largest descendant: the resource tracker is tiny)."""
    try:
        kids = parent.children(recursive=True)
    except psutil.Error:
        return None
    return max(kids, key=rss_mb, default=None)


def watch(parent: psutil.Process, data_dir: Path, minutes: float, every: float, label: str) -> None:
    """Print one row per `every` seconds until the parent exits, or the run is in history
    (the TUI's way of saying it ended), or `minutes` (plus 2) have passed."""
    print(f"# {label}: sampling every {every:g} s; load average at start {loadavg()}", flush=True)
    print(
        f"{'min':>6} {'runs':>12} {'inf/s':>9} {'parent MB':>10} {'worker MB':>10} "
        f"{'parent CPU':>11}  load",
        flush=True,
    )
    started = time.monotonic()
    last_t, last_runs, last_cpu = started, 0, cpu_s(parent)
    deadline = started + minutes * 60 + 120
    while parent.is_running() and parent.status() != psutil.STATUS_ZOMBIE:
        time.sleep(every)
        if time.monotonic() > deadline or list((data_dir / "results").glob("*.json")):
            break
        try:
            now, runs, cpu = time.monotonic(), spill_runs(data_dir), cpu_s(parent)
        except psutil.Error:
            break
        rate = (runs - last_runs) / (now - last_t)
        cpu_pct = 100.0 * (cpu - last_cpu) / (now - last_t)
        print(
            f"{(now - started) / 60:>6.1f} {runs:>12,} {rate:>9,.0f} {rss_mb(parent):>10.1f} "
            f"{rss_mb(worker_of(parent)):>10.1f} {cpu_pct:>10.1f}%  {loadavg()}",
            flush=True,
        )
        last_t, last_runs, last_cpu = now, runs, cpu


def headless(args: argparse.Namespace, tmp: Path) -> None:
    env = {**os.environ, "ORTBENCH_DATA_DIR": str(tmp / "data")}
    (tmp / "soak.toml").write_text(PROFILE.format(seconds=args.minutes * 60))
    ortbench = Path(sys.executable).with_name("ortbench")
    command = [str(ortbench), "run", "sample:tiny", "--profile", str(tmp / "soak.toml")]
    proc = subprocess.Popen([*command, "-q", "--json", str(tmp / "result.json")], env=env)
    watch(psutil.Process(proc.pid), tmp / "data", args.minutes, args.every, "headless")
    proc.wait()
    print(f"# exit {proc.returncode}; {summary(tmp / 'result.json')}")


def tui(args: argparse.Namespace, tmp: Path) -> None:
    if not shutil.which("tmux"):
        sys.exit("soak.py tui: needs tmux")
    (tmp / "profiles").mkdir()
    (tmp / "profiles" / "soak.toml").write_text(PROFILE.format(seconds=args.minutes * 60))
    session = f"ortbench-soak-{os.getpid()}"
    app_command = (
        f"ORTBENCH_DATA_DIR={tmp / 'data'} {sys.executable} {Path(__file__).resolve()} --app "
        f"--profiles {tmp / 'profiles'}"
    )
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", app_command],
        check=True,
    )
    try:
        pane_pid = int(
            subprocess.run(
                ["tmux", "list-panes", "-t", session, "-F", "#{pane_pid}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()[0]
        )
        app = psutil.Process(pane_pid)
        deadline = time.monotonic() + 30
        while "python" not in app.name():  # the pane's shell, with the app as its child (soon)
            found = [p for p in psutil.Process(pane_pid).children() if "python" in p.name()]
            if found:
                app = found[0]
            elif time.monotonic() > deadline:
                sys.exit("soak.py tui: the app did not start in its tmux pane within 30 s")
            else:
                time.sleep(0.2)
        time.sleep(20)  # the app starts and lists the samples
        subprocess.run(["tmux", "send-keys", "-t", session, "r"], check=True)
        watch(app, tmp / "data", args.minutes, args.every, "tui (tmux, 120x40)")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    saved = sorted((tmp / "data" / "results").glob("*.json"))
    print(f"# {summary(saved[-1]) if saved else 'no result in history'}")


def app_mode(profiles: Path) -> None:
    """Inside tmux: the app on sample:tiny with the soak profile (its result goes to history)."""
    from ortbench_tui.bench.parent import ensure_spawn_ready, set_parent_process
    from ortbench_tui.tui.app import make_app
    from ortbench_tui.tui.demo import fixed_hardware

    app = make_app(
        profile_dirs=[profiles],
        include_shipped=False,
        hardware=fixed_hardware(),
        initial_model="sample:tiny",
        initial_profile="soak",
    )
    ensure_spawn_ready()
    set_parent_process("the ortbench UI")
    app.run()


def summary(path: Path) -> str:
    import json

    if not path.exists():
        return "no result written"
    result = json.loads(path.read_text())
    lat = result["latency_ms"]
    return (
        f"{result['runs']:,} runs in {result['wall_s']:.0f} s = "
        f"{result['throughput_per_s']:,.0f} inf/s; p50 {lat['p50'] * 1e3:.2f} µs, "
        f"p99 {lat['p99'] * 1e3:.2f} µs; "
        f"percentiles: {result['percentile_method']}"
    )


def overhead(args: argparse.Namespace) -> None:
    """Rounds of `round_s` seconds each, bare and harness alternating, for `minutes`."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).parent))
    from harness_overhead import bare_loop, bare_session, ortbench_loop

    sess, _feed, binding, ro = bare_session("tiny")
    runs = 100_000  # about a second of sample:tiny; rounds repeat it to fill round_s
    print(f"# overhead: bare run_with_iobinding vs the worker's loop; load {loadavg()}")
    print(f"{'min':>6} {'bare inf/s':>11} {'ortbench inf/s':>15} {'ratio':>6}  load")
    started = time.monotonic()
    ratios = []
    while time.monotonic() - started < args.minutes * 60:
        rates = {}
        for name in ("bare", "ortbench"):
            done, t0 = 0, time.perf_counter()
            while time.perf_counter() - t0 < args.round_s:
                if name == "bare":
                    bare_loop(sess.run_with_iobinding, (binding, ro), runs)
                else:
                    ortbench_loop("tiny", True, runs)
                done += runs
            rates[name] = done / (time.perf_counter() - t0)
        ratios.append(rates["ortbench"] / rates["bare"])
        print(
            f"{(time.monotonic() - started) / 60:>6.1f} {rates['bare']:>11,.0f} "
            f"{rates['ortbench']:>15,.0f} {ratios[-1]:>6.3f}  {loadavg()}",
            flush=True,
        )
    print(f"# median ratio {float(np.median(ratios)):.3f} over {len(ratios)} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", nargs="?", choices=("headless", "tui", "overhead"))
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between rows")
    parser.add_argument("--round-s", type=float, default=5.0, help="overhead: seconds a round")
    parser.add_argument("--app", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profiles", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app:
        app_mode(args.profiles)
        return
    if args.mode == "overhead":
        overhead(args)
        return
    # A SIGTERM (`timeout`, a closed session) unwinds like Ctrl-C, so the tmux session, the
    # app and its worker are closed rather than left running under the next measurement.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="ortbench-soak-") as tmp:
        (headless if args.mode == "headless" else tui)(args, Path(tmp))


if __name__ == "__main__":
    main()
