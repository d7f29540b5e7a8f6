"""Model inputs, stated once per model: the spec, its files, shape resolution and the saved copy.

spec    InputSpec / ValueSpec, the --shape / --input / --inputs parsers, TOML form, validation
files   .npy, .npz and ONNX input_N.pb folders (pickles refused)
shapes  concrete shapes from spec + free_dimensions, one message listing every unset dim
store   the per-model spec saved by the TUI and read by the CLI

feeds.py turns a resolved spec into arrays for the worker.
"""

from .spec import (
    FLAG_HELP,
    InputSpec,
    ValueSpec,
    dumps_spec,
    load_spec,
    parse_value_spec,
    spec_from_flags,
    validate_spec,
)

__all__ = [
    "FLAG_HELP",
    "InputSpec",
    "ValueSpec",
    "dumps_spec",
    "load_spec",
    "parse_value_spec",
    "spec_from_flags",
    "validate_spec",
]
