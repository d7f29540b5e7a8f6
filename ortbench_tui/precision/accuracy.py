"""What reduced precision costs in accuracy: the derived model against the fp32 one, on CPU.

`accuracy_figures` is the pure numpy half (max abs error, mean abs error, cosine similarity),
unit-tested against numpy; `accuracy_report` runs both models over the run's input sets.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import OrtbenchError
from ..profile import Profile
from .plan import precision_tag

if TYPE_CHECKING:
    from ..feeds import Feeds

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
    from ..quiet import import_onnxruntime

    ort = import_onnxruntime()

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


def calibration_note(run_settings: dict[str, Any]) -> str | None:
    """Static int8 calibrates on the very inputs the timed runs and the accuracy check use: say
    so wherever its accuracy is shown (None for every other precision)."""
    if run_settings.get("precision") != "int8" or run_settings.get("int8_mode") != "static":
        return None
    return (
        "static int8: measured on its calibration data (the accuracy check uses the inputs "
        "it was calibrated on, so it is optimistic; new inputs may fare worse)"
    )


def accuracy_summary(accuracy: dict[str, Any] | None) -> tuple[float, float | None] | None:
    """(lowest cosine, largest max abs error) over a result's outputs; None when not measured."""
    figs = [
        f
        for f in (accuracy or {}).values()
        if isinstance(f, dict) and isinstance(f.get("cosine"), (int, float))
    ]
    if not figs:
        return None
    errs = [float(f["max_abs_err"]) for f in figs if isinstance(f.get("max_abs_err"), (int, float))]
    return min(float(f["cosine"]) for f in figs), (max(errs) if errs else None)
