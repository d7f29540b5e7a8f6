"""The saved run result as a typed record (ARCHITECTURE.md §5), and its one check on read.

msgspec Structs rather than dataclasses: one declaration gives the type (mypy sees every field),
the strict conversion from parsed JSON (bool is not a number, an int field refuses 1.5) with
errors that name the field path (`$.latency_ms.p50`), and fast encoding, with no hand-written
validator beside the declaration to drift from it. Dataclasses would need that validator.

Compatibility with the files already written (schema 1): only `schema`, `model`, `profile`,
`latency_ms` and `runs` are required, as they always were; every other field is `UNSET` when a
file lacks it, which is not the same as null (`reason` appears only when a run was not ok,
`accuracy` only for a reduced dtype), so a file converted to the record and back
(`run_record` then `record_dict`) has the same keys and values. Unknown keys are ignored, as
before. `dict[str, Any]` is kept where the content is open: the profile (its own schema,
`profile.schema`), provider options inside it, and the sections one kind of run adds
(`accuracy`, `quantization`, `stopping`, `tensorrt`, `comparison`, `node`, `fleet`).

The record is also what ortbench makes: `results.build_result` returns it and the run path
carries it to the history, `--json` and the screens; the JSON object exists only where a file
is written (`record_dict`) or read (`run_record`). Its fields are declared in the order the
files have always listed their keys, so what it writes is the text the JSON object was.

The `trace` section (`ortbench trace`) has a record of its own, `TraceSummary`, or
`UnreadableTrace` when the worker could not summarize its trace (`{file, error}`). msgspec
cannot tell two Structs apart without a tag field, which these files never had, so the field
stays the JSON object in `RunResult` and `trace_record` picks the record by its `error` key;
`run_record` converts it too, so a file with a hand-edited trace is refused naming the field
(`trace.nodes[0].calls must be a whole number >= 0, got -1`). The records live here, not in
`bench/trace/`, because this module checks them and `bench/trace/` builds them from this one.

A file ortbench wrote never holds NaN or Infinity (it is written with `allow_nan=False`), so
the fixed figures (latency, cv, wall time, peaks) must be finite and >= 0: a NaN there is a
hand-edited file, refused with its field named.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

SCHEMA: Literal[1] = 1
"""The run result schema this ortbench writes and reads."""

Figure = Annotated[float, msgspec.Meta(ge=0, le=sys.float_info.max)]
"""A measured figure: finite and >= 0 (ms, s, MB, a ratio)."""
Count = Annotated[int, msgspec.Meta(ge=0)]
"""A number of runs, cores or threads."""
Finite = Annotated[float, msgspec.Meta(gt=-sys.float_info.max, lt=sys.float_info.max)]
"""A finite figure that may be negative (a trace's overhead when nodes overlapped). Strict
bounds, where Figure's are not, so that a problem's words can tell the two apart."""


class ModelRecord(msgspec.Struct, kw_only=True):
    """The model measured: as given (`spec`: a path or `sample:NAME`), where it was read, its
    sha256 and the name history shows."""

    spec: str | UnsetType = UNSET
    path: str | UnsetType = UNSET
    sha256: str | UnsetType = UNSET
    name: str | UnsetType = UNSET


class LatencyRecord(msgspec.Struct, kw_only=True):
    """Latency in ms, exact from all samples; null when there were no samples."""

    mean: Figure | None | UnsetType = UNSET
    std: Figure | None | UnsetType = UNSET
    min: Figure | None | UnsetType = UNSET
    p50: Figure | None | UnsetType = UNSET
    p90: Figure | None | UnsetType = UNSET
    p95: Figure | None | UnsetType = UNSET
    p99: Figure | None | UnsetType = UNSET
    p999: Figure | None | UnsetType = UNSET
    max: Figure | None | UnsetType = UNSET


class HardwareRecord(msgspec.Struct, kw_only=True):
    """The machine as `ortbench detect` saw it (`hardware.HardwareInfo.to_dict`). Each field
    may be null or absent: fleet nodes and older versions filled in what they knew."""

    cpu_model: str | None | UnsetType = UNSET
    physical_cores: int | None | UnsetType = UNSET
    logical_cores: int | None | UnsetType = UNSET
    memory_mb: int | None | UnsetType = UNSET
    cpu_governor: str | None | UnsetType = UNSET
    cpu_freq_mhz: float | None | UnsetType = UNSET
    load_avg: list[float] | None | UnsetType = UNSET
    gpus: list[dict[str, Any]] | UnsetType = UNSET
    """Open: what the driver reports per GPU (`hardware.nvidia.GpuInfo`)."""
    gpu_status: str | UnsetType = UNSET
    ort_version: str | UnsetType = UNSET
    providers: list[dict[str, Any]] | UnsetType = UNSET
    """Open: each execution provider's probe (`hardware.providers.ProviderProbe`)."""
    working_providers: list[str] | UnsetType = UNSET
    os: str | UnsetType = UNSET
    python: str | UnsetType = UNSET


class ProvidersRecord(msgspec.Struct, kw_only=True):
    """The execution providers asked for and the ones the session really used."""

    requested: list[str] | UnsetType = UNSET
    active: list[str] | UnsetType = UNSET
    fallback: bool | UnsetType = UNSET
    fallback_nodes: list[Any] | UnsetType = UNSET
    """Open: the profiler's names of the nodes that ran elsewhere."""


class InputRecord(msgspec.Struct, kw_only=True):
    """One model input as measured: its shape and where its values came from."""

    name: str
    dtype: str | UnsetType = UNSET
    shape: list[int] | UnsetType = UNSET
    source: dict[str, Any] | UnsetType = UNSET
    """Open: a generator, a file or a shape rule, each with its own fields."""


class RunResult(msgspec.Struct, kw_only=True):
    """One run's result file (ARCHITECTURE.md §5): what `results.build_result` makes, what is
    carried to history, `--json` and the screens, and what `run_record` reads back. Fields are
    declared in the order the file has always listed them, so a record is written with its keys
    where today's files have them."""

    schema: Literal[1]
    ortbench_version: str | UnsetType = UNSET
    created: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    """`ok`, `cancelled` or `failed`; a file without it is ok (`run_status`)."""
    reason: str | UnsetType = UNSET
    model: ModelRecord
    profile: dict[str, Any]
    """Open: the resolved profile (`profile_to_dict`), with its own schema and checks."""
    hardware: HardwareRecord | UnsetType = UNSET
    providers: ProvidersRecord | UnsetType = UNSET
    intra_op_threads: int | None | UnsetType = UNSET
    worker_cpus: list[int] | None | UnsetType = UNSET
    session_create_ms: Figure | None | UnsetType = UNSET
    first_run_ms: Figure | None | UnsetType = UNSET
    warmup_runs: Count | None | UnsetType = UNSET
    runs: Count
    wall_s: Figure | None | UnsetType = UNSET
    latency_ms: LatencyRecord
    cv: Figure | None | UnsetType = UNSET
    throughput_per_s: Figure | None | UnsetType = UNSET
    rss_peak_mb: Figure | None | UnsetType = UNSET
    gpu_mem_peak_mb: Figure | None | UnsetType = UNSET
    gpu_mem_note: str | None | UnsetType = UNSET
    percentile_method: str | UnsetType = UNSET
    inputs: list[InputRecord] | UnsetType = UNSET
    warnings: list[str] | UnsetType = UNSET
    accuracy: dict[str, Any] | UnsetType = UNSET
    quantization: dict[str, Any] | UnsetType = UNSET
    trace: dict[str, Any] | UnsetType = UNSET
    """`ortbench trace`: a TraceSummary or an UnreadableTrace as JSON (`trace_record`)."""
    stopping: dict[str, Any] | UnsetType = UNSET
    shifts: list[dict[str, Any]] | UnsetType = UNSET
    tensorrt: dict[str, Any] | UnsetType = UNSET
    comparison: dict[str, Any] | UnsetType = UNSET
    """`compare` runs: the interleaved schedule this profile's runs took part in."""
    host: str | UnsetType = UNSET
    node: dict[str, Any] | UnsetType = UNSET
    """`fleet` runs: the node that measured it (hostname, node_id, ip, ray_version)."""
    fleet: dict[str, Any] | UnsetType = UNSET
    history_path: str | UnsetType = UNSET
    samples_path: str | UnsetType = UNSET
    """`run --json FILE`: where the samples were written beside it."""

    def run_status(self) -> str:
        """ok, cancelled or failed (a file without a status is ok)."""
        return "ok" if isinstance(self.status, UnsetType) else self.status

    def warning_texts(self) -> list[str]:
        """The run's warnings ([] for a file without any)."""
        return [] if isinstance(self.warnings, UnsetType) else self.warnings

    def add_warning(self, text: str) -> None:
        """A warning found after the result was built (history could not keep it)."""
        self.warnings = [*self.warning_texts(), text]

    def model_name(self) -> str:
        """The name history shows for the model ("?" for a file without one)."""
        return "?" if isinstance(self.model.name, UnsetType) else self.model.name

    def profile_name(self) -> str:
        return str(self.profile.get("name", "?"))

    def hardware_dict(self) -> dict[str, Any]:
        """The machine as the file names it ({} for a file without it): the keys a reader
        compares by name (`compare a.json b.json`) or reports as they are."""
        if isinstance(self.hardware, UnsetType):
            return {}
        out: dict[str, Any] = msgspec.to_builtins(self.hardware)
        return out

    def precision(self) -> str:
        """The profile's dtype (`run.precision`; fp32 for a file without one)."""
        run = self.profile.get("run")
        return str(run.get("precision", "fp32")) if isinstance(run, dict) else "fp32"


T = TypeVar("T")
D = TypeVar("D")


def given(value: T | UnsetType, default: D) -> T | D:
    """A field's value, or `default` where the file did not have it."""
    return default if isinstance(value, UnsetType) else value


# -- the trace section (`ortbench trace`, bench/trace/) ------------------------------------------


class TraceNode(msgspec.Struct, kw_only=True):
    """One node of the traced runs. Times are the node's own (exclusive) microseconds: a
    control-flow node without the subgraph nodes that ran inside its span."""

    name: str
    op_type: str
    provider: str
    """The EP that ran it (`CPUExecutionProvider`)."""
    calls: Count
    total_us: Figure
    inclusive_us: Finite | UnsetType = UNSET
    """The whole span, subgraphs included (absent in summaries before version 2)."""
    subgraph_us: Finite | UnsetType = UNSET
    """`inclusive_us - total_us`: the time its subgraphs' nodes took (absent before 2)."""
    parent: str | None | UnsetType = UNSET
    """The If/Loop/Scan node it ran inside, or None at the top level (absent before 2)."""
    mean_us: Figure
    max_us: Figure
    per_run_us: Figure
    share: Figure
    """Of the run time of the runs kept."""
    fallback: bool
    """It ran on CPU although a non-CPU EP was requested."""
    memcpy: bool
    """A Memcpy node ORT inserted between EPs."""

    @property
    def parent_name(self) -> str | None:
        """The node it ran inside, None at the top level or in a summary without parents."""
        return self.parent if isinstance(self.parent, str) else None


class TraceOpType(msgspec.Struct, kw_only=True):
    """The nodes of one op type together."""

    op_type: str
    nodes: Count
    calls: Count
    total_us: Figure
    mean_us: Figure
    per_run_us: Figure
    share: Figure
    providers: list[str]
    """The EPs that ran nodes of this type, A to Z."""


class TraceProvider(msgspec.Struct, kw_only=True):
    """The nodes one EP ran, together."""

    nodes: Count
    calls: Count
    total_us: Figure
    per_run_us: Figure
    share: Figure


class MemcpyOp(msgspec.Struct, kw_only=True):
    """The Memcpy nodes of one direction (MemcpyToHost, MemcpyFromHost)."""

    nodes: Count
    calls: Count
    total_us: Figure


class TraceMemcpy(msgspec.Struct, kw_only=True):
    """The copies between EPs ORT inserted, together and by direction."""

    nodes: Count
    calls: Count
    total_us: Figure
    per_run_us: Figure
    share: Figure
    names: list[str]
    by_op: dict[str, MemcpyOp]


class TraceSummary(msgspec.Struct, kw_only=True):
    """The `trace` section: the per-node summary of ORT's profiler trace (bench/trace/).
    Shares are fractions of the run time of the runs kept; with no `model_run` events in the
    trace they are of the node time and the run figures are None."""

    version: int
    """2: node times are exclusive (1: a control-flow node's time held its subgraphs')."""
    file: str | None
    """The raw trace (open it in Perfetto), or None when events were summarized directly."""
    requested_ep: str
    gpu_requested: bool
    runs: Count
    runs_in_trace: Count
    skipped_runs: Count
    """The first run and the warm-up runs, left out."""
    run_time_us: Finite
    run_mean_us: Finite | None
    node_time_us: Finite
    nodes_share: Finite
    overhead_us: Finite | None
    """Run time the nodes do not account for; negative when nodes overlapped."""
    overhead_share: Finite | None
    node_count: Count
    nodes: list[TraceNode]
    """Slowest first (own time), ties in execution order."""
    op_types: list[TraceOpType]
    providers: dict[str, TraceProvider]
    """Per EP, the most time first."""
    fallback_nodes: list[str]
    memcpy: TraceMemcpy
    warnings: list[str]


class UnreadableTrace(msgspec.Struct, kw_only=True):
    """The `trace` section when the worker could not summarize its trace: the timed run kept
    its result, the trace says why it has no summary."""

    file: str | None
    error: str


class _SummarySection(msgspec.Struct):
    """A `trace` section checked where it sits, so problems name `trace.` paths."""

    trace: TraceSummary


class _UnreadableSection(msgspec.Struct):
    trace: UnreadableTrace


def trace_record(section: Any) -> TraceSummary | UnreadableTrace:
    """The record of a result's `trace` section (as the worker wrote it or a file holds it);
    ResultProblem naming the field (`trace.runs must be a whole number >= 0, got -1`)."""
    wrapped = {"trace": section}  # the wrapper's one field is never missing: not_a unused
    if isinstance(section, dict) and "error" in section:
        return convert_record(wrapped, _UnreadableSection, {}, _not_a_trace).trace
    return convert_record(wrapped, _SummarySection, {}, _not_a_trace).trace


def trace_dict(record: TraceSummary | UnreadableTrace) -> dict[str, Any]:
    """The JSON object of a trace record, as the result file holds it."""
    out: dict[str, Any] = msgspec.to_builtins(record)
    return out


def _not_a_trace(absent: list[str]) -> str:
    return f"not a trace section (missing {', '.join(absent)})"


class ResultProblem(ValueError):
    """Why a parsed file is not a result this ortbench reads (a run's, a curve's, a load
    job's; the text names the field)."""


_WORDS = {
    "object": "an object",
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "array": "a list",
    "null": "null",
    "bool": "a boolean",
}

_EXPECTED_AT = {
    "latency_ms": "an object of numbers",
    "runs": "a whole number >= 0",
    "warnings": "a list of strings",
}
"""Where the record's type says less than the reader needs to hear."""

_MESSAGE = re.compile(
    r"Expected `(?P<type>[^`]+)`(?P<bound>[^,]*?)(?:, got `[^`]+`)?(?: - at `\$(?P<path>[^`]*)`)?$"
)
_MISSING = re.compile(
    r"Object missing required field `(?P<field>[^`]+)`(?: - at `\$(?P<path>[^`]*)`)?$"
)
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\[\.\.\.\])")
"""A step of a msgspec path: `.name`, `[index]`, or `[...]` (a key of an open object, which
msgspec does not name)."""
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UNKNOWN = object()
"""The value at a path that could not be followed (a `[...]` among several keys)."""


def run_record(data: Any) -> RunResult:
    """The record of a parsed run result; ResultProblem naming the field, what it must be and
    what it is otherwise."""
    if isinstance(data, dict) and "schema" in data and data["schema"] != SCHEMA:
        # A future schema may differ anywhere: say so, not the first field that changed.
        raise ResultProblem(f"result schema {data['schema']!r}, this ortbench reads {SCHEMA}")
    record = convert_record(data, RunResult, _EXPECTED_AT, _not_a_result)
    if not isinstance(record.trace, UnsetType):
        trace_record(record.trace)  # the section's own record: its fields are checked too
    return record


def result_view(data: Mapping[str, Any]) -> RunResult:
    """The record of a result built as JSON in this process (the demo's recorded runs, a
    test's fake): `run_record` without the trace section's own check, which the trace screen
    makes where it shows the trace (`trace_record`). ResultProblem when it does not convert."""
    return convert_record(data, RunResult, _EXPECTED_AT, _not_a_result)


_REQUIRED = ("schema", "model", "profile", "latency_ms", "runs")
"""The required fields in the order a problem names them (as it always has)."""


def _not_a_result(absent: list[str]) -> str:
    named = sorted(absent, key=lambda k: _REQUIRED.index(k) if k in _REQUIRED else len(_REQUIRED))
    return f"not an ortbench result (missing {', '.join(named)})"


Record = TypeVar("Record", bound=msgspec.Struct)


def convert_record(
    data: Any,
    record: type[Record],
    expected_at: Mapping[str, str],
    not_a: Callable[[list[str]], str],
) -> Record:
    """`data` converted to `record` (the one check on read of every result file: a run's, a
    curve's, a load job's); ResultProblem in ortbench's words otherwise. `expected_at` says,
    per field path, what a field must be where its type says less than a reader needs;
    `not_a(absent)` says what the file is not when top-level fields are missing."""
    try:
        return msgspec.convert(data, record)
    except msgspec.ValidationError as exc:
        required = [f.encode_name for f in msgspec.structs.fields(record) if f.required]
        raise ResultProblem(_problem_text(str(exc), data, required, expected_at, not_a)) from None


def result_problem(data: Any) -> str:
    """What is wrong with a parsed result file, or "" when ortbench can use it."""
    try:
        run_record(data)
    except ResultProblem as exc:
        return str(exc)
    return ""


def record_dict(record: RunResult) -> dict[str, Any]:
    """The JSON object of a record: the keys it was read with (UNSET fields are left out)."""
    out: dict[str, Any] = msgspec.to_builtins(record)
    return out


def _problem_text(
    message: str,
    data: Any,
    required: list[str],
    expected_at: Mapping[str, str],
    not_a: Callable[[list[str]], str],
) -> str:
    """msgspec's message in ortbench's words: `model must be an object, got a string`."""
    missing = _MISSING.match(message)
    if missing and not missing["path"]:
        return not_a([k for k in required if k not in data])
    if missing:
        where, _ = _located(data, missing["path"][1:])
        return f"{where} has no {missing['field']}"
    expected = _MESSAGE.match(message)
    if not expected:
        return message
    path = (expected["path"] or "").removeprefix(".")
    where, value = _located(data, path)
    got = "" if value is _UNKNOWN else f", got {_shown(value)}"
    if "length" in expected["bound"] and isinstance(value, list):  # `a list`: say its length
        got = f", got {len(value)} item{'' if len(value) == 1 else 's'}"
    if not path:
        return f"expected {_words(expected['type'])}{got}"
    what = expected_at.get(path) or _words(expected["type"], expected["bound"])
    return f"{where} must be {what}{got}"


def _words(type_text: str, bound: str = "") -> str:
    """`float | null` -> `a number or null`; a bound (` >= 0`) in words."""
    names = [_WORDS.get(t.strip(), t.strip()) for t in type_text.split("|")]
    if "length" in bound:  # a CI's [low, high]: ` of length >= 2`
        names[0] += bound
    elif bound and names[0] == "a number":  # a Figure (>=, <=) or a Finite (>, <)
        names[0] = "a finite number >= 0" if ">=" in bound or "<=" in bound else "a finite number"
    elif ">= 0" in bound:
        names[0] += " >= 0"
    return " or ".join(names)


def _located(data: Any, path: str) -> tuple[str, Any]:
    """The value at a msgspec path (`latency_ms.p50`, `inputs[0].name`; None where the file
    has nothing), and the path as a problem names it: a `[...]` key is named when its object
    has that one key (`trace.providers.CPUExecutionProvider.nodes`); among several keys msgspec
    does not say which, so the path keeps `[...]` and the value is _UNKNOWN."""
    named = ""
    dotted = "." + path if path else ""
    for step in _STEP.finditer(dotted):
        name, index, any_key = step.groups()
        if any_key:
            if not (isinstance(data, dict) and len(data) == 1):
                return (named + dotted[step.start() :]).removeprefix("."), _UNKNOWN
            key = str(next(iter(data)))
            named += f".{key}" if _IDENTIFIER.fullmatch(key) else f"[{key!r}]"
            data = next(iter(data.values()))
            continue
        named += f".{name}" if name else f"[{index}]"
        try:
            data = data[name] if name else data[int(index)]
        except (KeyError, IndexError, TypeError):
            data = None
    return named.removeprefix("."), data


def _shown(value: Any) -> str:
    """A value as a problem names it: numbers and booleans as they are, the rest by type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "a string" if isinstance(value, str) else type(value).__name__
