"""Saying what broke in a conversion: the step, and the node and op when they can be found."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import OrtbenchError

STEP_FP16 = "fp16 conversion"
STEP_INT8 = "int8 quantization"
STEP_CALIBRATION = "calibration"

_NODE_PATTERNS = (
    r"in node \(([^)]+)\)",
    r"of node \(([^)]+)\)",
    r"node \(([^)]+)\)",
    r"node with name '([^']+)'",
    r"node name: ([^\s,)]+)",
    r"[Nn]ode '([^']+)'",
)


def _node_from_traceback(exc: BaseException) -> Any | None:
    """The innermost onnx NodeProto a converter frame was working on, if any."""
    import onnx

    found = None
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        candidates = [local.get("node"), getattr(local.get("self"), "node", None)]
        candidates += [v for k, v in local.items() if k not in ("node", "self")]
        for value in candidates:
            if isinstance(value, onnx.NodeProto):
                found = value
                break
        tb = tb.tb_next
    return found


def _load_graph_nodes(path: Path | None) -> list[Any]:
    if path is None:
        return []
    try:
        import onnx

        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        return []
    return list(model.graph.node)


def failing_node(exc: BaseException, *models: Path | None) -> tuple[str, str] | None:
    """(node name, op type) of the node a conversion failed on, when it can be found: from
    the converter's frames, a node name in the message, or a tensor name in the message."""
    node = _node_from_traceback(exc)
    if node is not None:
        return node.name or "(unnamed)", node.op_type
    message = str(exc)
    for path in models:
        nodes = _load_graph_nodes(path)
        by_name = {n.name: n for n in nodes if n.name}
        for pattern in _NODE_PATTERNS:
            for match in re.finditer(pattern, message):
                hit = by_name.get(match.group(1).strip())
                if hit is not None:
                    return hit.name, hit.op_type
        quoted = set(re.findall(r"'([^']+)'", message)) | set(re.findall(r'"([^"]+)"', message))
        for n in nodes:
            if quoted & set(n.input) or quoted & set(n.output):
                return n.name or "(unnamed)", n.op_type
    return None


def conversion_error(
    step: str,
    source: Path,
    exc: BaseException,
    *models: Path | None,
    what: str = "",
    scrub: Path | None = None,
) -> OrtbenchError:
    where = failing_node(exc, *models)
    at = f" at node '{where[0]}' (op {where[1]})" if where else ""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if scrub is not None:  # the temp folder is gone by the time anyone reads the message
        detail = detail.replace(str(scrub), "the converted model")
    if len(detail) > 600:
        detail = detail[:600] + "…"
    return OrtbenchError(f"{step} of {source.name} failed{at}: {what}{detail}")


def step_of(exc: BaseException, default: str) -> str:
    """quantize_static fails in its calibrator or in the quantizer proper: say which."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("calibrate.py"):
            return STEP_CALIBRATION
        tb = tb.tb_next
    return default
