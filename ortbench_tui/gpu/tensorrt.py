"""TensorRT made usable: engine and timing caches on by default, shape profiles, cache hits.

Without a cache every TensorRT session rebuilds its engines (seconds to minutes), which
dwarfs the latency being measured. ORT does not notice when options change under a cache
folder (it would load an fp32 engine for an fp16 request), so each combination of model,
options, input shapes and runtime versions gets a folder of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError

ENGINE_CACHE_ENABLE = "trt_engine_cache_enable"
ENGINE_CACHE_PATH = "trt_engine_cache_path"
TIMING_CACHE_ENABLE = "trt_timing_cache_enable"
TIMING_CACHE_PATH = "trt_timing_cache_path"
CACHE_OPTIONS = (ENGINE_CACHE_ENABLE, ENGINE_CACHE_PATH, TIMING_CACHE_ENABLE, TIMING_CACHE_PATH)
PROFILE_SHAPE_OPTIONS = (
    "trt_profile_min_shapes",
    "trt_profile_opt_shapes",
    "trt_profile_max_shapes",
)
ENGINE_SUFFIX = ".engine"

Shape = Sequence[int]


def engine_cache_key(
    model_sha256: str,
    options: Mapping[str, Any],
    input_shapes: Mapping[str, Shape],
    runtime_versions: Mapping[str, str] | None = None,
) -> str:
    """A stable hex digest of everything a built engine depends on.

    The cache options themselves are left out: moving the cache must not invalidate it.
    """
    identity = {
        "model": model_sha256,
        "options": {k: _text(v) for k, v in options.items() if k not in CACHE_OPTIONS},
        "shapes": {name: [int(d) for d in shape] for name, shape in input_shapes.items()},
        "versions": dict(runtime_versions or {}),
    }
    text = json.dumps(identity, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _text(value: Any) -> str:
    """Option values as ORT receives them, so true and "1" key the same engine."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def tensorrt_cache_options(
    options: Mapping[str, Any],
    model_sha256: str,
    input_shapes: Mapping[str, Shape],
    cache_root: str | Path,
    runtime_versions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The TensorRT options with engine and timing caches turned on; values the user set win.

    Engines go to cache_root/engines/<model>-<key>; the timing cache, valid for any model on
    the same GPU and TensorRT, is shared in cache_root/timing/<versions>. `runtime_versions`
    (e.g. {"onnxruntime": "1.31.1", "tensorrt": "10.16.1", "gpu": "sm_90"}) keeps engines of
    one TensorRT from being loaded by another. Pure: create the folders with `cache_folders`.
    """
    root = Path(cache_root)
    key = engine_cache_key(model_sha256, options, input_shapes, runtime_versions)
    versions = json.dumps(dict(runtime_versions or {}), sort_keys=True)
    timing_key = hashlib.sha256(versions.encode()).hexdigest()[:16]
    out = dict(options)
    if _enabled(out.setdefault(ENGINE_CACHE_ENABLE, True)):
        out.setdefault(ENGINE_CACHE_PATH, str(root / "engines" / f"{model_sha256[:16]}-{key[:16]}"))
    if _enabled(out.setdefault(TIMING_CACHE_ENABLE, True)):
        out.setdefault(TIMING_CACHE_PATH, str(root / "timing" / timing_key))
    return out


def _enabled(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def cache_folders(options: Mapping[str, Any]) -> list[Path]:
    """The cache folders the options name (enabled ones only), for the worker to create."""
    folders = []
    for enable, path in (
        (ENGINE_CACHE_ENABLE, ENGINE_CACHE_PATH),
        (TIMING_CACHE_ENABLE, TIMING_CACHE_PATH),
    ):
        if _enabled(options.get(enable, False)) and options.get(path):
            folders.append(Path(str(options[path])))
    return folders


@dataclass(frozen=True)
class ShapeRange:
    """The shapes one input may take in a TensorRT optimization profile."""

    min: Shape
    opt: Shape
    max: Shape


def tensorrt_shape_profiles(input_specs: Mapping[str, ShapeRange]) -> dict[str, str]:
    """trt_profile_{min,opt,max}_shapes strings ("name:1x3x224x224,other:1x128") per input.

    Raises OrtbenchError for what TensorRT would reject only at build time: ranks that differ,
    min > opt > max, dims below 1, names ORT cannot parse (it splits at ',' and ':').
    """
    if not input_specs:
        return {}
    parts: dict[str, list[str]] = {key: [] for key in PROFILE_SHAPE_OPTIONS}
    for name, spec in input_specs.items():
        _check_input(name, spec)
        for key, shape in zip(PROFILE_SHAPE_OPTIONS, (spec.min, spec.opt, spec.max), strict=True):
            parts[key].append(f"{name}:{'x'.join(str(int(d)) for d in shape)}")
    return {key: ",".join(items) for key, items in parts.items()}


def _check_input(name: str, spec: ShapeRange) -> None:
    if not name or "," in name or ":" in name:
        raise OrtbenchError(
            f"input {name!r}: TensorRT shape profiles cannot name inputs with ',' or ':'"
        )
    shapes = (spec.min, spec.opt, spec.max)
    if len({len(s) for s in shapes}) != 1:
        raise OrtbenchError(f"input {name!r}: min, opt and max shapes need the same rank")
    for axis, (low, opt, high) in enumerate(zip(*shapes, strict=True)):
        if low < 1:
            raise OrtbenchError(f"input {name!r}: dim {axis} must be at least 1 (got {low})")
        if not low <= opt <= high:
            raise OrtbenchError(
                f"input {name!r}: dim {axis} needs min <= opt <= max (got {low}, {opt}, {high})"
            )


EngineFiles = dict[str, tuple[int, int]]
"""Engine file name -> (size, mtime in ns)."""


def engine_cache_snapshot(cache_dir: str | Path) -> EngineFiles:
    """The engine files in a cache folder now; take one before creating the session."""
    folder = Path(cache_dir)
    if not folder.is_dir():
        return {}
    snapshot = {}
    for path in folder.rglob(f"*{ENGINE_SUFFIX}"):
        stat = path.stat()
        snapshot[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return snapshot


@dataclass(frozen=True)
class EngineCacheState:
    """Where a session's TensorRT engines came from."""

    reused: tuple[str, ...]
    """Engine files present before the session and untouched by it."""
    built: tuple[str, ...]
    """Engine files the session wrote (new, or rebuilt over a stale one)."""

    @property
    def from_cache(self) -> bool:
        return bool(self.reused) and not self.built

    def describe(self) -> str:
        if self.from_cache:
            return f"TensorRT engines loaded from the cache ({len(self.reused)})"
        if self.built and self.reused:
            return (
                f"TensorRT built {len(self.built)} engines and reused {len(self.reused)} "
                "from the cache"
            )
        if self.built:
            return f"TensorRT built {len(self.built)} engines (cached for the next session)"
        return "no TensorRT engine in the cache folder (engine cache off, or nothing on TensorRT)"


def engine_cache_state(cache_dir: str | Path, before: EngineFiles) -> EngineCacheState:
    """Compare the cache folder now with `engine_cache_snapshot` taken before the session."""
    after = engine_cache_snapshot(cache_dir)
    built = tuple(sorted(n for n, stamp in after.items() if before.get(n) != stamp))
    reused = tuple(sorted(n for n, stamp in after.items() if before.get(n) == stamp))
    return EngineCacheState(reused=reused, built=built)
