"""int8: onnxruntime's quantizers, dynamic (weights offline, activations at run time) and
static (QDQ, MinMax, calibrated on prepared input sets)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..feeds import Feeds


def quantize_int8_dynamic(src: Path, dst: Path, large: bool) -> None:
    """int8 weights, activations quantized at run time; `large` writes external data."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        src,
        dst,
        per_channel=False,
        weight_type=QuantType.QInt8,
        use_external_data_format=large,
    )


def _calibration_reader(feeds: list[Feeds]) -> Any:
    """A CalibrationDataReader over prepared input sets."""
    from onnxruntime.quantization import CalibrationDataReader

    # onnxruntime ships no type information: its base class is Any to mypy.
    class FeedsReader(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self._i = 0

        def get_next(self) -> Feeds | None:
            if self._i >= len(feeds):
                return None
            self._i += 1
            return feeds[self._i - 1]

        def rewind(self) -> None:
            self._i = 0

        def __len__(self) -> int:
            return len(feeds)

    return FeedsReader()


def quantize_int8_static(src: Path, dst: Path, large: bool, feeds: list[Feeds]) -> None:
    """QDQ int8 with MinMax ranges calibrated on `feeds`, on CPU; `large` writes external data."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    quantize_static(
        src,
        dst,
        _calibration_reader(feeds),
        quant_format=QuantFormat.QDQ,
        per_channel=False,
        activation_type=QuantType.QInt8,
        weight_type=QuantType.QInt8,
        use_external_data_format=large,
        calibrate_method=CalibrationMethod.MinMax,
        calibration_providers=["CPUExecutionProvider"],
    )


INTEGER_OPS = frozenset(
    {
        "MatMulInteger",
        "ConvInteger",
        "DynamicQuantizeMatMul",
        "MatMulIntegerToFloat",
        "QGemm",
        "QAttention",
        "DynamicQuantizeLSTM",
        "QEmbedLayerNormalization",
    }
)
"""Ops that compute in int8 (dynamic quantization writes these; static writes QLinear* or
Q/DQ pairs around float ops, which ORT fuses)."""
QDQ_OPS = frozenset({"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear"})


def quantization_summary(path: Path, source: Path) -> dict[str, Any]:
    """How much of `source` the quantizer turned into int8 in `path`: `quantized_nodes` (int8
    ops, and float ops fed by a DequantizeLinear, which ORT runs as int8 in QDQ form) of
    `nodes` (the source model's nodes), with the quantized op types. A quantizer that found
    nothing it could quantize leaves the model as it was: 0 of N."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    nodes = list(_all_nodes(model.graph))
    source_nodes = sum(
        1 for _ in _all_nodes(onnx.load(str(source), load_external_data=False).graph)
    )
    dequantized = {out for n in nodes if n.op_type == "DequantizeLinear" for out in n.output}
    compute = [n for n in nodes if n.op_type not in QDQ_OPS]
    quantized = [
        n
        for n in compute
        if n.op_type in INTEGER_OPS
        or n.op_type.startswith("QLinear")
        or any(i in dequantized for i in n.input)
    ]
    by_op: dict[str, int] = {}
    for n in quantized:
        by_op[n.op_type] = by_op.get(n.op_type, 0) + 1
    return {"quantized_nodes": len(quantized), "nodes": source_nodes, "by_op": by_op}


def _all_nodes(graph: Any) -> Any:
    """The graph's nodes and those of its subgraphs (If/Loop/Scan bodies)."""
    for node in graph.node:
        yield node
        for attr in node.attribute:
            if attr.g is not None and attr.g.node:
                yield from _all_nodes(attr.g)
            for sub in attr.graphs:
                yield from _all_nodes(sub)


def quantization_note(summary: dict[str, Any] | None) -> str | None:
    """`12 of 40 nodes quantized (MatMulInteger 12)`, or the warning for none; None when
    there is no summary (not int8)."""
    if not summary:
        return None
    if summary.get("error"):
        return f"quantized nodes unknown: {summary['error']}"
    n, total = int(summary.get("quantized_nodes", 0)), int(summary.get("nodes", 0))
    if n == 0:
        return (
            f"INT8 quantized none of the {total} nodes: the quantizer found nothing it "
            "quantizes, so this model runs as fp32 (same speed, same outputs)"
        )
    ops = ", ".join(f"{op} {k}" for op, k in sorted(summary.get("by_op", {}).items()))
    return f"{n} of {total} nodes quantized ({ops})"
