"""The child process of an interleaved comparison: sessions of every profile, taking turns.

Two sequential runs of A and B on a shared machine meet different weather: a neighbour's
build, a frequency step, a noisy cache. Here one process holds one session per entry of
`profiles` (the parent lists a profile several times for several sessions of it), warms
them all up, then runs them in rounds of blocks. Round r starts at session r mod P, so for
two sessions the order is AB BA AB BA ..., which also balances any carry-over from one
session to the next. Drift then hits every session alike, and the parent can resample
*rounds* (the blocks taken at the same time) to get an honest confidence interval. A
session's block holds the same number of timed runs in every round, and opens with a few
untimed re-warm runs (see REWARM_SECONDS: without them a pooled session's first ~25 ms after
its turn comes back are slow, which would be measured as the profile's own fault).

Where no session has a thread pool (CPU, one intra-op thread, sequential), the turns are finer
(`alternates_calls`): the units come in groups of one session of each profile
(`schedule.alternate_within`), and within its stretch of a round a group's sessions take
turns call by call, the order rotated every cycle (AB BA AB ...), so whatever the machine
does in that stretch hits them alike. Each still sends one Block per round. Until decided,
such groups live for CALL_GENERATION_ROUNDS rounds of CALL_BLOCK_SECONDS stretches: many
short-lived session pairs. The Schedule says which way the child took turns and how often it
renews its sessions.

Every session is built by the worker's own `Measurement` (set-up, bound calls, timed loop),
so an interleaved run measures exactly what `ortbench run` measures.

Messages (`bench.protocol`): SessionReady per session, PhaseProgress over all sessions,
one Schedule, a Block per session and round, then Done(InterleavedFinal: a RunFinal per
session, the rounds run) or Error. A Stop ends the run at the end of the current round.

The request: {"model_path", "profiles": [profile dicts], "schedule": {"timed_runs",
"duration_s" (0 = by count; by time it is the timed seconds of all sessions together),
"block_s", "min_rounds", "cap_s" (by count: seconds of timed runs of all sessions together
at most, 0 or absent: none), "open" (true: ~block_s blocks until the parent's Stop, with
duration_s, when positive, as a safety cap), "recycle_rounds" (every this many rounds each
session is retired and a fresh one of its profile created and warmed up in its place, so
the session is sampled, not fixed; 0 or absent: never; CPU sessions only)}, "inputs": an
InputSpec dict (bench.run_inputs)}.

Each Block carries the worker's involuntary context switches during its timed runs
(`getrusage` ru_nivcsw of the thread): how often it lost its core to another process.
"""

from __future__ import annotations

import math
import resource
import time
from dataclasses import replace
from typing import Any

import numpy as np

from ..profile import Profile
from .child_main import ChildContext, run_child
from .gpu_memory import GpuMemorySampler
from .level_bootstrap import BLOCK_SECONDS, MIN_CI_ROUNDS
from .protocol import (
    Block,
    Connection,
    Done,
    InterleaveChildRequest,
    InterleavedFinal,
    PhaseProgress,
    RunFinal,
    Schedule,
    ScheduleRequest,
    SessionReady,
    StopListener,
    Stopped,
)
from .worker import MAX_BATCH, Call, Measurement, rss_peak_mb

REWARM_SECONDS = 0.04
"""Untimed runs that open every block of a session with a thread pool whose workers do not spin
(`session.allow_spinning` off; those that spin are settled instead, see
REWARM_SETTLED_SECONDS). Measured here before the settle existed (2 cores, 2 intra-op
threads, sample:conv, 12 sessions alternated): after its turn comes back, a session's pool
worker shares a core with the main thread for ~20-30 ms before it gets one of its own, so
short blocks ran at one-thread speed (1.2 ms instead of 0.69 ms). 16 untimed runs (~15 ms)
were not enough, 40 (~30 ms) were. Most of that was the previous session's pool still
spinning (see `settle_pools`), which a fixed sleep did not cover."""
SETTLE_SLICE_S = 0.01
"""How often `settle_pools` reads the process's CPU time: Linux charges other threads' time
in scheduler ticks (4 ms here), so a shorter slice reads 0 or 2 cores at random."""
SETTLE_IDLE_SHARE = 0.3
"""A slice in which the process used less than this share of one core: its pools are parked."""
SETTLE_IDLE_SLICES = 2
"""Idle slices in a row that say the pools are parked (one can be a worker off its core)."""
SETTLE_CAP_S = 0.25
"""`settle_pools` never waits longer (a thread of the process that never parks)."""
REWARM_SINGLE_SECONDS = 0.002
"""Sessions without a pool (one intra-op thread, sequential) only need their caches back."""
REWARM_SETTLED_SECONDS = 0.005
"""A pooled session whose workers spin: its block follows a settle (`settle_pools`), so the
last session's worker no longer runs into it. Measured here (sample:conv, ORT's default
threads, ALL against basic, three generations of sessions each, quiet): 2 ms and 40 ms of
re-warm after the settle gave the same ratios (0.871-0.874) and per-round spreads (sd
0.045-0.107)."""
SETTLE_TYPICAL_S = 0.08
"""What a settle takes here (~55 ms of spinning, then the idle slices that see it stop; 71 ms
median with one slice), for planners that size blocks before any was run."""
MIN_COMPARE_ROUNDS = 10
"""A fixed-length comparison runs at least this many rounds: fewer make the block-pair
bootstrap unreliable (its t quantile is too wide for a verdict; `stopping.FIRST_LOOK_ROUNDS`)."""
MAX_ROUNDS_BY_COUNT = 20
MAX_ROUNDS_BY_TIME = 400
CALL_BLOCK_SECONDS = 0.01
"""Until decided, call by call: each group's stretch of a round per profile. What limits a
verdict there is how many session pairs were sampled (fresh pairs of one sample:mlp profile
pair were ~5% apart under load, while one pair's rounds agreed within ~1.5%), so the child
spends little time on each pair and makes many: 10 ms stretches, sessions renewed every
CALL_GENERATION_ROUNDS rounds."""
CALL_GENERATION_ROUNDS = MIN_CI_ROUNDS
"""Until decided, call by call: rounds a generation of sessions lives (the fewest a
generation's own rounds part can rest on)."""
CALIBRATION_RUNS = 3
"""Runs that size the blocks when a profile asks for no warm-up (not counted)."""


def settle_pools(cap_s: float = SETTLE_CAP_S) -> float:
    """Wait until this process's threads are idle; return the seconds waited.

    An ORT pool worker with spinning allowed keeps spinning for a while after its session's
    last run (measured here: one core for ~55 ms, sample:conv, 2 intra-op threads, whatever
    the number of runs before). In an interleaved round the next block is another session's,
    so without this wait that block shared its cores with the last one's spinning worker:
    per-round log ratios of two pooled profiles had sd 0.41 (blocks of 50 ms, 40 ms re-warm);
    with it, 0.01-0.05 over the same rounds, the medians unchanged when the machine was quiet
    (all/basic 0.866 either way). The main thread sleeps while it waits, so the wait costs
    wall time only, never another session's measurement.

    Idle means SETTLE_IDLE_SLICES slices in a row: on a busy machine a spinning worker can
    lose its core for a whole slice (charged nothing) and spin on when it gets it back.
    """
    start = time.perf_counter()
    idle = 0
    while True:
        cpu0, wall0 = time.process_time(), time.perf_counter()
        time.sleep(SETTLE_SLICE_S)
        wall1 = time.perf_counter()
        quiet = time.process_time() - cpu0 < SETTLE_IDLE_SHARE * (wall1 - wall0)
        idle = idle + 1 if quiet else 0
        if idle >= SETTLE_IDLE_SLICES or wall1 - start >= cap_s:
            return wall1 - start


def has_thread_pool(profile: Profile, physical: int) -> bool:
    """Whether ORT gives this session worker threads (they need the longer re-warm)."""
    threads = profile.resolved_intra_threads(physical)
    return threads != 1 or profile.session.execution_mode == "parallel"


def spins(profile: Profile, physical: int) -> bool:
    """Whether the session's pool workers spin on after its runs (settled after its blocks)."""
    return has_thread_pool(profile, physical) and bool(profile.session.allow_spinning)


def rewarm_seconds(pooled: bool, spinning: bool) -> float:
    """Untimed time that opens a block of such a session."""
    if not pooled:
        return REWARM_SINGLE_SECONDS
    return REWARM_SETTLED_SECONDS if spinning else REWARM_SECONDS


def block_overhead_s(pooled: bool, spinning: bool) -> float:
    """Wall time a block costs beyond its timed runs: its re-warm, and the settle after it."""
    return rewarm_seconds(pooled, spinning) + (SETTLE_TYPICAL_S if spinning else 0.0)


def rewarm_runs(estimate_ns: int, pooled: bool, spinning: bool = False) -> int:
    """Untimed runs that open a block (at least one)."""
    seconds = rewarm_seconds(pooled, spinning)
    return int(min(MAX_BATCH, max(1, math.ceil(seconds * 1e9 / max(estimate_ns, 1)))))


def plan_schedule(
    estimates_ns: list[int],
    timed_runs: int,
    duration_s: float,
    block_s: float = BLOCK_SECONDS,
    min_rounds: int = MIN_COMPARE_ROUNDS,
    open_ended: bool = False,
    cap_s: float = 0.0,
) -> tuple[int | None, list[int]]:
    """(planned rounds, timed runs per block of each session).

    By count, every session gets the same number of runs (`timed_runs`, rounded up to whole
    blocks), in `min_rounds` to 20 rounds, with blocks of about `block_s` where the count
    allows. When those runs would take longer than `cap_s` (the time cap of all sessions'
    timed runs together, run.max_duration_s per profile), the blocks shrink so that
    `min_rounds` rounds fit within it, and only the rounds that fit are planned (never fewer
    than the MIN_CI_ROUNDS a CI needs): fewer runs, still rounds for a CI. By time, every
    session gets about the same *time*: the duration is cut into rounds of one ~`block_s`
    block per session, each holding as many runs as fit. Rounds are None (open) by time: the
    child runs whole rounds until the timed runs have taken `duration_s` and at least
    `min_rounds` rounds (on a loaded machine that can take longer than `duration_s`: a
    comparison cut short of its rounds would have no CI).
    """
    p = len(estimates_ns)
    if open_ended:  # the parent decides when to stop: blocks of ~block_s each
        return None, [int(min(MAX_BATCH, max(1, block_s * 1e9 // max(e, 1)))) for e in estimates_ns]
    if duration_s > 0:
        rounds = int(min(MAX_ROUNDS_BY_TIME, max(min_rounds, round(duration_s / (p * block_s)))))
        share_ns = duration_s * 1e9 / (rounds * p)
        runs = [int(min(MAX_BATCH, max(1, share_ns // max(e, 1)))) for e in estimates_ns]
        return None, runs
    slowest = max(estimates_ns)
    by_length = int(timed_runs * slowest / 1e9 / block_s)
    rounds = int(min(MAX_ROUNDS_BY_COUNT, timed_runs, max(min_rounds, by_length)))
    per_block = min(MAX_BATCH, math.ceil(timed_runs / rounds))
    planned = math.ceil(timed_runs / per_block)
    round_ns = sum(max(e, 1) for e in estimates_ns)  # one run of every session
    cap_ns = cap_s * 1e9
    if cap_ns > 0 and planned * per_block * round_ns > cap_ns:
        per_block = int(max(1, min(per_block, cap_ns // (max(min_rounds, 1) * round_ns))))
        # never fewer rounds than a CI needs: a comparison without one would decide nothing
        fit = max(int(cap_ns // (per_block * round_ns)), MIN_CI_ROUNDS)
        planned = max(1, min(math.ceil(timed_runs / per_block), fit))
    return planned, [per_block] * p


def rotation(round_index: int, count: int) -> list[int]:
    """The order of the profiles in a round: rotated by one each round."""
    start = round_index % count
    return [(start + j) % count for j in range(count)]


def call_groups(units: int, size: int) -> list[list[int]]:
    """The units alternated call by call: `size` consecutive units each (the parent lists one
    session of every profile, then the next session of every profile: a group is one
    session of each profile)."""
    size = max(1, size)
    return [list(range(g, min(g + size, units))) for g in range(0, units, size)]


def alternates_calls(schedule: ScheduleRequest, pooled: list[bool], on_cpu: bool) -> bool:
    """Whether a round alternates the profiles call by call (A, B, B, A ...) rather than
    block by block. Only where it is safe: sessions on the CPU without a thread pool (a
    pool's workers need tens of ms to get their cores back after another session ran,
    REWARM_SECONDS, so per-call turns would measure that hand-over instead of the profile);
    `alternation` = "block" keeps blocks everywhere."""
    mode = schedule.get("alternation", "auto")
    group = int(schedule.get("alternate_within", 0) or 0)
    if mode == "block" or group < 2:
        return False
    return mode == "call" or (on_cpu and not any(pooled))


def cycles_per_group(group: list[int], block_runs: list[int], estimates_ns: list[int]) -> int:
    """Calls per unit of a call-alternated group in one round: the group's round takes as
    long as its blocks would have (by count the runs per unit are those of a block)."""
    total_ns = sum(block_runs[i] * max(estimates_ns[i], 1) for i in group)
    per_cycle_ns = sum(max(estimates_ns[i], 1) for i in group)
    return int(min(MAX_BATCH, max(1, total_ns // per_cycle_ns)))


def alternated_loop(
    calls: list[list[Call]], members: list[int], out: np.ndarray, offsets: list[int], n: int
) -> None:
    """The measured loop of a call-alternated group: n cycles, one call of every member each,
    the order rotated every cycle (for two: AB BA AB ...) so that neither always follows the
    other; member j's times go to out[j, :n]. Only the call is timed, as in `timed_loop`."""
    pc = time.perf_counter_ns
    m = len(members)
    orders = [
        [
            (j, calls[members[j]], len(calls[members[j]]), offsets[members[j]])
            for j in rotation(c, m)
        ]
        for c in range(m)
    ]
    for c in range(n):
        for j, unit_calls, k, offset in orders[c % m]:
            fn, args = unit_calls[(offset + c) % k]
            t0 = pc()
            fn(*args)
            out[j, c] = pc() - t0


class Interleaved:
    """The sessions of all profiles, warmed up, then alternated in blocks or call by call."""

    def __init__(
        self,
        conn: Connection,
        request: InterleaveChildRequest,
        gpu: GpuMemorySampler | None = None,
    ) -> None:
        self.conn = conn
        self.stop = StopListener(conn)
        self.request = request
        self.measurements: list[Measurement] = []
        self.gpu = gpu
        """Sampled at the end of every round, when given."""

    @property
    def stop_requested(self) -> bool:
        return self.stop.requested

    def setup(self) -> None:
        for index, profile in enumerate(self.request["profiles"]):
            m = Measurement(
                self.conn,
                {
                    "model_path": self.request["model_path"],
                    "profile": profile,
                    "inputs": self.request.get("inputs") or {},
                },
            )
            meta = m.setup()
            self.measurements.append(m)
            self.conn.send(SessionReady(index, meta))
            self.stop.check()

    @staticmethod
    def _renew(m: Measurement, buf: np.ndarray) -> tuple[list[Call], float]:
        """A fresh session in place of `m`'s, bound and warmed up like the first (untimed);
        with its first run, in ms."""
        m.renew_session()
        first_ms = m.first_run() / 1e6
        calls = m.make_calls()
        n = max(m.profile.run.warmup_runs, CALIBRATION_RUNS)
        Measurement.timed_loop(calls, len(calls), buf, 0, min(n, MAX_BATCH))
        return calls, first_ms

    def measure(self) -> InterleavedFinal:
        ms = self.measurements
        p = len(ms)
        calls: list[list[Call]] = []
        pc = time.perf_counter_ns
        timed = Measurement.timed_loop
        first_ms: list[float | None] = [None] * p
        spent_ns = [0] * p
        buf = np.empty(MAX_BATCH, dtype=np.int64)
        estimates = [0] * p
        pooled = [True] * p
        spinning = [False] * p  # pool workers spin after their runs: settled after each block
        settle_s = 0.0
        renewed_ms: list[list[float]] = [[] for _ in range(p)]
        done_rounds = 0
        try:
            for i, m in enumerate(ms):
                # The session's very first inference is the one timed, then it is bound.
                first_ms[i] = m.first_run() / 1e6
                calls.append(m.make_calls())
                self.conn.send(PhaseProgress("first_run", i + 1, p))
            self.stop.check()
            # Warm-up, one profile after the other (order matters little before timing).
            warm_total = sum(m.profile.run.warmup_runs for m in ms)
            warm_done = 0
            for i, m in enumerate(ms):
                want = max(m.profile.run.warmup_runs, CALIBRATION_RUNS)
                first_ns = int((first_ms[i] or 0.0) * 1e6)

                def warmed(done: int, before: int = warm_done) -> None:
                    if warm_total:
                        at = min(before + done, warm_total)
                        self.conn.send(PhaseProgress("warmup", at, warm_total))
                    self.stop.check()

                estimate = Measurement.warm_up(calls[i], buf, want, first_ns, warmed)
                warm_done += m.profile.run.warmup_runs
                # Size the blocks from a settled session: one re-warm, then a short batch.
                pooled[i] = has_thread_pool(m.profile, m.physical)
                spinning[i] = spins(m.profile, m.physical)
                if i and spinning[i - 1]:
                    settle_pools()  # the last session's warm-up spins on
                first_rewarm = rewarm_runs(estimate, pooled[i], spinning[i])
                timed(calls[i], len(calls[i]), buf, 0, first_rewarm)
                n = max(CALIBRATION_RUNS, Measurement.batch_size(estimate) // 4)
                timed(calls[i], len(calls[i]), buf, 0, n)
                estimates[i] = max(int(np.median(buf[:n])), 1)
            if spinning[-1]:
                settle_pools()  # before the first round's first block
            sched = self.request["schedule"]
            rounds, block_runs = plan_schedule(
                estimates,
                int(sched["timed_runs"]),
                float(sched["duration_s"]),
                float(sched.get("block_s", BLOCK_SECONDS)),
                int(sched.get("min_rounds", MIN_COMPARE_ROUNDS)),
                bool(sched.get("open", False)),
                float(sched.get("cap_s", 0.0) or 0.0),
            )
            open_ended = bool(sched.get("open", False))
            rewarm = [
                rewarm_runs(e, q, sp) for e, q, sp in zip(estimates, pooled, spinning, strict=True)
            ]
            on_cpu = all(m.device == "cpu" for m in ms)
            groups: list[list[int]] = []
            cycles: list[int] = []
            pairs = buf.reshape(1, -1)
            # Sessions on a GPU keep theirs (a CUDA graph or TensorRT engine is costly to redo).
            recycle = int(sched.get("recycle_rounds", 0) or 0) if on_cpu else 0
            if alternates_calls(sched, pooled, on_cpu):
                groups = call_groups(p, int(sched.get("alternate_within", 0) or 0))
                if open_ended and recycle:  # many short-lived session pairs (CALL_BLOCK_SECONDS)
                    recycle = min(recycle, CALL_GENERATION_ROUNDS)
                    block_runs = plan_schedule(
                        estimates, 0, 0.0, CALL_BLOCK_SECONDS, open_ended=True
                    )[1]
                cycles = [cycles_per_group(g, block_runs, estimates) for g in groups]
                for g, n in zip(groups, cycles, strict=True):
                    for i in g:
                        block_runs[i] = n
                        rewarm[i] = max(rewarm[j] for j in g)
                most = max(*cycles, *(rewarm[g[0]] for g in groups))
                pairs = np.empty((max(len(g) for g in groups), most), dtype=np.int64)
            min_rounds = int(sched.get("min_rounds", MIN_COMPARE_ROUNDS))
            generation = 0
            alternation = "call" if groups else "block"
            self.conn.send(Schedule(rounds, block_runs, rewarm, alternation, recycle))
            offsets = [0] * p
            # By time, the clock counts timed runs only (re-warm runs come on top).
            budget_ns = int(float(sched["duration_s"]) * 1e9)
            # By count, the time cap: planned to fit, checked too (under load the blocks take
            # longer than calibrated), never before the rounds a CI needs.
            cap_ns = int(float(sched.get("cap_s", 0.0) or 0.0) * 1e9) if rounds else 0
            r = 0
            while True:
                for gi in rotation(r, len(groups)) if groups else ():
                    members = [i for i in groups[gi] if i not in self.stop.dropped]
                    if not members:
                        continue
                    n = cycles[gi]
                    # Untimed: the members' caches back after the parent's turn.
                    alternated_loop(calls, members, pairs, offsets, rewarm[members[0]])
                    before = involuntary_switches()
                    t0 = pc()
                    alternated_loop(calls, members, pairs, offsets, n)
                    wall = pc() - t0
                    switches = involuntary_switches() - before
                    sums = [int(pairs[j, :n].sum()) for j in range(len(members))]
                    for j, i in enumerate(members):
                        # the loop's own time shared in proportion to each member's calls
                        spent_ns[i] += wall * sums[j] // max(sum(sums), 1)
                        offsets[i] += n
                        self.conn.send(Block(r, i, pairs[j, :n].copy(), switches, generation))
                    if open_ended:
                        self.stop.check()
                for i in () if groups else rotation(r, p):
                    if i in self.stop.dropped:
                        continue
                    n = block_runs[i]
                    # Untimed: the session's caches and pool back (`rewarm_seconds`).
                    timed(calls[i], len(calls[i]), buf, offsets[i], rewarm[i])
                    before = involuntary_switches()
                    t0 = pc()
                    timed(calls[i], len(calls[i]), buf, offsets[i], n)
                    spent_ns[i] += pc() - t0
                    switches = involuntary_switches() - before
                    offsets[i] += n
                    self.conn.send(Block(r, i, buf[:n].copy(), switches, generation))
                    if spinning[i]:  # its worker spins on into the next session's block
                        settle_s += settle_pools()
                    if open_ended:  # the parent may stop it any time: answer within a block
                        self.stop.check()
                if self.gpu is not None:
                    self.gpu.sample()
                r += 1
                done_rounds = r
                if rounds is not None and r >= rounds:
                    break
                if cap_ns and sum(spent_ns) >= cap_ns and r >= MIN_CI_ROUNDS:
                    break
                if recycle and r % recycle == 0:
                    self.stop.check()
                    for i in range(p):
                        if i not in self.stop.dropped:
                            calls[i] = []  # the old session's bindings go with it
                            calls[i], renewed_first = self._renew(ms[i], buf)
                            renewed_ms[i].append(renewed_first)
                            self.stop.check()
                    if any(spinning):
                        settle_pools()  # the fresh sessions' warm-up spins on
                    generation += 1
                # By time, never fewer than min_rounds rounds: under load the blocks take
                # longer than calibrated, and a run cut short of them has no CI at all.
                if open_ended:
                    if budget_ns and sum(spent_ns) >= budget_ns and r >= MIN_CI_ROUNDS:
                        break
                elif rounds is None and sum(spent_ns) >= budget_ns and r >= min_rounds:
                    break
                self.stop.check()
        except Stopped:
            pass
        finals = [
            RunFinal(first_ms[i], spent_ns[i] / 1e9, self.stop_requested, list(m.warnings))
            for i, m in enumerate(ms)
        ]
        return InterleavedFinal(finals, done_rounds, settle_s, renewed_ms)


def involuntary_switches() -> int:
    """The calling thread's involuntary context switches so far (it lost its core that many
    times); the process's where the thread's count is not available."""
    who = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
    return int(resource.getrusage(who).ru_nivcsw)


def interleave_main(conn: Any, request: InterleaveChildRequest, log_path: str) -> None:
    """Entry point of the child process of an interleaved comparison."""
    pins = request["profiles"][0]["run"].get("pin_cpus") or []
    run_child(conn, request, log_path, pins, _interleaved)


def _interleaved(child: ChildContext[InterleaveChildRequest]) -> None:
    request = child.request
    job = Interleaved(child.conn, request)
    child.measurements = job.measurements
    try:
        job.setup()
        job.gpu = GpuMemorySampler(any(m.device == "cuda" for m in job.measurements))
        job.gpu.sample()
        out = job.measure()
    except Stopped:
        out = InterleavedFinal([RunFinal(None, 0.0, True) for _ in request["profiles"]], 0)
    rss = rss_peak_mb()
    if job.gpu is not None:
        gpu, note = job.gpu.finish()
    else:
        gpu, note = None, "cancelled before the timed runs"
    # One process holds every session: its peaks are each session's.
    finals = [
        replace(f, rss_peak_mb=rss, gpu_mem_peak_mb=gpu, gpu_mem_note=note) for f in out.finals
    ]
    child.conn.send(Done(replace(out, finals=finals)))
