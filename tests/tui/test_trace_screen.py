"""Pilot tests of the trace screen, pushed on a minimal App (the workbench wires it to `t`).

The GPU-looking summary comes from tests/data/ort_trace_cuda_fallback_SYNTHETIC.json, a
SYNTHETIC trace written by hand in ORT's format (no GPU was used); the CPU one is real.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.text import Text
from textual.app import App
from textual.widgets import DataTable, Static

from ortbench_tui.bench.result_record import TraceSummary, UnreadableTrace, trace_record
from ortbench_tui.bench.trace import summarize_trace
from ortbench_tui.tui.screens.trace import TraceScreen

pytestmark = pytest.mark.asyncio

DATA = Path(__file__).parent.parent / "data"
SYNTHETIC = summarize_trace(
    DATA / "ort_trace_cuda_fallback_SYNTHETIC.json",
    requested_ep="CUDAExecutionProvider",
    skip_runs=1,
)
CPU = summarize_trace(DATA / "ort_trace_cpu_conv.json", skip_runs=3)


class TraceApp(App[None]):
    def __init__(self, summary: TraceSummary | UnreadableTrace, title: str = "sample:test") -> None:
        super().__init__()
        self.summary = summary
        self.title_text = title

    def on_mount(self) -> None:
        self.push_screen(TraceScreen(self.summary, self.title_text))


def column(table: DataTable, index: int) -> list[str]:
    return [str(table.get_row_at(r)[index]) for r in range(table.row_count)]


def labels(table: DataTable) -> list[str]:
    return [str(c.label) for c in table.ordered_columns]


async def test_nodes_sorted_by_time_with_bars_fallback_and_placement():
    app = TraceApp(SYNTHETIC)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraceScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 9
        names = column(table, 0)
        assert names[0] == "unique_tokens" and names[1] == "fc1"
        first = table.get_row_at(0)
        assert str(first[2]) == "CPU" and str(first[7]) == "CPU fallback"
        assert str(first[6]).startswith("█" * 16) and "15.1%" in str(first[6])
        memcpy_rows = [r for r in range(9) if str(table.get_row_at(r)[7]) == "memcpy"]
        assert len(memcpy_rows) == 4
        assert labels(table)[5] == "total ▼"
        placement = str(screen.query_one("#trace-placement", Static).render())
        assert "CUDA 8 nodes" in placement and "CPU 1 node" in placement
        assert "memcpy 4 nodes · 8 calls" in placement
        assert "fallback 1 node on CPU while CUDA was requested: unique_tokens" in placement
        title = str(screen.query_one("#trace-title", Static).render())
        assert "sample:test" in title and "410 µs per run" in title and "overhead 54.6%" in title
        status = str(screen.query_one("#trace-status", Static).render())
        assert status.startswith("9 nodes by total time")


async def test_sort_keys_reverse_header_click_and_op_view():
    app = TraceApp(SYNTHETIC)
    async with app.run_test(size=(140, 36)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(DataTable)
        await pilot.press("s")  # mean per call
        assert screen.sort_key == "mean_us" and column(table, 0)[0] == "unique_tokens"
        await pilot.press("s", "s")  # calls, then name
        assert screen.sort_key == "name"
        assert column(table, 0)[:3] == ["fc1", "fc1_bias", "fc2"]
        assert labels(table)[0] == "node ▲"
        await pilot.press("r")
        assert column(table, 0)[0] == "unique_tokens" and labels(table)[0] == "node ▼"
        assert "(reversed)" in str(screen.query_one("#trace-status", Static).render())
        # Clicking a header sorts by it; clicking it again reverses.
        calls_key = table.ordered_columns[3].key
        table.post_message(
            DataTable.HeaderSelected(table, calls_key, 3, table.ordered_columns[3].label)
        )
        await pilot.pause()
        assert screen.sort_key == "calls" and not screen.reverse
        share_key = table.ordered_columns[6].key
        table.post_message(
            DataTable.HeaderSelected(table, share_key, 6, table.ordered_columns[6].label)
        )
        await pilot.pause()
        assert screen.sort_key == "total_us" and column(table, 0)[0] == "unique_tokens"
        table.post_message(
            DataTable.HeaderSelected(table, share_key, 6, table.ordered_columns[6].label)
        )
        await pilot.pause()
        assert screen.reverse and column(table, 0)[0] == "softmax"
        # Op types.
        await pilot.press("o")
        assert screen.view == "ops" and table.row_count == 6
        assert column(table, 0)[0] == "MatMul" and str(table.get_row_at(0)[1]) == "2"
        assert column(table, 2)[column(table, 0).index("Unique")] == "CPU"
        assert labels(table)[0] == "op type"
        await pilot.press("o")
        assert screen.view == "nodes" and table.row_count == 9


async def test_cpu_trace_and_escape_goes_back():
    app = TraceApp(CPU)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.row_count == 9 and "Conv" in column(table, 1)[0]
        assert set(column(table, 7)) == {""}  # no fallback, no memcpy on CPU
        placement = str(screen.query_one("#trace-placement", Static).render())
        assert "CPU 9 nodes" in placement and "fallback n/a (CPU requested)" in placement
        assert "memcpy none" in placement
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, TraceScreen)


async def test_a_trace_that_could_not_be_read_says_so():
    app = TraceApp(UnreadableTrace(file="/x/ort.json", error="cannot summarize the trace: boom"))
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert "boom" in str(screen.query_one("#trace-placement", Static).render())
        assert screen.query_one(DataTable).row_count == 0


async def test_at_80_columns_long_names_shorten_and_the_time_columns_stay():
    from test_table_snapshots import control_flow_summary

    app = TraceApp(control_flow_summary())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        table = app.screen.query_one(DataTable)
        assert labels(table)[:7] == ["node", "op type", "EP", "calls", "mean", "total ▼",
                                     "share of run ▼"]  # fmt: skip
        widths = sum(c.get_render_width(table) for c in table.ordered_columns[:7])
        assert widths <= 80
        names = column(table, 0)
        assert "use" in names[0] and "…" in names[0]  # the If, by the part that differs
        children = [n for n in names if n.startswith("↳ ")]
        assert len(children) == 3 and all("…" in n for n in children)
        assert len(set(children)) == 3  # q_proj, k_proj, Softmax stay apart


# --- result files written before the trace record show as they did ---------------------------

OLD = DATA / "results-before-trace-record"
RENDERED = json.loads((OLD / "rendered.json").read_text(encoding="utf-8"))


def _styled(shown: object) -> list[object]:
    """A cell with its style, as rendered.json holds it: text, base style, spans."""
    if isinstance(shown, Text):
        spans = [[s.start, s.end, str(s.style)] for s in shown.spans]
        return [shown.plain, str(shown.style), spans]
    return [str(getattr(shown, "plain", shown)), "", []]


def _plain(shown: object) -> str:
    return str(getattr(shown, "plain", shown))


def _visual(screen: TraceScreen) -> dict[str, object]:
    """What the screen shows: title, placement, columns, rows (text and style), status."""
    table = screen.query_one(DataTable)
    placement = screen.query_one("#trace-placement", Static).render()
    rows = [table.get_row_at(r) for r in range(table.row_count)]
    return {
        "title": _plain(screen.query_one("#trace-title", Static).render()),
        "placement": _plain(placement),
        "columns": [_plain(c.label) for c in table.ordered_columns],
        "rows": [[_plain(c) for c in row] for row in rows],
        "styles": [[_styled(c) for c in row] for row in rows],
        "placement_styles": _styled(placement),
        "status": _plain(screen.query_one("#trace-status", Static).render()),
    }


@pytest.mark.parametrize("name", sorted(RENDERED))
@pytest.mark.parametrize("width", [140, 80])
async def test_a_trace_saved_before_the_record_shows_as_it_did(name, width):
    """Each view after the keys the old version was recorded with: as shown, the nodes by
    total; s, by mean; o, the op types; r, reversed."""
    section = json.loads((OLD / name).read_text(encoding="utf-8"))["trace"]
    app = TraceApp(trace_record(section), "trace-file")
    expected = RENDERED[name]["tui"][str(width)]
    async with app.run_test(size=(width, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraceScreen)
        assert _visual(screen) == expected["nodes"]
        for key, view in (("s", "nodes_by_mean"), ("o", "ops"), ("r", "ops_reversed")):
            await pilot.press(key)
            await pilot.pause()
            assert _visual(screen) == expected[view], view
