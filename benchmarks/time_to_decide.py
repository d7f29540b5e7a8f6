"""How long does a right verdict take: `compare --until-decided` on differences of known size.

A difference is made by appending a chain of k Identity nodes to a sample's output: A runs
it at graph_optimization_level=basic (which removes Identity nodes), B at disable (which
keeps them), both at one thread; a difference above 2x by one constant n x n MatMul instead,
which basic folds away at session creation (`samples.variants.with_constant_work`). Its size
is *known*, not guessed from a compare as noisy as what it checks: it is measured by
call-level alternation (A, B, A, B ... one call each, in one process, `--pairs` pairs per
fresh session pair, `--session-pairs` such pairs), where a neighbour's burst hits both
alike. k is chosen from the cost of a node on a long chain (`sized`), and the chosen k is
measured before and after the row's repeats: on a host whose memory is contended a
memory-bound model's speed changes, and its ratio to a chain with it, so both figures, with
their range over session pairs, are the row's size.

For each size, `compare --until-decided --budget` is repeated: the median time to a verdict
(timed rounds; set-up aside), the slowest, and how often the verdict was right ("slower").
Quiet, or with one core kept busy by a spinning process (`--busy`). With `--aa` it also runs
A against A (the same model and profile twice) and counts "faster"/"slower" (wrong)
verdicts; `--targets ""` runs only that.

    .venv/bin/python benchmarks/time_to_decide.py [--samples mlp] [--targets 3,0.09,0.05]
        [--repeats 5] [--budget 20] [--busy] [--aa 0 [--aa-budget S]]
        [--alternation auto|call|block]
        [--pin CPUS]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import helper

from ortbench_tui.bench.compare import CompareRequest, run_compare
from ortbench_tui.bench.compare.until import DecideSettings
from ortbench_tui.bench.runner import ensure_spawn_ready
from ortbench_tui.bench.verdict import Verdict
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.samples import sample_path
from ortbench_tui.samples.variants import with_constant_work

ONE = ["session.intra_op_num_threads=1"]
PAIR_SECONDS = 2.0
"""Alternation time per session pair at most (after 200 pairs)."""
MAX_K = 20_000
"""Identity nodes at most (sample:conv at one thread needs thousands for 3x)."""
MIN_SLOPE = 1e-5
"""B / A per Identity node assumed at least (a probe lost in noise must not ask for
millions of nodes)."""


def with_chain(model: Path, k: int, out: Path) -> Path:
    """The model with k Identity nodes after its first output."""
    m = onnx.load(model)
    g = m.graph
    last = g.output[0].name
    for n in g.node:
        n.output[:] = [f"{o}__pre" if o == last else o for o in n.output]
    cur = f"{last}__pre"
    for j in range(k):
        g.node.append(helper.make_node("Identity", [cur], [f"{last}__id{j}"]))
        cur = f"{last}__id{j}"
    g.node.append(helper.make_node("Identity", [cur], [last]))
    onnx.save(m, out)
    return out


FOLD_ABOVE = 1.0
"""Targets of B / A - 1 above this are made by `with_constant_work` (its cost grows as n cubed),
smaller ones by the Identity chain (its cost per node is the finer step)."""
MAX_N = 2048


PIN: list[str] = []
"""`--pin`: run.pin_cpus for both profiles (what pinning the worker buys)."""


def profiles() -> list[Profile]:
    return [
        apply_overrides(
            Profile(name="basic"), [*ONE, *PIN, "session.graph_optimization_level=basic"]
        ),
        apply_overrides(
            Profile(name="chain"), [*ONE, *PIN, "session.graph_optimization_level=disable"]
        ),
    ]


def alternated(model: Path, pairs: int, session_pairs: int) -> tuple[float, float, float]:
    """B / A by call-level alternation: (median over session pairs, lowest, highest)."""
    import onnxruntime as ort

    from ortbench_tui.feeds import make_feeds
    from ortbench_tui.models import inspect_model

    feed = make_feeds(inspect_model(model).inputs, {}, seed=0, sets=1)[0]
    levels = (
        ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    )
    ratios = []
    pc = time.perf_counter_ns
    for _ in range(session_pairs):
        sessions = []
        for level in levels:
            so = ort.SessionOptions()
            so.intra_op_num_threads = 1
            so.graph_optimization_level = level
            sessions.append(
                ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
            )
        times = np.empty((2, pairs), dtype=np.int64)
        for s in sessions:  # warm-up
            for _ in range(50):
                s.run(None, feed)
        # At most PAIR_SECONDS per session pair: a 3x chain's calls are long.
        deadline = pc() + int(PAIR_SECONDS * 1e9)
        done = pairs
        for i in range(pairs):
            order = (0, 1) if i % 2 == 0 else (1, 0)  # ABBA: no side always goes first
            for j in order:
                t0 = pc()
                sessions[j].run(None, feed)
                times[j, i] = pc() - t0
            if i >= 200 and pc() > deadline:
                done = i + 1
                break
        ratios.append(float(np.median(times[1, :done]) / np.median(times[0, :done])))
    return statistics.median(ratios), min(ratios), max(ratios)


def sized(sample: str, target: float, tmp: Path, args: argparse.Namespace) -> Path:
    """A model whose B / A is about 1 + target. The cost of an Identity node is found on a
    long chain, whose effect stands far above the spread between session pairs (~5% on a
    busy host): from k = `--probe-k`, four times longer until B / A is 1.3 or more; B / A is
    taken as 1 + slope x k (A and B run the same graph at k = 0: 1.00 measured). Short
    probes and secant steps chased that spread instead (a 5% target came out 1.2x)."""
    base = sample_path(sample)
    if target > FOLD_ABOVE:
        n = 128
        while True:
            model = with_constant_work(base, n, tmp / f"{sample}-fold{n}.onnx")
            ratio = alternated(model, args.pairs, 4)[0]
            if ratio >= 1.3 or n >= MAX_N:
                break
            n = min(MAX_N, 2 * n)
        n = min(MAX_N, max(8, round(n * (target / max(ratio - 1.0, 1e-3)) ** (1 / 3))))
        return with_constant_work(base, n, tmp / f"{sample}-fold{n}.onnx")
    k = args.probe_k
    while True:
        ratio = alternated(with_chain(base, k, tmp / f"{sample}-{k}.onnx"), args.pairs, 4)[0]
        if ratio >= 1.3 or k >= MAX_K:
            break
        k = min(MAX_K, 4 * k)
    slope = max(ratio - 1.0, MIN_SLOPE * k) / k
    k = min(MAX_K, max(1, round(target / slope)))
    return with_chain(base, k, tmp / f"{sample}-{k}.onnx")


def size_text(model: Path, args: argparse.Namespace) -> str:
    """B / A by call-level alternation now: median (range) over `--session-pairs` pairs."""
    mid, lo, hi = alternated(model, args.pairs, args.session_pairs)
    return f"{mid:.3f}x ({lo:.3f}-{hi:.3f})"


def until_row(model: Path, args: argparse.Namespace, want: Verdict) -> tuple[list[float], int, int]:
    """(time to each verdict, inf where undecided; right verdicts; wrong ones: decided, but
    not `want`)."""
    times, right, wrong = [], 0, 0
    for _ in range(args.repeats):
        req = CompareRequest(
            str(model),
            profiles(),
            interleave=True,
            until_decided=DecideSettings(args.budget),
            alternation=args.alternation,
        )
        comp = run_compare(req).comparison
        verdict = comp.pairs[0].verdict
        ok = verdict == want if want is not Verdict.NO_CLEAR else not Verdict(verdict).differs
        right += ok
        wrong += Verdict(verdict).decided and not ok
        elapsed = comp.stopping["elapsed_s"] if comp.stopping else args.budget
        times.append(elapsed if Verdict(verdict).decided else float("inf"))
    return times, right, wrong


def seconds(times: list[float]) -> str:
    decided = [t for t in times if t != float("inf")]
    if not decided:
        return "-"
    return f"{statistics.median(decided):.1f} s / {max(decided):.1f} s"


def spin() -> None:
    while True:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=20.0)
    ap.add_argument("--busy", action="store_true", help="one core kept busy meanwhile")
    ap.add_argument("--samples", default="mlp,conv")
    ap.add_argument("--targets", default="2.0,0.09,0.05,0.03,0.02", help="B / A - 1 each")
    ap.add_argument("--pairs", type=int, default=600, help="alternated calls per session pair")
    ap.add_argument("--session-pairs", type=int, default=10)
    ap.add_argument("--probe-k", type=int, default=250, help="first chain length probed")
    ap.add_argument("--aa", type=int, default=0, help="A-against-A repeats per sample")
    ap.add_argument(
        "--aa-budget", type=float, help="seconds of timed rounds per A against A (default --budget)"
    )
    ap.add_argument(
        "--alternation",
        choices=("auto", "call", "block"),
        default="auto",
        help="how the compares take turns within a round (auto: call by call here)",
    )
    ap.add_argument(
        "--pin", metavar="CPUS", help="run.pin_cpus for the compares' worker, e.g. 1 or 0,1"
    )
    args = ap.parse_args()
    if args.pin:
        PIN.append(f"run.pin_cpus=[{args.pin}]")
    ensure_spawn_ready()
    busy = mp.get_context("spawn").Process(target=spin, daemon=True) if args.busy else None
    if busy:
        busy.start()
    tmp = Path(tempfile.mkdtemp())
    print(
        f"load average at start: {os.getloadavg()[0]:.2f}; busy core: {bool(busy)}; "
        f"alternation: {args.alternation}; pinned: {args.pin or 'no'}"
    )
    print(
        "| sample | target | size by call-level alternation, before → after (range over "
        "session pairs) "
        f"| decided: median / slowest | right / {args.repeats} | wrong |"
    )
    print("|---|---|---|---|---|---|")
    for sample in args.samples.split(","):
        for target in (float(t) for t in args.targets.split(",") if t.strip()):
            model = sized(sample, target, tmp, args)
            k = model.stem.rsplit("-", 1)[1]  # "250" (chain) or "fold512" (constant MatMul)
            shape = f"n={k[4:]}" if k.startswith("fold") else f"k={k}"
            # The host changes under a memory-bound model: its size is measured before and
            # after the repeats, and both are shown.
            before = size_text(model, args)
            times, right, wrong = until_row(model, args, Verdict.SLOWER)
            after = size_text(model, args)
            print(
                f"| {sample} | {target:+.0%} | {before} → {after}, {shape} | {seconds(times)} "
                f"| {right} | {wrong} |",
                flush=True,
            )
        if args.aa:
            model = with_chain(sample_path(sample), 0, tmp / f"{sample}-aa.onnx")
            a = profiles()[0]
            wrong = 0
            for _ in range(args.aa):
                req = CompareRequest(
                    str(model),
                    [a, a],
                    interleave=True,
                    until_decided=DecideSettings(args.aa_budget or args.budget),
                    alternation=args.alternation,
                )
                v = run_compare(req).comparison.pairs[0].verdict
                wrong += Verdict(v).differs
            print(f"| {sample} | A/A | 1 | - | {args.aa - wrong} of {args.aa} | {wrong} |")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    if busy:
        busy.terminate()


if __name__ == "__main__":
    main()
