"""Fixtures for the Pilot and snapshot tests of the workbench."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tui_fakes import fake_runner, fixed_hardware, write_profiles

from ortbench_tui.bench.runner import ensure_spawn_ready
from ortbench_tui.tui.app import OrtbenchApp, make_app


@pytest.fixture(scope="session", autouse=True)
def _spawn_ready() -> None:
    # ARCHITECTURE.md §6.2: the resource tracker must run before any app starts a spawn child.
    ensure_spawn_ready()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cwd with ./profiles holding two fixed profiles (paths show relative to it)."""
    write_profiles(tmp_path / "profiles")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def app_factory(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., OrtbenchApp]:
    """make_app with this machine kept out: fixed hardware, fixed profiles, no blinking."""
    # The fixed hardware has 4 physical cores; the machine running the tests may have fewer
    # logical ones, and its real workers would refuse the fixed machine's thread counts.
    monkeypatch.setenv("ORTBENCH_ALLOW_OVERSUBSCRIPTION", "1")

    def build(**kwargs: Any) -> OrtbenchApp:
        options: dict[str, Any] = {
            "cwd": workdir,
            "include_shipped": False,
            "hardware": fixed_hardware(),
            "cursor_blink": False,
            "initial_profile": "cpu-latency",
        }
        options.update(kwargs)
        return make_app(**options)

    return build


@pytest.fixture
def runner():
    return fake_runner()
