"""The grid of a sweep: `--grid KEY=V1,V2` axes, every combination on the base profile,
and the combinations skipped with the reason (cannot run here, or cannot differ from one
already in the grid)."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from typing import Any

from ...errors import OrtbenchError
from ...gpu.ep_options import CATALOGUE
from ...profile import Profile, apply_override, profile_to_dict
from ...session import profile_problems

GPU_OPTION_NAMES = frozenset(name for options in CATALOGUE.values() for name in options)


@dataclass
class GridAxis:
    key: str
    values: list[str]


def _split_values(text: str) -> list[str]:
    """Split on commas outside [], {} and quotes: pin_cpus=[0,1],[1] is two values."""
    out, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            cur.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def parse_grid(specs: list[str]) -> list[GridAxis]:
    """`KEY=V1,V2,...` per axis; errors name the --grid value."""
    axes: list[GridAxis] = []
    for spec in specs:
        if "=" not in spec:
            raise OrtbenchError(
                f"--grid {spec}: expected KEY=V1,V2,..., e.g. session.intra_op_num_threads=1,2"
            )
        key, raw = (s.strip() for s in spec.split("=", 1))
        values = _split_values(raw)
        if not key or any(v == "" for v in values):
            raise OrtbenchError(f"--grid {spec}: empty key or value")
        if len(set(values)) != len(values):
            raise OrtbenchError(f"--grid {spec}: a value is listed twice")
        if any(a.key == key for a in axes):
            raise OrtbenchError(f"--grid {spec}: {key} is already a grid axis")
        axes.append(GridAxis(key, values))
    if not axes:
        raise OrtbenchError("sweep needs at least one --grid KEY=V1,V2,...")
    return axes


def _short_key(key: str) -> str:
    parts = key.split(".")
    return ".".join(parts[2:]) if parts[1:2] in (["options"], ["config_entries"]) else parts[-1]


@dataclass
class Candidate:
    """One point of the grid and what is known of it so far."""

    index: int
    settings: list[tuple[str, str]]
    profile: Profile
    skip: str | None = None
    status: str = "waiting"
    """waiting | measuring | kept | out | winner | tie | skipped ("tie": in the last round,
    not told apart from the fastest median, see `SweepResult.tied`)"""
    out_round: int | None = None
    rounds: int = 0
    runs: int = 0
    median_ms: float | None = None
    p99_ms: float | None = None
    median_ci: tuple[float, float] | None = None
    vs_best: tuple[float, float, float] | None = None
    """(ratio, low, high) against the round's best, from the same interleaved round."""
    blocks: int = 0
    """Interleaved rounds it was measured in, in its last halving round (fewer than the
    others' when `--until-decided` dropped it early)."""
    decided: str = ""
    """Why `--until-decided` dropped it early, in words ("" when it was not)."""
    tied: bool = False
    """Not decided slower than its round's best (its `vs_best` CI reaches below 1 + margin):
    the round's ranking of the two is a tie, whatever their medians."""

    @property
    def label(self) -> str:
        return " ".join(f"{_short_key(k)}={v}" for k, v in self.settings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "label": self.label,
            "settings": {k: v for k, v in self.settings},
            "skip": self.skip,
            "status": self.status,
            "out_round": self.out_round,
            "rounds": self.rounds,
            "runs": self.runs,
            "median_ms": self.median_ms,
            "p99_ms": self.p99_ms,
            "median_ci": list(self.median_ci) if self.median_ci else None,
            # A ratio without a CI keeps NaN bounds in memory; JSON has no NaN: null instead.
            "vs_best": [None if math.isnan(v) else v for v in self.vs_best]
            if self.vs_best
            else None,
            "blocks": self.blocks,
            "decided": self.decided,
            "tied": self.tied,
        }


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def skip_reason(profile: Profile, working_providers: list[str] | None) -> str | None:
    """Why this combination cannot run (or cannot mean anything) here; None when it can."""
    problems = profile_problems(profile)
    if problems:
        return problems[0]
    ep = profile.provider_ep
    if working_providers is not None and ep not in working_providers:
        short = ep.removesuffix("ExecutionProvider")
        return f"{short} EP does not load here"
    if ep == "CPUExecutionProvider" and profile.provider.options:
        opts = profile.provider.options
        on = sorted(k for k, v in opts.items() if k in GPU_OPTION_NAMES and _truthy(v))
        if on:
            return f"{', '.join(on)}: a CUDA/TensorRT option, meaningless on the CPU EP"
        other = sorted(k for k in opts if k not in GPU_OPTION_NAMES)
        if other:
            return f"{', '.join(other)}: the CPU EP takes no provider options"
    return None


def _canonical(profile: Profile, physical: int) -> tuple[str, list[str]]:
    """The profile with settings that have no effect put to one value, and why they have none.

    Two candidates with the same canonical form measure the same thing: the second is skipped.
    """
    p = profile.copy()
    why = []
    if p.session.execution_mode == "sequential" and p.session.inter_op_num_threads != 0:
        p.session.inter_op_num_threads = 0
        why.append("inter-op threads have no effect in sequential mode")
    if p.resolved_intra_threads(physical) == 1:
        if not p.session.allow_spinning or p.session.intra_op_thread_affinities:
            why.append("with one intra-op thread there is no pool to spin or pin")
        p.session.allow_spinning = True
        p.session.intra_op_thread_affinities = ""
    if p.provider_ep == "CPUExecutionProvider" and p.provider.options:
        # Only switched-off GPU options get here (skip_reason refuses the others).
        p.provider.options = {}
        why.append("the CPU EP ignores provider options")
    if p.session.intra_op_num_threads == "physical":
        p.session.intra_op_num_threads = physical
    d = profile_to_dict(p)
    d.pop("name", None)
    d.pop("description", None)
    return json.dumps(d, sort_keys=True, default=str), why


def build_candidates(
    base: Profile,
    axes: list[GridAxis],
    working_providers: list[str] | None = None,
    physical: int | None = None,
) -> list[Candidate]:
    """Every combination of the grid on top of `base`, each with its skip reason if any."""
    if physical is None:
        from ...hardware import physical_cores

        physical = physical_cores()
    out: list[Candidate] = []
    seen: dict[str, int] = {}
    for i, combo in enumerate(itertools.product(*(a.values for a in axes))):
        settings = [(a.key, v) for a, v in zip(axes, combo, strict=True)]
        profile = base.copy()
        for key, value in settings:
            try:
                profile = apply_override(profile, f"{key}={value}")
            except OrtbenchError as exc:
                raise OrtbenchError(f"--grid {key}: {exc}") from None
        cand = Candidate(index=i + 1, settings=settings, profile=profile)
        cand.profile.name = f"{base.name}+sweep{i + 1}"
        cand.skip = skip_reason(profile, working_providers)
        if cand.skip is None:
            key, why = _canonical(profile, physical)
            if key in seen:
                cand.skip = f"same as #{seen[key]}" + (f" ({'; '.join(why)})" if why else "")
            else:
                seen[key] = cand.index
        if cand.skip:
            cand.status = "skipped"
        out.append(cand)
    return out
