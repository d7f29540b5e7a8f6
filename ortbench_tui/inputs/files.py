"""Arrays the user supplies: one .npy per input, an .npz keyed by input name, or a folder of
ONNX ``input_N.pb`` TensorProto files (the model zoo's ``test_data_set_0/`` layout).

Pickles are refused: loading one runs code from the file. The one exception is an object array
of str (how pandas and scikit-learn users save text): it is read by `_StrArrayReader`, which
builds nothing but an ndarray and its dtype, and the array is kept only if every element is a
str. Every array is checked against the input's dtype here; shapes are checked where all dims
are resolved (input_shapes).
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import OrtbenchError
from ..fileio import check_regular, read_regular
from ..models import TensorInfo, file_sha256

PB_NAME = re.compile(r"input_(\d+)\.pb$")
"""An ONNX test-data input file (the model zoo's test_data_set_0/input_N.pb); fleet ships them."""
MAX_INPUT_SETS = 1024
"""Distinct input sets rotated run by run (run.input_sets, or a file's leading axis): more buys
no realism, only memory."""
INPUT_FILE_LIMIT = 16 << 30
"""Input arrays can be big; past this a file is a mistake, not inputs (the arrays go to RAM)."""


@dataclass(frozen=True)
class FileArray:
    """One input's data from a file. `stacked`: the leading axis holds K input sets."""

    array: np.ndarray
    path: str
    sha256: str
    key: str  # the array's name in the .npz, the .pb file name, or "" for an .npy
    stacked: bool = False

    @property
    def sets(self) -> int:
        return int(self.array.shape[0]) if self.stacked else 1

    def one(self, k: int = 0) -> np.ndarray:
        return self.array[k] if self.stacked else self.array

    def source(self) -> dict[str, object]:
        out: dict[str, object] = {"kind": "file", "path": self.path, "sha256": self.sha256}
        if self.key:
            out["array"] = self.key
        if self.stacked:
            out["sets"] = self.sets
        return out


_PICKLE_HINT = "it holds pickled objects, which ortbench does not load; save plain arrays"


_PICKLE_MAGIC = b"\x80"  # protocol 2 and later
_NPY_MAGIC = b"\x93NUMPY"


def _magic(p: Path) -> bytes:
    try:
        with open(p, "rb") as fh:
            return fh.read(6)
    except OSError as exc:
        raise OrtbenchError(f"cannot read {p}: {exc}") from None


class _StrArrayReader(pickle.Unpickler):
    """Unpickles exactly what np.save writes for an object array, and nothing else: the only
    callables it will find are numpy's array reconstructor, ndarray and dtype, so no code from
    the file runs; whether the elements are all str is checked after."""

    ALLOWED = frozenset(
        {
            ("numpy._core.multiarray", "_reconstruct"),
            ("numpy.core.multiarray", "_reconstruct"),
            ("numpy", "ndarray"),
            ("numpy", "dtype"),
        }
    )

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused: {module}.{name}")
        return super().find_class(module, name)


_STR_ONLY = "an object array is read only when every element is a str"


def read_str_object_array(fh: io.BufferedIOBase | io.BytesIO, where: str) -> np.ndarray:
    """An .npy stream holding an object array of str, read without running code from it."""
    try:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        if not dtype.hasobject:
            raise OrtbenchError(f"{where}: expected an object array of str, got {dtype}")
        arr = _StrArrayReader(fh).load()
    except OrtbenchError:
        raise
    except Exception as exc:  # a bad header, a refused global, a truncated pickle
        raise OrtbenchError(f"{where}: {_PICKLE_HINT} ({_STR_ONLY}: {exc})") from None
    if not isinstance(arr, np.ndarray) or arr.dtype != object or arr.shape != tuple(shape):
        raise OrtbenchError(f"{where}: {_PICKLE_HINT} ({_STR_ONLY})")
    bad = next((x for x in arr.reshape(-1) if not isinstance(x, str)), None)
    if bad is not None:
        raise OrtbenchError(f"{where}: {_PICKLE_HINT} ({_STR_ONLY}; found a {type(bad).__name__})")
    return np.asfortranarray(arr) if fortran else arr


def _strings(arr: np.ndarray, t: TensorInfo, where: str) -> np.ndarray:
    """A string input's array: unicode as is, object arrays of str, bytes decoded as UTF-8."""
    if arr.dtype.kind == "U":
        return arr
    if arr.dtype.kind == "S":
        try:
            return np.char.decode(arr, "utf-8")
        except UnicodeDecodeError as exc:
            raise OrtbenchError(
                f"{where}: input {t.name!r}: bytes that are not UTF-8: {exc}"
            ) from None
    if arr.dtype == object:
        bad = next((x for x in arr.reshape(-1) if not isinstance(x, str | bytes)), None)
        if bad is None:
            flat = [x.decode("utf-8") if isinstance(x, bytes) else x for x in arr.reshape(-1)]
            return np.array(flat, dtype=object).reshape(arr.shape)
        raise OrtbenchError(
            f"{where}: input {t.name!r} expects strings, got an object array holding a "
            f"{type(bad).__name__}"
        )
    raise OrtbenchError(f"{where}: input {t.name!r} expects strings, got {arr.dtype.name}")


def _check_dtype(arr: np.ndarray, t: TensorInfo, where: str) -> np.ndarray:
    """The array as fed: checked against the input's dtype (strings normalized)."""
    if t.dtype == "string":
        return _strings(arr, t, where)
    if arr.dtype == object:
        raise OrtbenchError(f"{where}: input {t.name!r}: {_PICKLE_HINT} of dtype {t.dtype}")
    if arr.dtype.name != t.dtype:
        raise OrtbenchError(
            f"{where}: input {t.name!r} expects dtype {t.dtype}, got {arr.dtype.name}"
        )
    return arr


def _stacked(arr: np.ndarray, t: TensorInfo, where: str) -> bool:
    stacked = t.has_shape and arr.ndim == len(t.shape) + 1
    if stacked and arr.shape[0] == 0:  # K = 0 sets: nothing to feed
        raise OrtbenchError(
            f"{where}: input {t.name!r} holds 0 sets on its leading axis; expected 1 to "
            f"{MAX_INPUT_SETS} (an array of one input's shape holds one set)"
        )
    return stacked


def load_npy(path: str | Path, t: TensorInfo) -> FileArray:
    """One input's data from an .npy (a leading axis of K sets is allowed)."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise OrtbenchError(f"input {t.name!r}: file not found: {p}")
    magic = _magic(p)
    if magic.startswith(_PICKLE_MAGIC):
        raise OrtbenchError(f"{p}: input {t.name!r}: {_PICKLE_HINT} (np.save)")
    if not magic.startswith(_NPY_MAGIC):
        raise OrtbenchError(f"{p}: input {t.name!r}: not an .npy file (np.save writes one)")
    try:
        arr = np.load(p, allow_pickle=False)
    except ValueError as exc:
        if "allow_pickle" not in str(exc):
            raise OrtbenchError(f"{p}: input {t.name!r}: not a readable .npy file: {exc}") from None
        if t.dtype != "string":
            raise OrtbenchError(f"{p}: input {t.name!r}: {_PICKLE_HINT} (np.save)") from None
        with open(p, "rb") as fh:
            arr = read_str_object_array(fh, f"{p}: input {t.name!r}")
    except (OSError, EOFError) as exc:
        raise OrtbenchError(f"{p}: input {t.name!r}: not a readable .npy file: {exc}") from None
    if not isinstance(arr, np.ndarray):
        raise OrtbenchError(f"{p}: input {t.name!r}: expected an .npy array, got an archive")
    arr = _check_dtype(arr, t, str(p))
    return FileArray(arr, str(p), file_sha256(p), "", _stacked(arr, t, str(p)))


def _names_check(where: str, got: list[str], wanted: list[str], known: list[str]) -> None:
    missing = [n for n in wanted if n not in got]
    extra = [n for n in got if n not in known]
    model = ", ".join(map(repr, known))
    if missing:
        raise OrtbenchError(
            f"{where}: missing array for input(s) {', '.join(map(repr, missing))}; "
            f"the model's inputs are {model}"
        )
    if extra:
        raise OrtbenchError(
            f"{where}: array(s) {', '.join(map(repr, extra))} match no model input; "
            f"the model's inputs are {model}"
        )


def _load_npz(p: Path, inputs: list[TensorInfo], wanted: list[str]) -> dict[str, FileArray]:
    magic = _magic(p)
    if magic.startswith(_PICKLE_MAGIC):
        raise OrtbenchError(f"{p}: {_PICKLE_HINT} (np.savez)")
    if not magic.startswith(b"PK"):  # np.load would try anything else as a pickle
        raise OrtbenchError(f"{p} is not an .npz file (not a zip archive; np.savez writes one)")
    strings = {t.name for t in inputs if t.dtype == "string"}
    try:
        with np.load(p, allow_pickle=False) as npz:
            names = list(npz.files)
            _names_check(str(p), names, wanted, [t.name for t in inputs])
            arrays = {k: _npz_member(npz, k, k in strings, p) for k in names}
        for name, arr in arrays.items():
            if not isinstance(arr, np.ndarray):  # numpy hands back a non-.npy member as bytes
                raise OrtbenchError(
                    f"{p}: member {name!r} is not an .npy array (np.savez writes one per input)"
                )
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise OrtbenchError(f"{p}: {_PICKLE_HINT} (np.savez)") from None
        raise OrtbenchError(f"{p} is not a readable .npz file: {exc}") from None
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise OrtbenchError(f"{p} is not a readable .npz file: {exc}") from None
    digest = file_sha256(p)
    out = {}
    for t in inputs:
        if t.name in arrays:
            arr = _check_dtype(arrays[t.name], t, str(p))
            out[t.name] = FileArray(arr, str(p), digest, t.name, _stacked(arr, t, str(p)))
    return out


def _npz_member(npz: np.lib.npyio.NpzFile, key: str, strings: bool, p: Path) -> np.ndarray:
    """One member; for a string input an object member is read as str only (no pickle)."""
    try:
        return npz[key]
    except ValueError as exc:
        if not strings or "allow_pickle" not in str(exc):
            raise
    with zipfile.ZipFile(p) as archive, archive.open(f"{key}.npy") as fh:
        return read_str_object_array(io.BytesIO(fh.read()), f"{p}: member {key!r}")


def _load_pb_dir(p: Path, inputs: list[TensorInfo], wanted: list[str]) -> dict[str, FileArray]:
    files = sorted((int(m.group(1)), f) for f in p.iterdir() if (m := PB_NAME.fullmatch(f.name)))
    if not files:
        raise OrtbenchError(f"{p}: no input_N.pb files (the model zoo's test_data_set_0 layout)")
    # Imported here, not at the top: the TUI imports this module before its first frame, and
    # importing onnx takes longer than that frame (ARCHITECTURE.md §6.4).
    import onnx
    from onnx import numpy_helper

    numbered: dict[int, Path] = {}
    for n, f in files:  # input_1.pb and input_01.pb both claim input 1: say so, keep neither
        if n in numbered:
            raise OrtbenchError(f"{p}: {numbered[n].name} and {f.name} are both input {n}")
        numbered[n] = f
    loaded: dict[str, tuple[np.ndarray, Path]] = {}
    for n, f in files:
        # A regular file within the limit: a link to /dev/zero or a FIFO is refused, not read.
        data = read_regular(f, INPUT_FILE_LIMIT, "input file")
        proto = onnx.TensorProto()
        try:
            proto.ParseFromString(data)
            arr = numpy_helper.to_array(proto)
        except Exception as exc:  # protobuf and onnx raise many kinds on a bad file
            raise OrtbenchError(f"{f}: not a readable ONNX TensorProto: {exc}") from None
        # ONNX test data names its tensors; unnamed ones follow the model's input order
        name = proto.name or (inputs[n].name if n < len(inputs) else f"input_{n}")
        if name in loaded:
            raise OrtbenchError(
                f"{p}: {loaded[name][1].name} and {f.name} both hold input {name!r}; keep one"
            )
        loaded[name] = (arr, f)
    _names_check(str(p), list(loaded), wanted, [t.name for t in inputs])
    out = {}
    for t in inputs:
        if t.name in loaded:
            arr, f = loaded[t.name]
            arr = _check_dtype(arr, t, str(f))
            out[t.name] = FileArray(arr, str(f), file_sha256(f), f.name)
    return out


def load_file_set(
    path: str | Path, inputs: list[TensorInfo], wanted: list[str] | None = None
) -> dict[str, FileArray]:
    """Arrays from an .npz or an input_N.pb folder; `wanted` must all be there (default all)."""
    p = Path(path).expanduser()
    wanted = [t.name for t in inputs] if wanted is None else wanted
    if p.is_dir():
        if not any(PB_NAME.fullmatch(f.name) for f in p.iterdir()):
            raise OrtbenchError(
                f"{p} is a folder, not an .npz file; a folder of inputs holds input_N.pb files "
                "(the model zoo's test_data_set_0 layout) and this one has none"
            )
        return _load_pb_dir(p, inputs, wanted)
    check_regular(p, INPUT_FILE_LIMIT, "input file")
    return _load_npz(p, inputs, wanted)


__all__ = ["MAX_INPUT_SETS", "FileArray", "load_file_set", "load_npy", "read_str_object_array"]
