"""The TOML the profile editor writes, byte for byte: one edit of every kind of field (text,
choice, switch, whole number, number, threads, CPU list, EP list, tables, free dimensions and
the EP option rows) typed through the Pilot, saved, and compared with the text of the file."""

from __future__ import annotations

import pytest
from textual.widgets import Select, Switch
from tui_fakes import settle, type_into

pytestmark = pytest.mark.asyncio


async def toggle(pilot, selector: str) -> None:
    switch = pilot.app.screen.query_one(selector, Switch)
    before = switch.value
    switch.focus()
    await pilot.press("space")
    await pilot.pause()
    assert switch.value is not before


async def choose(pilot, selector: str, key: str, expected: str) -> None:
    select = pilot.app.screen.query_one(selector, Select)
    select.focus()
    await pilot.press("enter", key, "enter")
    await pilot.pause()
    assert select.value == expected


async def open_editor(pilot):
    await settle(pilot)
    await pilot.press("e")
    await pilot.pause()
    assert pilot.app.screen.id == "editor"


async def save(pilot) -> None:
    await pilot.press("ctrl+s")
    await pilot.pause()
    entry = pilot.app.screen_stack[0].current_profile
    assert not entry.dirty


CPU_EDITED = """\
name = "cpu-latency"
description = "edited é \\"quoted\\""

[session]
graph_optimization_level = "extended"
intra_op_num_threads = 3
free_dimensions = {batch = 2}
execution_mode = "parallel"
inter_op_num_threads = 2
enable_mem_pattern = false
intra_op_thread_affinities = "1;2"
config_entries = {"session.x" = "1", b = 2, c = true, d = 1.5}

[provider]
name = "cpu"
fallback = ["cpu", "cuda"]

[run]
warmup_runs = 7
timed_runs = 300
io_binding = false
duration_s = 2.5
until_ci_pct = 0.5
max_duration_s = 30.0
precision = "fp16"
input_seed = 11
input_sets = 2
pin_cpus = [0, 1]
"""


@pytest.mark.slow
async def test_every_kind_of_field_is_written_as_before(app_factory, runner, workdir):
    app = app_factory(start_run=runner)
    path = workdir / "profiles" / "cpu-latency.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await open_editor(pilot)
        await type_into(pilot, "#f-description", 'edited é "quoted"')
        await choose(pilot, "#f-session-graph-optimization-level", "up", "extended")
        await choose(pilot, "#f-session-execution-mode", "down", "parallel")
        await type_into(pilot, "#f-session-intra-op-num-threads", "3")
        await type_into(pilot, "#f-session-inter-op-num-threads", "2")
        await toggle(pilot, "#f-session-enable-mem-pattern")
        await type_into(pilot, "#f-session-intra-op-thread-affinities", "1;2")
        await type_into(pilot, "#f-dim-batch", "2")
        await type_into(
            pilot,
            "#f-session-config-entries",
            '{ "session.x" = "1", b = 2, c = true, d = 1.5 }',
        )
        await type_into(pilot, "#f-provider-fallback", "cpu, cuda")
        await type_into(pilot, "#f-run-warmup-runs", "7")
        await type_into(pilot, "#f-run-timed-runs", "300")
        await toggle(pilot, "#f-run-io-binding")
        await type_into(pilot, "#f-run-duration-s", "2.5")
        await type_into(pilot, "#f-run-until-ci-pct", "0.5")
        await type_into(pilot, "#f-run-max-duration-s", "30")
        await choose(pilot, "#f-run-precision", "down", "fp16")
        await type_into(pilot, "#f-run-input-seed", "11")
        await type_into(pilot, "#f-run-input-sets", "2")
        await type_into(pilot, "#f-run-pin-cpus", "0, 1")
        await save(pilot)
    assert path.read_text() == CPU_EDITED


CUDA_FIRST = """\
name = "cuda"
description = "CUDA EP"

[provider]
name = "cuda"
options = {cudnn_conv_algo_search = "DEFAULT", gpu_mem_limit = 1024, enable_cuda_graph = true, tunable_op_enable = true}
fallback = []

[run]
io_binding = true
"""  # noqa: E501  (the text as written)

CUDA_EDITED = """\
name = "cuda"
description = "CUDA EP"

[provider]
name = "tensorrt"
options = {trt_fp16_enable = true, trt_engine_cache_enable = false, trt_builder_optimization_level = 5, device_id = 1, trt_dla_core = 1, trt_engine_cache_path = "c"}
fallback = []

[run]
io_binding = true
"""  # noqa: E501  (the text as written)


@pytest.mark.slow
async def test_ep_option_rows_are_written_as_before(app_factory, runner, workdir):
    app = app_factory(start_run=runner, initial_profile="cuda")
    path = workdir / "profiles" / "cuda.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await open_editor(pilot)
        # CUDA's rows: a choice, a number, a switch, and the other options' table.
        await choose(pilot, "#f-opt-cudnn-conv-algo-search", "down", "DEFAULT")
        await type_into(pilot, "#f-opt-gpu-mem-limit", "1024")
        await toggle(pilot, "#f-opt-enable-cuda-graph")
        await toggle(pilot, "#f-run-io-binding")
        await type_into(pilot, "#f-provider-options-other", "{ tunable_op_enable = true }")
        await save(pilot)
        cuda_text = path.read_text()
        # A new EP rebuilds the rows: TensorRT's switches (one whose default is ortbench's
        # own), a whole number, and its rows kept apart from the other options.
        await choose(pilot, "#f-provider-name", "down", "tensorrt")
        await toggle(pilot, "#f-opt-trt-fp16-enable")
        await toggle(pilot, "#f-opt-trt-engine-cache-enable")
        await type_into(pilot, "#f-opt-trt-builder-optimization-level", "5")
        await type_into(pilot, "#f-opt-device-id", "1")
        await type_into(
            pilot, "#f-provider-options-other", '{ trt_dla_core = 1, trt_engine_cache_path = "c" }'
        )
        await save(pilot)
    assert cuda_text == CUDA_FIRST
    assert path.read_text() == CUDA_EDITED
