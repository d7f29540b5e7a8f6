"""Checks of a result JSON read back from disk: the schema version and the types of every field
ortbench reads, so one odd file in history is refused with a reason instead of crashing a
screen or a comparison later."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

SCHEMA = 1
REQUIRED_KEYS = ("schema", "model", "profile", "latency_ms", "runs")


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number_or_null(value: Any) -> bool:
    return value is None or _number(value)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _dict(value: Any) -> bool:
    return isinstance(value, dict)


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


_OPTIONAL: dict[str, tuple[Callable[[Any], bool], str]] = {
    "created": (_text, "a string"),
    "status": (_text, "a string"),
    "warnings": (_texts, "a list of strings"),
    "providers": (_dict, "an object"),
    "hardware": (_dict, "an object"),
    "comparison": (_dict, "an object"),
    "cv": (_number_or_null, "a number or null"),
    "wall_s": (_number_or_null, "a number or null"),
    "warmup_runs": (_number_or_null, "a number or null"),
    "first_run_ms": (_number_or_null, "a number or null"),
    "session_create_ms": (_number_or_null, "a number or null"),
    "throughput_per_s": (_number_or_null, "a number or null"),
    "rss_peak_mb": (_number_or_null, "a number or null"),
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )


def result_problem(data: Any) -> str:
    """What is wrong with a parsed result file, or "" when ortbench can use it."""
    if not isinstance(data, dict):
        return f"expected a JSON object, got {_type_name(data)}"
    missing = [k for k in REQUIRED_KEYS if k not in data]
    if missing:
        return f"not an ortbench result (missing {', '.join(missing)})"
    if data["schema"] != SCHEMA:
        return f"result schema {data['schema']!r}, this ortbench reads {SCHEMA}"
    for key in ("model", "profile"):
        if not _dict(data[key]):
            return f"{key} must be an object, got {_type_name(data[key])}"
        name = data[key].get("name", "")
        if not _text(name):
            return f"{key}.name must be a string, got {_type_name(name)}"
    latency = data["latency_ms"]
    if not _dict(latency):
        return f"latency_ms must be an object of numbers, got {_type_name(latency)}"
    for stat, value in latency.items():
        if not _number_or_null(value):
            return f"latency_ms.{stat} must be a number, got {_type_name(value)}"
    if not _count(data["runs"]):
        return f"runs must be a whole number >= 0, got {data['runs']!r}"
    for key, (ok, expected) in _OPTIONAL.items():
        if key in data and not ok(data[key]):
            return f"{key} must be {expected}, got {_type_name(data[key])}"
    return ""
