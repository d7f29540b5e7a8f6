"""fp16: onnxruntime's float16 converter, keeping float32 inputs and outputs.

keep_io_types=True means the model still takes and returns float32, so the same feeds and the
same accuracy check work for every precision.
"""

from __future__ import annotations

from pathlib import Path


def convert_to_fp16(src: Path, dst: Path, large: bool) -> None:
    """fp16 weights and compute, float32 at the edges; `large` writes external data."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = onnx.load(str(src))
    converted = convert_float_to_float16(model, keep_io_types=True)
    onnx.save(
        converted,
        str(dst),
        save_as_external_data=large,
        all_tensors_to_one_file=True,
        location=dst.name + ".data",
    )
