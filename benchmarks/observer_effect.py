"""Does watching a run in the TUI change what it measures?

The same run (same model, same profile, same worker process code) is made two ways,
interleaved A B A B ... so machine drift hits both:

  A  headless: `run_benchmark` from this process, nothing else running
  B  TUI: the real app (make_app, headless terminal), `r` pressed, the live histogram,
     run-index chart and statistics redrawn while the batches stream in

on the tiny (a few µs) and MLP (~0.1 ms) samples. Reported: the median over rounds of the
p50 and p99 of each mode, their ratios B/A, and the UI process's CPU while it streamed
(user + system time of this whole process, from the first timed batch to the last, as a
percentage of one core).

Targets: median within 3% and p99 within 10% of headless; UI CPU under 15% of a core.

    .venv/bin/python benchmarks/observer_effect.py [--rounds 5] [--duration 2.0]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.runner import RunRequest, ensure_spawn_ready, run_benchmark
from ortbench_tui.profile import Profile, apply_overrides, save_profile

MODELS = ("sample:tiny", "sample:mlp")


def bench_profile(duration_s: float) -> Profile:
    return apply_overrides(
        Profile(name="observer"),
        [
            "session.intra_op_num_threads=1",
            "run.warmup_runs=200",
            f"run.duration_s={duration_s}",
            "run.io_binding=true",
        ],
    )


def headless(model: str, profile: Profile) -> dict[str, Any]:
    result = record_dict(run_benchmark(RunRequest(model, profile)).result)
    return {"p50": result["latency_ms"]["p50"], "p99": result["latency_ms"]["p99"], "cpu": None}


async def with_tui(model: str, profiles_dir: Path) -> dict[str, Any]:
    from ortbench_tui.tui.app import make_app
    from ortbench_tui.tui.demo import fixed_hardware
    from ortbench_tui.tui.widgets.run_panel import RunPanel

    app = make_app(
        profile_dirs=[profiles_dir],
        include_shipped=False,
        hardware=fixed_hardware(),  # no detection subprocess competing for the cores
        initial_model=model,
        initial_profile="observer",
        cursor_blink=False,
    )
    me = psutil.Process()
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        window: list[tuple[float, float]] = []  # (wall, cpu) while timed batches arrive
        last_size = 0
        while panel.running:
            size = panel.live.size
            if size and size != last_size:
                cpu = me.cpu_times()
                window.append((time.perf_counter(), cpu.user + cpu.system))
                last_size = size
            await pilot.pause(0.1)
        record = panel.last_result
        result = record_dict(record) if record is not None else None
        redraws = panel.redraws
    assert result is not None and result["status"] == "ok", result
    cpu_pct = None
    if len(window) >= 2:
        (w0, c0), (w1, c1) = window[0], window[-1]
        cpu_pct = 100.0 * (c1 - c0) / (w1 - w0) if w1 > w0 else None
    return {
        "p50": result["latency_ms"]["p50"],
        "p99": result["latency_ms"]["p99"],
        "cpu": cpu_pct,
        "redraw_hz": redraws / max(result["wall_s"], 1e-9),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=2.0, help="seconds per run")
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()

    ensure_spawn_ready()
    with tempfile.TemporaryDirectory(prefix="ortbench-observer-") as tmp:
        os.environ["ORTBENCH_DATA_DIR"] = str(Path(tmp) / "data")
        profiles_dir = Path(tmp) / "profiles"
        profile = bench_profile(args.duration)
        save_profile(profile, profiles_dir / "observer.toml")
        rows = []
        for model in args.models:
            a_runs: list[dict[str, Any]] = []
            b_runs: list[dict[str, Any]] = []
            headless(model, profile)  # warm the sample cache and the OS caches
            for i in range(args.rounds):
                a_runs.append(headless(model, profile))
                b_runs.append(asyncio.run(with_tui(model, profiles_dir)))
                print(
                    f"  {model} round {i + 1}: headless p50 {a_runs[-1]['p50'] * 1e3:.2f} µs "
                    f"p99 {a_runs[-1]['p99'] * 1e3:.2f} µs | TUI p50 "
                    f"{b_runs[-1]['p50'] * 1e3:.2f} µs p99 {b_runs[-1]['p99'] * 1e3:.2f} µs "
                    f"UI CPU {b_runs[-1]['cpu']:.1f}%",
                    file=sys.stderr,
                )
            rows.append((model, a_runs, b_runs))

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in runs if r[key] is not None)

    print()
    print(f"observer effect: {args.rounds} interleaved rounds of {args.duration:g} s per mode")
    print("ratio = TUI / headless: of the medians over rounds, and (paired) the median of the")
    print("per-round ratios, which cancels drift between rounds")
    head = (
        f"{'model':<12} {'p50 headless':>13} {'p50 TUI':>10} {'ratio':>6} {'paired':>7} "
        f"{'p99 headless':>13} {'p99 TUI':>10} {'ratio':>6} {'paired':>7} {'UI CPU':>7} "
        f"{'redraw':>8}"
    )
    print(head)
    print("-" * len(head))
    for model, a_runs, b_runs in rows:
        a50, b50 = med(a_runs, "p50"), med(b_runs, "p50")
        a99, b99 = med(a_runs, "p99"), med(b_runs, "p99")
        pair50 = statistics.median(b["p50"] / a["p50"] for a, b in zip(a_runs, b_runs, strict=True))
        pair99 = statistics.median(b["p99"] / a["p99"] for a, b in zip(a_runs, b_runs, strict=True))
        print(
            f"{model:<12} {a50 * 1e3:>10.2f} µs {b50 * 1e3:>7.2f} µs {b50 / a50:>6.3f} "
            f"{pair50:>7.3f} {a99 * 1e3:>10.2f} µs {b99 * 1e3:>7.2f} µs {b99 / a99:>6.3f} "
            f"{pair99:>7.3f} {med(b_runs, 'cpu'):>6.1f}% {med(b_runs, 'redraw_hz'):>5.1f} Hz"
        )
    print("targets: p50 within 3%, p99 within 10% of headless; UI CPU < 15% of a core")
    return 0


if __name__ == "__main__":
    sys.exit(main())
