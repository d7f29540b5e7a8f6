"""The curve file (`kind: "curve"`) and the load result file (`kind: "load"`) as typed records
(ARCHITECTURE.md §5), and their one check on read, beside the run result's
(`result_record.py`, whose conventions and error wording they share).

One module for both kinds, not one in each job's package: the history (`results.py`) reads
every kind of result file, and `bench.curve` and `bench.load` import `results` (and their
package `__init__` pulls in the job's machinery), so a record there would make the history
import the jobs it lists. Here both readers, the job's own (`load_curve`, `load_load`) and
the history's, check a file against the same declaration.

The curve's record is also what the curve job builds (`curve.result.build_curve_result`) and
carries to the history, `--json` and the curve screen; its JSON object exists only where a
file is written (`record_dict`). Its fields are declared in the order the files have always
listed their keys, so what it writes is the text the JSON object was.

Compatibility with the files already written (schema 1 of each kind): the required fields are
those every file ortbench has written has had and that a reader cannot do without (the
model, the profile, the points; the load block, the profiles, each step's figures); every
other field is `UNSET` when a file lacks it, so a file converted to the record and back
(`curve_record` / `load_record`, then `record_dict`) has the same keys and values. Unknown
keys are ignored, as before. Measured figures are finite and >= 0 (a file ortbench wrote
never holds NaN: a figure that could not be measured is null); `dict[str, Any]` is kept where
the content is open (the profile, with its own schema and checks; the inputs' spec; the load
mechanism; the rows of a comparison).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from .result_record import (
    Count,
    Figure,
    HardwareRecord,
    LatencyRecord,
    ModelRecord,
    ProvidersRecord,
    ResultProblem,
    convert_record,
)

CURVE_KIND: Literal["curve"] = "curve"
"""The `kind` of a curve result (`ortbench curve`); run results have none."""
CURVE_SCHEMA: Literal[1] = 1
LOAD_KIND = "load"
"""The `kind` of a load result (`ortbench load`)."""
LOAD_SCHEMA = 1

Interval = Annotated[list[Figure], msgspec.Meta(min_length=2, max_length=2)]
"""A 95% CI, [low, high] (a list, not a tuple: it is written back as it was read)."""


# -- the curve -------------------------------------------------------------------------------


class PointRecord(msgspec.Struct, kw_only=True):
    """One point of the grid (`curve.points.PointResult.to_dict`)."""

    index: Count
    dims: dict[str, int]
    concurrency: Count
    status: str | UnsetType = UNSET
    """ok | failed | not run"""
    error: str | UnsetType = UNSET
    requests: Count | UnsetType = UNSET
    wall_s: Figure | UnsetType = UNSET
    items_per_request: Count | UnsetType = UNSET
    latency_ms: LatencyRecord | UnsetType = UNSET
    """Empty for a point that did not run."""
    cv: Figure | None | UnsetType = UNSET
    requests_per_s: Figure | None | UnsetType = UNSET
    items_per_s: Figure | None | UnsetType = UNSET
    p50_ci: Interval | None | UnsetType = UNSET
    shapes: dict[str, list[int]] | UnsetType = UNSET


class GridRecord(msgspec.Struct, kw_only=True):
    """The grid measured: each swept dim's sizes and the concurrency levels."""

    dims: dict[str, list[int]] | UnsetType = UNSET
    concurrency: list[Count] | UnsetType = UNSET


class PerPointRecord(msgspec.Struct, kw_only=True):
    """What each point ran: its warm-up, and its timed runs or its duration (the other null)."""

    warmup_runs: Count | None | UnsetType = UNSET
    timed_runs: Count | None | UnsetType = UNSET
    duration_s: Figure | None | UnsetType = UNSET
    max_duration_s: Figure | None | UnsetType = UNSET


class CurveResult(msgspec.Struct, kw_only=True):
    """A curve's result file: what `curve.result.build_curve_result` makes, what the curve job
    carries to history, `--json`, the text and the curve screen, and what `curve_record` reads
    back. Fields are declared in the order the file has always listed its keys, so a record is
    written with its keys where today's files have them."""

    schema: Literal[1]
    kind: Literal["curve"]
    ortbench_version: str | UnsetType = UNSET
    created: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    """ok | cancelled | failed (a point failed)"""
    model: ModelRecord
    profile: dict[str, Any]
    """Open: the resolved profile (`profile_to_dict`), with its own schema and checks."""
    inputs: dict[str, Any] | UnsetType = UNSET
    """Open: the input spec (`InputSpec.to_dict`), read by its own code."""
    hardware: HardwareRecord | UnsetType = UNSET
    providers: ProvidersRecord | None | UnsetType = UNSET
    intra_op_threads: int | None | UnsetType = UNSET
    session_create_ms: Figure | None | UnsetType = UNSET
    grid: GridRecord | UnsetType = UNSET
    batch_dim: str | None | UnsetType = UNSET
    per_point: PerPointRecord | UnsetType = UNSET
    points: list[PointRecord]
    knee: list[str] | UnsetType = UNSET
    failed: list[str] | UnsetType = UNSET
    percentile_method: str | UnsetType = UNSET
    warnings: list[str] | UnsetType = UNSET
    host: str | None | UnsetType = UNSET
    fleet: dict[str, Any] | UnsetType = UNSET
    saved: str | None | UnsetType = UNSET
    """`curve --json FILE`: where the curve was kept in the history."""

    def model_name(self) -> str:
        """The name history shows for the model ("?" for a file without one)."""
        return "?" if isinstance(self.model.name, UnsetType) else self.model.name

    def profile_name(self) -> str:
        return str(self.profile.get("name", "?"))

    def knee_lines(self) -> list[str]:
        """The knee statements ([] for a file without any)."""
        return [] if isinstance(self.knee, UnsetType) else self.knee

    def warning_texts(self) -> list[str]:
        """The curve's warnings ([] for a file without any)."""
        return [] if isinstance(self.warnings, UnsetType) else self.warnings


# -- the load job ----------------------------------------------------------------------------


class QuantilesRecord(msgspec.Struct, kw_only=True):
    """Mean, p50..p99.9 and max of a step's times (`load.summary.quantiles_ms`); null when
    there were none."""

    mean: Figure | None | UnsetType = UNSET
    p50: Figure | None | UnsetType = UNSET
    p90: Figure | None | UnsetType = UNSET
    p99: Figure | None | UnsetType = UNSET
    p999: Figure | None | UnsetType = UNSET
    max: Figure | None | UnsetType = UNSET


class ShapeRecord(msgspec.Struct, kw_only=True):
    """One shape of a --mix step: its requests and their times."""

    shape: str | UnsetType = UNSET
    requests: Count | UnsetType = UNSET
    response_ms: QuantilesRecord | UnsetType = UNSET
    service_ms: QuantilesRecord | UnsetType = UNSET


class DecisionRecord(msgspec.Struct, kw_only=True):
    """--find-max: the step against the SLO (`load.decide.SloDecision` and the SLO asked)."""

    outcome: str
    """met | not met | undecided"""
    percentile_ms: Figure | None | UnsetType = UNSET
    ci_ms: Interval | None | UnsetType = UNSET
    reason: str | UnsetType = UNSET
    slo: str | UnsetType = UNSET
    retry: bool | UnsetType = UNSET


class StepRecord(msgspec.Struct, kw_only=True):
    """One step at one offered rate (`load.summary.StepSummary.to_dict`): every field the
    summary cannot do without is required."""

    index: Count
    rate: Figure
    requests: Count
    served: Count
    given_up: Count
    offered_per_s: Figure
    achieved_per_s: Figure
    response_ms: QuantilesRecord
    service_ms: QuantilesRecord
    wait_ms: QuantilesRecord
    issue_lag_us: QuantilesRecord
    utilisation: Figure
    kept_up: bool
    stopped: bool
    max_queue: Count
    series: dict[str, list[float]] | UnsetType = UNSET
    """t_s, p99_ms, queue, achieved_per_s over the step."""
    per_shape: list[ShapeRecord] | UnsetType = UNSET
    decision: DecisionRecord | None | UnsetType = UNSET
    error: str | None | UnsetType = UNSET


class FindMaxRecord(msgspec.Struct, kw_only=True):
    """--find-max's answer for one profile (`load.plan.FindMax.answer`)."""

    max_rate: Figure | None | UnsetType = UNSET
    lowest_not_met: Figure | None | UnsetType = UNSET
    bracket: list[Figure | None] | UnsetType = UNSET
    tolerance: Figure | UnsetType = UNSET
    steps: Count | UnsetType = UNSET
    note: str | UnsetType = UNSET


class ProfileLoadRecord(msgspec.Struct, kw_only=True):
    """One profile's part of the job: its session's facts and its steps."""

    profile: dict[str, Any]
    """Open: the resolved profile (`profile_to_dict`), with its own schema and checks."""
    steps: list[StepRecord]
    providers: ProvidersRecord | None | UnsetType = UNSET
    session_create_ms: Figure | None | UnsetType = UNSET
    intra_op_threads: int | None | UnsetType = UNSET
    warm_service_ms: Figure | None | UnsetType = UNSET
    shapes: list[dict[str, list[int]]] | None | UnsetType = UNSET
    """Per shape fed (one without --mix): each input's name and shape."""
    find_max: FindMaxRecord | None | UnsetType = UNSET
    failed: str | None | UnsetType = UNSET


class SloRecord(msgspec.Struct, kw_only=True):
    """The SLO as asked (`p99=20ms`): its text, percentile and bound."""

    text: str
    percentile: Figure
    bound_ms: Figure


class LoadSpecRecord(msgspec.Struct, kw_only=True):
    """The job as asked (the `load` block): arrivals, rates, threads, the SLO, the mix."""

    arrivals: str | UnsetType = UNSET
    seed: int | UnsetType = UNSET
    duration_s: Figure | UnsetType = UNSET
    workers: Count | UnsetType = UNSET
    serving: str | UnsetType = UNSET
    rates: list[Figure] | UnsetType = UNSET
    slo: SloRecord | None | UnsetType = UNSET
    find_max: bool | UnsetType = UNSET
    mix: dict[str, Any] | None | UnsetType = UNSET
    """Open: the --mix dim, its values and weights."""
    drain_s: Figure | None | UnsetType = UNSET
    trace: dict[str, Any] | None | UnsetType = UNSET
    """Open: the --trace file replayed."""
    mechanism: dict[str, Any] | UnsetType = UNSET
    """Open: how requests were issued, for the reader."""


class ComparisonRecord(msgspec.Struct, kw_only=True):
    """A profile against the first at every rate both measured whole."""

    a: str | UnsetType = UNSET
    b: str | UnsetType = UNSET
    percentile: Figure | UnsetType = UNSET
    rates: list[dict[str, Any]] | UnsetType = UNSET
    """Open: one `load.decide.RatioVerdict` per rate."""


class LoadResult(msgspec.Struct, kw_only=True):
    """A load job's result file (`load.result.build_load_result`)."""

    schema: Literal[1]
    kind: Literal["load"]
    model: ModelRecord
    load: LoadSpecRecord
    profiles: list[ProfileLoadRecord]
    ortbench_version: str | UnsetType = UNSET
    created: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    inputs: dict[str, Any] | UnsetType = UNSET
    """Open: the input spec (`InputSpec.to_dict`), read by its own code."""
    hardware: HardwareRecord | UnsetType = UNSET
    comparisons: list[ComparisonRecord] | UnsetType = UNSET
    percentile_method: str | UnsetType = UNSET
    warnings: list[str] | UnsetType = UNSET
    host: str | None | UnsetType = UNSET
    node: dict[str, Any] | UnsetType = UNSET
    """Open: a fleet node's identity (`fleet.agent.with_node`)."""
    fleet: dict[str, Any] | UnsetType = UNSET
    saved: str | None | UnsetType = UNSET
    """`load --json FILE`: where the job was kept in the history."""


# -- the check -------------------------------------------------------------------------------


def curve_record(data: Any) -> CurveResult:
    """The record of a parsed curve file; ResultProblem naming the field, what it must be and
    what it is otherwise."""
    _check_kind(data, CURVE_KIND, CURVE_SCHEMA, "curve")
    return convert_record(data, CurveResult, {}, lambda absent: _not_a("curve", "points", absent))


def load_record(data: Any) -> LoadResult:
    """The record of a parsed load result file; ResultProblem naming the field, what it must
    be and what it is otherwise."""
    _check_kind(data, LOAD_KIND, LOAD_SCHEMA, "load result")
    return convert_record(
        data, LoadResult, {}, lambda absent: _not_a("load result", "profiles", absent)
    )


def record_dict(record: CurveResult | LoadResult) -> dict[str, Any]:
    """The JSON object of a record: the keys it was read with (UNSET fields are left out)."""
    out: dict[str, Any] = msgspec.to_builtins(record)
    return out


def _check_kind(data: Any, kind: str, schema: int, name: str) -> None:
    """Before the conversion: a file of another kind, or of a schema this ortbench does not
    read, is named as that (not by the first field that differs)."""
    if not isinstance(data, dict) or data.get("kind") != kind:
        raise ResultProblem(f"not an ortbench {name} (kind is not {kind!r})")
    if data.get("schema") != schema:
        raise ResultProblem(f"{kind} schema {data.get('schema')}, this ortbench reads {schema}")


def _not_a(name: str, items: str, absent: list[str]) -> str:
    """Top-level fields missing: the list every file of the kind holds first, as before."""
    if items in absent:
        return f"{_a(name)} without its list of {items}"
    return f"not an ortbench {name} (missing {', '.join(absent)})"


def _a(what: str) -> str:
    return f"an {what}" if what[:1] in "aeiou" else f"a {what}"
