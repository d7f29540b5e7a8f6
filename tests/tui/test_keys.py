"""The one table of keys (keys.py) reaches every screen, the `?` help and the palette."""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Static
from tui_fakes import settle, wait_for_screen

from ortbench_tui.bench.trace import summarize_trace
from ortbench_tui.tui import screens, widgets
from ortbench_tui.tui.app import OrtbenchApp
from ortbench_tui.tui.keys import COMMANDS, SCOPE_TITLES, key_label
from ortbench_tui.tui.palette import WorkbenchCommands
from ortbench_tui.tui.screens.compare import ComparisonScreen
from ortbench_tui.tui.screens.help import HelpScreen, help_rows
from ortbench_tui.tui.screens.practices import PracticesScreen
from ortbench_tui.tui.screens.sweep import SweepScreen
from ortbench_tui.tui.screens.trace import TraceScreen
from ortbench_tui.tui.workbench import Workbench

DATA = Path(__file__).parent.parent / "data"


def nodes_with_bindings() -> list[type[DOMNode]]:
    """Every screen, dialog, widget and the app that declares BINDINGS of its own."""
    modules = [importlib.import_module("ortbench_tui.tui.app")]
    for package in (screens, widgets):
        for info in pkgutil.iter_modules(package.__path__):
            modules.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    found = set()
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, DOMNode)
                and cls.__module__ == module.__name__
                and "BINDINGS" in vars(cls)
            ):
                found.add(cls)
    return sorted(found, key=lambda c: c.__qualname__)


def test_every_binding_of_every_screen_is_in_the_key_table():
    classes = nodes_with_bindings()
    assert {ComparisonScreen, SweepScreen, PracticesScreen, TraceScreen, HelpScreen} <= set(classes)
    assert OrtbenchApp in classes
    for cls in classes:
        for binding in Binding.make_bindings(vars(cls)["BINDINGS"]):
            command = next(
                (c for c in COMMANDS if c.id == binding.id and binding.key in c.key.split(",")),
                None,
            )
            assert command is not None, f"{cls.__name__}: {binding.key} is not in keys.py"
            assert binding.action == command.action, (cls, binding)
            assert binding.tooltip == command.help, (cls, binding)


def test_every_command_has_a_scope_title_and_a_unique_id():
    ids = [(c.id, c.key) for c in COMMANDS]
    assert len(ids) == len(set(ids))
    for command in COMMANDS:
        assert command.scope in SCOPE_TITLES, command
        assert command.help, command


@pytest.mark.parametrize(
    ("section", "keys"),
    [
        ("Comparison", ["esc", "m", "c", "r"]),
        ("Sweep", ["esc", "s", "m"]),
        ("Practices check", ["esc", "s", "m"]),
        ("Unsaved edits (asked before they would be lost)", ["s", "k", "d", "esc / c"]),
        ("Trace", ["esc", "s", "r", "o"]),
    ],
)
def test_help_lists_the_keys_of_the_job_screens(section, keys):
    listed = [k for s, k, _ in help_rows() if s == section]
    assert listed == keys


@pytest.mark.slow
@pytest.mark.asyncio
async def test_help_screen_shows_the_trace_keys(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        await wait_for_screen(pilot, HelpScreen, timeout=5)
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-table", Static).content)
        shown = console.export_text()
        for text in ("Trace", "Nodes/op types", "Save best", "Stop/Back"):
            assert text in shown


@pytest.mark.slow
@pytest.mark.asyncio
async def test_help_opens_inside_a_job_screen_and_lists_its_keys(app_factory, runner):
    """`?` from the trace screen (the job screens have no binding of their own for it)."""
    app = app_factory(start_run=runner)
    summary = summarize_trace(DATA / "ort_trace_cpu_conv.json", skip_runs=3)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(TraceScreen(summary, "sample:test"))
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        await wait_for_screen(pilot, HelpScreen, timeout=5)
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#help-table", Static).content)
        shown = console.export_text()
        for section in ("Comparison", "Sweep", "Practices check", "Trace"):
            assert section in shown


@pytest.mark.asyncio
async def test_palette_on_the_trace_screen_offers_its_commands(app_factory, runner):
    app = app_factory(start_run=runner)
    summary = summarize_trace(DATA / "ort_trace_cpu_conv.json", skip_runs=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(TraceScreen(summary, "sample:test"))
        await pilot.pause()
        screen = app.screen
        provider = WorkbenchCommands(screen)
        hits = {hit.text: hit async for hit in provider.discover()}
        for expected in (
            "Sort trace by the next column (s)",
            "Reverse trace sort (r)",
            "Show nodes or op types (o)",
            "Back (esc)",
            "Help (?)",
        ):
            assert expected in hits
        assert "Run benchmark (r)" not in hits  # the main screen's keys act only there
        await hits["Show nodes or op types (o)"].command()
        await pilot.pause()
        assert screen.view == "ops"


def test_palette_titles_name_the_key():
    assert key_label("escape,q,question_mark,f1") == "esc / q / ? / f1"


@pytest.mark.asyncio
async def test_the_app_is_a_workbench(app_factory, runner):
    app = app_factory(start_run=runner)
    assert isinstance(app, Workbench)
