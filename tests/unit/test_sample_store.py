"""The run's sample store: samples go to disk as they stream, memory stays flat past the exact
limit, and what comes back (array, saved .npy, statistics) is all of them."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from ortbench_tui.bench.loghist import RELATIVE_ERROR
from ortbench_tui.bench.protocol import Done, RunFinal, SampleBatch, SessionReady
from ortbench_tui.bench.results import save_samples
from ortbench_tui.bench.runner import Finished, RunHandle, RunProgress, RunRequest, follow_run
from ortbench_tui.bench.sample_store import BATCH_SLOTS, SampleStore
from ortbench_tui.bench.stats import HISTOGRAM_METHOD, PERCENTILE_METHOD, PERCENTILES, summarize
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile, apply_overrides


def batches(n_batches: int, size: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.lognormal(8.0, 0.3, size).astype(np.int64) for _ in range(n_batches)]


def test_small_run_is_exact_and_its_spill_file_is_the_samples(tmp_path):
    store = SampleStore(folder=tmp_path, exact_limit=1_000)
    parts = batches(4, 200)
    for part in parts:
        store.extend(part)
    everything = np.concatenate(parts)
    stats, method = store.describe()
    assert method == PERCENTILE_METHOD and stats == summarize(everything)
    assert store.exact and np.array_equal(store.array(), everything)
    saved = save_samples(store, tmp_path / "out.npy", overwrite=False)
    assert np.array_equal(np.load(saved), everything)
    with pytest.raises(OrtbenchError, match="out.npy"):
        save_samples(store, tmp_path / "out.npy", overwrite=False)


def test_past_the_limit_memory_goes_and_statistics_come_from_the_histogram(tmp_path):
    store = SampleStore(folder=tmp_path, exact_limit=1_000)
    parts = batches(30, 500)
    for part in parts:
        store.extend(part)
    everything = np.concatenate(parts)
    assert not store.exact and store.size == everything.size
    stats, method = store.describe()
    exact = summarize(everything)
    assert method == HISTOGRAM_METHOD
    for key in PERCENTILES:
        assert stats[key] == pytest.approx(exact[key], rel=RELATIVE_ERROR)
    mapped = store.array()  # the finished spill file, memory-mapped
    assert isinstance(mapped, np.memmap) and np.array_equal(mapped, everything)
    assert np.array_equal(np.load(save_samples(store, tmp_path / "kept.npy")), everything)
    counts, sums = store.batch_sums()
    assert counts.tolist() == [500] * 30 and sums.sum() == everything.sum()
    with pytest.raises(RuntimeError):
        store.extend(parts[0])
    spill = store.path
    assert spill is not None and spill.exists()
    store.discard()
    assert not spill.exists() and (tmp_path / "kept.npy").exists()


def test_batch_sums_stay_bounded_and_add_up():
    live = SampleStore(spill=False, exact_limit=0)
    for i in range(5_000):
        live.extend(np.full(1 + i % 3, i + 1, dtype=np.int64))
    counts, sums = live.batch_sums()
    assert counts.size <= BATCH_SLOTS
    assert counts.sum() == live.size and sums.sum() == live.histogram.total_ns
    # Slots hold runs of consecutive batches in order: each slot's mean rises with i.
    assert np.all(np.diff(sums / counts) > 0)


def test_a_live_store_keeps_no_samples(tmp_path):
    live = SampleStore(spill=False, exact_limit=0)
    for part in batches(3, 100):
        live.extend(part)
    assert live.size == 300 and live.path is None and not live.exact
    assert live.histogram_copy()[1].count == 300


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


BATCH = 100_000
BATCHES = 80  # 8 M samples


def streaming_worker(conn, request, log_path):
    """Stands in for the worker: 8 M synthetic samples through the real pipe, fast."""
    conn.send(SessionReady(0, {"providers": {"requested": ["cpu"], "active": ["cpu"]}}))
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    for i in range(BATCHES):
        conn.send(SampleBatch(i * BATCH, rng.integers(2_000, 40_000, BATCH, dtype=np.int64)))
    conn.send(Done(RunFinal(None, time.perf_counter() - started, False)))


@pytest.mark.slow
def test_parent_memory_stays_flat_from_2m_to_8m_samples(tmp_path, monkeypatch):
    """The real parent path (pipe, RunHandle, its store) over 8 M streamed samples: RSS after
    8 M is within 16 MB of RSS after 2 M. Keeping the samples in memory, as before, grows by
    48 MB (6 M x 8 bytes) and fails; the store's exact copy is dropped at 1 M, before either
    measurement. Deterministic: no timing is asserted."""
    monkeypatch.setenv("ORTBENCH_DATA_DIR", str(tmp_path))
    profile = apply_overrides(Profile(), ["run.timed_runs=8000000"])
    handle = RunHandle(RunRequest("sample:tiny", profile), target=streaming_worker)
    rss: dict[int, int] = {}

    def watch(event: object) -> None:
        if isinstance(event, RunProgress) and event.done in (2_000_000, 8_000_000):
            rss[event.done] = rss_bytes()

    end = follow_run(handle, watch)
    assert isinstance(end, Finished) and end.result.runs == 8_000_000
    growth_mb = (rss[8_000_000] - rss[2_000_000]) / 2**20
    assert growth_mb < 16, f"parent RSS grew {growth_mb:.1f} MB from 2 M to 8 M samples"
    assert end.result.percentile_method == HISTOGRAM_METHOD
    assert np.load(handle.samples.path, mmap_mode="r").size == 8_000_000
    handle.close()


def test_no_folder_to_spill_to_keeps_the_samples_in_memory(tmp_path, monkeypatch):
    """An unusable data dir must not lose a run: the temp dir is tried, then memory."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    store = SampleStore(folder=blocker / "streaming", exact_limit=10)
    store.extend(np.arange(1, 30, dtype=np.int64))
    assert store.path is not None and store.path.parent != blocker / "streaming"
    store.discard()
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(blocker))
    kept = SampleStore(folder=blocker / "streaming", exact_limit=10)
    parts = batches(5, 7)
    for part in parts:
        kept.extend(part)
    assert kept.path is None and kept.exact
    assert np.array_equal(kept.array(), np.concatenate(parts))
