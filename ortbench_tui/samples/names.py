"""The generated samples by name, importable without onnx.

The generators (generated.py) import `onnx`, whose import alone takes longer than the TUI's
first frame: the catalog lists samples from here and imports the generators only to build one.
"""

from __future__ import annotations

# Bump when a generator (generated.py) changes: cached files live under a versioned folder,
# so a stale cache is never mistaken for the current sample.
SAMPLES_VERSION = 1


GENERATED_SAMPLES: dict[str, str] = {
    "tiny": "Add + Mul + Relu on float32 [1, 16]; a few microseconds, shows harness overhead",
    "mlp": "3 x (Gemm + Relu) + Gemm, 256 -> 1024 -> 1024 -> 1024 -> 10, batch 1; ~0.1 ms on CPU",
    "conv": "3 x (Conv 3x3 + Relu), 2 MaxPool, GlobalAveragePool, Gemm on [1, 3, 64, 64]; ~1 ms",
    "encoder": "transformer encoder block, d_model 64, 4 heads, FFN 256; "
    "symbolic batch and sequence",
}
