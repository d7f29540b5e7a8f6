"""What a run that did not finish reports (issue 20 item 16)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from ortbench_tui.bench.job import JobFailed
from ortbench_tui.bench.result_record import record_dict
from ortbench_tui.bench.runner import Finished, RunHandle, RunProgress, RunRequest
from ortbench_tui.profile import Profile


def stuck_worker(conn: Any, request: Any, log_path: str) -> None:
    """A worker that measured one batch, then entered an inference that never returns: it
    cannot read the parent's Stop, so the parent must kill it."""
    from ortbench_tui.bench.protocol import PhaseProgress, SampleBatch, SessionReady

    conn.send(SessionReady(0, {}))
    conn.send(PhaseProgress("first_run", 1, 1, 0.5))
    conn.send(SampleBatch(0, np.full(100, 1_000_000, np.int64)))
    time.sleep(600)  # the stuck inference; the parent kills it STOP_GRACE_S after the Stop


@pytest.mark.slow
def test_cancel_of_a_stuck_inference_is_a_cancel_not_an_out_of_memory_death():
    """Esc on a stuck inference once ended as "run failed ... killed by SIGKILL (out of
    memory?)": the kill was ours, the run was cancelled, and its samples are kept."""
    handle = RunHandle(RunRequest("sample:tiny", Profile()), target=stuck_worker)
    end: Finished | JobFailed | None = None
    for event in handle.events():
        if isinstance(event, RunProgress) and event.new_samples_ns is not None:
            handle.cancel()
        if isinstance(event, Finished | JobFailed):
            end = event
            break
    assert isinstance(end, Finished), end
    result = record_dict(end.result)
    assert result["status"] == "cancelled" and result["runs"] == 100
    assert "did not stop within" in result["reason"]
    assert "out of memory" not in result["reason"]
    assert result["first_run_ms"] == 0.5  # from the first_run message, not the lost final
    assert result["wall_s"] > 0
    assert result["rss_peak_mb"] > 0  # read from /proc while the worker lived
