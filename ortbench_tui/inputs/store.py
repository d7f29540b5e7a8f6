"""Saved input specs, one TOML file per model, so a model opens with the inputs last used.

Location: ``$ORTBENCH_DATA_DIR/inputs/`` (else the user data dir, ``platformdirs``'
``user_data_dir("ortbench")/inputs/``), one ``<model stem>-<12 hex>.toml`` per model, the hex
from the sha256 of the model's absolute path (or of ``sample:NAME``). The file is a plain
spec (inputs.dumps_spec) that ``--inputs FILE.toml`` also reads.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from ..data_dir import data_dir
from ..errors import OrtbenchError
from ..profile import atomic_write_text
from .spec import InputSpec, dumps_spec, load_spec


def inputs_dir() -> Path:
    return data_dir() / "inputs"


def model_key(model: str | os.PathLike[str]) -> str:
    """``sample:NAME`` as is; a path made absolute, so any working folder finds the same file."""
    text = os.fspath(model)
    if text.startswith("sample:"):
        return text
    try:
        return str(Path(text).expanduser().resolve())
    except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise OrtbenchError(f"model path {text}: cannot be resolved ({exc})") from None


def saved_spec_path(model: str | os.PathLike[str]) -> Path:
    key = model_key(model)
    stem = Path(key.removeprefix("sample:")).stem or "model"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", stem)[:60]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return inputs_dir() / f"{safe}-{digest}.toml"


def load_saved_spec(model: str | os.PathLike[str]) -> InputSpec | None:
    """The spec saved for this model, or None when there is none."""
    path = saved_spec_path(model)
    return load_spec(path) if path.is_file() else None


def save_spec(model: str | os.PathLike[str], spec: InputSpec) -> Path:
    """Save (atomically, replacing the last one) and return the file's path."""
    path = saved_spec_path(model)
    text = dumps_spec(spec, model=model_key(model))
    atomic_write_text(path, text, overwrite=True, make_parents=True)
    return path


def forget_spec(model: str | os.PathLike[str]) -> bool:
    """Delete the saved spec; False when there was none."""
    path = saved_spec_path(model)
    if not path.is_file():
        return False
    path.unlink()
    return True


__all__ = [
    "forget_spec",
    "inputs_dir",
    "load_saved_spec",
    "model_key",
    "save_spec",
    "saved_spec_path",
]
