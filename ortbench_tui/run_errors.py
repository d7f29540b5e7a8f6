"""Turn an ORT failure mid-run into a message a user can act on.

ORT names the failing node (and, inside an If or Loop, the node within it) but not the
input whose values led there; the inputs fed, and the flags that change them, are the hint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .feeds import InputRecord, describe_inputs
from .inputs.spec import INT_DTYPES

_NODE = re.compile(r"running (\w+) node\. Name:'([^']*)'")
_INDEX_RANGE = re.compile(r"inclusive range \[(-?\d+),\s*(-?\d+)\]")
_ORT_PREFIX = re.compile(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ")


def failing_nodes(text: str) -> list[tuple[str, str]]:
    """(op_type, node name) from the outermost node to the one that failed."""
    return _NODE.findall(text)


def _suspects(records: Sequence[InputRecord]) -> list[InputRecord]:
    """Inputs whose values, not only sizes, steer a model: integers and scalars."""
    return [r for r in records if r.dtype in INT_DTYPES or r.dtype == "bool" or r.shape == ()]


def _flag_examples(records: Sequence[InputRecord], index_high: int | None) -> list[str]:
    """Flags that run as typed (never a placeholder such as VALUE): ORT's index range when it
    says it, else a small range; 1 for a number, true for a bool."""
    out = []
    for r in _suspects(records):
        if r.dtype in INT_DTYPES and r.shape != ():
            hi = index_high if index_high is not None and index_high >= 0 else 9
            out.append(f"--input {r.name}=int:0..{hi}")
        elif r.dtype == "bool":
            out.append(f"--input {r.name}=true")
        else:
            out.append(f"--input {r.name}=1")
    return out


def explain_run_error(error: BaseException | str, records: Sequence[InputRecord]) -> str:
    """ORT's message, the node it names, the inputs fed and the flags that change them."""
    text = str(error).strip()
    nodes = failing_nodes(text)
    status = text.rsplit("Status Message: ", 1)[-1].strip() if nodes else text
    status = _ORT_PREFIX.sub("", status)
    if nodes:
        where = " > ".join(f"{op} node {name!r}" for op, name in nodes)
        lines = [f"ORT failed while running {where}: {status}"]
    else:
        lines = [f"ORT failed during the run: {status}"]
    if records:
        lines += ["inputs fed:", *describe_inputs(records)]
    m = _INDEX_RANGE.search(text)
    examples = _flag_examples(records, int(m.group(2)) if m else None)
    lines.append(
        "hint: the input values or sizes may not suit this model (an index past a table, "
        "a value a branch rejects, a length too short for a Pad); set them, e.g. "
        + (" ".join(examples) + ", " if examples else "")
        + "--input NAME=SPEC (a number, int:LO..HI, uniform:LO..HI, FILE.npy), "
        "--shape NAME=AxB, or real data with --inputs FILE.npz|DIR"
    )
    return "\n".join(lines)


__all__ = ["explain_run_error", "failing_nodes"]
