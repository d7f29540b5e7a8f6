"""What to tell a user whose profile asks for an EP that did not load here.

ORT quietly runs such a session on the next provider in the list (CPU). ortbench stops instead
of timing the wrong EP, and says three things: what happened, the cause `ortbench detect`
knows (the probe's reason, and the library fix when a library is missing), and the exact
`--set` that allows the fallback, quoted so it survives being pasted into a shell.
"""

from __future__ import annotations

import shlex


def fallback_flag(took_over: str) -> str:
    """`--set 'provider.fallback=["cpu"]'`: pasted into a shell, the profile key accepts it."""
    short = took_over.removesuffix("ExecutionProvider").lower()
    return "--set " + shlex.quote(f'provider.fallback=["{short}"]')


def load_cause(ep: str) -> str:
    """Why `ep` does not work here, as `ortbench detect` says it, plus the fix it knows."""
    from .gpu.libs import library_fix_hint
    from .hardware import probe_providers

    reason = next((p.reason for p in probe_providers() if p.name == ep), "")
    if not reason:
        return ""
    hint = library_fix_hint(reason, ep)
    return f"{reason}\n  fix: {hint}" if hint else reason


def fallback_refused(profile_name: str, want: str, took_over: str) -> str:
    """The error text for a session that fell back to an EP the profile does not allow."""
    cause = load_cause(want)
    lines = [
        f"execution provider not available: {want} did not load here (profile "
        f"'{profile_name}' asks for it); ORT would run the session on {took_over} instead, so "
        "ortbench stopped rather than time the wrong provider.",
        f"  cause (as `ortbench detect` sees it): {cause or 'ORT gave no reason'}",
        f"  to run on {took_over} anyway, add: {fallback_flag(took_over)}",
        "  (or set provider.fallback in the profile, or use a profile for an EP that works "
        "here: see `ortbench detect`)",
    ]
    return "\n".join(lines)
