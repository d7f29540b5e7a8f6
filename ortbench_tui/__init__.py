"""ortbench: a terminal workbench for ONNX Runtime inference latency."""

__version__ = "0.1.0"
