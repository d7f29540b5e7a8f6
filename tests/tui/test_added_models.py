"""Models added with `a`: refused when missing or not ONNX, remembered across restarts (a
small file in the data folder) until removed with `x`."""

from __future__ import annotations

import json
import shutil

import pytest
from textual.widgets import Static
from tui_fakes import settle, wait_for_screen

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.samples import resolve_model
from ortbench_tui.tui import added_models
from ortbench_tui.tui.screens.dialogs import ConfirmDialog
from ortbench_tui.tui.widgets.lists import ModelList
from ortbench_tui.tui.workspace import Workspace


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "else[v2]where" / "mine.onnx"  # brackets: shown as typed, never markup
    path.parent.mkdir()
    shutil.copy(resolve_model("sample:tiny"), path)
    return path


def test_added_models_are_remembered_until_removed(tmp_path, model_file):
    store = tmp_path / "data" / "workbench" / "added-models.json"
    ws = Workspace(include_shipped=False, added_models_file=store)
    ws.scan()
    entry = ws.add_model(str(model_file))
    assert json.loads(store.read_text()) == {"models": [str(model_file.resolve())]}
    again = Workspace(include_shipped=False, added_models_file=store)
    again.scan()
    assert [m.spec for m in again.models if m.origin == "added"] == [entry.spec]
    again.remove_model(next(m for m in again.models if m.origin == "added"))
    third = Workspace(include_shipped=False, added_models_file=store)
    third.scan()
    assert not [m for m in third.models if m.origin == "added"]
    with pytest.raises(OrtbenchError, match="only added models"):
        third.remove_model(third.models[0])


def test_invalid_and_missing_files_are_refused_with_the_reason(tmp_path):
    store = tmp_path / "store.json"
    ws = Workspace(include_shipped=False, added_models_file=store)
    ws.scan()
    bad = tmp_path / "bad.onnx"
    bad.write_text("this is not a model")
    with pytest.raises(OrtbenchError, match="not a valid ONNX model"):
        ws.add_model(str(bad))
    with pytest.raises(OrtbenchError, match="not found"):
        ws.add_model(str(tmp_path / "missing.onnx"))
    assert not [m for m in ws.models if m.origin == "added"]
    assert not store.exists()


def test_a_remembered_model_whose_file_is_gone_is_dropped(tmp_path, model_file):
    store = tmp_path / "store.json"
    added_models.save(store, [str(model_file), str(tmp_path / "gone.onnx")])
    ws = Workspace(include_shipped=False, added_models_file=store)
    ws.scan()
    assert [m.spec for m in ws.models if m.origin == "added"] == [str(model_file)]
    assert ws.forgotten_models == [str(tmp_path / "gone.onnx")]
    assert added_models.load(store) == [str(model_file)]


@pytest.mark.slow
@pytest.mark.asyncio
async def test_add_restart_and_remove_in_the_app(app_factory, runner, model_file, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        bad = workdir / "bad.onnx"
        bad.write_text("not onnx")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await pilot.press(*"bad.onnx", "enter")
        await pilot.pause()
        assert "not a valid ONNX model" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("end", "ctrl+u", *str(model_file), "enter")
        await settle(pilot)
        assert app.screen.query_one(ModelList).current.spec == str(model_file.resolve())
    # A new app (a restart) lists it again; x removes it after a yes.
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        models = app.screen.query_one(ModelList)
        assert str(model_file.resolve()) in [m.spec for m in models.entries]
        models.select_spec(str(model_file.resolve()))
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        await wait_for_screen(pilot, ConfirmDialog, timeout=5)
        question = " ".join(str(w.render()) for w in app.screen.query(Static))
        assert f"Remove {model_file.resolve()} from the list?" in question
        await pilot.press("y")
        await settle(pilot)
        assert str(model_file.resolve()) not in [m.spec for m in models.entries]
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        specs = [m.spec for m in app.screen.query_one(ModelList).entries]
        assert str(model_file.resolve()) not in specs
