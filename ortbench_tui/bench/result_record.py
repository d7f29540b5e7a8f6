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
(`accuracy`, `quantization`, `trace`, `stopping`, `tensorrt`, `comparison`, `fleet`).

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

SCHEMA = 1
"""The run result schema this ortbench writes and reads."""

Figure = Annotated[float, msgspec.Meta(ge=0, le=sys.float_info.max)]
"""A measured figure: finite and >= 0 (ms, s, MB, a ratio)."""
Count = Annotated[int, msgspec.Meta(ge=0)]
"""A number of runs, cores or threads."""


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
    """One run's result file (ARCHITECTURE.md §5)."""

    schema: Literal[1]
    model: ModelRecord
    profile: dict[str, Any]
    """Open: the resolved profile (`profile_to_dict`), with its own schema and checks."""
    latency_ms: LatencyRecord
    runs: Count
    ortbench_version: str | UnsetType = UNSET
    created: str | UnsetType = UNSET
    status: str | UnsetType = UNSET
    """`ok`, `cancelled` or `failed`; a file without it is ok."""
    reason: str | UnsetType = UNSET
    hardware: HardwareRecord | UnsetType = UNSET
    providers: ProvidersRecord | UnsetType = UNSET
    intra_op_threads: int | None | UnsetType = UNSET
    worker_cpus: list[int] | None | UnsetType = UNSET
    session_create_ms: Figure | None | UnsetType = UNSET
    first_run_ms: Figure | None | UnsetType = UNSET
    warmup_runs: Count | None | UnsetType = UNSET
    wall_s: Figure | None | UnsetType = UNSET
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
    stopping: dict[str, Any] | UnsetType = UNSET
    shifts: list[dict[str, Any]] | UnsetType = UNSET
    tensorrt: dict[str, Any] | UnsetType = UNSET
    comparison: dict[str, Any] | UnsetType = UNSET
    """`compare` runs: the interleaved schedule this profile's runs took part in."""
    host: str | UnsetType = UNSET
    fleet: dict[str, Any] | UnsetType = UNSET
    history_path: str | UnsetType = UNSET
    samples_path: str | UnsetType = UNSET
    """`run --json FILE`: where the samples were written beside it."""


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
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")


def run_record(data: Any) -> RunResult:
    """The record of a parsed run result; ResultProblem naming the field, what it must be and
    what it is otherwise."""
    if isinstance(data, dict) and "schema" in data and data["schema"] != SCHEMA:
        # A future schema may differ anywhere: say so, not the first field that changed.
        raise ResultProblem(f"result schema {data['schema']!r}, this ortbench reads {SCHEMA}")
    return convert_record(data, RunResult, _EXPECTED_AT, _not_a_result)


def _not_a_result(absent: list[str]) -> str:
    return f"not an ortbench result (missing {', '.join(absent)})"


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
        return f"{missing['path'][1:]} has no {missing['field']}"
    expected = _MESSAGE.match(message)
    if not expected:
        return message
    path = (expected["path"] or "").removeprefix(".")
    value = _at(data, path)
    if not path:
        return f"expected {_words(expected['type'])}, got {_shown(value)}"
    what = expected_at.get(path) or _words(expected["type"], expected["bound"])
    return f"{path} must be {what}, got {_shown(value)}"


def _words(type_text: str, bound: str = "") -> str:
    """`float | null` -> `a number or null`; a bound (` >= 0`) in words."""
    names = [_WORDS.get(t.strip(), t.strip()) for t in type_text.split("|")]
    if bound and names[0] == "a number":
        names[0] = "a finite number >= 0"  # a Figure: the only bounded float
    elif ">= 0" in bound:
        names[0] += " >= 0"
    return " or ".join(names)


def _at(data: Any, path: str) -> Any:
    """The value at a msgspec path (`latency_ms.p50`, `inputs[0].name`)."""
    for name, index in _STEP.findall("." + path if path else ""):
        try:
            data = data[name] if name else data[int(index)]
        except (KeyError, IndexError, TypeError):
            return None
    return data


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
