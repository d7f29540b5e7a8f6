"""Inspect an .onnx file without creating an ORT session.

Creating a session can take seconds and may pick an execution provider; inspection must be
fast, safe on any file the user points at, and must say exactly what inputs a benchmark needs
(dtype, shape, which dims are symbolic and so need ``free_dimensions``).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.fileio import check_regular

from .dims import (
    Dim,
    describe_dynamic,
    dynamic_indices,
    format_shape,
    free_dims_toml,
    placeholder_sizes,
    shape_flags,
)
from .text import human_bytes, human_count

if TYPE_CHECKING:
    import onnx

# `onnx` is imported where a model is read, not here: its import (ml_dtypes' extension alone)
# costs more than the TUI's whole first frame, and the CLI parser and the TUI import this
# module (ARCHITECTURE.md §6.4).

MODEL_LIMIT = 1 << 40
"""No real limit on a model's size; the check is about what kind of file it is."""


@dataclass
class TensorInfo:
    """A graph input or output. shape holds ints (fixed; -1 means any size), strs (named
    symbolic) or None (unnamed/unknown). has_shape is False when the model gives no shape at
    all (unknown rank).
    """

    name: str
    dtype: str
    shape: list[Dim]
    has_shape: bool = True
    kind: str = "tensor"
    """tensor, optional (of a tensor: dtype and shape are the element's), sequence (dtype and
    shape of its elements), or ONNX's name of another type (map, sparse_tensor...)."""
    default: str = ""
    """The value spec the graph suggests (``int:0..30521``, ``ones``, ``16000``), or ""."""
    default_reason: str = ""
    """Why: ``indices into Gather 'emb' (table of 30522 rows)``."""

    @property
    def feedable(self) -> bool:
        """A tensor, or an optional tensor: what ortbench can feed (sequences, maps and
        nested types are not yet)."""
        return self.kind in ("tensor", "optional") and not self.dtype.endswith("_type")

    @property
    def type_text(self) -> str:
        """``float32``, ``optional(float32)``, ``sequence(float32)``."""
        return self.dtype if self.kind == "tensor" else f"{self.kind}({self.dtype})"

    @property
    def symbolic_dims(self) -> list[str]:
        if not self.feedable:
            return []  # not fed by ortbench, so nothing to size
        return list(dict.fromkeys(d for d in self.shape if isinstance(d, str)))

    @property
    def dynamic_dims(self) -> list[int]:
        """Positions of the dims a run must size: named, unnamed and -1 (none for a sequence,
        which ortbench does not feed)."""
        return dynamic_indices(self.shape) if self.has_shape and self.feedable else []

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "shape": list(self.shape) if self.has_shape else None,
            "symbolic_dims": self.symbolic_dims,
            "dynamic_dims": self.dynamic_dims,
            "kind": self.kind,
            "default": self.default,
            "default_reason": self.default_reason,
        }


@dataclass
class ModelInfo:
    path: Path
    name: str
    file_size_bytes: int
    sha256: str
    ir_version: int
    opset: int | None
    producer: str
    node_count: int
    op_type_counts: dict[str, int]
    parameter_count: int
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    external_data: bool
    symbolic_dims: list[str] = field(default_factory=list)
    missing_external_data: list[str] = field(default_factory=list)
    """External data files the model names that are not beside it."""

    @property
    def input_dims(self) -> list[str]:
        """The named dims of the inputs: the ones a run sizes (output dims follow from them)."""
        return list(dict.fromkeys(d for t in self.inputs for d in t.symbolic_dims))

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "name": self.name,
            "file_size_bytes": self.file_size_bytes,
            "sha256": self.sha256,
            "ir_version": self.ir_version,
            "opset": self.opset,
            "producer": self.producer,
            "node_count": self.node_count,
            "op_type_counts": dict(self.op_type_counts),
            "parameter_count": self.parameter_count,
            "inputs": [t.to_dict() for t in self.inputs],
            "outputs": [t.to_dict() for t in self.outputs],
            "external_data": self.external_data,
            "missing_external_data": self.missing_external_data,
            "symbolic_dims": list(self.symbolic_dims),
            "shape_flags": suggested_shape_flags(self.inputs),
        }


def suggested_shape_flags(inputs: list[TensorInfo]) -> str:
    """``--shape`` flags for every input with a dynamic dim (1 stands in for each), or ""."""
    return shape_flags([(t.name, placeholder_sizes(t.shape)) for t in inputs if t.dynamic_dims])


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, streamed in 1 MiB chunks (models can be GBs)."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except FileNotFoundError as e:
        raise OrtbenchError(f"model file not found: {path}") from e
    except OSError as e:
        raise OrtbenchError(f"cannot read {path}: {e}") from e
    return h.hexdigest()


def _dtype_name(elem_type: int) -> str:
    """numpy-style dtype name ("float32", "int64", "bool"); ONNX's own name where numpy has none."""
    import onnx
    from onnx import TensorProto

    if elem_type == TensorProto.STRING:
        return "string"
    try:
        return str(onnx.helper.tensor_dtype_to_np_dtype(elem_type).name)
    except Exception:  # unknown or new ONNX types (float8, int4, ...)
        try:
            return str(TensorProto.DataType.Name(elem_type)).lower()
        except ValueError:
            return f"onnx_type_{elem_type}"


_PLACEHOLDER_DIM = re.compile(r"\?|-1|None|none|unk__\d+|")
"""dim_params that mean "any size", not a symbol shared between dims: Paddle writes ``?`` for
every unknown dim, onnx shape inference ``unk__N``, some exporters ``-1`` or ``None``."""


def _dim(d: onnx.TensorShapeProto.Dimension) -> Dim:
    if d.HasField("dim_value"):
        return int(d.dim_value)
    if d.HasField("dim_param") and not _PLACEHOLDER_DIM.fullmatch(d.dim_param.strip()):
        return d.dim_param
    return None


def _tensor_info(vi: onnx.ValueInfoProto) -> TensorInfo:
    kind = vi.type.WhichOneof("value")
    tp = vi.type
    wrapper = "tensor"
    if kind in ("optional_type", "sequence_type"):
        # optional(tensor) and sequence(tensor): the element's dtype and shape
        wrapper = kind.removesuffix("_type")
        tp = getattr(tp, kind).elem_type
        kind = tp.WhichOneof("value")
    if kind != "tensor_type":
        # map / sparse / nested types (optional(sequence), sequence(map)): named, not fed
        outer = vi.type.WhichOneof("value") or "unknown"
        inner = kind or "unknown"
        if wrapper == "tensor":
            return TensorInfo(vi.name, outer, [], has_shape=False, kind=outer.removesuffix("_type"))
        return TensorInfo(vi.name, inner, [], has_shape=False, kind=wrapper)
    tt = tp.tensor_type
    if not tt.HasField("shape"):
        return TensorInfo(vi.name, _dtype_name(tt.elem_type), [], has_shape=False, kind=wrapper)
    shape = [_dim(d) for d in tt.shape.dim]
    return TensorInfo(vi.name, _dtype_name(tt.elem_type), shape, kind=wrapper)


def _op_key(node: onnx.NodeProto) -> str:
    return node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"


def inspect_model(path: str | os.PathLike[str]) -> ModelInfo:
    """Read the model's metadata; weights stored as external data are not loaded."""
    p = Path(path).expanduser()
    if not p.exists():
        raise OrtbenchError(f"model file not found: {p}")
    if p.is_dir():
        raise OrtbenchError(f"model path is a directory, expected an .onnx file: {p}")
    if not p.is_file():
        check_regular(p, MODEL_LIMIT, "model file")  # a FIFO or a device: say which
    if p.stat().st_size == 0:
        raise OrtbenchError(f"{p} is not a valid ONNX model: the file is empty")
    import onnx
    from onnx import TensorProto

    try:
        # format="protobuf": ORT reads only binary protobuf, whatever the extension says
        model = onnx.load(str(p), format="protobuf", load_external_data=False)
    except Exception as e:
        raise OrtbenchError(f"{p} is not a valid ONNX model: {e}") from e
    # protobuf happily parses some garbage into an empty message: require the essentials
    if model.ir_version <= 0 or not model.HasField("graph") or not model.opset_import:
        raise OrtbenchError(
            f"{p} is not a valid ONNX model: missing ir_version, graph or opset_import"
        )

    graph = model.graph
    init_names = {t.name for t in graph.initializer} | {
        t.values.name for t in graph.sparse_initializer
    }
    inputs = [_tensor_info(vi) for vi in graph.input if vi.name not in init_names]
    from .graph_defaults import all_graphs, graph_defaults  # onnx: never before the first frame

    suggested = graph_defaults(graph, {t.name: t.dtype for t in inputs if t.feedable})
    for t in inputs:
        if t.name in suggested:
            t.default, t.default_reason = suggested[t.name].spec, suggested[t.name].reason
    outputs = [_tensor_info(vi) for vi in graph.output]

    counts: Counter[str] = Counter()
    params = 0
    external = False
    locations: set[str] = set()
    for g in all_graphs(graph):
        counts.update(_op_key(n) for n in g.node)
        for t in g.initializer:
            params += math.prod(t.dims)
            if t.data_location == TensorProto.EXTERNAL:
                external = True
                locations.update(e.value for e in t.external_data if e.key == "location")
        for st in g.sparse_initializer:
            params += math.prod(st.dims)
    op_counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    opset = next((int(o.version) for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    symbolic = list(dict.fromkeys(d for t in inputs + outputs for d in t.symbolic_dims))
    return ModelInfo(
        path=p,
        name=p.stem,
        file_size_bytes=p.stat().st_size,
        sha256=file_sha256(p),
        ir_version=int(model.ir_version),
        opset=opset,
        producer=f"{model.producer_name} {model.producer_version}".strip(),
        node_count=sum(op_counts.values()),
        op_type_counts=op_counts,
        parameter_count=int(params),
        inputs=inputs,
        outputs=outputs,
        external_data=external,
        symbolic_dims=symbolic,
        missing_external_data=sorted(f for f in locations if not (p.parent / f).is_file()),
    )


def _fmt_shape(t: TensorInfo) -> str:
    if not t.has_shape:
        return "[?]  (rank unknown)"
    return format_shape(t.shape)


def _dynamic_note(t: TensorInfo) -> str:
    if not t.feedable:
        return ""
    if not t.has_shape:
        return f"  dynamic: rank unknown (give its shape with --shape {t.name}=AxB or a file)"
    return f"  dynamic: {describe_dynamic(t.shape)}" if t.dynamic_dims else ""


def format_model(
    info: ModelInfo, top_ops: int = 8, fed: Callable[[TensorInfo], str] | None = None
) -> str:
    """Human-readable summary for `ortbench models`; `fed` says what a run feeds an input
    by default and why (feeds.fed_note: it builds on this module)."""
    lines = [
        f"{info.name}",
        f"  path       {info.path}",
        f"  size       {human_bytes(info.file_size_bytes)}"
        + ("  (+ external data)" if info.external_data else ""),
        *(
            [
                f"  MISSING    external data {', '.join(info.missing_external_data)} "
                f"(expected in {info.path.parent}): the model cannot run without it"
            ]
            if info.missing_external_data
            else []
        ),
        f"  sha256     {info.sha256}",
        f"  opset      {info.opset if info.opset is not None else '-'}   ir {info.ir_version}",
        f"  producer   {info.producer or '-'}",
        f"  nodes      {info.node_count}",
        f"  params     {human_count(info.parameter_count)}",
    ]
    if info.op_type_counts:
        items = list(info.op_type_counts.items())
        shown = ", ".join(f"{op} {n}" for op, n in items[:top_ops])
        more = f", ... (+{len(items) - top_ops} types)" if len(items) > top_ops else ""
        lines.append(f"  ops        {shown}{more}")
    for title, tensors in (("inputs", info.inputs), ("outputs", info.outputs)):
        lines.append(f"  {title}")
        if not tensors:
            lines.append("    (none)")
        for t in tensors:
            note = _dynamic_note(t) if title == "inputs" else ""
            lines.append(f"    {t.name}  {t.type_text}  {_fmt_shape(t)}{note}")
            if title == "inputs" and fed is not None:
                lines.append(f"      {fed(t)}")
    flags = suggested_shape_flags(info.inputs)
    if flags:
        lines.append("  dynamic dims: size them per run (1 stands for each dynamic dim: use yours)")
        lines.append(f"    {flags}")
    named = list(dict.fromkeys(d for t in info.inputs for d in t.symbolic_dims))
    if named:
        lines.append("  named dims can also be fixed for the session, in the profile's [session]:")
        lines.append(f"    {free_dims_toml(dict.fromkeys(named, 1))}")
    return "\n".join(lines)


__all__ = [
    "Dim",
    "ModelInfo",
    "TensorInfo",
    "file_sha256",
    "format_model",
    "inspect_model",
    "suggested_shape_flags",
]
