"""`run --precision`: the parent stops the worker when the p50's CI is narrow enough, or at
--max-duration, and says which; shifts of the stream end up in the warnings."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ortbench_tui.bench.compare.collect import round_shifts
from ortbench_tui.bench.run_watch import BatchMedians, block_runs_for, describe_stop
from ortbench_tui.cli import main
from ortbench_tui.commands.run import percent


def test_percent_and_block_size():
    assert percent("2%") == 2.0 and percent("0.5") == 0.5
    for bad in ("0", "100%", "two"):
        with pytest.raises(Exception, match="percentage"):
            percent(bad)
    assert block_runs_for(1e6) == 50 and block_runs_for(1e9) == 1


def test_describe_stop_names_what_stopped_it():
    reached = {"stopped_by": "precision reached", "target": 0.02, "half_width": 0.015,
               "p50_ci_ms": [0.99, 1.01], "max_duration_s": 60.0}  # fmt: skip
    assert "precision reached, p50 95% CI ±1.5%" in describe_stop(reached)
    spent = {**reached, "stopped_by": "max duration", "half_width": 0.04, "eta_s": 30.0}
    text = describe_stop(spent)
    assert "max duration 60 s" in text and "±4.0%" in text and "~30 s more" in text


def test_a_step_in_the_stream_is_named_in_the_warnings():
    rng = np.random.default_rng(0)
    batches = BatchMedians()
    for i in range(60):
        batches.add(rng.normal(1e6 * (1.5 if i >= 30 else 1.0), 1e4, 50).astype(np.int64))
    (line,) = batches.warnings()
    assert line.startswith("latency shifted +50%")
    quiet = BatchMedians()
    for _ in range(60):
        quiet.add(rng.normal(1e6, 1e4, 50).astype(np.int64))
    assert quiet.warnings() == []
    x = rng.normal(1e6, 1e4, (80, 30))
    x[40:] *= 1.4
    assert round_shifts("A", [x, x]) == [
        "A: latency shifted +40% at round 40: another process may have taken the core"
    ]


@pytest.mark.slow
def test_cli_run_until_precision_and_until_max_duration(tmp_path, capsys):
    out = tmp_path / "r.json"
    base = ["run", "sample:tiny", "--set", "session.intra_op_num_threads=1", "--no-history"]
    assert main([*base, "--precision", "20%", "--max-duration", "20", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    stop = r["stopping"]
    assert stop["stopped_by"] == "precision reached" and stop["half_width"] <= 0.2, stop
    assert r["status"] == "ok" and r["wall_s"] < 20
    assert "stopped: precision reached" in capsys.readouterr().out
    # 0.01% is out of reach in half a second: the cap stops it, and says so.
    again = [*base, "--precision", "0.01%", "--max-duration", "0.5", "--json", str(out)]
    assert main([*again, "--overwrite"]) == 0
    r = json.loads(out.read_text())
    assert r["stopping"]["stopped_by"] == "max duration" and r["status"] == "ok"
    assert r["wall_s"] < 2.0
    assert "target ±0.01% not reached" in capsys.readouterr().out


def test_cli_max_duration_is_refused_with_a_duration(capsys):
    assert main(["run", "sample:tiny", "--duration", "1", "--max-duration", "3"]) == 2
    assert "--max-duration: not with --duration" in capsys.readouterr().err


def test_until_ci_is_the_flag_and_precision_its_kept_alias():
    from ortbench_tui.cli import build_parser

    parser = build_parser()
    new = parser.parse_args(["run", "sample:tiny", "--until-ci", "2%"])
    old = parser.parse_args(["run", "sample:tiny", "--precision", "2%"])
    assert new.until_ci == old.until_ci == 2.0
    with pytest.raises(SystemExit) as exc:  # still one of runs / duration / CI target
        parser.parse_args(["run", "sample:tiny", "--until-ci", "2%", "--runs", "10"])
    assert exc.value.code == 2
