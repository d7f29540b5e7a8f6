"""Start-up: no onnxruntime in the UI process, hardware detection off the main thread."""

from __future__ import annotations

import subprocess
import sys

import pytest
from tui_fakes import fixed_hardware, settle, wait_for

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.tui.machine import header_line
from ortbench_tui.tui.widgets.panels import HardwareLine


def test_building_the_app_does_not_import_onnxruntime():
    code = (
        "import sys\n"
        "from ortbench_tui.tui.app import make_app\n"
        "make_app(cwd=None)\n"
        "sys.exit(1 if 'onnxruntime' in sys.modules else 0)\n"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


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
