"""What a derived model is made from and where it lives in the cache.

The cache key covers the source model's sha256 and every setting that changes the result (for
static int8, the sha256 of the calibration data too), so a derived model is never reused for
a profile that would have produced different bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import OrtbenchError
from ..fileio import slug
from ..profile import Profile
from .failures import STEP_CALIBRATION

if TYPE_CHECKING:
    from ..feeds import Feeds

# Bump when a converter setting or the file layout changes: old entries are then ignored.
DERIVED_VERSION = 1


def precision_tag(profile: Profile) -> str:
    """fp32, fp16, int8-dynamic or int8-static: what `derive_model` produces for a profile."""
    run = profile.run
    if run.precision == "int8":
        return f"int8-{run.int8_mode}"
    return run.precision


def converter_settings(profile: Profile) -> dict[str, Any]:
    """Everything that decides the derived model's bytes, except the calibration data."""
    from ..quiet import import_onnxruntime

    ort = import_onnxruntime()

    tag = precision_tag(profile)
    base: dict[str, Any] = {"derived_version": DERIVED_VERSION, "onnxruntime": ort.__version__}
    if tag == "fp16":
        return {**base, "precision": "fp16", "keep_io_types": True, "op_block_list": "default"}
    if tag == "int8-dynamic":
        return {
            **base,
            "precision": "int8",
            "mode": "dynamic",
            "weight_type": "QInt8",
            "per_channel": False,
        }
    if tag == "int8-static":
        return {
            **base,
            "precision": "int8",
            "mode": "static",
            "quant_format": "QDQ",
            "activation_type": "QInt8",
            "weight_type": "QInt8",
            "per_channel": False,
            "calibrate_method": "MinMax",
        }
    raise OrtbenchError(f"run.precision = {profile.run.precision!r}: nothing to derive")


def feeds_sha256(feeds: list[Feeds]) -> str:
    """A digest of input sets: names, dtypes, shapes and bytes, in order."""
    h = hashlib.sha256()
    for i, feed in enumerate(feeds):
        for name in sorted(feed):
            arr = np.ascontiguousarray(feed[name])
            h.update(f"{i}:{name}:{arr.dtype.str}:{arr.shape};".encode())
            h.update(arr.tobytes())
    return h.hexdigest()


def calibration_feeds(model_path: Path, profile: Profile) -> list[Feeds]:
    """The input sets static quantization calibrates on: run.inputs_npz, else the seeded
    random sets of the timed runs (symbolic dims from session.free_dimensions)."""
    from ..feeds import load_npz_feeds, make_feeds
    from ..models import inspect_model

    run = profile.run
    free = profile.session.free_dimensions
    try:
        info = inspect_model(model_path)
        if run.inputs_npz:
            return load_npz_feeds(Path(run.inputs_npz), info.inputs, free)
        return make_feeds(info.inputs, free, seed=run.input_seed, sets=run.input_sets)
    except OrtbenchError as exc:
        raise OrtbenchError(
            f"{STEP_CALIBRATION} for int8 static quantization of {model_path.name}: {exc}"
        ) from None


@dataclass
class DerivationPlan:
    """Where a derived model lives in the cache, and what it is made from."""

    source: Path
    source_sha256: str
    tag: str
    settings: dict[str, Any]
    path: Path
    calibration: list[Feeds] | None = field(default=None, repr=False)

    @property
    def metadata_path(self) -> Path:
        return self.path.with_suffix(".json")


def derived_dir() -> Path:
    from ..samples import cache_root

    return cache_root() / "derived" / f"v{DERIVED_VERSION}"


def plan_derivation(model_path: str | os.PathLike[str], profile: Profile) -> DerivationPlan:
    """The cache entry `derive_model` would use for this model and profile (no conversion)."""
    from ..models import file_sha256

    source = Path(model_path)
    sha = file_sha256(source)
    tag = precision_tag(profile)
    settings = converter_settings(profile)
    calibration = None
    if tag == "int8-static":
        calibration = calibration_feeds(source, profile)
        settings["calibration_sha256"] = feeds_sha256(calibration)
        settings["calibration_sets"] = len(calibration)
    key = hashlib.sha256(
        json.dumps({"source_sha256": sha, **settings}, sort_keys=True).encode()
    ).hexdigest()
    name = f"{slug(source.stem, 'model', 40)}-{sha[:12]}-{tag}-{key[:12]}.onnx"
    return DerivationPlan(source, sha, tag, settings, derived_dir() / name, calibration)
