"""Save SVG screenshots of the workbench's main screens into screenshots/ (`make screenshots`).

The real app (make_app) is driven by keys, with fixed data injected (ortbench_tui.tui.demo):
the machine, the profiles, the samples and the results never come from this machine or the
clock, so the pictures only change when the code does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "screenshots"
SIZE = (120, 40)


def _saved(result: dict[str, Any], samples: Any) -> Path:
    return Path("20260102-030405-sample-tiny-cpu-latency.json")


async def _settle(pilot: Any) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def _main(pilot: Any) -> None:
    await _settle(pilot)


async def _editor(pilot: Any) -> None:
    await _settle(pilot)
    await pilot.press("e")
    await pilot.pause()


async def _run_finished(pilot: Any) -> None:
    await _settle(pilot)
    await pilot.press("down", "r")
    await _settle(pilot)
    await pilot.pause(0.3)


async def _history(pilot: Any) -> None:
    await _settle(pilot)
    await pilot.press("h")
    await _settle(pilot)
    await pilot.press("space", "down", "space")
    await pilot.pause()


async def _compare(pilot: Any) -> None:
    """History: the two picked runs compared (ratio of medians, its CI, the verdict)."""
    await _history(pilot)
    await pilot.press("c")
    await _settle(pilot)
    await pilot.pause(0.2)


async def _side_by_side(pilot: Any) -> None:
    await _history(pilot)
    await pilot.press("v")
    await pilot.pause()


async def _trace(pilot: Any) -> None:
    """`t` on the main screen; the run plays back a trace recorded on CPU (tests/data)."""
    await _settle(pilot)
    await pilot.press("t")
    await _settle(pilot)
    await pilot.pause(0.3)


async def _help(pilot: Any) -> None:
    await _settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


SHOTS: dict[str, Callable[[Any], Awaitable[None]]] = {
    "main": _main,
    "editor": _editor,
    "run-finished": _run_finished,
    "history": _history,
    "compare": _compare,
    "side-by-side": _side_by_side,
    "trace": _trace,
    "help": _help,
}


def _seed_history() -> None:
    """Three saved runs with fixed figures (two profiles on the MLP sample)."""
    import numpy as np

    from ortbench_tui.bench.results import save_to_history
    from ortbench_tui.tui.demo import fixed_result, fixed_samples

    for i, scale in enumerate((1.0, 0.82, 1.05)):
        samples = (fixed_samples(3000, seed=i) * scale).astype(np.int64)
        result = fixed_result(samples)
        result["model"]["name"] = "sample:mlp"
        result["created"] = f"2026-01-0{i + 2}T10:0{i}:00+00:00"
        result["profile"]["name"] = ("cpu-latency", "cpu-throughput", "cpu-latency")[i]
        save_to_history(result, samples)


def _runner() -> Callable[[Any], Any]:
    """The demo's fixed runs; a traced request also gets the trace recorded in tests/data."""
    from ortbench_tui.bench.result_record import trace_dict
    from ortbench_tui.bench.runner import Finished
    from ortbench_tui.bench.trace import summarize_trace
    from ortbench_tui.tui.demo import fake_runner

    plain = fake_runner()

    class Traced:
        def __init__(self, handle: Any) -> None:
            self.handle = handle
            self.cancel = handle.cancel

        @property
        def cancelled(self) -> bool:
            return bool(self.handle.cancelled)

        def events(self) -> Any:
            for event in self.handle.events():
                if isinstance(event, Finished):
                    trace = ROOT / "tests" / "data" / "ort_trace_cpu_conv.json"
                    event.result["trace"] = trace_dict(summarize_trace(trace, skip_runs=3))
                yield event

    def start(request: Any) -> Any:
        handle = plain(request)
        return Traced(handle) if getattr(request, "trace", False) else handle

    return start


async def shoot(name: str, work: Path) -> Path:
    from ortbench_tui.tui.app import make_app
    from ortbench_tui.tui.demo import fixed_hardware

    app = make_app(
        cwd=work,
        include_shipped=False,
        hardware=fixed_hardware(),
        start_run=_runner(),
        save_result=_saved,
        cursor_blink=False,
        initial_profile="cpu-latency",
    )
    async with app.run_test(size=SIZE) as pilot:
        await SHOTS[name](pilot)
        path = app.save_screenshot(f"{name}.svg", str(OUT))
    return Path(path)


def main() -> int:
    from ortbench_tui.bench.runner import ensure_spawn_ready
    from ortbench_tui.tui.demo import write_profiles

    ensure_spawn_ready()
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ortbench-shots-") as tmp:
        work = Path(tmp)
        write_profiles(work / "profiles")
        os.environ["ORTBENCH_DATA_DIR"] = str(work / "data")
        os.environ.setdefault("ORTBENCH_CACHE_DIR", str(work / "cache"))
        os.chdir(work)
        _seed_history()
        for name in sys.argv[1:] or SHOTS:
            print(asyncio.run(shoot(name, work)).relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
