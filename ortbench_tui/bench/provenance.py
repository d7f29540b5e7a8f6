"""A saved best profile's `[provenance]` made from the contest it won (sweep, practices).

The record's shape and its checks are the profile's (`profile.provenance`); here the figures of
a finished sweep or practices check become one.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..hardware.machine import machine_fingerprint
from ..profile import Profile, Provenance, profile_to_dict, settings_document
from ..profile.provenance import MACHINE_KEYS


def build_provenance(
    *,
    found_by: str,
    model: str,
    model_sha256: str,
    hardware: dict[str, Any],
    inputs_spec: dict[str, Any],
    beaten: Profile,
    beaten_label: str,
    margin: float,
    decided: bool,
    ratio: tuple[float, float, float] | None,
) -> Provenance:
    """`ratio`: (the beaten profile's median / the saved one's, CI low, CI high), or None
    when that pair was not measured as such."""
    fp = machine_fingerprint(hardware)
    value, ci = None, None
    if ratio is not None and math.isfinite(ratio[0]) and ratio[0] > 0:
        value = float(ratio[0])
        if all(math.isfinite(v) and v > 0 for v in ratio[1:]):
            ci = [float(ratio[1]), float(ratio[2])]
    name = model if model.startswith("sample:") else model.replace("\\", "/").rsplit("/", 1)[-1]
    return Provenance(
        found_by=found_by,
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        ort_version=fp["ort_version"],
        # TOML has no null: an unknown core count is left out, and so compares as unknown
        machine={k: fp[k] for k in MACHINE_KEYS if fp.get(k) is not None},
        model={"spec": model, "name": name, "sha256": model_sha256},
        beaten=settings_document(profile_to_dict(beaten)),
        beaten_label=beaten_label,
        margin=float(margin),
        decided=decided,
        ratio=value,
        ci=ci,
        inputs=dict(inputs_spec),
    )


def inverted(ratio: float | None, low: float | None, high: float | None) -> tuple[float, ...]:
    """A / B and its CI from B / A and its CI (nan where a figure is missing)."""

    def inv(v: float | None) -> float:
        return 1.0 / v if v is not None and math.isfinite(v) and v > 0 else math.nan

    return (inv(ratio), inv(high), inv(low))
