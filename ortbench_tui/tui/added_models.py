"""Models added with `a` are remembered across restarts: one small JSON list in the
workbench's data folder, written atomically, until the model is removed (`x`)."""

from __future__ import annotations

import json
from pathlib import Path

from ortbench_tui.data_dir import data_dir
from ortbench_tui.errors import OrtbenchError
from ortbench_tui.profile import atomic_write_text

FILE_NAME = "added-models.json"


def default_path() -> Path:
    """`<data folder>/workbench/added-models.json` (the data folder holds the history too)."""
    return data_dir() / "workbench" / FILE_NAME


def load(path: Path) -> list[str]:
    """The remembered specs; a missing file is an empty list, a damaged one too (it is
    rewritten at the next change, so one bad write never blocks the workbench)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    models = data.get("models") if isinstance(data, dict) else None
    return [m for m in models if isinstance(m, str)] if isinstance(models, list) else []


def save(path: Path, specs: list[str]) -> None:
    text = json.dumps({"models": specs}, indent=2) + "\n"
    atomic_write_text(path, text, overwrite=True)


def check_model_file(path: Path) -> None:
    """Refuse what is not a readable ONNX model, with the reason (missing, a folder, empty,
    not protobuf, no graph): nothing is added to the list with only a warning."""
    from ortbench_tui.models import inspect_model

    if not path.exists():
        raise OrtbenchError(f"model file not found: {path}")
    if path.is_dir():
        raise OrtbenchError(f"{path} is a folder, expected an .onnx file")
    inspect_model(path)
