"""`ortbench load`: the schedule, the open-loop harness, a step's figures, the SLO search, the CLI.

The harness tests give it a service of known shape (a sleep, which releases the GIL as ORT's
run does) instead of a model, so queueing facts can be checked without a session.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np
import pytest

from ortbench_tui.bench.load import (
    FindMax,
    LoadRequest,
    OpenLoop,
    Timeline,
    compare_percentile,
    judge_step,
    make_schedule,
    parse_mix,
    parse_rates,
    parse_slo,
    response_ns,
    summarize_step,
)
from ortbench_tui.bench.load.plan import StepSpec
from ortbench_tui.bench.results import list_history
from ortbench_tui.cli import main
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import Profile


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# -- the schedule ---------------------------------------------------------------------------


def test_poisson_schedule_is_seeded_and_has_the_asked_rate():
    """The count of a Poisson process over 20 s at 500/s is 10 000 ± 100 (sd); 6 sd is a
    false-failure bound of 2e-9 (and the seed is fixed, so the draw never changes)."""
    a = make_schedule(500, 20.0, "poisson", seed=3)
    b = make_schedule(500, 20.0, "poisson", seed=3)
    c = make_schedule(500, 20.0, "poisson", seed=4)
    assert np.array_equal(a.offsets_ns, b.offsets_ns)
    assert not np.array_equal(a.offsets_ns[:100], c.offsets_ns[:100])
    assert abs(a.size - 10_000) < 6 * 100
    assert np.all(np.diff(a.offsets_ns) >= 0) and a.offsets_ns[-1] < 20e9
    gaps = np.diff(a.offsets_ns) / 1e9
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, abs=0.06)  # exponential: CV 1


def test_constant_schedule_is_evenly_spaced():
    s = make_schedule(1000, 2.0, "constant")
    assert s.size == 2000
    assert np.all(np.diff(s.offsets_ns) == pytest.approx(1_000_000, abs=1))


def test_the_mix_draws_shapes_by_weight_and_leaves_arrivals_alone():
    """10 000 draws at weight 0.2: sd 40; a 6-sd bound fails by chance with p < 2e-9."""
    plain = make_schedule(500, 20.0, seed=1)
    mixed = make_schedule(500, 20.0, seed=1, weights=[0.5, 0.3, 0.2])
    assert np.array_equal(plain.offsets_ns, mixed.offsets_ns)
    counts = np.bincount(mixed.shapes, minlength=3)
    for count, w in zip(counts, [0.5, 0.3, 0.2], strict=True):
        sd = math.sqrt(mixed.size * w * (1 - w))
        assert abs(count - w * mixed.size) < 6 * sd


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"rate": 0, "duration_s": 1}, "--rate"),
        ({"rate": 10, "duration_s": 0}, "--duration"),
        ({"rate": 10, "duration_s": 1, "arrivals": "bursty"}, "poisson, constant"),
        ({"rate": 1e7, "duration_s": 10}, "at most"),
    ],
)
def test_bad_schedules_are_refused(kwargs: dict[str, Any], needle: str):
    with pytest.raises(OrtbenchError, match=needle):
        make_schedule(**kwargs)


# -- parsing ---------------------------------------------------------------------------------


def test_slo_rates_and_mix_parse():
    assert parse_slo("p99=1ms").bound_ms == 1.0
    assert parse_slo("p99.9=500us").percentile == 99.9
    assert parse_slo("p99.9=500us").bound_ms == pytest.approx(0.5)
    assert parse_slo("p50=0.002s").bound_ms == pytest.approx(2.0)
    assert parse_rates("500, 1000,2000") == [500, 1000, 2000]
    mix = parse_mix("sequence=16:50,64:30,256:20%")
    assert mix.dim == "sequence" and mix.values == [16, 64, 256]
    assert mix.weights == pytest.approx([0.5, 0.3, 0.2])


@pytest.mark.parametrize(
    ("fn", "text", "needle"),
    [
        (parse_slo, "p99<1ms", "PERCENTILE=BOUND"),
        (parse_slo, "p99=1", "with a unit"),
        (parse_slo, "p100=1ms", "between 0 and 100"),
        (parse_rates, "fast", "'fast' is not a number"),
        (parse_rates, "10,10", "given twice"),
        (parse_rates, "-5", "above 0"),
        (parse_mix, "sequence", "DIM=VALUE:WEIGHT"),
        (parse_mix, "sequence=16:x", "'16:x' is not VALUE:WEIGHT"),
        (parse_mix, "sequence=16:0", "must be above 0"),
    ],
)
def test_bad_flags_name_the_flag_and_what_was_expected(fn: Any, text: str, needle: str):
    with pytest.raises(OrtbenchError, match=needle):
        fn(text)


# -- the harness, with a service of known shape ------------------------------------------------


def sleep_service(seconds: float) -> list[list[list[Any]]]:
    return [[[(time.sleep, (seconds,))]]]


def test_one_server_is_fifo_and_causal():
    """Each request is issued no earlier than scheduled, starts no earlier than issued and no
    earlier than the one before it ended (one server, FIFO): facts, whatever the load."""
    sched = make_schedule(400, 1.0, seed=2)
    tl = OpenLoop(sched, sleep_service(0.001), drain_s=5.0).run()
    assert not tl.stopped and tl.cut_ns == 0
    assert np.all(tl.end_ns > 0)
    assert np.all(tl.issued_ns >= tl.scheduled_ns)
    assert np.all(tl.start_ns >= tl.issued_ns)
    assert np.all(tl.start_ns[1:] >= tl.end_ns[:-1])
    assert np.all(np.diff(tl.start_ns) > 0)  # in arrival order
    resp = response_ns(tl)
    assert np.array_equal(resp, tl.end_ns - tl.scheduled_ns)


def test_a_stall_is_charged_to_every_request_it_delays():
    """Coordinated omission, removed: one 300 ms stall at 200 requests/s. A closed loop would
    record one slow sample; here every request scheduled in the stall's first 150 ms waits at
    least the rest of it (>= 150 ms), which the seeded schedule says how many there are."""
    calls = {"n": 0}

    def service() -> None:
        calls["n"] += 1
        time.sleep(0.3 if calls["n"] == 20 else 0.0005)

    sched = make_schedule(200, 1.5, seed=5)
    tl = OpenLoop(sched, [[[(service, ())]]], drain_s=5.0).run()
    stall = int(np.argmax(tl.end_ns - tl.start_ns))
    stall_start, stall_end = int(tl.start_ns[stall]), int(tl.end_ns[stall])
    assert stall_end - stall_start >= 300_000_000
    behind = (tl.scheduled_ns > stall_start) & (tl.scheduled_ns < stall_end - 150_000_000)
    assert behind.sum() >= 5  # the seed puts ~30 arrivals there
    resp = tl.end_ns - tl.scheduled_ns
    assert np.all(resp[behind] >= 150_000_000)
    service_ns = tl.end_ns - tl.start_ns
    slow_service = int((service_ns >= 150_000_000).sum())
    slow_response = int((resp >= 150_000_000).sum())
    assert slow_service == 1 and slow_response >= behind.sum() + 1


def test_stop_keeps_what_was_measured():
    sched = make_schedule(100, 30.0, seed=1)
    loop = OpenLoop(sched, sleep_service(0.001), drain_s=1.0)
    import threading

    timer = threading.Timer(0.5, loop.stop)
    timer.start()
    started = time.perf_counter()
    tl = loop.run()
    assert time.perf_counter() - started < 10  # not the 30 s schedule
    assert tl.stopped
    s = summarize_step(0, 100, 30.0, 1, tl)
    assert s.stopped and s.served > 0 and s.requests < sched.size
    assert s.given_up == 0  # a stop gives nothing up on the queue's account


def test_a_stop_while_the_queue_drains_is_a_stop_not_a_failure_to_keep_up():
    """All requests issued, the queue still long (three times capacity): a stop then gives up
    the queued requests on the user's account, not as the queue's failure to keep up."""
    sched = make_schedule(300, 0.5, "constant")
    holder: dict[str, OpenLoop] = {}

    def service() -> None:
        loop = holder["loop"]
        if loop.view().issued == sched.size:
            loop.stop()
        time.sleep(0.01)

    loop = OpenLoop(sched, [[[(service, ())]]], drain_s=30.0)
    holder["loop"] = loop
    started = time.perf_counter()
    tl = loop.run()
    assert time.perf_counter() - started < 20  # not the 30 s drain
    s = summarize_step(0, 300, 0.5, 1, tl)
    assert tl.stopped and s.stopped and s.given_up == 0
    assert s.served < s.requests and response_ns(tl).size == s.served


@pytest.mark.slow
def test_a_slow_last_request_on_a_short_step_is_not_overload():
    """A stable queue (100/s of ~0.5 ms) whose very last request takes 100 ms: the achieved
    rate over first arrival to last end is ~95% of offered, yet the queue never grew; the
    drain after the last arrival (~100 ms) is under a tenth of the 2 s step."""
    sched = make_schedule(100, 2.0, "constant")
    calls = {"n": 0}

    def service() -> None:
        calls["n"] += 1
        time.sleep(0.1 if calls["n"] == sched.size else 0.0005)

    tl = OpenLoop(sched, [[[(service, ())]]], drain_s=5.0).run()
    s = summarize_step(0, 100, 2.0, 1, tl)
    assert s.achieved_per_s < 0.97 * s.offered_per_s  # what the rate alone would flag
    assert s.kept_up


def test_an_overloaded_step_gives_up_at_the_drain_limit_and_says_so():
    """Service 10 ms, arrivals at 300/s: three times capacity, so the queue grows; the ones
    left at the drain limit count at their lower bound, and the step did not keep up."""
    sched = make_schedule(300, 0.5, "constant")
    tl = OpenLoop(sched, sleep_service(0.01), drain_s=0.2).run()
    assert tl.cut_ns > 0
    s = summarize_step(0, 300, 0.5, 1, tl)
    assert not s.kept_up and s.given_up > 0
    assert s.served + s.given_up == s.requests
    assert s.achieved_per_s < 0.6 * s.offered_per_s
    assert response_ns(tl).size == s.requests
    assert s.response_ms["max"] >= 200  # waited at least until the drain limit
    assert 0.5 < s.utilisation <= 1.0  # one thread, never more than fully busy


def test_a_failing_service_ends_the_step_with_its_error():
    def bad() -> None:
        raise RuntimeError("boom")

    tl = OpenLoop(make_schedule(200, 5.0, seed=1), [[[(bad, ())]]], drain_s=1.0).run()
    assert tl.error is not None and "boom" in tl.error


# -- a step's figures, by hand -----------------------------------------------------------------


def hand_timeline() -> Timeline:
    ms = 1_000_000
    sched = np.array([0, 10, 20, 30], dtype=np.int64) * ms + 10**9
    issued = sched + 1000
    start = np.array([0, 10, 25, 31], dtype=np.int64) * ms + 10**9 + 2000
    end = start + np.array([5, 15, 3, 2], dtype=np.int64) * ms
    return Timeline(sched, issued, start, end, np.array([0, 1, 0, 1], np.int16), False, 0)


def test_a_step_summary_is_its_timeline_in_figures():
    s = summarize_step(0, 100.0, 0.04, 1, hand_timeline(), ["s=1", "s=2"])
    assert s.requests == s.served == 4 and s.given_up == 0
    assert s.offered_per_s == pytest.approx(100.0)
    assert s.service_ms["p50"] == pytest.approx(4.0)  # 5, 15, 3, 2
    assert s.wait_ms["mean"] == pytest.approx((0.002 + 0.002 + 5.002 + 1.002) / 4)
    assert s.response_ms["max"] == pytest.approx(15.002)
    assert s.issue_lag_us["p50"] == pytest.approx(1.0)
    assert s.utilisation == pytest.approx(25 / 40)
    assert [p["requests"] for p in s.per_shape] == [2, 2]
    assert s.per_shape[1]["service_ms"]["max"] == pytest.approx(15.0)


# -- deciding ----------------------------------------------------------------------------------


def test_the_slo_decision_uses_the_percentiles_ci():
    rng = np.random.default_rng(0)
    resp = rng.exponential(100_000, 20_000).astype(np.int64) + 50_000  # p99 ~ 0.51 ms
    assert judge_step(resp, 99, 2.0, kept_up=True).outcome == "met"
    assert judge_step(resp, 99, 0.2, kept_up=True).outcome == "not met"
    assert judge_step(resp, 99, 2.0, kept_up=False).outcome == "not met"
    near = judge_step(resp, 99, float(np.percentile(resp, 99)) / 1e6, kept_up=True)
    assert near.outcome == "undecided" and near.ci_ms is not None
    assert near.ci_ms[0] < near.percentile_ms < near.ci_ms[1]


def test_profiles_under_the_same_schedule_compare_on_p99():
    rng = np.random.default_rng(1)
    a = rng.exponential(100_000, 20_000).astype(np.int64) + 50_000
    b = (a * 1.5).astype(np.int64)
    assert compare_percentile(100, a, a, 99).verdict == "no clear difference"
    v = compare_percentile(100, a, b, 99)
    assert v.verdict == "slower" and v.ci is not None and v.ci[0] < 1.5 < v.ci[1]


def test_find_max_brackets_then_bisects_to_the_capacity():
    """A system that meets the SLO up to 1234/s: the search ends with 1234 in its bracket,
    the bracket within the tolerance, and an undecided step tried once more, longer."""
    req = LoadRequest("sample:tiny", [Profile()], slo=parse_slo("p99=1ms"), start_rate=100)
    plan = FindMax(req)
    spec: StepSpec | None = plan.first({})
    tried = []
    undecided_once = False
    while spec is not None:
        tried.append(spec)
        if not undecided_once and spec.rate > 1000:
            outcome, undecided_once = "undecided", True
        else:
            outcome = "met" if spec.rate <= 1234 else "not met"
        spec = plan.next(outcome)
    ans = plan.answer()
    assert ans["max_rate"] <= 1234 < ans["lowest_not_met"]
    assert ans["lowest_not_met"] / ans["max_rate"] <= 1.05
    retries = [s for s in tried if s.retry]
    first_try = next(s for s in tried if s.rate == retries[0].rate and not s.retry)
    assert len(retries) == 1 and retries[0].duration_s == 2 * first_try.duration_s
    assert len(tried) <= req.max_steps


# -- the job, through the CLI --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["load", "sample:tiny"], "--rate R"),
        (["load", "sample:tiny", "--find-max"], "needs a target"),
        (["load", "sample:tiny", "--rate", "100", "--find-max", "--slo", "p99=1ms"], "give --rate"),
        (["load", "sample:tiny", "--rate", "x"], "not a number"),
        (["load", "sample:encoder", "--rate", "10", "--mix", "nosuch=1:1"], "no input dim named"),
    ],
)
def test_load_cli_bad_input_exits_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and needle in err and "Traceback" not in err


@pytest.mark.slow
def test_load_at_a_rate_reports_and_keeps_the_result(capsys: pytest.CaptureFixture[str], tmp_path):
    csv_path = tmp_path / "steps.csv"
    code, out, _ = run_cli(
        capsys, "load", "sample:tiny", "--rate", "200,400", "--duration", "0.5",
        "--set", "session.intra_op_num_threads=1", "--json", "-", "--csv", str(csv_path), "-q",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["kind"] == "load" and result["saved"]
    steps = result["profiles"][0]["steps"]
    assert [s["rate"] for s in steps] == [200, 400]
    for s in steps:
        assert s["served"] > 0 and s["response_ms"]["p99"] >= s["service_ms"]["p50"]
        assert s["issue_lag_us"]["p99"] is not None
    assert csv_path.read_text().count("\n") == 3
    (listed,) = list_history()  # kept in the history, listed as what it is
    assert listed.kind == "load" and str(listed.path) == result["saved"]
    npz = np.load(result["saved"].replace(".json", ".npz"))
    assert int((npz["p0_s0_end"] > 0).sum()) == steps[0]["served"]


@pytest.mark.slow
@pytest.mark.parametrize(("utilisation", "duration_s"), [(0.5, 20.0), (0.8, 30.0)])
def test_mean_wait_matches_pollaczek_khinchine(utilisation: float, duration_s: float):
    """One serving thread, Poisson arrivals, a 4 ms service that releases the GIL (a sleep, as
    ORT's run does): an M/G/1 queue. The measured mean wait must match Pollaczek-Khinchine
    computed from the measured service (+ hand-over) times and mean issue lag, within 5
    standard errors (batch means, 10 batches of 2-3 s, each much longer than a busy period at
    these utilisations): false-failure bound P(|t_9| > 5) = 7.4e-4 per utilisation."""
    from ortbench_tui.bench.load.queueing import pk_check, two_sided_t

    took = []
    for _ in range(30):
        t0 = time.perf_counter()
        time.sleep(0.004)
        took.append(time.perf_counter() - t0)
    rate = utilisation / float(np.mean(took))
    sched = make_schedule(rate, duration_s, "poisson", seed=11)
    tl = OpenLoop(sched, sleep_service(0.004), drain_s=10.0).run()
    check = pk_check(tl, duration_s)
    assert 0.3 < check.utilisation < 0.95  # the queue is the one meant
    assert check.within(5.0), check
    assert two_sided_t(5.0, 9) < 1e-3


@pytest.mark.slow
def test_two_profiles_run_the_same_schedule_and_get_a_verdict(
    capsys: pytest.CaptureFixture[str],
):
    from ortbench_tui.bench.compare import VERDICTS

    code, out, _ = run_cli(
        capsys, "load", "sample:tiny", "--rate", "300", "--duration", "1", "--seed", "7",
        "--profile", "defaults+session.intra_op_num_threads=1",
        "--profile", "defaults+session.intra_op_num_threads=2", "--json", "-", "-q",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert [len(p["steps"]) for p in result["profiles"]] == [1, 1]
    npz = np.load(result["saved"].replace(".json", ".npz"))
    assert np.array_equal(npz["p0_s0_scheduled"], npz["p1_s0_scheduled"])  # one schedule
    (comp,) = result["comparisons"]
    (row,) = comp["rates"]
    assert comp["percentile"] == 99 and row["rate"] == 300
    assert row["ci"] is not None and row["ci"][0] <= row["ratio"] <= row["ci"][1]
    assert row["verdict"] in VERDICTS


@pytest.mark.slow
def test_a_mix_reports_each_shape():
    """seq=256 does 16x the work of seq=16 in every layer: its median service time is the
    larger by far (a 70-request median on each side; no machine noise flips a 16x effect)."""
    from ortbench_tui.bench.load import LoadRequest, run_load

    req = LoadRequest(
        "sample:encoder",
        [_encoder_profile()],
        rates=[100],
        duration_s=2.0,
        mix=parse_mix("sequence=16:50,256:50"),
        save_history=False,
    )
    done = run_load(req)
    (step,) = done.profiles[0].steps
    shapes = {p["shape"]: p for p in step.per_shape}
    assert set(shapes) == {"sequence=16", "sequence=256"}
    assert sum(p["requests"] for p in shapes.values()) == step.requests
    assert shapes["sequence=256"]["service_ms"]["p50"] > shapes["sequence=16"]["service_ms"]["p50"]
    assert done.profiles[0].meta["shapes"][1]["tokens"][1] == 256


def _encoder_profile() -> Profile:
    from ortbench_tui.profile import apply_overrides

    return apply_overrides(Profile(name="enc"), ["session.free_dimensions.batch=1"])


def test_a_trace_file_is_read_as_arrivals_and_a_mix(tmp_path):
    from ortbench_tui.bench.load import read_trace

    f = tmp_path / "t.csv"
    f.write_text("time_s,sequence\n10.5,64\n10.0,16\n10.25,16\n11.0,256\n")
    tr = read_trace(str(f))
    assert tr.offsets_ns.tolist() == [0, 250_000_000, 500_000_000, 1_000_000_000]  # sorted
    assert tr.sizes == [16, 16, 64, 256]
    mix = tr.mix()
    assert mix is not None and mix.values == [16, 64, 256]
    assert mix.weights == pytest.approx([0.5, 0.25, 0.25])
    assert tr.shape_index().tolist() == [0, 0, 1, 2]
    assert tr.rate == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("t,sequence\n1,2\n", "the header is 't,sequence'"),
        ("time_s\n0\nsoon\n", "line 3: time_s 'soon' is not a number"),
        ("time_s,sequence\n0,16\n1,0\n", "line 3: sequence 0 is below 1"),
        ("time_s,sequence\n0,16\n1\n", "line 3: 1 values, expected 2"),
        ("time_s\n0\n", "at least 2"),
    ],
)
def test_bad_trace_files_name_the_line_and_value(tmp_path, capsys, text: str, needle: str):
    f = tmp_path / "bad.csv"
    f.write_text(text)
    code, _, err = run_cli(capsys, "load", "sample:tiny", "--trace", str(f))
    assert code == 2 and needle in err and str(f) in err


@pytest.mark.slow
def test_a_trace_is_replayed_at_its_own_times(tmp_path, capsys: pytest.CaptureFixture[str]):
    times = np.cumsum(np.random.default_rng(4).exponential(1 / 300, 300))
    f = tmp_path / "arrivals.csv"
    f.write_text("time_s\n" + "\n".join(f"{t:.9f}" for t in times) + "\n")
    code, out, _ = run_cli(
        capsys, "load", "sample:tiny", "--trace", str(f), "--json", "-", "-q",
        "--set", "session.intra_op_num_threads=1",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["load"]["arrivals"] == "trace" and result["load"]["trace"]["requests"] == 300
    npz = np.load(result["saved"].replace(".json", ".npz"))
    want = ((times - times[0]) * 1e9).astype(np.int64)
    assert np.abs(npz["p0_s0_scheduled"] - want).max() <= 2  # ns: the CSV's 9 decimals
    assert result["profiles"][0]["steps"][0]["served"] == 300


def test_ctrl_c_stops_the_step_and_keeps_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """SIGINT once the step is measuring (sent on its first live event, so no timing guess):
    the step ends, is kept and reported, and the job ends with status cancelled."""
    import os
    import signal

    from ortbench_tui.bench.load import LoadLive
    from ortbench_tui.commands import load as load_command

    sent = []
    original = load_command.LoadProgressLine.__call__

    def interrupt_on_first_live(self: Any, event: Any) -> None:
        if isinstance(event, LoadLive) and event.live.done > 0 and not sent:
            sent.append(True)
            os.kill(os.getpid(), signal.SIGINT)
        original(self, event)

    monkeypatch.setattr(load_command.LoadProgressLine, "__call__", interrupt_on_first_live)
    code, out, err = run_cli(
        capsys, "load", "sample:tiny", "--rate", "200", "--duration", "60", "--json", "-",
        "-q", "--set", "session.intra_op_num_threads=1",
    )  # fmt: skip
    assert sent and code == 0 and "what was measured is kept" in err
    result = json.loads(out)
    assert result["status"] == "cancelled" and result["saved"]
    (step,) = result["profiles"][0]["steps"]
    assert step["stopped"] and 0 < step["served"] < 200 * 60


def test_the_report_states_the_answer_the_overload_and_the_verdict():
    from ortbench_tui.bench.load import format_load, load_csv, load_markdown

    tl = hand_timeline()
    met = summarize_step(0, 100.0, 0.04, 1, tl)
    met.decision = {"outcome": "met", "ci_ms": [9.0, 14.0], "percentile_ms": 11.0, "retry": False}
    over = summarize_step(1, 200.0, 0.04, 1, tl)
    over.kept_up, over.offered_per_s, over.achieved_per_s = False, 190.0, 120.0
    over.decision = {"outcome": "not met", "ci_ms": None, "percentile_ms": 90.0, "retry": False}
    result = {
        "model": {"name": "sample:tiny"},
        "load": {
            "arrivals": "poisson",
            "workers": 1,
            "seed": 0,
            "slo": {"text": "p99=20ms"},
        },  # fmt: skip
        "profiles": [
            {
                "profile": {"name": "A"},
                "steps": [met.to_dict(), over.to_dict()],
                "find_max": {"max_rate": 100.0, "lowest_not_met": 200.0, "note": ""},
            }
        ],  # fmt: skip
        "comparisons": [
            {
                "a": "A",
                "b": "B",
                "percentile": 99,
                "rates": [
                    {
                        "rate": 100.0,
                        "a_ms": 11.0,
                        "b_ms": 5.5,
                        "ratio": 0.5,
                        "ci": [0.4, 0.6],
                        "verdict": "faster",
                    }
                ],
            }
        ],  # fmt: skip
        "warnings": [],
    }
    text = format_load(result)
    assert "A: highest rate meeting p99=20ms: 100/s (offered 100/s) (its p99 11 ms" in text
    assert "200/s does not (offered 190/s)" in text
    assert "A at 190/s: could not keep up (achieved 120/s" in text
    assert (
        "B vs A at 100/s: p99 response 5.5 ms vs 11 ms, ratio 0.500x [0.400, 0.600]: faster" in text
    )
    assert load_markdown(result).count("\n| A |") == 2
    assert load_csv(result).splitlines()[2].startswith("A,200.0,190.000,120.000,")
    result["profiles"][0]["profile"]["name"] = "a|b"
    assert load_markdown(result).count("\n| a\\|b |") == 2  # a | in a name stays in its cell


def test_history_names_a_load_file_it_cannot_list_and_passes_over_unknown_kinds(tmp_path):
    """A load file without its steps is a bad file (its reason said); a kind this ortbench
    does not know is another job's result, neither listed nor called unreadable."""
    from ortbench_tui.bench.results import scan_history

    (tmp_path / "a-load.json").write_text(json.dumps({"schema": 1, "kind": "load"}))
    (tmp_path / "b.json").write_text(json.dumps({"schema": 1, "kind": "from-the-future"}))
    (tmp_path / "broken.json").write_text("{not json")
    scan = scan_history(tmp_path)
    assert scan.entries == []
    reasons = {p.name: why for p, why in scan.skipped}
    assert reasons.keys() == {"a-load.json", "broken.json"}
    assert reasons["a-load.json"] == "a load result without its list of profiles"


def test_a_trace_that_is_a_named_pipe_is_refused_not_read(tmp_path, capsys):
    import os

    fifo = tmp_path / "live.csv"
    os.mkfifo(fifo)
    code, _, err = run_cli(capsys, "load", "sample:tiny", "--trace", str(fifo))
    assert code == 2 and "named pipe" in err
