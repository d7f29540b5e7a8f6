"""What travels with a fleet job, so nodes need no shared file system: each model with its
external data files, and every file its input spec names (.npy values, an .npz, a folder of
input_N.pb files), through Ray's object store, checked by sha256 on arrival and rewritten to
their node-local paths; profiles, the input spec and a load job's traffic travel inside the
job."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from ..bench.load import LoadRequest
from ..errors import OrtbenchError
from ..fileio import write_atomic
from ..inputs.spec import InputSpec, spec_from_dict
from ..profile import Profile, profile_to_dict


@dataclass
class Shipment:
    """A file put into the object store once, fetched by every node that needs it."""

    name: str
    """Its path inside its bundle, '/'-separated (an external data file may sit in a folder)."""
    sha256: str
    size: int
    ref: Any
    """A Ray ObjectRef to the file's bytes."""


@dataclass
class Bundle:
    """Files that must sit side by side on the node: a model and its external data, or a
    folder of input_N.pb files. `main` is the path the job names, inside the bundle."""

    main: str
    files: list[Shipment]

    @property
    def digest(self) -> str:
        text = "\n".join(f"{s.name}\0{s.sha256}" for s in sorted(self.files, key=lambda s: s.name))
        return _sha256(f"{self.main}\n{text}".encode())


@dataclass
class NodeJob:
    """One (model, profile) to run on a node, the same for every node."""

    index: int
    model_spec: str
    model_name: str
    model: Bundle
    profile: dict[str, Any]
    inputs: Bundle | None = None
    """The profile's run.inputs_npz, when it names one."""
    input_spec: dict[str, Any] = field(default_factory=dict)
    """The InputSpec (`to_dict`) with its paths as they were on the driver."""
    input_files: dict[str, Bundle] = field(default_factory=dict)
    """By each path in `input_spec`: the file (or input_N.pb folder) it names."""
    load: LoadRequest | None = None
    """A load job's traffic (rates or the search, arrivals, seed, ...), the same schedule on
    every node; its model, profile and inputs are this job's own, set on the node
    (`node_load_request`). None: a timed run."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def safe_member(name: str, where: str) -> str:
    """A relative path that stays inside its bundle, or OrtbenchError naming it."""
    p = PurePosixPath(name.replace("\\", "/"))
    if not name or p.is_absolute() or ".." in p.parts:
        raise OrtbenchError(f"{where}: {name!r} is not a path inside the model's folder")
    return str(p)


def ship_file(path: Path, name: str | None = None) -> Shipment:
    import ray

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OrtbenchError(f"cannot read {path}: {exc.strerror or exc}") from None
    return Shipment(name or path.name, _sha256(data), len(data), ray.put(data))


def external_data_files(model_path: Path) -> list[str]:
    """The external data locations the model names, relative to its folder (every
    initializer and attribute tensor of the graph and its subgraphs, as onnx's loader walks)."""
    import onnx
    from onnx.external_data_helper import uses_external_data

    from ..graph_defaults import graph_tensors

    try:
        model = onnx.load(str(model_path), format="protobuf", load_external_data=False)
    except Exception as exc:  # protobuf raises many kinds on a bad file
        raise OrtbenchError(f"{model_path} is not a valid ONNX model: {exc}") from None
    where = f"{model_path}: external data"
    found = {
        safe_member(e.value, where)
        for t in graph_tensors(model.graph)
        if uses_external_data(t)
        for e in t.external_data
        if e.key == "location"
    }
    missing = sorted(f for f in found if not (model_path.parent / f).is_file())
    if missing:
        raise OrtbenchError(
            f"{model_path}: its external data {', '.join(missing)} is not beside it "
            f"(in {model_path.parent})"
        )
    return sorted(found)


def model_bundle(path: Path) -> Bundle:
    files = [ship_file(path)]
    files += [ship_file(path.parent / f, f) for f in external_data_files(path)]
    return Bundle(path.name, files)


def input_bundle(path: Path) -> Bundle:
    """One input file, or a folder's input_N.pb files (all that `inputs.files` reads there)."""
    from ..inputs.files import PB_NAME

    if not path.is_dir():
        return Bundle(path.name, [ship_file(path)])
    try:
        members = sorted(f for f in path.iterdir() if PB_NAME.fullmatch(f.name))
    except OSError as exc:
        raise OrtbenchError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not members:
        raise OrtbenchError(f"{path}: no input_N.pb files (the model zoo's test_data_set_0 layout)")
    return Bundle(path.name, [ship_file(f, f"{path.name}/{f.name}") for f in members])


def spec_paths(spec: InputSpec) -> list[str]:
    """Every path an input spec names: its file set, then its .npy value files."""
    paths = [spec.files] if spec.files else []
    return paths + [v.path for v in spec.values.values() if v.kind == "npy"]


def absolute_spec(spec: InputSpec) -> InputSpec:
    """The spec with its paths made absolute on the driver (a node has another cwd)."""

    def full(p: str) -> str:
        return str(Path(p).expanduser().absolute())

    values = {
        n: replace(v, path=full(v.path)) if v.kind == "npy" else v for n, v in spec.values.items()
    }
    return replace(spec, files=full(spec.files) if spec.files else "", values=values)


def model_name(spec: str, path: Path) -> str:
    """The name a local run records, so fleet and local results line up."""
    return spec if spec.startswith("sample:") else path.stem


def _check_spec(spec: InputSpec, model: str, path: Path, load: LoadRequest | None) -> None:
    """A spec (or a load job's mix) that cannot fit the model fails here once, not once per
    node."""
    from ..bench.curve.request import check_dims
    from ..inputs.spec import validate_spec
    from ..models import inspect_model

    if spec.shapes or spec.values:
        validate_spec(spec, inspect_model(path).inputs, model)
    if load is not None and load.mix is not None:
        check_dims({load.mix.dim: load.mix.values}, inspect_model(path).inputs, model)


def plan_jobs(
    models: list[str],
    profiles: list[Profile],
    specs: dict[str, InputSpec] | None = None,
    load: LoadRequest | None = None,
) -> list[NodeJob]:
    """Every (model, profile), with each model and input file shipped once; `specs` gives
    each model's inputs (--shape/--input/--inputs); `load`, the traffic of load jobs (every
    job then is one, on the same seeded schedule)."""
    from ..samples import resolve_model

    shipped: dict[Path, Bundle] = {}

    def ship(path: Path, make: Any) -> Bundle:
        key = path.expanduser().absolute()
        if key not in shipped:
            shipped[key] = make(key)
        return shipped[key]

    jobs: list[NodeJob] = []
    for spec in models:
        path = resolve_model(spec)
        inputs = absolute_spec((specs or {}).get(spec) or InputSpec())
        _check_spec(inputs, spec, path, load)
        files = {p: ship(Path(p), input_bundle) for p in spec_paths(inputs)}
        for profile in profiles:
            npz = profile.run.inputs_npz
            jobs.append(
                NodeJob(
                    index=len(jobs),
                    model_spec=spec,
                    model_name=model_name(spec, path),
                    model=ship(path, model_bundle),
                    profile=profile_to_dict(profile),
                    inputs=ship(Path(npz), input_bundle) if npz else None,
                    input_spec=inputs.to_dict(),
                    input_files=files,
                    load=load,
                )
            )
    return jobs


def fleet_cache_dir() -> Path:
    from ..samples import cache_root

    return cache_root() / "fleet"


def _has(path: Path, shipment: Shipment) -> bool:
    try:
        return path.stat().st_size == shipment.size and _sha256(path.read_bytes()) == (
            shipment.sha256
        )
    except OSError:
        return False


def receive(bundle: Bundle) -> Path:
    """The bundle's main path on this node: files already in the node's cache with the right
    sha256 are used as they are, the others fetched from the object store, checked by sha256
    and written atomically, side by side as on the driver."""
    import ray

    folder = fleet_cache_dir() / bundle.digest[:16]
    for shipment in bundle.files:
        path = folder / safe_member(shipment.name, "shipped file")
        if _has(path, shipment):
            continue
        data = ray.get(shipment.ref)
        got = _sha256(data)
        if got != shipment.sha256:
            raise OrtbenchError(
                f"{shipment.name} arrived damaged: sha256 {got[:12]}, "
                f"expected {shipment.sha256[:12]}"
            )
        write_atomic(path, data, make_parents=True)
    return folder / safe_member(bundle.main, "shipped file")


def node_input_spec(job: NodeJob) -> InputSpec:
    """The job's input spec with every file it names received here and its path rewritten."""
    spec = spec_from_dict(job.input_spec, "the job's inputs")
    local = {p: str(receive(b)) for p, b in job.input_files.items()}
    values = {
        n: replace(v, path=local[v.path]) if v.kind == "npy" else v for n, v in spec.values.items()
    }
    return replace(spec, files=local[spec.files] if spec.files else "", values=values)


def node_load_request(job: NodeJob, model_path: Path, profile: Profile) -> LoadRequest:
    """The job's load request on this node: its traffic as planned, with the node's copy of
    the model, the job's profile and its inputs received here; the node keeps nothing in its
    own history (the driver keeps the result, with the host)."""
    if job.load is None:
        raise OrtbenchError(f"job {job.index} is a timed run, not a load job")
    return replace(
        job.load,
        model=str(model_path),
        profiles=[profile],
        inputs=node_input_spec(job),
        save_history=False,
    )
