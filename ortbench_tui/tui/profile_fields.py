"""The profile editor's rows, without Textual: every key of a profile (`all_specs`) and the
common EP options (`ep_option_specs`, from the engine's option catalogue) as a spec; text <->
value for each, validated by the engine's own rules; and the short note shown beside each
control, with the provider choices.

The form shows every value as text (or a switch, or a select) and parses what the user types
back with the same rules the TOML loader applies, so a value the form accepts is a value
`load_profile` accepts, and the reason for a refusal is the engine's wording. The notes are
plain functions over what this machine has (cores, working EPs), so they are tested without
a screen; the full documentation of a key is shown for the focused row instead.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.gpu.ep_options import (
    EpOption,
    known_options,
    option_help,
    validate_provider_options,
    value_problem,
)
from ortbench_tui.profile import (
    PROVIDER_ALIASES,
    SECTIONS,
    CpuList,
    DimTable,
    EpNames,
    Flag,
    Kind,
    Number,
    Scalar,
    ScalarTable,
    SettingValue,
    check_value,
    ep_full_name,
    field_specs,
    setting_value,
)

from .formatting import short_ep

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class FieldSpec:
    """One editable key: where it lives, how it is checked, what the user is told."""

    section: str
    """session | provider | run, or "" for name/description."""
    key: str
    kind: Kind
    choices: tuple[str, ...] = ()
    minimum: int = 0
    doc: str = ""
    default: SettingValue | None = None
    """The value of a new profile (None for name and description)."""

    @property
    def path(self) -> str:
        return f"{self.section}.{self.key}" if self.section else self.key

    @property
    def widget_id(self) -> str:
        return "f-" + self.path.replace(".", "-").replace("_", "-")


GENERAL = [
    FieldSpec("", "name", "str", doc="The profile's name (also its file name when saved)."),
    FieldSpec("", "description", "str", doc="One line about what this profile is for."),
]
"""The keys outside the [session], [provider] and [run] tables."""


def all_specs() -> list[FieldSpec]:
    """Every key of a profile as a FieldSpec, in file order."""
    out = list(GENERAL)
    for section in SECTIONS:
        for key, meta, default in field_specs(section):
            out.append(
                FieldSpec(
                    section,
                    key,
                    meta["kind"],
                    tuple(meta["choices"]),
                    meta["minimum"],
                    meta["doc"],
                    setting_value(meta["kind"], default),
                )
            )
    return out


def _toml_scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def format_inline_table(table: Mapping[str, object]) -> str:
    """`{ a = 1, "b.c" = "x" }`, or "" for an empty table."""
    if not table:
        return ""
    return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_scalar(v)}" for k, v in table.items()) + " }"


def parse_inline_table(text: str) -> dict[str, object]:
    """A TOML inline table typed as text (its braces optional); its values are unchecked."""
    text = text.strip()
    if not text:
        return {}
    if not text.startswith("{"):
        text = "{ " + text + " }"
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f'expected a TOML table like {{ key = "value" }} ({exc})') from None
    if not isinstance(value, dict):
        raise ValueError('expected a TOML table like { key = "value" }')
    return value


def scalar_table(table: Mapping[str, object]) -> dict[str, Scalar]:
    """`table` when every value is a string, number or boolean; else ValueError naming the key."""
    out: dict[str, Scalar] = {}
    for key, value in table.items():
        if not isinstance(value, str | int | float | bool):
            raise ValueError(f"{key}: expected a string, number or boolean")
        out[key] = value
    return out


def format_value(value: SettingValue) -> str:
    """How a value is shown in a text input."""
    match value:
        case EpNames(names):
            return ", ".join(names)
        case CpuList(cpus):
            return ", ".join(str(v) for v in cpus)
        case DimTable(table):
            return format_inline_table(table)
        case ScalarTable(table):
            return format_inline_table(table)
        case Number(number):
            return f"{number:g}"
        case _:
            return str(value.value)


def _parse_raw(kind: str, text: str) -> object:
    text = text.strip()
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError("expected a whole number") from None
    if kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError("expected a number") from None
    if kind == "threads":
        if text == "physical":
            return text
        try:
            return int(text)
        except ValueError:
            raise ValueError('expected a whole number or "physical"') from None
    if kind in ("providers",):
        return [part.strip() for part in text.split(",") if part.strip()]
    if kind == "cpus":
        try:
            return [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValueError("expected CPU indices separated by commas, e.g. 0, 1") from None
    if kind in ("scalars", "dims"):
        return parse_inline_table(text)
    return text if kind != "str" else text


def parse_value(spec: FieldSpec, text: str) -> SettingValue:
    """The value typed for `spec`, checked like the TOML loader checks it, with its tag.

    Raises:
        ValueError: with the reason, worded for the inline message.
    """
    raw = text if spec.kind == "str" else text.strip()
    value = raw if spec.kind == "str" else _parse_raw(spec.kind, raw)
    try:
        checked = check_value("editor", spec.path, spec.kind, spec.choices, value, spec.minimum)
    except OrtbenchError as exc:
        message = str(exc)
        prefix = f"editor: {spec.path}: "
        raise ValueError(message.removeprefix(prefix)) from None
    return setting_value(spec.kind, checked)


def parse_dim(name: str, text: str) -> int | None:
    """A free-dimension value: blank means unset."""
    text = text.strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name}: expected a whole number >= 1") from None
    if value < 1:
        raise ValueError(f"{name}: expected a whole number >= 1, got {value}")
    return value


# -- EP options ---------------------------------------------------------------------------
# `gpu.ep_options` knows every CUDA and TensorRT option of the installed ORT with its type,
# valid values, default and documentation line; the editor shows the common ones as rows and
# names the rest (with their documentation) for the "other options" row.

EDITOR_ROWS = {
    "CUDAExecutionProvider": (
        "device_id",
        "cudnn_conv_algo_search",
        "arena_extend_strategy",
        "gpu_mem_limit",
        "enable_cuda_graph",
        "do_copy_in_default_stream",
        "cudnn_conv_use_max_workspace",
        "use_tf32",
        "prefer_nhwc",
    ),
    "TensorrtExecutionProvider": (
        "device_id",
        "trt_fp16_enable",
        "trt_int8_enable",
        "trt_engine_cache_enable",
        "trt_timing_cache_enable",
        "trt_max_workspace_size",
        "trt_builder_optimization_level",
        "trt_cuda_graph_enable",
    ),
}
"""The options shown as rows; the others go in the "other options" table."""
ORTBENCH_DEFAULTS = {"trt_engine_cache_enable": True, "trt_timing_cache_enable": True}
"""Where ortbench's default is not ORT's: it turns TensorRT's caches on (session_gpu)."""


@dataclass(frozen=True)
class OptionSpec:
    """One EP option row: the catalogue entry, with ortbench's default where it differs."""

    ep: str
    option: EpOption

    @property
    def name(self) -> str:
        return self.option.name

    @property
    def default(self) -> Scalar:
        """The catalogue's default (a TOML scalar), or ortbench's where it differs."""
        default: Scalar = ORTBENCH_DEFAULTS.get(self.name, self.option.default)
        return default

    @property
    def doc(self) -> str:
        """ORT's documentation line (the row's hint)."""
        if self.name in ORTBENCH_DEFAULTS:
            return f"{self.option.doc} (ortbench: on, in its cache folder)"
        return self.option.doc

    @property
    def full_doc(self) -> str:
        """What the focused row explains: the doc, the valid values and the default."""
        return f"{self.doc}; {self.option.expected()}; default {self.default_text}"

    @property
    def default_text(self) -> str:
        if self.name in ORTBENCH_DEFAULTS:
            return "true (ortbench)"
        values = next((v for n, v, _doc in option_help(self.ep) if n == self.name), "")
        return values.rsplit("; default ", 1)[-1]

    @property
    def is_bool(self) -> bool:
        return self.option.kind == "bool"

    @property
    def choices(self) -> tuple[str, ...]:
        return self.option.choices

    @property
    def widget_id(self) -> str:
        return "f-opt-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.name).replace("_", "-")


def ep_option_specs(ep: str) -> list[OptionSpec]:
    """The rows of an EP's options, in the catalogue's order; [] for EPs without a catalogue."""
    shown = EDITOR_ROWS.get(ep, ())
    return [OptionSpec(ep, o) for o in known_options(ep) if o.name in shown]


def other_options_doc(ep: str) -> str:
    """The documentation of the "other options" row: every valid option not shown as a row."""
    shown = set(EDITOR_ROWS.get(ep, ()))
    rows = [row for row in option_help(ep) if row[0] not in shown]
    if not rows:
        return "{ key = value } passed to the EP as they are"
    listed = " · ".join(f"{name} ({values}): {doc}" for name, values, doc in rows)
    return f"{{ key = value }}; other options of this EP: {listed}"


def parse_option(spec: OptionSpec, text: str) -> int | str | None:
    """An option typed as text: blank = unset (None), else checked by the catalogue's rules."""
    text = text.strip()
    if not text:
        return None
    value: int | str = text
    if spec.option.kind in ("int", "address") and re.fullmatch(r"-?\d+", text):
        value = int(text)
    problem = value_problem(spec.option, value)
    if problem:
        raise ValueError(f"{spec.name}: {problem} (expected {spec.option.expected()})")
    return value


def check_options(ep: str, options: Mapping[str, Scalar]) -> None:
    """ValueError with the catalogue's message when an option is unknown or its value bad."""
    try:
        validate_provider_options(ep, options)
    except OrtbenchError as exc:
        raise ValueError(str(exc)) from None


# -- the notes beside the controls -------------------------------------------------------

SHORT_HINTS = {
    "name": "also the file name for new files",
    "session.inter_op_num_threads": "0 = ORT default",
    "session.intra_op_thread_affinities": 'e.g. "1;2"',
    "session.config_entries": '{ "key" = "value" }',
    "provider.fallback": "EP names, e.g. cpu",
    "run.timed_runs": "used when duration_s = 0",
    "run.duration_s": "seconds; 0 = count timed_runs",
    "run.max_duration_s": "seconds at most, with until ±%",
    "run.input_sets": "distinct random inputs",
    "run.inputs_npz": "empty = random inputs",
}
OTHER_OPTIONS_HINT = "{ key = value } for options not listed above"


def field_hint(
    spec: FieldSpec,
    value: SettingValue,
    physical_cores: int | None,
    logical_cores: int | None,
    working_providers: list[str] | None,
) -> str:
    """A short note beside the control of `spec` holding `value`."""
    if isinstance(value, Flag):
        return "on" if value.value else "off"
    if spec.key == "intra_op_num_threads":
        cores = f"{physical_cores} cores" if physical_cores else "the physical cores"
        return f'"physical" = {cores} here · 0 = ORT default'
    if spec.kind == "provider":
        return provider_hint(str(value.value), working_providers)
    if isinstance(value, CpuList):
        return cpus_hint(value.value, logical_cores)[0]
    if spec.path == "run.until_ci_pct" and isinstance(value, Number):
        return until_hint(value.value)
    return SHORT_HINTS.get(spec.path, "")


def until_hint(value: float | str) -> str:
    """run.until_ci_pct: an "until ±x%" run replaces runs/duration."""
    try:
        pct = float(value)
    except ValueError:
        return "until ±x% (p50's 95% CI); 0 = off"
    if pct > 0:
        return f"until p50 is known to ±{pct:g}% (runs/duration ignored)"
    return "until ±x% (p50's 95% CI); 0 = off"


def provider_hint(name: str, working_providers: list[str] | None) -> str:
    if working_providers is None:
        return "checking which EPs load here…"
    full = ep_full_name(name)
    works = ", ".join(short_ep(w) for w in working_providers)
    if full in working_providers:
        return f"{short_ep(full)} loads here"
    return f"⚠ {short_ep(full)} does not load here (working: {works})"


def cpus_hint(cpus: list[int], logical_cores: int | None) -> tuple[str, bool]:
    """(hint, warn): the CPUs this machine has, and any asked for that it has not."""
    if not logical_cores:
        return "CPU indices, e.g. 0, 1 · empty = not pinned", False
    top = logical_cores - 1
    bad = [c for c in cpus if c > top]
    if bad:
        return f"⚠ no CPU {', '.join(map(str, bad))} here (CPUs 0-{top})", True
    return f"CPU indices 0-{top}, e.g. 0, 1 · empty = not pinned", False


def dim_hint(name: str, unset: bool, symbolic_dims: list[str]) -> str:
    """Whether a free dimension is one of the model's, and whether the run lacks its value."""
    if name not in symbolic_dims:
        return "not a dim of the selected model"
    return "⚠ unset: the run needs a value" if unset else "symbolic dim of the model"


def provider_choices(current: str, working_providers: list[str] | None) -> list[tuple[str, str]]:
    """(label, name) for the provider Select; EPs that do not load here say so."""
    names = list(PROVIDER_ALIASES)
    if current not in names:
        names.append(current)
    out = []
    for name in names:
        label = name
        if working_providers is not None:
            works = ep_full_name(name) in working_providers
            label += "" if works else " (n/a here)"
        out.append((label, name))
    return out
