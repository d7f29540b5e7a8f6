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
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import OrtbenchError
from .profile import Profile

# Bump when a converter setting or the file layout changes: old entries are then ignored.
DERIVED_VERSION = 1
# Above this (or with external data) derived models are written with external data.
LARGE_MODEL_BYTES = 1536 * 2**20

STEP_FP16 = "fp16 conversion"
STEP_INT8 = "int8 quantization"
STEP_CALIBRATION = "calibration"

Feeds = dict[str, np.ndarray]


# --- settings and cache keys ------------------------------------------------------------------


def precision_tag(profile: Profile) -> str:
    """fp32, fp16, int8-dynamic or int8-static: what `derive_model` produces for a profile."""
    run = profile.run
    if run.precision == "int8":
        return f"int8-{run.int8_mode}"
    return run.precision


def converter_settings(profile: Profile) -> dict[str, Any]:
    """Everything that decides the derived model's bytes, except the calibration data."""
    import onnxruntime as ort

    tag = precision_tag(profile)
    base: dict[str, Any] = {"derived_version": DERIVED_VERSION, "onnxruntime": ort.__version__}
    if tag == "fp16":
        return {**base, "precision": "fp16", "keep_io_types": True, "op_block_list": "default"}
    if tag == "int8-dynamic":
        return {
            **base,
            "precision": "int8",
            "mode": "dynamic",
            "weight_type": "QInt8",
            "per_channel": False,
        }
    if tag == "int8-static":
        return {
            **base,
            "precision": "int8",
            "mode": "static",
            "quant_format": "QDQ",
            "activation_type": "QInt8",
            "weight_type": "QInt8",
            "per_channel": False,
            "calibrate_method": "MinMax",
        }
    raise OrtbenchError(f"run.precision = {profile.run.precision!r}: nothing to derive")


def feeds_sha256(feeds: list[Feeds]) -> str:
    """A digest of input sets: names, dtypes, shapes and bytes, in order."""
    h = hashlib.sha256()
    for i, feed in enumerate(feeds):
        for name in sorted(feed):
            arr = np.ascontiguousarray(feed[name])
            h.update(f"{i}:{name}:{arr.dtype.str}:{arr.shape};".encode())
            h.update(arr.tobytes())
    return h.hexdigest()


def calibration_feeds(model_path: Path, profile: Profile) -> list[Feeds]:
    """The input sets static quantization calibrates on: run.inputs_npz, else the seeded
    random sets of the timed runs (symbolic dims from session.free_dimensions)."""
    from .feeds import load_npz_feeds, make_feeds
    from .models import inspect_model

    run = profile.run
    free = profile.session.free_dimensions
    try:
        info = inspect_model(model_path)
        if run.inputs_npz:
            return load_npz_feeds(Path(run.inputs_npz), info.inputs, free)
        return make_feeds(info.inputs, free, seed=run.input_seed, sets=run.input_sets)
    except OrtbenchError as exc:
        raise OrtbenchError(
            f"{STEP_CALIBRATION} for int8 static quantization of {model_path.name}: {exc}"
        ) from None


@dataclass
class DerivationPlan:
    """Where a derived model lives in the cache, and what it is made from."""

    source: Path
    source_sha256: str
    tag: str
    settings: dict[str, Any]
    path: Path
    calibration: list[Feeds] | None = field(default=None, repr=False)

    @property
    def metadata_path(self) -> Path:
        return self.path.with_suffix(".json")


def derived_dir() -> Path:
    from .samples import cache_root

    return cache_root() / "derived" / f"v{DERIVED_VERSION}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:40] or "model"


def plan_derivation(model_path: str | os.PathLike[str], profile: Profile) -> DerivationPlan:
    """The cache entry `derive_model` would use for this model and profile (no conversion)."""
    from .models import file_sha256

    source = Path(model_path)
    sha = file_sha256(source)
    tag = precision_tag(profile)
    settings = converter_settings(profile)
    calibration = None
    if tag == "int8-static":
        calibration = calibration_feeds(source, profile)
        settings["calibration_sha256"] = feeds_sha256(calibration)
        settings["calibration_sets"] = len(calibration)
    key = hashlib.sha256(
        json.dumps({"source_sha256": sha, **settings}, sort_keys=True).encode()
    ).hexdigest()
    name = f"{_slug(source.stem)}-{sha[:12]}-{tag}-{key[:12]}.onnx"
    return DerivationPlan(source, sha, tag, settings, derived_dir() / name, calibration)


# --- conversion -------------------------------------------------------------------------------


@contextlib.contextmanager
def _quiet_python_logging() -> Iterator[None]:
    """The quantizer warns through the root logger ("consider pre-processing"); a NullHandler
    keeps `logging.warning` from installing a stderr handler, and the level hides the rest."""
    root = logging.getLogger()
    null = logging.NullHandler()
    root.addHandler(null)
    previous = root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)
        root.removeHandler(null)


def _is_large(path: Path) -> bool:
    from .models import inspect_model

    if path.stat().st_size > LARGE_MODEL_BYTES:
        return True
    try:
        return bool(inspect_model(path).external_data)
    except OrtbenchError:
        return False


def _convert_fp16(src: Path, dst: Path, large: bool) -> None:
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


def _convert_int8_dynamic(src: Path, dst: Path, large: bool) -> None:
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

    class FeedsReader(CalibrationDataReader):
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


def _convert_int8_static(src: Path, dst: Path, large: bool, feeds: list[Feeds]) -> None:
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


def _load_check(path: Path) -> None:
    """Load the model in ORT (CPU, no rewrites): type errors in a derived graph show here."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


# --- naming the node that broke ---------------------------------------------------------------

_NODE_PATTERNS = (
    r"in node \(([^)]+)\)",
    r"of node \(([^)]+)\)",
    r"node \(([^)]+)\)",
    r"node with name '([^']+)'",
    r"node name: ([^\s,)]+)",
    r"[Nn]ode '([^']+)'",
)


def _node_from_traceback(exc: BaseException) -> Any | None:
    """The innermost onnx NodeProto a converter frame was working on, if any."""
    import onnx

    found = None
    tb = exc.__traceback__
    while tb is not None:
        local = tb.tb_frame.f_locals
        candidates = [local.get("node"), getattr(local.get("self"), "node", None)]
        candidates += [v for k, v in local.items() if k not in ("node", "self")]
        for value in candidates:
            if isinstance(value, onnx.NodeProto):
                found = value
                break
        tb = tb.tb_next
    return found


def _load_graph_nodes(path: Path | None) -> list[Any]:
    if path is None:
        return []
    try:
        import onnx

        model = onnx.load(str(path), load_external_data=False)
    except Exception:
        return []
    return list(model.graph.node)


def failing_node(exc: BaseException, *models: Path | None) -> tuple[str, str] | None:
    """(node name, op type) of the node a conversion failed on, when it can be found: from
    the converter's frames, a node name in the message, or a tensor name in the message."""
    node = _node_from_traceback(exc)
    if node is not None:
        return node.name or "(unnamed)", node.op_type
    message = str(exc)
    for path in models:
        nodes = _load_graph_nodes(path)
        by_name = {n.name: n for n in nodes if n.name}
        for pattern in _NODE_PATTERNS:
            for match in re.finditer(pattern, message):
                hit = by_name.get(match.group(1).strip())
                if hit is not None:
                    return hit.name, hit.op_type
        quoted = set(re.findall(r"'([^']+)'", message)) | set(re.findall(r'"([^"]+)"', message))
        for n in nodes:
            if quoted & set(n.input) or quoted & set(n.output):
                return n.name or "(unnamed)", n.op_type
    return None


def _conversion_error(
    step: str,
    source: Path,
    exc: BaseException,
    *models: Path | None,
    what: str = "",
    scrub: Path | None = None,
) -> OrtbenchError:
    where = failing_node(exc, *models)
    at = f" at node '{where[0]}' (op {where[1]})" if where else ""
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if scrub is not None:  # the temp folder is gone by the time anyone reads the message
        detail = detail.replace(str(scrub), "the converted model")
    if len(detail) > 600:
        detail = detail[:600] + "…"
    return OrtbenchError(f"{step} of {source.name} failed{at}: {what}{detail}")


def _step_of(exc: BaseException, default: str) -> str:
    """quantize_static fails in its calibrator or in the quantizer proper: say which."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith("calibrate.py"):
            return STEP_CALIBRATION
        tb = tb.tb_next
    return default


def _move_into_cache(tmpdir: Path, plan: DerivationPlan) -> None:
    """Every file of the conversion into the cache folder; the model last (its presence is
    what marks a complete entry)."""
    model_tmp = tmpdir / plan.path.name
    for f in sorted(tmpdir.iterdir()):
        if f != model_tmp and f.is_file():
            os.replace(f, plan.path.parent / f.name)
    os.replace(model_tmp, plan.path)


def _write_metadata(plan: DerivationPlan, tmpdir: Path, seconds: float) -> None:
    meta = {
        "source": str(plan.source),
        "source_sha256": plan.source_sha256,
        "precision": plan.tag,
        "settings": plan.settings,
        "convert_seconds": round(seconds, 3),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    tmp = tmpdir / (plan.metadata_path.name + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, plan.metadata_path)


def derive_model(model_path: str | os.PathLike[str], profile: Profile) -> Path:
    """The model `run.precision` asks for: the source itself for fp32, else a cached derived
    model, converted on first use. Raises OrtbenchError naming the step that failed."""
    source = Path(model_path)
    if profile.run.precision == "fp32":
        return source
    plan = plan_derivation(source, profile)
    if plan.path.is_file():
        return plan.path
    step = STEP_FP16 if plan.tag == "fp16" else STEP_INT8
    try:
        plan.path.parent.mkdir(parents=True, exist_ok=True)
        tmpdir = Path(tempfile.mkdtemp(prefix=".tmp-", dir=plan.path.parent))
    except OSError as exc:
        raise OrtbenchError(
            f"cannot write derived models to {plan.path.parent}: {exc} "
            "(set ORTBENCH_CACHE_DIR to a writable folder)"
        ) from None
    out = tmpdir / plan.path.name
    try:
        large = _is_large(source)
        t0 = time.perf_counter()
        try:
            with _quiet_python_logging():
                if plan.tag == "fp16":
                    _convert_fp16(source, out, large)
                elif plan.tag == "int8-dynamic":
                    _convert_int8_dynamic(source, out, large)
                else:
                    assert plan.calibration is not None
                    _convert_int8_static(source, out, large, plan.calibration)
        except OrtbenchError:
            raise
        except Exception as exc:
            raise _conversion_error(_step_of(exc, step), source, exc, source) from exc
        if not out.is_file():
            raise OrtbenchError(f"{step} of {source.name} failed: the converter wrote no model")
        try:
            _load_check(out)
        except Exception as exc:
            try:
                _load_check(source)
            except Exception:
                pass  # the source does not load on CPU either: nothing to judge here
            else:
                raise _conversion_error(
                    step,
                    source,
                    exc,
                    out,
                    source,
                    what="the converted model does not load in ONNX Runtime: ",
                    scrub=out,
                ) from exc
        _write_metadata(plan, tmpdir, time.perf_counter() - t0)
        _move_into_cache(tmpdir, plan)
    except OSError as exc:
        raise OrtbenchError(f"cannot write the derived model {plan.path}: {exc}") from None
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return plan.path


# --- accuracy ---------------------------------------------------------------------------------

ACCURACY_PROVIDER = "CPUExecutionProvider"


def accuracy_figures(reference: list[np.ndarray], candidate: list[np.ndarray]) -> dict[str, Any]:
    """Max abs error, mean abs error and cosine similarity of candidate vs reference, over
    all input sets at once (float64). Positions where either side is not finite are left out
    of the figures and counted in `nonfinite`; figures with nothing to measure are None."""
    ref = np.concatenate([np.asarray(r, dtype=np.float64).ravel() for r in reference])
    got = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in candidate])
    if ref.shape != got.shape:
        raise OrtbenchError(
            f"accuracy: the outputs differ in size ({got.size} vs {ref.size} elements)"
        )
    finite = np.isfinite(ref) & np.isfinite(got)
    nonfinite = int(ref.size - np.count_nonzero(finite))
    r, g = ref[finite], got[finite]
    out: dict[str, Any] = {
        "max_abs_err": None,
        "mean_abs_err": None,
        "cosine": None,
        "ref_max_abs": None,
        "elements": int(ref.size),
        "nonfinite": nonfinite,
    }
    if r.size:
        diff = np.abs(g - r)
        out["max_abs_err"] = float(diff.max())
        out["mean_abs_err"] = float(diff.mean())
        out["ref_max_abs"] = float(np.abs(r).max())
        nr, ng = float(np.linalg.norm(r)), float(np.linalg.norm(g))
        if nr == 0.0 and ng == 0.0:
            out["cosine"] = 1.0
        elif nr == 0.0 or ng == 0.0:
            out["cosine"] = 0.0
        else:
            out["cosine"] = float(np.clip(np.dot(r, g) / (nr * ng), -1.0, 1.0))
    return out


def _cpu_session(path: Path, profile: Profile) -> Any:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    for dim, value in profile.session.free_dimensions.items():
        so.add_free_dimension_override_by_name(dim, value)
    return ort.InferenceSession(str(path), sess_options=so, providers=[ACCURACY_PROVIDER])


def accuracy_report(
    fp32_path: Path, derived_path: Path, feeds: list[Feeds], profile: Profile
) -> dict[str, Any]:
    """Per output of the model: the figures of `accuracy_figures` for the derived model
    against the fp32 one, both run with CPU sessions on every input set of the run.

    The result maps output name -> figures (a dict). If the check itself cannot run, the
    result is {"error": message} (a string), and the timed run keeps its result.
    """
    try:
        ref = _cpu_session(Path(fp32_path), profile)
        der = _cpu_session(Path(derived_path), profile)
        names = [o.name for o in ref.get_outputs()]
        ref_outs = [ref.run(names, feed) for feed in feeds]
        der_outs = [der.run(names, feed) for feed in feeds]
        report: dict[str, Any] = {}
        for i, name in enumerate(names):
            r = [outs[i] for outs in ref_outs]
            d = [outs[i] for outs in der_outs]
            if not all(isinstance(a, np.ndarray) for a in (*r, *d)):
                report[name] = {"skipped": "not a tensor output"}
                continue
            figures = accuracy_figures(r, d)
            figures.update(
                reference="fp32",
                precision=precision_tag(profile),
                input_sets=len(feeds),
                evaluated_on=ACCURACY_PROVIDER,
            )
            report[name] = figures
        return report
    except Exception as exc:
        detail = " ".join(str(exc).split())[:400] or type(exc).__name__
        return {"error": f"accuracy check failed: {detail}"}


def accuracy_lines(accuracy: dict[str, Any] | None) -> list[str]:
    """One readable line per output of a result's `accuracy` section (CLI and TUI):
    'y: cosine 0.99999992 · max abs err 0.00123 · mean abs err 0.000436 (ref max 3.18)'."""
    if not accuracy:
        return []
    if isinstance(accuracy.get("error"), str):
        return [accuracy["error"]]
    lines = []
    for name, fig in accuracy.items():
        if not isinstance(fig, dict):
            continue
        if "skipped" in fig:
            lines.append(f"{name}: {fig['skipped']}")
            continue
        if fig.get("cosine") is None:
            lines.append(f"{name}: no finite values to compare")
            continue
        line = (
            f"{name}: cosine {fig['cosine']:.8f} · max abs err {fig['max_abs_err']:.3g} · "
            f"mean abs err {fig['mean_abs_err']:.3g} (ref max {fig['ref_max_abs']:.3g})"
        )
        if fig.get("nonfinite"):
            line += f" · {fig['nonfinite']} non-finite values"
        lines.append(line)
    return lines


__all__ = [
    "accuracy_lines",
    "STEP_CALIBRATION",
    "STEP_FP16",
    "STEP_INT8",
    "DerivationPlan",
    "accuracy_figures",
    "accuracy_report",
    "calibration_feeds",
    "converter_settings",
    "derive_model",
    "derived_dir",
    "failing_node",
    "feeds_sha256",
    "plan_derivation",
    "precision_tag",
]
