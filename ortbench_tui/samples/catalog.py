"""Finding a sample by name: generated ones written once into the user cache, the onnx wheel's
light architectures used in place, and MODEL specs (``sample:NAME`` or a path) resolved."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..errors import OrtbenchError
from ..fileio import write_atomic
from .names import GENERATED_SAMPLES, SAMPLES_VERSION

SAMPLE_PREFIX = "sample:"
CACHE_ENV = "ORTBENCH_CACHE_DIR"


def _light_dir() -> Path:
    # Found without importing onnx (see names.py).
    spec = importlib.util.find_spec("onnx")
    if spec is None or not spec.submodule_search_locations:
        return Path(os.devnull)
    return Path(spec.submodule_search_locations[0]) / "backend" / "test" / "data" / "light"


def _light_samples() -> dict[str, Path]:
    """ARCH-light -> path, for every light_ARCH.onnx the installed onnx wheel ships."""
    d = _light_dir()
    if not d.is_dir():
        return {}
    return {f"{p.stem.removeprefix('light_')}-light": p for p in sorted(d.glob("light_*.onnx"))}


BUILTIN_SAMPLES: dict[str, str] = {
    **GENERATED_SAMPLES,
    **{
        name: f"onnx wheel's light {name.removesuffix('-light')} (constant weights), used in place"
        for name in _light_samples()
    },
}


@dataclass(frozen=True)
class SampleInfo:
    name: str
    spec: str
    description: str
    kind: Literal["generated", "light"]


def cache_root() -> Path:
    """The ortbench cache root: $ORTBENCH_CACHE_DIR if set, else the platform user cache."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("ortbench"))


def samples_dir() -> Path:
    return cache_root() / "samples" / f"v{SAMPLES_VERSION}"


def build_sample(name: str) -> bytes:
    """The serialized bytes of a generated sample (deterministic)."""
    from .generated import GENERATORS

    if name not in GENERATORS:
        raise _unknown(name)
    return bytes(GENERATORS[name]().SerializeToString(deterministic=True))


def _atomic_write(path: Path, data: bytes) -> None:
    """Through the one atomic writer: readers never see a half-written model."""
    write_atomic(path, data, overwrite=True, make_parents=True)


def _unknown(name: str) -> OrtbenchError:
    valid = ", ".join(BUILTIN_SAMPLES)
    return OrtbenchError(f"unknown sample {name!r}; valid samples: {valid}")


def list_samples() -> list[SampleInfo]:
    return [
        SampleInfo(
            name, SAMPLE_PREFIX + name, desc, "generated" if name in GENERATED_SAMPLES else "light"
        )
        for name, desc in BUILTIN_SAMPLES.items()
    ]


def sample_path(name: str) -> Path:
    """Path of a built-in sample; generated samples are written to the cache on first use."""
    if name in GENERATED_SAMPLES:
        try:
            path = samples_dir() / f"{name}.onnx"
            if not path.is_file():
                _atomic_write(path, build_sample(name))
        except (OSError, OrtbenchError) as e:
            raise OrtbenchError(
                f"cannot write sample {name!r} to {samples_dir()}: {e} "
                f"(set {CACHE_ENV} to a writable folder)"
            ) from e
        return path
    light = _light_samples()
    if name in light:
        return light[name]
    raise _unknown(name)


def resolve_model(spec: str | Path) -> Path:
    """MODEL as the CLI takes it: 'sample:NAME' or a path to an .onnx file."""
    if isinstance(spec, str) and spec.startswith(SAMPLE_PREFIX):
        return sample_path(spec[len(SAMPLE_PREFIX) :])
    path = Path(spec).expanduser()
    if not path.exists():
        hint = ""
        if str(spec) in BUILTIN_SAMPLES:
            hint = f" (did you mean {SAMPLE_PREFIX}{spec}?)"
        raise OrtbenchError(f"model file not found: {path}{hint}")
    if path.is_dir():
        raise OrtbenchError(f"model path is a directory, expected an .onnx file: {path}")
    return path


def write_samples(out_dir: Path, overwrite: bool = False) -> list[Path]:
    """Copy the generated samples into out_dir (for `ortbench samples --out DIR`).

    A file already there with the same bytes is left alone; one with different bytes is an
    error unless overwrite is set (never overwrite a user's file silently).
    """
    out_dir = Path(out_dir).expanduser()
    if out_dir.exists() and not out_dir.is_dir():
        raise OrtbenchError(f"--out must be a directory: {out_dir}")
    written = []
    for name in GENERATED_SAMPLES:
        src = sample_path(name)
        dst = out_dir / f"{name}.onnx"
        data = src.read_bytes()
        if dst.exists():
            if dst.is_file() and dst.read_bytes() == data:
                written.append(dst)
                continue
            if not overwrite:
                raise OrtbenchError(
                    f"{dst} exists and differs from sample {name!r}; "
                    "remove it or choose another directory"
                )
        try:
            _atomic_write(dst, data)
        except OSError as e:
            raise OrtbenchError(f"cannot write {dst}: {e}") from e
        written.append(dst)
    return written
