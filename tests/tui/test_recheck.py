"""A saved best profile that won on another ORT: the notice, the editor keeping its
provenance, and k / ctrl+r starting the re-check (the comparison screen is replaced by a
recorder: what is tested is the request, the contest itself is `ortbench check --profile`'s)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Input
from tui_fakes import settle

from ortbench_tui.bench.provenance import build_provenance
from ortbench_tui.models import file_sha256
from ortbench_tui.profile import Profile, load_profile, save_profile
from ortbench_tui.samples import resolve_model
from ortbench_tui.tui.screens import compare as compare_screens

pytestmark = pytest.mark.asyncio

WON_ON = {  # the fixed test machine (`demo.fixed_hardware`), but an older ORT
    "cpu_model": "Test CPU 9000",
    "physical_cores": 4,
    "logical_cores": 8,
    "gpus": [],
    "ort_version": "1.30.0",
}


def write_best(folder: Path) -> Path:
    beaten = Profile(name="sweep #2")
    beaten.session.intra_op_num_threads = 2
    profile = Profile(name="x-best")
    profile.session.intra_op_num_threads = 1
    profile.provenance = build_provenance(
        found_by="sweep",
        model="sample:tiny",
        model_sha256=file_sha256(resolve_model("sample:tiny")),
        hardware=WON_ON,
        inputs_spec={},
        beaten=beaten,
        beaten_label="#2 intra_op_num_threads=2",
        margin=0.02,
        decided=True,
        ratio=(1.2, 1.1, 1.3),
    )
    return save_profile(profile, folder / "x-best.toml")


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The requests the comparison screen would have measured."""
    requests: list[Any] = []

    class Recorder(Screen[None]):
        def __init__(self, request: Any) -> None:
            super().__init__()
            requests.append(request)

    monkeypatch.setattr(compare_screens, "ComparisonScreen", Recorder)
    return requests


def notices(app: Any) -> list[str]:
    return [str(n.message) for n in app._notifications if n.title == "Re-check this profile?"]


async def test_the_notice_and_k_rerun_the_contest_it_won(app_factory, runner, workdir, opened):
    path = write_best(workdir / "profiles")
    app = app_factory(start_run=runner, initial_profile="x-best")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert notices(app) == [
            "'x-best' won on ORT 1.30.0 on 'Test CPU 9000, 4 cores'; here ORT 1.31.1 on "
            "'Test CPU 9000, 4 cores'. k re-checks it against #2 intra_op_num_threads=2"
        ]
        assert "k" in app.screen.active_bindings  # in the footer, help and palette
        await pilot.press("k")
        await pilot.pause()
        (request,) = opened
        assert [p.name for p in request.profiles] == ["sweep #2", "x-best"]
        assert request.profiles[0].session.intra_op_num_threads == 2
        assert request.profiles[1].session.intra_op_num_threads == 1
        assert request.model == "sample:tiny" and request.margin == 0.02
        assert request.interleave and request.until_decided is not None
    assert load_profile(path).provenance is not None


async def test_k_is_hidden_for_a_profile_without_provenance(app_factory, runner, opened):
    app = app_factory(start_run=runner)  # cpu-latency: written by hand
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.current_profile.name == "cpu-latency"
        assert app.screen.check_action("recheck", ()) is False
        assert "k" not in app.screen.active_bindings
        await pilot.press("k")
        await pilot.pause()
        assert opened == [] and notices(app) == []


@pytest.mark.slow
async def test_the_editor_says_so_keeps_it_on_save_and_rechecks_the_edit(
    app_factory, runner, workdir, opened
):
    path = write_best(workdir / "profiles")
    won = load_profile(path).provenance
    app = app_factory(start_run=runner, initial_profile="x-best")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.clear_notifications()
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.id == "editor"
        (notice,) = notices(app)
        assert "ctrl+r re-checks it" in notice
        box = app.screen.query_one("#f-run-warmup-runs", Input)
        box.focus()
        await pilot.press("end", "ctrl+u", "3")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = load_profile(path)
        assert saved.run.warmup_runs == 3 and saved.provenance == won
        await pilot.press("ctrl+r")
        await pilot.pause()
        (request,) = opened
        assert request.profiles[1].run.warmup_runs == 3  # the settings as edited
