"""What a model's graph says about the values of its inputs, so most models run with shapes alone.

Three rules, each stated with its reason wherever a default is shown:

* an integer input that reaches a Gather on a constant table (an embedding) indexes its rows:
  ``int:0..ROWS-1`` (a MiniLM's ``input_ids`` reach a 30522-row table: ``int:0..30521``);
* an input an Equal compares with constants (Silero's ``sr`` against 16000 and 8000, before
  an If) takes the first of those constants;
* an input named like a mask (``attention_mask``) is all ones.

Casts, reshapes and the like between the input and the node are followed; If/Loop bodies are
searched too. Pure functions over the ONNX protobuf: no session, no data loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import numpy_helper

PASS_THROUGH = frozenset(
    {"Cast", "Identity", "Unsqueeze", "Squeeze", "Reshape", "Flatten", "Expand", "Slice"}
)
"""Ops whose first input's values reach their output unchanged (only moved or retyped)."""

_MASK_NAME = re.compile(r"mask", re.IGNORECASE)
_INTEGER = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


@dataclass(frozen=True)
class GraphDefault:
    """A value spec for one input and why the graph suggests it."""

    spec: str
    reason: str


def all_graphs(graph: onnx.GraphProto) -> Iterator[onnx.GraphProto]:
    """The graph and every subgraph (If/Loop/Scan bodies), depth first."""
    yield graph
    for node in graph.node:
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                yield from all_graphs(attr.g)
            elif attr.type == onnx.AttributeProto.GRAPHS:
                for g in attr.graphs:
                    yield from all_graphs(g)


def graph_tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    """Every tensor the graph and its subgraphs hold: initializers and attribute tensors (the
    ones that may live in external data files)."""
    for g in all_graphs(graph):
        yield from g.initializer
        for node in g.node:
            for attr in node.attribute:
                if attr.HasField("t"):
                    yield attr.t
                yield from attr.tensors


class _Constants:
    """Initializer shapes and small constant values, from every graph (names are unique)."""

    def __init__(self, graph: onnx.GraphProto) -> None:
        self.dims: dict[str, list[int]] = {}
        self.protos: dict[str, onnx.TensorProto] = {}
        for g in all_graphs(graph):
            for t in g.initializer:
                self.dims[t.name] = list(t.dims)
                self.protos[t.name] = t
            for n in g.node:
                if n.op_type == "Constant" and n.output:
                    for a in n.attribute:
                        if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
                            self.dims[n.output[0]] = list(a.t.dims)
                            self.protos[n.output[0]] = a.t

    def scalar(self, name: str) -> float | None:
        """The value of a one-element constant, or None."""
        proto = self.protos.get(name)
        if proto is None or int(np.prod(proto.dims)) != 1:
            return None
        try:
            arr = numpy_helper.to_array(proto)
        except Exception:  # external data not loaded, or a type numpy lacks
            return None
        if arr.dtype.kind not in "iuf":
            return None
        return float(arr.reshape(-1)[0])


def _reach(graph: onnx.GraphProto, name: str) -> set[str]:
    """The names carrying `name`'s values through pass-through ops, `name` included."""
    nodes = [n for g in all_graphs(graph) for n in g.node if n.op_type in PASS_THROUGH]
    seen = {name}
    grew = True
    while grew:
        grew = False
        for n in nodes:
            if n.input and n.input[0] in seen and n.output and n.output[0] not in seen:
                seen.add(n.output[0])
                grew = True
    return seen


def _axis(node: onnx.NodeProto) -> int:
    return next((int(a.i) for a in node.attribute if a.name == "axis"), 0)


def _gather_rows(
    graph: onnx.GraphProto, names: set[str], consts: _Constants
) -> GraphDefault | None:
    found: list[tuple[int, str]] = []
    for g in all_graphs(graph):
        for n in g.node:
            if n.op_type != "Gather" or len(n.input) < 2 or n.input[1] not in names:
                continue
            dims = consts.dims.get(n.input[0])
            if not dims:
                continue
            axis = _axis(n)
            if -len(dims) <= axis < len(dims) and dims[axis] > 0:
                found.append((dims[axis], n.name or n.output[0]))
    if not found:
        return None
    rows, node = min(found)
    return GraphDefault(
        f"int:0..{rows - 1}", f"indices into Gather {node!r}, a table of {rows} rows"
    )


def _equal_constants(
    graph: onnx.GraphProto, names: set[str], consts: _Constants, dtype: str
) -> GraphDefault | None:
    values: list[float] = []
    for g in all_graphs(graph):
        for n in g.node:
            if n.op_type != "Equal" or len(n.input) != 2:
                continue
            a, b = n.input
            other = b if a in names else a if b in names else None
            value = consts.scalar(other) if other is not None else None
            if value is not None and value not in values:
                values.append(value)
    if dtype in _INTEGER:
        values = [v for v in values if v.is_integer()]
    if not values:
        return None
    text = [str(int(v)) if v.is_integer() else repr(v) for v in values]
    return GraphDefault(text[0], f"an Equal in the graph tests it against {', '.join(text)}")


def graph_defaults(graph: onnx.GraphProto, inputs: Mapping[str, str]) -> dict[str, GraphDefault]:
    """Input name -> the default its graph suggests; `inputs` maps each name to its dtype."""
    consts = _Constants(graph)
    out: dict[str, GraphDefault] = {}
    for name, dtype in inputs.items():
        if dtype not in (*_INTEGER, "float16", "float32", "float64", "bool"):
            continue
        names = _reach(graph, name)
        found = _gather_rows(graph, names, consts) if dtype in _INTEGER else None
        found = found or _equal_constants(graph, names, consts, dtype)
        if found is None and _MASK_NAME.search(name):
            found = GraphDefault("ones", "named like a mask: every position attended")
        if found is not None:
            out[name] = found
    return out


__all__ = ["PASS_THROUGH", "GraphDefault", "graph_defaults"]
