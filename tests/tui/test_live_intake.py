"""The live view reads the run's own store: every streamed sample is counted once, and the live
percentiles are the run's final ones once the run is past its exact limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tui_fakes import FakeHandle, fixed_result, fixed_samples, settle, wait_for

from ortbench_tui.bench import loghist
from ortbench_tui.bench.result_record import result_view
from ortbench_tui.bench.runner import Event, Finished, RunProgress, RunRequest
from ortbench_tui.bench.sample_store import SampleStore
from ortbench_tui.bench.stats import HISTOGRAM_METHOD, PERCENTILES, summarize_histogram
from ortbench_tui.tui.live import LiveSamples
from ortbench_tui.tui.widgets.run_panel import RunPanel

BATCHES = 4


class StoreHandle(FakeHandle):
    """A recorded run played back as the engine's RunHandle streams it: each batch goes into
    the run's SampleStore (`samples`) before its progress event is handed on."""

    def __init__(self, request: RunRequest, folder: Path) -> None:
        super().__init__(request, batches=BATCHES)
        self.stream = fixed_samples()
        self.samples = SampleStore(exact_limit=500, folder=folder)  # type: ignore[assignment]

    def events(self) -> Iterator[Event]:
        yield RunProgress("first_run", 0, 1, 0.01, None)
        for i, chunk in enumerate(np.array_split(self.stream, BATCHES)):
            self.samples.extend(chunk)
            size = self.samples.size
            yield RunProgress("timed", size, 2000, 0.05 + 0.05 * i, None, new_samples_ns=chunk)
        result = fixed_result(self.stream, self.request)
        stats, method = self.samples.describe()
        result["cv"] = stats.pop("cv")
        result["latency_ms"], result["percentile_method"] = stats, method
        yield Finished(result_view(result), self.samples.array())


@pytest.mark.asyncio
async def test_each_sample_is_counted_once_and_live_percentiles_are_the_final_ones(
    app_factory, tmp_path, monkeypatch
):
    adds: list[int] = []
    counted = loghist.LogHistogram.add

    def add(self: loghist.LogHistogram, batch_ns: np.ndarray) -> None:
        adds.append(int(np.asarray(batch_ns).size))
        counted(self, batch_ns)

    monkeypatch.setattr(loghist.LogHistogram, "add", add)
    handles: list[StoreHandle] = []

    def start_run(request: RunRequest) -> StoreHandle:
        handles.append(StoreHandle(request, tmp_path))
        return handles[-1]

    app = app_factory(start_run=start_run, save_result=lambda r, s: Path("run.json"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        panel = app.screen.query_one(RunPanel)
        await wait_for(pilot, lambda: panel.last_result is not None)
        result = panel.last_result
        assert result is not None and result.percentile_method == HISTOGRAM_METHOD
        # Counted once: one histogram add per streamed batch, the run's store's.
        assert sum(adds) == 2000 and len(adds) == BATCHES
        assert panel.live.size == handles[0].samples.size == 2000
        # What the live view drew from is what the run's statistics came from.
        live = summarize_histogram(panel.live.histogram_copy()[1])
        for key in PERCENTILES:
            assert live[key] == getattr(result.latency_ms, key), key
    handles[0].samples.discard()


def test_a_live_view_that_shares_the_run_store_refuses_to_count_again():
    store = SampleStore(spill=False)
    live = LiveSamples()
    live.share(store)
    store.extend(np.arange(1, 11, dtype=np.int64))
    version = live.version
    live.set_position("timed", 10, None, 0.2)
    assert live.size == 10 and live.version == version + 1
    with pytest.raises(RuntimeError, match="shares the run's store"):
        live.extend(np.arange(1, 4, dtype=np.int64))
    assert live.histogram_copy()[1].count == 10
