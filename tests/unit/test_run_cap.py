"""Runs by count end in bounded time whatever the model (run.max_duration_s caps them, and the
result says so), and every run has an ETA (bench.run_eta)."""

from __future__ import annotations

import json

from ortbench_tui.bench.run_eta import count_cap_s, eta_text, run_eta
from ortbench_tui.cli import main
from ortbench_tui.profile import Profile


def _run(**values: float):
    run = Profile().run
    for key, value in values.items():
        setattr(run, key, value)
    return run


def test_a_run_by_count_far_longer_than_its_cap_stops_at_the_cap_and_says_so(capsys, tmp_path):
    out = tmp_path / "r.json"
    planned = 10_000_000  # sample:tiny takes microseconds a run: hours of runs
    argv = ["run", "sample:tiny", "--runs", str(planned), "--warmup", "1", "--max-duration", "0.5"]
    assert main([*argv, "--no-history", "-q", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["status"] == "ok" and 0 < result["runs"] < planned
    (warning,) = [w for w in result["warnings"] if w.startswith("stopped at the time cap")]
    assert f"of {planned} timed runs in 0.5 s" in warning
    assert "stopped at the time cap" in capsys.readouterr().out


def test_the_default_profile_caps_runs_by_count_and_nothing_else():
    assert count_cap_s(Profile().run) == 60.0  # the documented default
    assert count_cap_s(_run(duration_s=5.0)) == 0.0
    assert count_cap_s(_run(until_ci_pct=2.0)) == 0.0
    assert count_cap_s(_run(max_duration_s=0.0)) == 0.0


def test_eta_by_count_by_time_and_capped():
    # 100 of 1000 runs in 1 s: 9 s more, unless the cap comes first
    assert run_eta(_run(max_duration_s=0.0), 100, 1000, 1.0) == 9.0
    assert run_eta(_run(max_duration_s=5.0), 100, 1000, 1.0) == 4.0
    # a 300 ms model: 10 of 1000 runs in 3 s would take 297 s more; the 60 s cap says 57 s
    assert run_eta(Profile().run, 10, 1000, 3.0) == 57.0
    assert run_eta(_run(duration_s=10.0), 5, None, 4.0) == 6.0
    assert run_eta(_run(max_duration_s=0.0), 1, 1000, 0.01) is None  # too early to tell
    assert eta_text(57.0) == "ETA 57 s" and eta_text(185.0) == "ETA 3 min 5 s"
    assert eta_text(None) == ""
