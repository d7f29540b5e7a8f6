"""Deriving the model `run.precision` asks for, converted once and then taken from the cache.

Files are written into a temp folder beside the cache and moved in with `os.replace`, the
model last, so a crash never leaves a half-written model that a later run would pick up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import OrtbenchError
from ..profile import Profile
from . import fp16, int8
from .failures import STEP_FP16, STEP_INT8, conversion_error, step_of
from .plan import DerivationPlan, plan_derivation

# Above this (or with external data) derived models are written with external data.
LARGE_MODEL_BYTES = 1536 * 2**20


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
    from ..models import inspect_model

    if path.stat().st_size > LARGE_MODEL_BYTES:
        return True
    try:
        return bool(inspect_model(path).external_data)
    except OrtbenchError:
        return False


def _load_check(path: Path) -> None:
    """Load the model in ORT (CPU, no rewrites): type errors in a derived graph show here."""
    from ..quiet import import_onnxruntime

    ort = import_onnxruntime()

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])


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
                    fp16.convert_to_fp16(source, out, large)
                elif plan.tag == "int8-dynamic":
                    int8.quantize_int8_dynamic(source, out, large)
                else:
                    assert plan.calibration is not None
                    int8.quantize_int8_static(source, out, large, plan.calibration)
        except OrtbenchError:
            raise
        except Exception as exc:
            raise conversion_error(step_of(exc, step), source, exc, source) from exc
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
                raise conversion_error(
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
