"""Text from users, files and ORT is shown as it is: the app walked with names that look like
markup (`fast[/]` crashed the TUI at launch; `[v2]` and `[ONNXRuntimeError]` vanished)."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import onnx
import pytest
from onnx import TensorProto, helper
from rich.console import Console
from textual.widgets import Input, Label
from tui_fakes import fake_runner, fixed_result, fixed_samples, settle, wait_for, wait_for_screen

from ortbench_tui.bench.practices import PracticeRow, PracticesReport, PracticesRequest
from ortbench_tui.bench.result_record import run_record
from ortbench_tui.bench.results import save_to_history
from ortbench_tui.bench.trace import summarize_trace
from ortbench_tui.profile import Profile
from ortbench_tui.tui.screens.compare import ComparisonScreen
from ortbench_tui.tui.screens.practices import PracticesScreen
from ortbench_tui.tui.screens.trace import TraceScreen

pytestmark = pytest.mark.asyncio

FAST = "fast[/]"
BOLD = "[bold]x[/bold] [v2]"
ORT_ERROR = "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Invalid rank for input: [x]"
MODEL_FILE = "m[b]x[v2].onnx"
DATA = Path(__file__).parent.parent / "data"


def screen_text(app: Any) -> str:
    """Every character on screen (toasts and modals included), as plain text."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, force_terminal=True
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def assert_shown(app: Any, *texts: str) -> None:
    shown = screen_text(app)
    missing = [t for t in texts if t not in shown]
    assert not missing, f"not on screen: {missing}\n{shown}"


def dialog_title(app: Any) -> str:
    """The whole title of the open dialog (a long path is cut on screen)."""
    return str(app.screen.query_one(".dialog-title", Label).render())


def hostile_model(path: Path) -> Path:
    """An Identity model whose input is named `[x]` with a symbolic dim `[n]`."""
    x = helper.make_tensor_value_info("[x]", TensorProto.FLOAT, ["[n]", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["[n]", 3])
    graph = helper.make_graph([helper.make_node("Identity", ["[x]"], ["y"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, path)
    return path


@pytest.fixture
def hostile(workdir: Path) -> Path:
    profiles = workdir / "profiles"
    (profiles / "fast.toml").write_text(
        f'name = "{FAST}"\ndescription = "tuned for [v2] hosts"\n'
        '[session]\nfree_dimensions = { "[n]" = 1 }\n'
    )
    (profiles / "bold.toml").write_text(f'name = "{BOLD}"\n')
    (profiles / "broken[v2].toml").write_text("name = [\n")
    model = hostile_model(workdir / "models" / MODEL_FILE)
    # `m[/].onnx` typed in the add-model prompt: a folder `m[` holding `].onnx`.
    hostile_model(workdir / "m[" / "].onnx")
    return model


def hostile_history(folder: Path | None = None) -> None:
    samples = fixed_samples(500, seed=3)
    for profile, scale in ((FAST, 1.0), (BOLD, 1.3)):
        result = fixed_result((samples * scale).astype("int64"), warnings=[ORT_ERROR])
        result["model"]["name"] = "m[/]"
        result["profile"]["name"] = profile
        save_to_history(run_record(result), (samples * scale).astype("int64"))


@pytest.mark.slow
async def test_main_screen_editor_prompts_and_notifications(app_factory, hostile):
    runner = fake_runner(failure=("run", ORT_ERROR))
    app = app_factory(initial_model=str(hostile), initial_profile=FAST, start_run=runner)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        # The launch that crashed: the lists, the panels, the broken file's notification.
        await wait_for(pilot, lambda: "[x]" in screen_text(app))
        assert_shown(app, FAST, BOLD, MODEL_FILE, "in  [x]", "[n]", "tuned for [v2] hosts")
        assert_shown(app, "broken[v2].toml", f"Run: {Path(hostile).name} × {FAST}")
        # An ORT error from a run, in a notification and in the run panel.
        await pilot.press("r")
        await wait_for(pilot, lambda: not app.screen.run_panel.running)
        await settle(pilot)
        assert_shown(app, "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT")
        # The editor: its title, and the model's symbolic dim as a row.
        await pilot.press("e")
        await settle(pilot)
        assert app.screen.id == "editor"
        assert_shown(app, f"Profile: {FAST}", "free dim [n]")
        await pilot.press("escape")
        await settle(pilot)
        # Model info, and the compare picker that lists the other profiles.
        await pilot.press("i")
        await settle(pilot)
        assert_shown(app, "Model: ", "in  [x]")  # the long path is cut at the dialog's width
        assert dialog_title(app) == f"Model: {hostile}"
        await pilot.press("escape")
        await pilot.press("c")
        await settle(pilot)
        assert_shown(app, f"Compare '{FAST}'", BOLD)
        await pilot.press("escape")
        # The sweep prompt names the model and the profile.
        await pilot.press("w")
        await settle(pilot)
        assert dialog_title(app) == f"Sweep {hostile} from '{FAST}'"
        await pilot.press("escape")
        await settle(pilot)
        # Add a model by a path that holds `[/`: first a missing one, then a real one.
        await pilot.press("a")
        await settle(pilot)
        box = app.screen.query_one(Input)
        box.value = "nope[/]x.onnx"
        await pilot.press("enter")
        await settle(pilot)
        assert_shown(app, "nope[/]x.onnx")
        box.value = "m[/].onnx"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "main"
        assert_shown(app, "+ ].onnx")
        # Help draws the key table over all of this.
        await pilot.press("question_mark")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.id == "main"


@pytest.mark.slow
async def test_history_detail_side_by_side_and_compare(app_factory, hostile, isolated_dirs):
    hostile_history()
    bad = isolated_dirs / "results" / "bad[v2].json"
    bad.write_text(json.dumps({"schema": 1, "model": "m", "profile": {}, "latency_ms": None}))
    app = app_factory(initial_profile=FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert app.screen.id == "history"
        assert_shown(app, "m[/]", FAST, BOLD, "1 history file could not be read: bad[v2].json")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.id == "detail"
        assert_shown(app, f"m[/] × {BOLD}", "[ONNXRuntimeError] : 2 : INVALID_ARGUMENT")
        await pilot.press("escape", "space", "down", "space", "v")
        await settle(pilot)
        assert app.screen.id == "compare"
        assert_shown(app, FAST, BOLD, "m[/]")
        await pilot.press("escape", "c")
        await wait_for(pilot, lambda: getattr(app.screen, "comparison", None) is not None)
        await settle(pilot)
        await wait_for_screen(pilot, ComparisonScreen, timeout=5)
        assert_shown(app, FAST, BOLD)


class HostilePractices:
    def __init__(self, request: Any) -> None:
        self.request = request

    def cancel(self) -> None:
        pass

    def events(self) -> Any:
        row = PracticeRow("4", "CUDA graphs", "on vs off", "not applicable here", reason=ORT_ERROR)
        yield PracticesReport(self.request.model, FAST, [row], "test method", 0.01)


@pytest.mark.slow
async def test_practices_and_trace_screens(app_factory, hostile):
    app = app_factory(initial_profile=FAST)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        request = PracticesRequest(str(hostile), Profile(name=FAST))
        screen = PracticesScreen(request, start=HostilePractices)
        app.push_screen(screen)
        await wait_for(pilot, lambda: screen.report is not None)
        await settle(pilot)
        # The title shortens a long path in the middle; what is left shows its brackets as typed.
        assert_shown(app, f"{MODEL_FILE[3:]} · base {FAST}", ORT_ERROR)
        await pilot.press("escape")
        await settle(pilot)
        summary = copy.deepcopy(summarize_trace(DATA / "ort_trace_cpu_conv.json", skip_runs=3))
        summary.nodes[0].name = "[bold]conv[/]"
        app.push_screen(TraceScreen(summary, f"m[/] × {FAST}"))
        await settle(pilot)
        assert_shown(app, f"Trace · m[/] × {FAST}", "[bold]conv[/]")
