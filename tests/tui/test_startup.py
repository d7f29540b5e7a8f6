"""Start-up: no onnxruntime in the UI process, hardware detection off the main thread."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from tui_fakes import fixed_hardware, settle, wait_for

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.tui.machine import header_line
from ortbench_tui.tui.widgets.lists import ProfileList
from ortbench_tui.tui.widgets.panels import HardwareLine


def test_building_the_app_does_not_import_onnxruntime():
    code = (
        "import sys\n"
        "from ortbench_tui.tui.app import make_app\n"
        "make_app(cwd=None)\n"
        "sys.exit(1 if 'onnxruntime' in sys.modules else 0)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


ENGINE_IMPORTS = ("onnx", "onnxruntime", "ml_dtypes")
"""Packages the first frame must not wait for: onnx alone (ml_dtypes' extension included) takes
longer to import than the whole first frame should (benchmarks/startup.py)."""

WATCH_IMPORTS = r"""
import asyncio, sys, threading
watched = set(sys.argv[1].split(","))
state = {"ready": False}
early = []

class Watch:
    # Records each watched package whose import starts before the app is ready, in any thread
    # (a lookup by importlib.util.find_spec, which imports nothing, is not an import).
    def find_spec(self, name, path=None, target=None):
        importing = sys._getframe(2).f_code.co_name == "_find_and_load_unlocked"
        if name in watched and importing and not state["ready"]:
            early.append(f"{name} ({threading.current_thread().name})")
        return None

sys.meta_path.insert(0, Watch())
"""
"""The start of every first-frame probe: a finder that notes watched imports until
`state["ready"]`."""

FIRST_FRAME_PROBE = (
    WATCH_IMPORTS
    + r"""
from ortbench_tui.tui.app import make_app

app = make_app(cwd=None)
app_ready = app._ready

async def ready():
    # Textual calls this once the DOM is mounted, before it processes any message.
    state["ready"] = True
    await app_ready()

app._ready = ready

async def main():
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    print("early:" + ",".join(early))

asyncio.run(main())
"""
)


def assert_nothing_early(tmp_path, probe: str, modules) -> None:
    """Run `probe` (it prints "early:" and the modules of `modules` imported before the first
    frame) in a fresh interpreter and fail naming any."""
    env = {**os.environ, "ORTBENCH_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [sys.executable, "-c", probe, ",".join(modules)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = proc.stdout.strip().splitlines()[-1:]
    assert report and report[0].startswith("early:"), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert report[0] == "early:", f"imported before the first frame: {report[0]}"


@pytest.mark.slow
def test_first_frame_imports_neither_onnx_nor_onnxruntime(tmp_path):
    """The real app (built-in samples, ./models, shipped profiles) up to its first frame: no
    import of onnx, onnxruntime or ml_dtypes starts before it, in the UI thread or a worker."""
    assert_nothing_early(tmp_path, FIRST_FRAME_PROBE, ENGINE_IMPORTS)


HEAVY_BEFORE_FIRST_FRAME = (
    "numpy",
    "msgspec",
    "tomlkit",
    "importlib.metadata",
    "ortbench_tui.bench.results",
    "ortbench_tui.commands.run",
)
"""What `ortbench` with no arguments needs only after its first frame, if at all: numpy (the
run panel's charts and live counts, the inputs form) and the result writer (~0.3 s together),
tomlkit (saving a profile), importlib.metadata (the installed ORT version, read only for an
unknown EP option) and the other commands' modules (the full CLI parser)."""

CLI_FIRST_FRAME_PROBE = (
    WATCH_IMPORTS
    + r"""
from ortbench_tui.tui import app as tui_app

original_run = tui_app.OrtbenchApp.run

def run(self, *args, **kwargs):
    app_ready = self._ready

    async def ready():
        state["ready"] = True
        await app_ready()

    self._ready = ready

    async def leave(pilot):
        await pilot.pause()  # leaving at once can cut the main screen's mount short (headless)
        pilot.app.exit()

    return original_run(self, headless=True, size=(120, 40), auto_pilot=leave)

tui_app.OrtbenchApp.run = run
from ortbench_tui.cli import main

code = main([])
print("early:" + ",".join(early))
sys.exit(code)
"""
)


@pytest.mark.slow
def test_ortbench_alone_imports_nothing_heavy_before_its_first_frame(tmp_path):
    """`ortbench` with no arguments, through the CLI as the command runs it (headless), up to
    its first frame: none of HEAVY_BEFORE_FIRST_FRAME is imported before it."""
    assert_nothing_early(tmp_path, CLI_FIRST_FRAME_PROBE, HEAVY_BEFORE_FIRST_FRAME)


def test_header_line_names_gpus_with_sm_counts():
    from ortbench_tui.hardware import GpuInfo

    info = fixed_hardware()
    info.gpus = [GpuInfo(0, "NVIDIA H100", 132, "9.0", 81559)]
    line = header_line(info)
    assert "NVIDIA H100 (132 SMs, 80 GiB)" in line and "4 phys / 8 log cores" in line


@pytest.mark.asyncio
async def test_detection_runs_in_a_worker_and_fills_the_header(app_factory, runner):
    app = app_factory(start_run=runner, hardware=None, detector=fixed_hardware)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.hardware is not None, timeout=10)
        await pilot.pause()
        assert "Test CPU 9000" in str(app.screen.query_one(HardwareLine).render())


@pytest.mark.slow
@pytest.mark.asyncio
async def test_failed_detection_is_shown_and_the_app_goes_on(app_factory, runner):
    def broken():
        raise OrtbenchError("hardware detection failed: no /proc")

    app = app_factory(start_run=runner, hardware=None, detector=broken)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await wait_for(pilot, lambda: app.hardware_error is not None, timeout=10)
        await pilot.pause()
        assert "no /proc" in str(app.screen.query_one(HardwareLine).render())
        await pilot.press("r")
        await settle(pilot)
        assert runner.started


@pytest.mark.slow
@pytest.mark.asyncio
async def test_real_detection_fills_the_header(app_factory, runner):
    """The default detector: the engine's probe in a child process, after the first frame."""
    app = app_factory(start_run=runner, hardware=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.hardware is not None, timeout=60)
        await pilot.pause()
        assert "CPUExecutionProvider" in app.hardware.working_providers
        assert "EPs: CPU" in str(app.screen.query_one(HardwareLine).render())


def test_cli_refuses_a_missing_folder(capsys):
    from ortbench_tui.cli import main

    assert main(["tui", "--models", "/no/such/folder"]) == 2
    assert "not a folder" in capsys.readouterr().err


@pytest.fixture
def odd_profiles(workdir):
    """A FIFO, a link to /dev/zero and a 50 MB file in ./profiles (each once hung the start)."""
    folder = workdir / "profiles"
    fifo = folder / "pipe.toml"
    os.mkfifo(fifo)
    (folder / "zero.toml").symlink_to("/dev/zero")
    with open(folder / "huge.toml", "wb") as fh:
        fh.truncate(50 << 20)  # sparse: no disk spent
    yield folder
    # A reader blocked on the FIFO (the bug) is released with nothing worse left to read.
    (folder / "zero.toml").unlink()
    (folder / "huge.toml").unlink()
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


@pytest.mark.asyncio
async def test_odd_profile_files_do_not_block_the_first_frame(app_factory, runner, odd_profiles):
    # Built in a daemon thread: a read of the FIFO would block it, not the test runner.
    built: list[Any] = []
    thread = threading.Thread(target=lambda: built.append(app_factory(start_run=runner)))
    thread.daemon = True
    thread.start()
    thread.join(timeout=20)
    assert built, "building the app blocked on a profile file"
    app = built[0]
    async with app.run_test(size=(120, 40)) as pilot:
        await asyncio.wait_for(settle(pilot), timeout=20)
        plist = app.screen.query_one(ProfileList)
        labels = [e.label for e in plist.entries]
        assert {"✗ pipe.toml", "✗ zero.toml", "✗ huge.toml"} <= set(labels)
        assert "cpu-latency" in labels  # the good ones are listed and usable
        errors = {e.path.name: e.error for e in plist.entries if e.error}
        assert "is a named pipe (FIFO), not a profile file" in errors["pipe.toml"]
        assert "is a character device, not a profile file" in errors["zero.toml"]
        assert (
            "too large for a profile" in errors["huge.toml"] and "50.0 MiB" in errors["huge.toml"]
        )
        assert app.screen.current_profile is not None and not app.screen.current_profile.error
