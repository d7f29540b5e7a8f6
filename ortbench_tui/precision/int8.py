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
