"""How long does a verdict take: `compare --until-decided` against today's fixed-duration compare.

A known difference is made by appending a chain of k Identity nodes to the sample's output:
A runs it at graph_optimization_level=basic (which removes Identity nodes), B at disable
(which keeps them), both at one thread; k is calibrated so that B / A is ~1.10 or ~1.03.

  * until decided: `--until-decided --budget`, repeated; time to the decided verdict (timed
    rounds; set-up aside) and how often it was right;
  * fixed: `--interleave --duration d` for growing d; the shortest d whose 95% CI gives the
    right verdict in at least `--power` of the repeats. Both use alpha = 5% (the fixed CI is
    one planned 95% look; the sequential rule spends 5% over its looks): equal error rates.

Each on sample:mlp and sample:conv, quiet and with one core busy (`--busy`: a spinning
process beside the measurement).

    .venv/bin/python benchmarks/time_to_decide.py [--repeats 5] [--budget 60] [--busy]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import tempfile
from pathlib import Path

import onnx
from onnx import helper

from ortbench_tui.bench.compare import CompareRequest, run_compare
from ortbench_tui.bench.compare.until import DecideSettings
from ortbench_tui.bench.runner import ensure_spawn_ready
from ortbench_tui.profile import Profile, apply_overrides
from ortbench_tui.samples import sample_path

ONE = ["session.intra_op_num_threads=1"]
DURATIONS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


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


def profiles(duration: float = 0.0) -> list[Profile]:
    sets = [*ONE, f"run.duration_s={duration}"] if duration else ONE
    return [
        apply_overrides(Profile(name="basic"), [*sets, "session.graph_optimization_level=basic"]),
        apply_overrides(Profile(name="chain"), [*sets, "session.graph_optimization_level=disable"]),
    ]


def fixed(model: Path, duration: float) -> tuple[float, str]:
    pair = run_compare(CompareRequest(str(model), profiles(duration), interleave=True))
    p = pair.comparison.pairs[0]
    return p.ratio or 1.0, p.verdict or "none"


def calibrate(sample: str, tmp: Path, target: float) -> Path:
    r0, _ = fixed(with_chain(sample_path(sample), 0, tmp / f"{sample}-0.onnx"), 1.0)
    r40, _ = fixed(with_chain(sample_path(sample), 40, tmp / f"{sample}-40.onnx"), 1.0)
    k = max(0, round((1 + target - r0) / max((r40 - r0) / 40, 1e-6)))
    return with_chain(sample_path(sample), k, tmp / f"{sample}-{k}.onnx")


def until_row(sample: str, model: Path, target: float, args: argparse.Namespace) -> str:
    times, right = [], 0
    for _ in range(args.repeats):
        req = CompareRequest(
            str(model), profiles(), interleave=True, until_decided=DecideSettings(args.budget)
        )
        comp = run_compare(req).comparison
        right += comp.pairs[0].verdict == "slower"
        times.append(comp.stopping["elapsed_s"] if comp.stopping else args.budget)
    need = None
    for d in DURATIONS:
        ok = sum(fixed(model, d)[1] == "slower" for _ in range(args.repeats))
        if ok >= args.power * args.repeats:
            need = d
            break
    fixed_text = f"{need:g} s ({2 * need:g} s timed)" if need else f"> {DURATIONS[-1]:g} s"
    return (
        f"| {sample} | {target:.0%} | {statistics.median(times):.1f} s ({right}/{args.repeats})"
        f" | {fixed_text} |"
    )


def spin() -> None:
    while True:
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--budget", type=float, default=60.0)
    ap.add_argument("--power", type=float, default=0.8)
    ap.add_argument("--busy", action="store_true", help="one core kept busy meanwhile")
    ap.add_argument("--samples", default="mlp,conv")
    args = ap.parse_args()
    ensure_spawn_ready()
    busy = mp.get_context("spawn").Process(target=spin, daemon=True) if args.busy else None
    if busy:
        busy.start()
    tmp = Path(tempfile.mkdtemp())
    print(
        "| sample | difference | until decided: median s (right/repeats) "
        f"| fixed: s per profile for {args.power:.0%} right |"
    )
    print("|---|---|---|---|")
    for sample in args.samples.split(","):
        for target in (0.10, 0.03):
            model = calibrate(sample, tmp, target)
            print(until_row(sample, model, target, args), flush=True)
    if busy:
        busy.terminate()


if __name__ == "__main__":
    main()
