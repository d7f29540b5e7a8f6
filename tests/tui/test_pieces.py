"""The TUI's plain-Python pieces: pictures, parsing, formatting, workspace, redraw throttle."""

from __future__ import annotations

import numpy as np
import pytest
from tui_fakes import fixed_result, fixed_samples, write_profiles

from ortbench_tui.bench.result_record import run_record
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import (
    CpuList,
    EpNames,
    Number,
    Profile,
    ScalarTable,
    Text,
    ThreadCount,
    WholeNumber,
    load_profile,
    profile_to_dict,
)
from ortbench_tui.tui.charts import (
    histogram_picture,
    histogram_upper,
    run_index_picture,
    stats_items,
)
from ortbench_tui.tui.formatting import provider_line, readiness_lines, result_lines
from ortbench_tui.tui.live import LiveSamples, RedrawThrottle
from ortbench_tui.tui.profile_fields import (
    FieldSpec,
    check_options,
    ep_option_specs,
    format_inline_table,
    other_options_doc,
    parse_inline_table,
    parse_option,
    parse_value,
)
from ortbench_tui.tui.workspace import Workspace


def test_histogram_has_one_bin_per_column_and_marks_p50_p99():
    samples = fixed_samples()
    ms = samples / 1e6
    p50, p99 = float(np.percentile(ms, 50)), float(np.percentile(ms, 99))
    pic = histogram_picture(samples, 60, 10, p50, p99, histogram_upper({"p99": p99}, samples.size))
    assert len(pic.rows) == 8 and all(len(r) == 60 for r in pic.rows)
    assert len(pic.axis) == 60 and len(pic.scale) <= 60
    assert pic.axis[pic.p50_col : pic.p50_col + 4] == "^p50"
    assert pic.p50_col < pic.p99_col
    assert pic.hi_ms == pytest.approx(1.5 * p99)
    assert "(+" in pic.scale and "slower)" in pic.scale  # the 2.5x slow runs are counted
    assert "log scale" in pic.scale
    # The tallest column is full height; rare bins still show.
    assert "█" in pic.rows[0]


def test_histogram_of_nothing_waits():
    pic = histogram_picture(np.empty(0, np.int64), 40, 10, None, None)
    assert pic.axis.startswith("waiting")


def test_run_index_picture_shows_a_spike():
    samples = np.full(1000, 50_000, dtype=np.int64)
    samples[500:510] = 5_000_000
    rows = run_index_picture(samples, 50, 2)
    assert len(rows) == 2 and all(len(r) == 50 for r in rows)
    top = rows[0]
    assert top[25] == "█" and top[0] == " "


def test_stats_items_read_in_order():
    items = dict(
        stats_items(
            {"p50": 0.0712, "p90": 0.078, "p99": 0.104, "p999": 0.15, "mean": 0.073, "cv": 0.061},
            14020,
            14020.4,
        )
    )
    assert items["p50"] == "71.2 µs" and items["CV"] == "6.1%"
    assert items["inf/s"] == "14 020" and items["runs"] == "14 020"


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        ("int", "12", WholeNumber(12)),
        ("threads", "physical", ThreadCount("physical")),
        ("threads", "3", ThreadCount(3)),
        ("float", "2.5", Number(2.5)),
        ("cpus", "0, 2", CpuList([0, 2])),
        ("providers", "cpu, cuda", EpNames(["cpu", "cuda"])),
        ("scalars", '{ "a.b" = 1, c = "x" }', ScalarTable({"a.b": 1, "c": "x"})),
        ("str", " a ", Text(" a ")),
    ],
)
def test_parse_value_accepts(kind, text, value):
    assert parse_value(FieldSpec("run", "k", kind), text) == value


@pytest.mark.parametrize(
    ("kind", "text", "reason"),
    [
        ("int", "x", "whole number"),
        ("int", "-1", "non-negative"),
        ("threads", "many", "physical"),
        ("cpus", "a", "CPU indices"),
        ("providers", "gpu", "EP name"),
        ("scalars", "{ a = ", "TOML"),
    ],
)
def test_parse_value_refuses_with_a_reason(kind, text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_value(FieldSpec("run", "k", kind), text)


def test_minimum_is_enforced():
    with pytest.raises(ValueError, match=">= 1"):
        parse_value(FieldSpec("run", "timed_runs", "int", minimum=1), "0")


def test_inline_tables_round_trip():
    table = {"session.x": "1", "b": 2, "c": True}
    assert parse_inline_table(format_inline_table(table)) == table
    assert format_inline_table({}) == ""


def test_option_rows_come_from_ort_s_option_catalogue():
    specs = {s.name: s for s in ep_option_specs("CUDAExecutionProvider")}
    search = specs["cudnn_conv_algo_search"]
    assert search.choices == ("EXHAUSTIVE", "HEURISTIC", "DEFAULT")
    assert "cuDNN convolution algorithm" in search.doc
    assert specs["device_id"].choices == () and specs["enable_cuda_graph"].is_bool
    assert "default no limit" in specs["gpu_mem_limit"].full_doc
    assert ep_option_specs("CPUExecutionProvider") == []


def test_tensorrt_caches_show_ortbench_s_default_on():
    specs = {s.name: s for s in ep_option_specs("TensorrtExecutionProvider")}
    assert specs["trt_engine_cache_enable"].default is True
    assert "ortbench: on" in specs["trt_timing_cache_enable"].doc


def test_the_other_options_row_lists_the_rest_with_their_doc():
    doc = other_options_doc("TensorrtExecutionProvider")
    assert "trt_profile_min_shapes" in doc and "smallest shapes" in doc
    assert "trt_fp16_enable" not in doc  # a row of its own


def test_option_values_are_checked_by_the_catalogue():
    specs = {s.name: s for s in ep_option_specs("TensorrtExecutionProvider")}
    level = specs["trt_builder_optimization_level"]
    assert parse_option(level, "4") == 4 and parse_option(level, " ") is None
    with pytest.raises(ValueError, match="out of range.*from 0 to 5"):
        parse_option(level, "9")
    with pytest.raises(ValueError, match="did you mean trt_fp16_enable"):
        check_options("TensorrtExecutionProvider", {"trt_fp16_enabled": True})


def test_result_lines_colour_fallback_as_error():
    result = fixed_result(
        fixed_samples(100),
        warnings=["FALLBACK: CUDA did not load"],
        active=["CPUExecutionProvider"],
    )
    result["profile"]["provider"]["name"] = "cuda"
    assert provider_line(run_record(result))[0] == "error"
    lines = result_lines(run_record(result), saved="x.json")
    assert ("error", "✗ FALLBACK: CUDA did not load") in lines
    assert lines[-1] == ("muted", "saved to history as x.json")


def test_readiness_names_what_is_wrong():
    profile = Profile()
    profile.provider.name = "cuda"
    profile.run.pin_cpus = [64]
    lines = readiness_lines(
        profile, {"run.timed_runs": "bad"}, ["batch"], ["CPUExecutionProvider"], 8
    )
    text = "\n".join(t for _, t in lines)
    assert "invalid run.timed_runs" in text and "batch" in text
    assert "CUDA does not load here" in text and "CPUs 0-7" in text


def test_live_samples_and_throttle():
    live = LiveSamples()
    for _ in range(10):
        live.extend(np.arange(1, 4, dtype=np.int64))
    version, hist = live.histogram_copy()
    counts, sums = live.batch_sums()
    assert live.size == hist.count == 30 and version == 10
    assert counts.tolist() == [3] * 10 and sums.tolist() == [6.0] * 10


class FakeClocks:
    """Wall and CPU clocks of an app whose frame costs `frame_cpu_s` and whose other work
    (reading the stream) takes `background` of a core."""

    def __init__(self, frame_cpu_s: float, background: float) -> None:
        self.wall = self.cpu = 0.0
        self.frame_cpu_s, self.background = frame_cpu_s, background

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.cpu += self.background * seconds


def drive(throttle: RedrawThrottle, clocks: FakeClocks, seconds: float) -> tuple[int, float]:
    """Tick at 10 Hz for `seconds`; returns the redraws and the app's share of a core."""
    redraws, cpu0, wall0 = 0, clocks.cpu, clocks.wall
    while clocks.wall - wall0 < seconds:
        clocks.advance(0.1)
        if throttle.due():
            throttle.start()
            clocks.cpu += clocks.frame_cpu_s
            redraws += 1
    return redraws, (clocks.cpu - cpu0) / (clocks.wall - wall0)


def throttle_on(clocks: FakeClocks) -> RedrawThrottle:
    return RedrawThrottle(
        max_hz=10,
        min_hz=2,
        cpu_budget=0.05,
        clock=lambda: clocks.wall,
        cpu_clock=lambda: clocks.cpu,
    )


def test_a_cheap_live_view_redraws_ten_times_a_second():
    clocks = FakeClocks(frame_cpu_s=0.002, background=0.01)  # 3% of a core at 10 Hz
    throttle = throttle_on(clocks)
    redraws, share = drive(throttle, clocks, 30)
    assert redraws >= 295 and throttle.interval == pytest.approx(0.1)
    assert share < 0.05


def test_a_costly_live_view_slows_down_to_keep_the_app_within_its_cpu_budget():
    # 8 ms a frame + 1% reading the stream: 9% of a core at 10 Hz. The budget (5%) allows
    # a frame every 0.2 s; the throttle settles there and the app's share meets the budget.
    clocks = FakeClocks(frame_cpu_s=0.008, background=0.01)
    throttle = throttle_on(clocks)
    drive(throttle, clocks, 10)  # settling
    redraws, share = drive(throttle, clocks, 60)
    assert share <= 0.055 and 0.15 <= throttle.interval <= 0.35
    assert redraws >= 60 / 0.35
    # The load goes: back to 10 Hz.
    clocks.frame_cpu_s = 0.002
    drive(throttle, clocks, 10)
    assert throttle.interval == pytest.approx(0.1)


def test_when_reading_the_stream_alone_exceeds_the_budget_the_view_still_draws_twice_a_second():
    clocks = FakeClocks(frame_cpu_s=0.004, background=0.08)
    throttle = throttle_on(clocks)
    drive(throttle, clocks, 10)
    redraws, _ = drive(throttle, clocks, 30)
    assert throttle.interval == pytest.approx(0.5) and redraws >= 59


def test_workspace_lists_and_file_operations(tmp_path):
    write_profiles(tmp_path / "profiles")
    ws = Workspace(cwd=tmp_path, include_samples=False, include_shipped=True)
    ws.scan()
    names = [e.name for e in ws.profiles]
    assert names[:2] == ["cpu-latency", "cuda"] and "cpu-throughput" in names
    mine = ws.find_profile("cpu-latency")
    assert mine.writable and not ws.find_profile("cpu-throughput").writable
    copy = ws.duplicate(mine, "copy-1")
    assert load_profile(copy.path).name == "copy-1"
    with pytest.raises(OrtbenchError, match="exists already"):
        ws.duplicate(mine, "cuda")
    ws.rename(copy, "copy-2")
    assert not (tmp_path / "profiles" / "copy-1.toml").exists()
    assert load_profile(tmp_path / "profiles" / "copy-2.toml").name == "copy-2"
    copy.profile.run.warmup_runs = 99
    assert copy.dirty and copy.label == "copy-2*"
    ws.save(copy, ws.save_target(copy))
    assert not copy.dirty
    assert profile_to_dict(load_profile(copy.path)) == profile_to_dict(copy.profile)
    cuda = ws.find_profile("cuda")
    assert ws.needs_overwrite_confirm(copy, cuda.path)
    with pytest.raises(OrtbenchError, match="already exists"):
        ws.save(copy, cuda.path)
    ws.delete(copy)
    assert not (tmp_path / "profiles" / "copy-2.toml").exists()
    with pytest.raises(OrtbenchError, match="ships with ortbench"):
        ws.delete(ws.find_profile("cpu-throughput"))


def test_workspace_models(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "a.onnx").write_bytes(b"x")
    ws = Workspace(cwd=tmp_path, include_shipped=False)
    ws.scan()
    specs = [m.spec for m in ws.models]
    assert specs[0] == "sample:tiny" and str(tmp_path / "models" / "a.onnx") in specs
    with pytest.raises(OrtbenchError, match="not found"):
        ws.add_model("missing.onnx")
    # Not ONNX: refused with the reason, never added with a warning.
    with pytest.raises(OrtbenchError, match="not a valid ONNX model"):
        ws.add_model("models/a.onnx")


def test_names_are_shortened_where_they_differ():
    from ortbench_tui.tui.columns import middle_ellipsis, shorten_apart

    assert middle_ellipsis("squeezenet-light", 11) == "squee…light"
    assert middle_ellipsis("short", 11) == "short"
    a, b = "cpu-latency-threads-1-io-binding", "cpu-latency-threads-4-io-binding"
    short = shorten_apart([a, b], 17)
    assert all(len(s) == 17 for s in short) and short[0] != short[1]
    assert "reads-1-io" in short[0] and "reads-4-io" in short[1]
    # One name (or identical ones): cut in the middle, both ends kept.
    assert shorten_apart([a], 17) == [middle_ellipsis(a, 17)]


def test_columns_are_chosen_by_importance_when_narrow():
    from ortbench_tui.tui.columns import Column, fit_widths

    columns = [Column("", 0), Column("name", 3, min_width=8, flex=True), Column("p50", 1)]
    columns.append(Column("when", 4))
    rows = [(" ", "a-very-long-model-name.onnx", "44.8 µs", "2026-01-02 03:04")]
    assert fit_widths(columns, rows, 30) == [1, 16, 7, None]  # when left out, name grows
    assert fit_widths(columns, rows, 80) == [1, 27, 7, 16]


def test_result_lines_show_peak_rss_and_gpu_memory_as_the_cli_does():
    result = fixed_result(fixed_samples(100))
    assert ("info", "peak RSS 80 MiB") in result_lines(run_record(result))
    result.update(gpu_mem_peak_mb=1234.0, rss_peak_mb=512.4)
    assert ("info", "peak RSS 512 MiB · GPU memory peak 1234 MiB") in result_lines(
        run_record(result)
    )
    cuda = fixed_result(fixed_samples(100), active=["CUDAExecutionProvider"])
    cuda.update(gpu_mem_peak_mb=None, gpu_mem_note="NVML not available")
    assert ("info", "peak RSS 80 MiB · GPU memory: NVML not available") in result_lines(
        run_record(cuda)
    )
