"""Built-in sample models, so ortbench works (and can be tested) with no model of one's own.

Generated samples are built with ``onnx.helper`` from fixed seeds (`generated`): identical
bytes on every machine and every run, so results taken on different days point at the same
model (same sha256). They are written once into the user cache (``ORTBENCH_CACHE_DIR``
overrides the cache root) and reused; the onnx wheel's light architectures are used in place
(`catalog`). This module re-exports the public names.
"""

from __future__ import annotations

from .catalog import (
    BUILTIN_SAMPLES,
    cache_root,
    list_samples,
    resolve_model,
    sample_path,
    write_samples,
)
from .names import GENERATED_SAMPLES

__all__ = [
    "BUILTIN_SAMPLES",
    "GENERATED_SAMPLES",
    "cache_root",
    "list_samples",
    "resolve_model",
    "sample_path",
    "write_samples",
]
