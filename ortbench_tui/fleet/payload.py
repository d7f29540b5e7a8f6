"""What travels with a fleet job: models and input files through Ray's object store (so nodes
need no shared file system), checked by sha256 on arrival; profiles inside the job itself."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError
from ..profile import Profile, profile_to_dict


@dataclass
class Shipment:
    """A file put into the object store once, fetched by every node that needs it."""

    name: str
    sha256: str
    size: int
    ref: Any
    """A Ray ObjectRef to the file's bytes."""


@dataclass
class FleetJob:
    """One (model, profile) to run on a node, the same for every node."""

    index: int
    model_spec: str
    model_name: str
    model: Shipment
    profile: dict[str, Any]
    inputs: Shipment | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def ship_file(path: Path) -> Shipment:
    import ray

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OrtbenchError(f"cannot read {path}: {exc}") from None
    return Shipment(path.name, _sha256(data), len(data), ray.put(data))


def model_name(spec: str, path: Path) -> str:
    """The name a local run records, so fleet and local results line up."""
    return spec if spec.startswith("sample:") else path.stem


def plan_jobs(models: list[str], profiles: list[Profile]) -> list[FleetJob]:
    """Every (model, profile), with each model and input file shipped once."""
    from ..samples import resolve_model

    shipped: dict[Path, Shipment] = {}

    def ship(path: Path) -> Shipment:
        key = path.resolve()
        if key not in shipped:
            shipped[key] = ship_file(path)
        return shipped[key]

    jobs: list[FleetJob] = []
    for spec in models:
        path = resolve_model(spec)
        for profile in profiles:
            npz = profile.run.inputs_npz
            inputs = ship(Path(npz).expanduser()) if npz else None
            jobs.append(
                FleetJob(
                    index=len(jobs),
                    model_spec=spec,
                    model_name=model_name(spec, path),
                    model=ship(path),
                    profile=profile_to_dict(profile),
                    inputs=inputs,
                )
            )
    return jobs


def fleet_cache_dir() -> Path:
    from ..samples import cache_root

    return cache_root() / "fleet"


def receive(shipment: Shipment) -> Path:
    """The shipped file on this node: from the node's cache when an identical copy is there,
    else fetched from the object store, checked by sha256 and written atomically."""
    import ray

    folder = fleet_cache_dir() / shipment.sha256[:16]
    path = folder / shipment.name
    if path.is_file() and path.stat().st_size == shipment.size:
        if _sha256(path.read_bytes()) == shipment.sha256:
            return path
    data = ray.get(shipment.ref)
    got = _sha256(data)
    if got != shipment.sha256:
        raise OrtbenchError(
            f"{shipment.name} arrived damaged: sha256 {got[:12]}, expected {shipment.sha256[:12]}"
        )
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{shipment.name}.", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return path
