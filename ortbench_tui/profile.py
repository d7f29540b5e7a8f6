"""Session profiles: everything that decides how ORT runs a model, read from and written to TOML.

Every key has a default, chosen so that an empty profile is ONNX Runtime out of the box: the
baseline every comparison starts from. Each field carries its documentation, its kind and its
allowed values in the dataclass metadata, so the validator, the `--set` parser, the CLI help
and the TUI form are all driven by one table.
"""

from __future__ import annotations

import copy
import os
import tempfile
import tomllib
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

import tomli_w

from .errors import OrtbenchError

OPT_LEVELS = ("disable", "basic", "extended", "all")
EXECUTION_MODES = ("sequential", "parallel")
PRECISIONS = ("fp32", "fp16", "int8")
INT8_MODES = ("dynamic", "static")

# Short names users type; anything ending in "ExecutionProvider" is passed to ORT as it is.
PROVIDER_ALIASES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "dml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "xnnpack": "XnnpackExecutionProvider",
}

_EXPECTED = {
    "int": "a non-negative integer",
    "float": "a non-negative number",
    "bool": "true or false",
    "str": "a string",
    "enum": "one of {choices}",
    "threads": 'a non-negative integer or "physical"',
    "provider": "an EP name (cpu, cuda, tensorrt, ...) or an ORT name ending in ExecutionProvider",
    "dims": "a table of dimension name = positive integer",
    "scalars": "a table of key = string, number or boolean",
    "providers": "a list of EP names",
    "cpus": "a list of non-negative CPU indices",
}


def knob(default: Any, doc: str, kind: str, choices: tuple[str, ...] = (), minimum: int = 0) -> Any:
    """A profile field: its default, its documentation, how it is validated."""
    meta = {"doc": doc, "kind": kind, "choices": choices, "minimum": minimum}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class SessionSettings:
    """`[session]`: ORT SessionOptions."""

    graph_optimization_level: str = knob(
        "all", "Graph rewrites ORT applies before running (ORT default: all).", "enum", OPT_LEVELS
    )
    execution_mode: str = knob(
        "sequential", "Run independent branches in parallel or not.", "enum", EXECUTION_MODES
    )
    intra_op_num_threads: int | str = knob(
        0, 'Threads inside one operator; "physical" = physical cores, 0 = ORT default.', "threads"
    )
    inter_op_num_threads: int = knob(
        0, "Threads across operators (parallel mode only); 0 = ORT default.", "int"
    )
    enable_cpu_mem_arena: bool = knob(True, "Reuse CPU memory through ORT's arena.", "bool")
    enable_mem_pattern: bool = knob(
        True, "Pre-plan memory from the first run's allocation pattern.", "bool"
    )
    allow_spinning: bool = knob(
        True, "Intra-op threads spin while waiting (session.intra_op.allow_spinning).", "bool"
    )
    intra_op_thread_affinities: str = knob(
        "", 'Pin intra-op threads, e.g. "1;2" (session.intra_op_thread_affinities).', "str"
    )
    free_dimensions: dict[str, int] = knob(
        {}, "Values for symbolic input dims, e.g. { batch = 1 }.", "dims"
    )
    config_entries: dict[str, Any] = knob(
        {}, "Any other session config key, passed to ORT as a string.", "scalars"
    )


@dataclass
class ProviderSettings:
    """`[provider]`: the execution provider and its options."""

    name: str = knob(
        "cpu", "Execution provider: cpu, cuda, tensorrt or an ORT EP name.", "provider"
    )
    options: dict[str, Any] = knob(
        {}, "EP options, e.g. enable_cuda_graph, trt_fp16_enable.", "scalars"
    )
    fallback: list[str] = knob(
        [], "EPs allowed to run the session when the requested one does not load.", "providers"
    )


@dataclass
class RunSettings:
    """`[run]`: how the measured runs are made."""

    warmup_runs: int = knob(10, "Runs before timing starts (not counted).", "int")
    timed_runs: int = knob(1000, "Timed runs (ignored when duration_s > 0).", "int", minimum=1)
    duration_s: float = knob(
        0.0, "Time by wall clock for this many seconds; 0 = by count.", "float"
    )
    io_binding: bool = knob(False, "Bind inputs and outputs once, outside the timed loop.", "bool")
    precision: str = knob("fp32", "Run the model as fp32, fp16 or int8.", "enum", PRECISIONS)
    int8_mode: str = knob(
        "dynamic", "int8 quantization: dynamic, or static with calibration.", "enum", INT8_MODES
    )
    input_seed: int = knob(0, "Seed of the random inputs.", "int")
    input_sets: int = knob(4, "Distinct random input sets, rotated run by run.", "int", minimum=1)
    inputs_npz: str = knob("", "Take inputs from this .npz instead of random ones.", "str")
    pin_cpus: list[int] = knob([], "CPU indices the worker process is pinned to.", "cpus")


SECTIONS: dict[str, type] = {
    "session": SessionSettings,
    "provider": ProviderSettings,
    "run": RunSettings,
}


@dataclass
class Profile:
    """A named, complete set of settings for one benchmark."""

    name: str = "unnamed"
    description: str = ""
    session: SessionSettings = field(default_factory=SessionSettings)
    provider: ProviderSettings = field(default_factory=ProviderSettings)
    run: RunSettings = field(default_factory=RunSettings)

    def resolved_intra_threads(self, physical_cores: int) -> int:
        """intra_op_num_threads as the integer ORT receives."""
        value = self.session.intra_op_num_threads
        return physical_cores if value == "physical" else int(value)

    @property
    def provider_ep(self) -> str:
        """The requested EP's full ORT name."""
        return ep_full_name(self.provider.name)

    def copy(self) -> Profile:
        return copy.deepcopy(self)


def ep_full_name(name: str) -> str:
    """Map a short EP name ("cuda") to ORT's ("CUDAExecutionProvider")."""
    return PROVIDER_ALIASES.get(name.lower(), name)


def field_specs(section: str) -> list[tuple[str, dict[str, Any], Any]]:
    """(key, metadata, default) for each key of a section, in declaration order (for forms)."""
    out = []
    for f in fields(SECTIONS[section]):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        out.append((f.name, dict(f.metadata), default))
    return out


# --- validation -------------------------------------------------------------------------


def _fail(
    source: str, key: str, kind: str, choices: tuple[str, ...], got: Any, minimum: int = 0
) -> OrtbenchError:
    expected = _EXPECTED[kind].format(choices=", ".join(choices))
    if kind == "int" and minimum > 0:
        expected = f"an integer >= {minimum}"
    return OrtbenchError(f"{source}: {key}: expected {expected}, got {got!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_value(
    source: str, key: str, kind: str, choices: tuple[str, ...], value: Any, minimum: int = 0
) -> Any:
    """Return `value` normalised for its kind, or raise an error naming source and key."""
    bad = _fail(source, key, kind, choices, value, minimum)
    if kind == "int":
        if not _is_int(value) or value < minimum:
            raise bad
    elif kind == "float":
        if not (_is_int(value) or isinstance(value, float)) or value < 0:
            raise bad
        value = float(value)
    elif kind == "bool":
        if not isinstance(value, bool):
            raise bad
    elif kind == "str":
        if not isinstance(value, str):
            raise bad
    elif kind == "enum":
        if not isinstance(value, str) or value.lower() not in choices:
            raise bad
        value = value.lower()
    elif kind == "threads":
        if not (value == "physical" or (_is_int(value) and value >= 0)):
            raise bad
    elif kind == "provider":
        if not isinstance(value, str) or not (
            value.lower() in PROVIDER_ALIASES or value.endswith("ExecutionProvider")
        ):
            raise bad
    elif kind == "dims":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and _is_int(v) and v >= 1 for k, v in value.items()
        ):
            raise bad
        value = dict(value)
    elif kind == "scalars":
        if not isinstance(value, dict) or not all(
            isinstance(v, (str, int, float, bool)) for v in value.values()
        ):
            raise bad
        value = dict(value)
    elif kind == "providers":
        if not isinstance(value, list) or not all(
            isinstance(v, str)
            and (v.lower() in PROVIDER_ALIASES or v.endswith("ExecutionProvider"))
            for v in value
        ):
            raise bad
        value = list(value)
    elif kind == "cpus":
        if not isinstance(value, list) or not all(_is_int(v) and v >= 0 for v in value):
            raise bad
        value = list(value)
    return value


def _section_from_dict(cls: type, data: Any, source: str, section: str) -> Any:
    if not isinstance(data, dict):
        raise OrtbenchError(f"{source}: [{section}]: expected a table, got {data!r}")
    known = {f.name: f for f in fields(cls)}
    for key in data:
        if key not in known:
            raise OrtbenchError(
                f"{source}: unknown key '{section}.{key}' (known in [{section}]: "
                f"{', '.join(known)})"
            )
    values = {}
    for key, value in data.items():
        meta = known[key].metadata
        values[key] = check_value(
            source, f"{section}.{key}", meta["kind"], meta["choices"], value, meta["minimum"]
        )
    return cls(**values)


def profile_from_dict(data: dict[str, Any], source: str = "<profile>") -> Profile:
    """Validate a parsed TOML document and build a Profile; errors name `source` and the key."""
    top = {"name", "description", *SECTIONS}
    for key in data:
        if key not in top:
            raise OrtbenchError(f"{source}: unknown key '{key}' (known: {', '.join(sorted(top))})")
    profile = Profile()
    for key in ("name", "description"):
        if key in data:
            setattr(profile, key, check_value(source, key, "str", (), data[key]))
    for section, cls in SECTIONS.items():
        if section in data:
            setattr(profile, section, _section_from_dict(cls, data[section], source, section))
    return profile


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """Every key, every default filled in: the `profile` section of a result and what is saved."""
    out: dict[str, Any] = {"name": profile.name, "description": profile.description}
    for section in SECTIONS:
        obj = getattr(profile, section)
        out[section] = {f.name: copy.deepcopy(getattr(obj, f.name)) for f in fields(obj)}
    return out


# --- files ------------------------------------------------------------------------------


def load_profile(path: str | Path) -> Profile:
    """Read a profile TOML file. The name defaults to the file's stem."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise OrtbenchError(f"profile file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OrtbenchError(f"cannot read profile {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OrtbenchError(f"{path}: not valid TOML: {exc}") from None
    data.setdefault("name", path.stem)
    return profile_from_dict(data, source=str(path))


def dumps_profile(profile: Profile, header: str = "") -> str:
    """The TOML text of a profile, with an optional comment header."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()] if header else []
    body = tomli_w.dumps(profile_to_dict(profile))
    return ("\n".join(lines) + "\n\n" if lines else "") + body


def atomic_write_text(path: Path, text: str, overwrite: bool = False) -> None:
    """Write through a temp file and os.replace, so a crash never leaves half a file."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise OrtbenchError(f"{path} already exists (choose another name or allow overwriting)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise OrtbenchError(f"cannot write {path}: {exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OrtbenchError(f"cannot write {path}: {exc}") from None


def save_profile(
    profile: Profile, path: str | Path, overwrite: bool = False, header: str = ""
) -> Path:
    """Save atomically; an existing file is replaced only when `overwrite` is true."""
    path = Path(path)
    atomic_write_text(path, dumps_profile(profile, header), overwrite=overwrite)
    return path


# --- --set KEY=VALUE --------------------------------------------------------------------


def _parse_literal(raw: str) -> Any:
    """A TOML literal (1, 2.5, true, "x", [1, 2], { a = 1 }), else the raw text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_override(profile: Profile, assignment: str) -> Profile:
    """Apply one `--set section.key=value` (or `section.table.sub=value`) to a copy."""
    source = f"--set {assignment}"
    if "=" not in assignment:
        raise OrtbenchError(f"{source}: expected KEY=VALUE, e.g. session.intra_op_num_threads=1")
    key, raw = (s.strip() for s in assignment.split("=", 1))
    parts = key.split(".")
    data = profile_to_dict(profile)
    if len(parts) == 1 and parts[0] in ("name", "description"):
        data[parts[0]] = raw
        return profile_from_dict(data, source)
    if len(parts) < 2 or parts[0] not in SECTIONS:
        raise OrtbenchError(
            f"{source}: unknown key '{key}' (use section.key with section one of "
            f"{', '.join(SECTIONS)})"
        )
    section, name = parts[0], parts[1]
    known = {f.name: f.metadata for f in fields(SECTIONS[section])}
    if name not in known:
        raise OrtbenchError(
            f"{source}: unknown key '{section}.{name}' (known in [{section}]: {', '.join(known)})"
        )
    kind = known[name]["kind"]
    value = _parse_literal(raw)
    if kind in ("str", "enum", "provider") or (kind == "threads" and raw == "physical"):
        value = raw.strip('"')
    if len(parts) >= 3 and kind in ("dims", "scalars"):
        # Config keys carry dots themselves: session.config_entries.session.x.y=1
        data[section][name][".".join(parts[2:])] = value
    elif len(parts) == 2:
        data[section][name] = value
    else:
        raise OrtbenchError(f"{source}: unknown key '{key}'")
    return profile_from_dict(data, source)


def apply_overrides(profile: Profile, assignments: list[str]) -> Profile:
    for assignment in assignments:
        profile = apply_override(profile, assignment)
    return profile
