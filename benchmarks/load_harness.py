"""How true is `ortbench load`? The open-loop harness against what it should be.

In this process, with the harness the load worker runs (`bench.load.harness.OpenLoop`) on a
session made here (one intra-op thread) and the worker's GIL switch interval, so only the
harness is measured, not the spawn:

  accuracy   issue lag (issued - scheduled) p50/p99/p99.9 on sample:tiny at several rates
  ceiling    the highest Poisson rate the harness sustains on sample:tiny (achieved >= 97% of
             offered, no request given up), against a bare Python loop that issues the same
             schedule inline (spin to each time, call, record: no queue, no thread)
  pk         one serving thread, a 4 ms sleep as the service (it releases the GIL as ORT
             does), Poisson arrivals at utilisation 0.5 and 0.8: measured mean wait against
             Pollaczek-Khinchine from the measured service times
  co         sample:mlp at ~70% utilisation: the closed loop's p99 (what `run` reports) against
             the open loop's p99 response time, with the same requests: the coordinated-
             omission gap this mode removes

Every figure is printed with the load average; above 1.5 the machine is "loaded".

    .venv/bin/python benchmarks/load_harness.py [--only accuracy,ceiling,pk,co] [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import numpy as np
import onnxruntime as ort

from ortbench_tui.bench.load import OpenLoop, make_schedule, summarize_step
from ortbench_tui.bench.load.queueing import pk_check
from ortbench_tui.bench.load.worker import SWITCH_INTERVAL_S
from ortbench_tui.samples import sample_path


def load_note() -> str:
    one = os.getloadavg()[0]
    return f"load {one:.2f}" + (" (loaded)" if one > 1.5 else "")


def session(name: str) -> tuple[Any, dict[str, np.ndarray]]:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(sample_path(name)), opts, providers=["CPUExecutionProvider"])
    feed = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        feed[i.name] = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    return sess, feed


def pct(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q)) if x.size else float("nan")


def accuracy(seconds: float) -> None:
    sess, feed = session("tiny")
    calls = [[[(sess.run, (None, feed))]]]
    print(f"issue lag on sample:tiny, Poisson, {seconds:g} s per rate ({load_note()})")
    print("  rate/s   lag p50 µs   lag p99 µs  lag p99.9 µs  kept up")
    for rate in (500, 2000, 5000, 10000):
        sched = make_schedule(rate, seconds, seed=1)
        tl = OpenLoop(sched, calls, drain_s=seconds).run()
        lag = (tl.issued_ns - tl.scheduled_ns)[tl.issued_ns > 0] / 1e3
        s = summarize_step(0, rate, seconds, 1, tl)
        print(
            f"  {rate:6d}  {pct(lag, 50):11.1f}  {pct(lag, 99):11.1f}  {pct(lag, 99.9):12.1f}"
            f"  {'yes' if s.kept_up else 'NO'}"
        )


def bare_issue(fn: Any, args: Any, offsets_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same schedule issued inline by one Python loop: spin to the time, call, record."""
    pc = time.perf_counter_ns
    t0 = pc() + 20_000_000
    sched = offsets_ns + t0
    end = np.empty(sched.size, dtype=np.int64)
    for i, target in enumerate(sched.tolist()):
        while pc() < target:
            pass
        fn(*args)
        end[i] = pc()
    return sched, end


def ceiling(seconds: float) -> None:
    sess, feed = session("tiny")
    calls = [[[(sess.run, (None, feed))]]]
    print(f"highest sustained Poisson rate on sample:tiny, {seconds:g} s per rate ({load_note()})")
    print("  rate/s   harness achieved/s  kept up   bare loop achieved/s  kept up")
    best = {"harness": 0, "bare": 0}
    for rate in (1000, 2000, 5000, 10000, 20000, 40000, 80000):
        sched = make_schedule(rate, seconds, seed=2)
        tl = OpenLoop(sched, calls, drain_s=1.0).run()
        s = summarize_step(0, rate, seconds, 1, tl)
        b_sched, b_end = bare_issue(sess.run, (None, feed), sched.offsets_ns)
        b_span = max(seconds, (b_end[-1] - b_sched[0]) / 1e9)
        b_rate = b_sched.size / b_span
        b_ok = b_rate >= 0.97 * sched.size / seconds
        if s.kept_up:
            best["harness"] = rate
        if b_ok:
            best["bare"] = rate
        print(
            f"  {rate:6d}  {s.achieved_per_s:18,.0f}  {'yes' if s.kept_up else 'NO':7s}"
            f"  {b_rate:20,.0f}  {'yes' if b_ok else 'NO'}"
        )
    print(f"  highest kept up: harness {best['harness']}/s, bare loop {best['bare']}/s")


def pk(seconds: float) -> None:
    took = []
    for _ in range(30):
        t0 = time.perf_counter()
        time.sleep(0.004)
        took.append(time.perf_counter() - t0)
    service = float(np.mean(took))
    print(f"M/G/1 check, 4 ms sleep service, one thread ({load_note()})")
    print("  util  rate/s  wait measured  P-K (+hand-over, lag)  P-K pure   se      z")
    for rho, length in ((0.5, max(20.0, seconds)), (0.8, max(30.0, seconds))):
        sched = make_schedule(rho / service, length, seed=11)
        tl = OpenLoop(sched, [[[(time.sleep, (0.004,))]]], drain_s=10.0).run()
        c = pk_check(tl, length)
        print(
            f"  {c.utilisation:.2f}  {c.rate:6.1f}  {c.measured_wait_ms:10.2f} ms"
            f"  {c.predicted_wait_ms:18.2f} ms  {c.pk_pure_ms:6.2f} ms  {c.se_ms:5.2f}"
            f"  {c.z:+.2f}"
        )


def co(seconds: float) -> None:
    sess, feed = session("mlp")
    n_cal = 2000
    closed = np.empty(n_cal, dtype=np.int64)
    pc = time.perf_counter_ns
    for i in range(n_cal):
        t0 = pc()
        sess.run(None, feed)
        closed[i] = pc() - t0
    mean_s = float(closed.mean()) / 1e9
    rate = 0.7 / mean_s
    sched = make_schedule(rate, seconds, seed=3)
    tl = OpenLoop(sched, [[[(sess.run, (None, feed))]]], drain_s=seconds).run()
    s = summarize_step(0, rate, seconds, 1, tl)
    closed2 = np.empty(sched.size, dtype=np.int64)
    for i in range(sched.size):
        t0 = pc()
        sess.run(None, feed)
        closed2[i] = pc() - t0
    print(f"coordinated omission on sample:mlp at {rate:,.0f}/s (~70% busy) ({load_note()})")
    c50, c99, c999 = (pct(closed2, q) / 1e3 for q in (50, 99, 99.9))
    print(f"  closed loop (as `run`):   p50 {c50:8.1f} µs  p99 {c99:8.1f} µs  p99.9 {c999:8.1f} µs")
    r, sv = s.response_ms, s.service_ms
    print(f"  open loop, service time:  p50 {sv['p50'] * 1e3:8.1f} µs  p99 "
          f"{sv['p99'] * 1e3:8.1f} µs  p99.9 {sv['p999'] * 1e3:8.1f} µs")  # fmt: skip
    print(f"  open loop, response time: p50 {r['p50'] * 1e3:8.1f} µs  p99 "
          f"{r['p99'] * 1e3:8.1f} µs  p99.9 {r['p999'] * 1e3:8.1f} µs")  # fmt: skip
    print(f"  p99 response / closed-loop p99: {r['p99'] * 1e6 / pct(closed2, 99):.2f}x; "
          f"utilisation {s.utilisation:.0%}, kept up {s.kept_up}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="accuracy,ceiling,pk,co")
    ap.add_argument("--seconds", type=float, default=3.0)
    args = ap.parse_args()
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # as in the load worker
    parts = {"accuracy": accuracy, "ceiling": ceiling, "pk": pk, "co": co}
    for name in args.only.split(","):
        parts[name.strip()](args.seconds)


if __name__ == "__main__":
    main()
