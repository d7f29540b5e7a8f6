"""Where a saved best profile won: the `[provenance]` table of a profile file.

`sweep --save-best` and `practices --save-best` write it; it says what the contest was (the
model and its sha256, the inputs, the margin), where it was run (the ORT version and the
machine fingerprint, `hardware.machine_fingerprint`), when, and what the profile beat (that
profile's settings, and the ratio of its median to the winner's with the 95% CI). That is
enough to run the contest again (`ortbench check MODEL --profile P`), which is worth doing
when ORT or the machine is not the one the profile won on (`mismatch`).

    [provenance]
    found_by = "sweep"                  # sweep | practices
    date = "2026-12-02T02:30:00+00:00"
    ort_version = "1.31.1"
    margin = 0.01
    decided = true                      # false: a tie, the cheaper of the tied was kept
    ratio = 1.12                        # beaten median / this profile's median (> 1: faster)
    ci = [1.05, 1.19]
    beaten_label = "#2 intra_op_num_threads=1"
    [provenance.machine]                # cpu_model, physical_cores, logical_cores, gpus, gpu_driver
    [provenance.model]                  # spec, name, sha256
    [provenance.inputs]                 # the input spec (--shape, --input)
    [provenance.beaten]                 # the profile it beat: name and its non-default settings

The table is kept through load and save (the TUI editor's saves included); `profile_to_dict`,
which is a profile's *settings* (the `profile` of a result, what a run is given), leaves it out.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

FOUND_BY = ("sweep", "practices")
MACHINE_KEYS = ("cpu_model", "physical_cores", "logical_cores", "gpus", "gpu_driver")
"""The machine part of the fingerprint (`hardware.machine_fingerprint` less the ORT version)."""


@dataclass
class Provenance:
    found_by: str
    date: str
    ort_version: str
    machine: dict[str, Any]
    model: dict[str, str]
    """spec (as given: a path or sample:NAME), name, sha256."""
    beaten: dict[str, Any]
    """The profile it beat, as a profile document: name, description and the settings that
    differ from the defaults (read with `profile_from_dict`)."""
    beaten_label: str = ""
    margin: float = 0.01
    decided: bool = True
    ratio: float | None = None
    """The beaten profile's median over this one's (above 1: this one was faster)."""
    ci: list[float] | None = None
    inputs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The TOML table (no None: TOML has no null)."""
        out: dict[str, Any] = {
            "found_by": self.found_by,
            "date": self.date,
            "ort_version": self.ort_version,
            "margin": self.margin,
            "decided": self.decided,
        }
        if self.ratio is not None:
            out["ratio"] = self.ratio
        if self.ci is not None:
            out["ci"] = list(self.ci)
        out["beaten_label"] = self.beaten_label
        out["machine"] = copy.deepcopy(self.machine)
        out["model"] = dict(self.model)
        if self.inputs:
            out["inputs"] = copy.deepcopy(self.inputs)
        out["beaten"] = copy.deepcopy(self.beaten)
        return out

    def machine_text(self) -> str:
        return machine_text(self.machine)

    def won_text(self) -> str:
        """'ORT 1.30.0 on Intel Xeon ..., 8 cores'."""
        return f"ORT {self.ort_version} on '{self.machine_text()}'"

    def ratio_text(self) -> str:
        if self.ratio is None:
            return "ratio not measured"
        ci = f" [{self.ci[0]:.3f}, {self.ci[1]:.3f}]" if self.ci else ""
        return f"{self.ratio:.3f}x{ci}"


def machine_text(machine: dict[str, Any]) -> str:
    """'Intel Xeon ..., 8 cores, NVIDIA H100 (driver 550.1)'."""
    text = f"{machine.get('cpu_model') or 'unknown CPU'}, {machine.get('physical_cores')} cores"
    gpus = machine.get("gpus") or []
    if gpus:
        driver = machine.get("gpu_driver")
        text += f", {' + '.join(str(g) for g in gpus)}" + (f" (driver {driver})" if driver else "")
    return text


def mismatch(provenance: Provenance, now: dict[str, Any]) -> list[str]:
    """What differs between where the profile won and `now` (a `machine_fingerprint`): one
    phrase per difference, empty when it is the same ORT on the same machine."""
    out = []
    if provenance.ort_version != str(now.get("ort_version") or ""):
        out.append(f"ORT {provenance.ort_version} -> {now.get('ort_version')}")
    for key in MACHINE_KEYS:
        then_value, now_value = provenance.machine.get(key), now.get(key)
        if key == "gpus":
            then_value, now_value = sorted(then_value or []), sorted(now_value or [])
        if then_value != now_value:
            out.append(f"{key} {then_value!r} -> {now_value!r}")
    return out


def mismatch_line(name: str, provenance: Provenance, now: dict[str, Any]) -> str:
    """One warning line when the profile won elsewhere; "" when it won here."""
    if not mismatch(provenance, now):
        return ""
    here = f"ORT {now.get('ort_version')} on '{machine_text(now)}'"
    model = provenance.model.get("spec") or "MODEL"
    return (
        f"profile '{name}' won on {provenance.won_text()}; here {here}: re-check with "
        f"`ortbench check {model} --profile {name}`"
    )
