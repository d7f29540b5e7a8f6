"""Pilot tests of the profile editor: the right widget per kind, inline validation, saving."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Select, Switch
from tui_fakes import settle, type_into, wait_for_screen

from ortbench_tui.profile import load_profile, profile_to_dict
from ortbench_tui.tui.screens.dialogs import ConfirmDialog, PromptDialog
from ortbench_tui.tui.widgets.lists import ProfileList
from ortbench_tui.tui.widgets.notes import Notes
from ortbench_tui.tui.widgets.profile_form import FormRow, ProfileForm

pytestmark = pytest.mark.asyncio


async def open_editor(pilot):
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    assert pilot.app.screen.id == "editor"
    return pilot.app.screen


def row(screen, selector: str) -> FormRow:
    return screen.query_one(selector).parent


def title(screen) -> str:
    return str(screen.query_one("#editor-title").render())


@pytest.mark.slow
async def test_every_key_has_the_right_widget(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot)
        form = editor.query_one(ProfileForm)
        kinds = {spec.widget_id: spec.kind for spec in form.specs.values()}
        for wid, kind in kinds.items():
            if wid in ("f-session-free-dimensions", "f-provider-options"):
                continue  # sections of their own (free dims, EP options)
            widget = editor.query_one(f"#{wid}")
            expected = {"enum": Select, "provider": Select, "bool": Switch}.get(kind, Input)
            assert isinstance(widget, expected), (wid, kind, type(widget))
        hint = row(editor, "#f-session-intra-op-num-threads").hint
        assert '"physical" = 4 cores here' in hint


@pytest.mark.slow
async def test_invalid_values_are_flagged_inline_and_block_run_and_save(
    app_factory, runner, workdir
):
    app = app_factory(start_run=runner)
    before = (workdir / "profiles" / "cpu-latency.toml").read_text()
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot)
        await type_into(pilot, "#f-run-timed-runs", "abc")
        timed = row(editor, "#f-run-timed-runs")
        assert timed.has_class("-invalid")
        assert "✗ expected a whole number" in timed.hint
        assert "*" in title(editor) and "1 invalid" in title(editor)
        await type_into(pilot, "#f-run-timed-runs", "0")
        assert "expected an integer >= 1" in timed.hint
        await type_into(pilot, "#f-run-pin-cpus", "a, b")
        assert row(editor, "#f-run-pin-cpus").has_class("-invalid")
        problems = editor.query_one("#form-problems", Notes).plain
        assert "2 invalid value(s): run.pin_cpus, run.timed_runs" in problems
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (workdir / "profiles" / "cpu-latency.toml").read_text() == before
        assert any(n.title == "Not saved" for n in app._notifications)
        # Back on the main screen (k keeps the edits), r refuses and says why; the label has *.
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert app.screen.id == "main"
        assert app.screen.query_one(ProfileList).current.label == "cpu-latency*"
        await pilot.press("r")
        await pilot.pause()
        assert runner.started == []
        assert any("fix the invalid values first" in str(n.message) for n in app._notifications)
        assert "invalid run.timed_runs" in app.screen.query_one("#run-notes", Notes).plain
        # Reopening the editor keeps what was typed, still flagged.
        editor = await open_editor(pilot)
        assert editor.query_one("#f-run-timed-runs", Input).value == "0"
        assert row(editor, "#f-run-timed-runs").has_class("-invalid")


@pytest.mark.slow
async def test_edit_save_and_load_back_identically(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    path = workdir / "profiles" / "cpu-latency.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot)
        await type_into(pilot, "#f-run-timed-runs", "300")
        await type_into(pilot, "#f-session-intra-op-num-threads", "2")
        await type_into(pilot, "#f-run-pin-cpus", "0, 1")
        await type_into(pilot, "#f-session-config-entries", '{ a = "1" }')
        await type_into(pilot, "#f-description", "edited")
        switch = editor.query_one("#f-run-io-binding", Switch)
        switch.focus()
        await pilot.press("space")
        await pilot.pause()
        assert switch.value is False
        assert row(editor, "#f-run-io-binding").hint == "off"
        select = editor.query_one("#f-run-precision", Select)
        select.focus()
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        assert select.value == "fp16"
        entry = app.screen_stack[0].current_profile
        assert entry.dirty and "*" in title(editor)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not entry.dirty and "*" not in title(editor)
        loaded = load_profile(path)
        assert profile_to_dict(loaded) == profile_to_dict(entry.profile)
        assert loaded.run.timed_runs == 300 and loaded.run.io_binding is False
        assert loaded.run.precision == "fp16" and loaded.run.pin_cpus == [0, 1]
        assert loaded.session.intra_op_num_threads == 2
        assert loaded.session.config_entries == {"a": "1"}
        assert loaded.description == "edited"


@pytest.mark.slow
async def test_save_as_picks_a_new_name_and_keeps_the_old_file(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    old = (workdir / "profiles" / "cpu-latency.toml").read_text()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_editor(pilot)
        await type_into(pilot, "#f-run-warmup-runs", "7")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        await type_into(pilot, "#prompt-input", "fast-cpu")
        await pilot.press("enter")
        await pilot.pause()
        new = workdir / "profiles" / "fast-cpu.toml"
        assert load_profile(new).run.warmup_runs == 7
        assert load_profile(new).name == "fast-cpu"
        assert (workdir / "profiles" / "cpu-latency.toml").read_text() == old
        names = [e.name for e in app.workspace.profiles]
        assert "fast-cpu" in names and "cpu-latency" in names


@pytest.mark.slow
async def test_saving_over_a_different_file_asks_first(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    cuda = workdir / "profiles" / "cuda.toml"
    before = cuda.read_text()
    async with app.run_test(size=(120, 40)) as pilot:
        await open_editor(pilot)
        for answer in ("n", "y"):
            await pilot.press("ctrl+o")
            await pilot.pause()
            await type_into(pilot, "#prompt-input", "cuda")
            await pilot.press("enter")
            await pilot.pause()
            await wait_for_screen(pilot, ConfirmDialog, timeout=5)
            await pilot.press(answer)
            await pilot.pause()
            if answer == "n":
                assert cuda.read_text() == before
        replaced = load_profile(cuda)
        assert replaced.name == "cuda" and replaced.provider.name == "cpu"
        assert [e.name for e in app.workspace.profiles].count("cuda") == 1


@pytest.mark.slow
async def test_provider_choice_shows_only_its_options(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot)
        assert not editor.query("#f-opt-enable-cuda-graph")
        select = editor.query_one("#f-provider-name", Select)
        select.focus()
        await pilot.press("enter", "down", "enter")  # cpu -> cuda
        await pilot.pause()
        assert select.value == "cuda"
        assert "does not load here" in row(editor, "#f-provider-name").hint
        assert editor.query("#f-opt-enable-cuda-graph") and not editor.query(
            "#f-opt-trt-fp16-enable"
        )
        graph = editor.query_one("#f-opt-enable-cuda-graph", Switch)
        graph.focus()
        await pilot.press("space")
        await pilot.pause()
        form = editor.query_one(ProfileForm)
        assert form.profile.provider.options == {"enable_cuda_graph": True}
        io = editor.query_one("#f-run-io-binding", Switch)
        io.focus()
        await pilot.press("space")
        await pilot.pause()
        problems = editor.query_one("#form-problems", Notes).plain
        assert "CUDA graphs need io_binding = true" in problems
        await type_into(pilot, "#f-provider-options-other", "{ broken = ")
        assert row(editor, "#f-provider-options-other").has_class("-invalid")
        await type_into(pilot, "#f-provider-options-other", "{ extra_knob = 3 }")
        assert "has no option 'extra_knob'" in row(editor, "#f-provider-options-other").hint
        await type_into(pilot, "#f-provider-options-other", "{ tunable_op_enable = true }")
        assert not row(editor, "#f-provider-options-other").has_class("-invalid")
        assert form.profile.provider.options == {
            "enable_cuda_graph": True,
            "tunable_op_enable": True,
        }


@pytest.mark.slow
async def test_free_dimensions_follow_the_selected_model(app_factory, runner):
    app = app_factory(start_run=runner, initial_model="sample:encoder")
    async with app.run_test(size=(120, 40)) as pilot:
        editor = await open_editor(pilot)
        assert editor.query_one("#f-dim-batch", Input).value == "1"
        seq = editor.query_one("#f-dim-sequence", Input)
        assert seq.value == "" and "unset" in row(editor, "#f-dim-sequence").hint
        await type_into(pilot, "#f-dim-sequence", "x")
        assert row(editor, "#f-dim-sequence").has_class("-invalid")
        await type_into(pilot, "#f-dim-sequence", "128")
        form = editor.query_one(ProfileForm)
        assert form.profile.session.free_dimensions == {"batch": 1, "sequence": 128}
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("k")
        await pilot.pause()
        assert "input dims without a size" not in app.screen.query_one("#run-notes", Notes).plain


@pytest.mark.slow
async def test_editor_at_80x24(app_factory, runner):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await open_editor(pilot)
        assert editor.query_one(ProfileForm).size.height >= 15


@pytest.mark.slow
async def test_main_screen_save_as_with_shift_s(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await pilot.pause()
        await wait_for_screen(pilot, PromptDialog, timeout=5)
        await pilot.press("end", "ctrl+u", *"other", "enter")
        await pilot.pause()
        assert load_profile(workdir / "profiles" / "other.toml").name == "other"
        assert app.screen.current_profile.name == "other"
        labels = [e.label for e in app.screen.query_one(ProfileList).entries]
        assert labels == ["cpu-latency", "other", "cuda"]
