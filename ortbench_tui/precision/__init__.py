"""Reduced precision: derive fp16 / int8 models from an fp32 one, and measure what it costs.

`derive_model(model_path, profile)` turns the source model into the one `run.precision`
asks for, with the converters that ship in onnxruntime:

* fp16: `onnxruntime.transformers.float16.convert_float_to_float16`, keep_io_types=True
  (the model still takes and returns float32, so the same feeds and the same accuracy
  check work for every precision);
* int8 dynamic: `onnxruntime.quantization.quantize_dynamic` (weights quantized offline,
  activations at run time);
* int8 static: `onnxruntime.quantization.quantize_static` (QDQ, MinMax), calibrated on the
  profile's own input sets (`run.input_seed`, `run.input_sets`, symbolic dims from
  `session.free_dimensions`) or on `run.inputs_npz`.

Derived models are cached under `<cache root>/derived/v1/`, keyed by the source model's
sha256 and every setting that changes the result (for static int8 that includes the sha256
of the calibration data), so the second run of a profile does not convert again. Files are
written into a temp folder beside the cache and moved in with `os.replace`, the model last,
so a crash never leaves a half-written model that a later run would pick up.

A conversion that fails raises `OrtbenchError` naming the step (fp16 conversion, int8
quantization, calibration), the node and op when they can be found, and what went wrong.
It fails the reduced-precision run only: the worker reports it as bad input, and fp32 runs
of the same model (and their results) are untouched.

`accuracy_report(fp32_path, derived_path, feeds, profile)` runs both models on CPU over the
same input sets and returns, per output, max abs error, mean abs error and cosine
similarity (`accuracy_figures` is the pure numpy half, unit-tested against numpy).

Modules: `plan` (cache key, path, calibration data), `fp16` and `int8` (the converters),
`derive` (conversion into the cache), `failures` (naming the step and node that broke) and
`accuracy`. This module re-exports the public names.
"""

from __future__ import annotations

from .accuracy import (
    accuracy_figures,
    accuracy_lines,
    accuracy_report,
    accuracy_summary,
    calibration_note,
)
from .derive import derive_model
from .plan import derived_dir, plan_derivation

__all__ = [
    "accuracy_figures",
    "accuracy_lines",
    "calibration_note",
    "accuracy_report",
    "accuracy_summary",
    "derive_model",
    "derived_dir",
    "plan_derivation",
]
