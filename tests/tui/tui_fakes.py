"""Test helpers: the fixed data of `ortbench_tui.tui.demo`, a crashing worker, bounded waits."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from ortbench_tui.tui.demo import (  # noqa: F401  (re-exported for the tests)
    CREATED,
    FakeHandle,
    fake_runner,
    fixed_hardware,
    fixed_result,
    fixed_samples,
    write_profiles,
)


def exiting_worker(conn: Any, request: Any, log_path: str) -> None:
    """A worker process that dies the hard way (as a crashing EP would)."""
    os.write(2, b"fatal: simulated EP crash\n")
    os._exit(3)


async def wait_for(pilot: Any, condition: Callable[[], Any], timeout: float = 30.0) -> None:
    """Pause until `condition()` holds; fail after `timeout` seconds (never sleep-and-hope)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await pilot.pause(0.05)


async def wait_for_screen(pilot: Any, screen_type: type, timeout: float = 30.0) -> None:
    """Wait until the app shows a `screen_type` whose widgets are composed and mounted.

    A pushed screen becomes `app.screen` before its compose has run; querying it at
    that moment finds nothing (a race that a loaded machine loses)."""
    app = pilot.app
    await wait_for(
        pilot, lambda: isinstance(app.screen, screen_type) and app.screen.is_mounted, timeout
    )


async def type_into(pilot: Any, selector: str, text: str) -> None:
    """Focus an input (which selects its text) and type over it, key by key."""
    from textual.widgets import Input

    box = pilot.app.screen.query_one(selector, Input)
    box.focus()
    await pilot.pause()
    await pilot.press("end", "ctrl+u", *list(text))
    await pilot.pause()
    assert box.value == text


async def settle(pilot: Any) -> None:
    """Let every worker finish and every message they posted be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
