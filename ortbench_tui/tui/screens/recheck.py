"""A saved best profile that won on another ORT or machine: the notice, and its re-check (k).

The re-check is `ortbench check --profile`'s contest (`bench.profile_check.rerun_contest`):
the profile against the one it beat, interleaved until decided, on the comparison screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from ortbench_tui.errors import OrtbenchError
from ortbench_tui.text import printable

from ..workspace import ProfileEntry

if TYPE_CHECKING:
    from ortbench_tui.hardware import HardwareInfo


def won_elsewhere(entry: ProfileEntry | None, hardware: HardwareInfo | None, key: str = "k") -> str:
    """The notice for a profile whose provenance names another ORT or machine than this one;
    "" when it has none, won here, or this machine is not known yet."""
    if entry is None or entry.error or hardware is None:
        return ""
    provenance = entry.profile.provenance
    if provenance is None:
        return ""
    from ortbench_tui.hardware import machine_fingerprint
    from ortbench_tui.profile import machine_text, mismatch

    here = machine_fingerprint(hardware.to_dict())
    if not mismatch(provenance, here):
        return ""
    beaten = provenance.beaten_label or "what it beat"
    return printable(  # names and CPU models come from a file: control characters escaped
        f"'{entry.name}' won on {provenance.won_text()}; here ORT {here['ort_version']} on "
        f"'{machine_text(here)}'. {key} re-checks it against {beaten}",
        one_line=True,
    )


def start_recheck(screen: Screen[Any], entry: ProfileEntry) -> None:
    """The comparison screen with the profile against the one it beat, until decided."""
    from ortbench_tui.bench.profile_check import rerun_contest

    from .compare import ComparisonScreen

    try:
        contest = rerun_contest(entry.profile, str(entry.path or entry.name), save_history=False)
    except OrtbenchError as exc:
        screen.notify(str(exc), title="Cannot re-check", severity="error")
        return
    screen.app.push_screen(ComparisonScreen(contest.request))
