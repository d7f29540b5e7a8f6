"""What the main screen says when a run ends: a notification for a finished or failed run,
and the trace screen a traced run ends on."""

from __future__ import annotations

from typing import Any

from textual.screen import Screen

from ortbench_tui.text import format_ms


def notify_finished(screen: Screen[Any], result: dict[str, Any], save_error: str | None) -> None:
    """Latency in one line; the EP fallback and a failed save to history stand out."""
    lat = result.get("latency_ms") or {}
    status = result.get("status", "ok")
    p50, p99 = lat.get("p50"), lat.get("p99")
    text = f"p50 {format_ms(p50)} · p99 {format_ms(p99)} · {result.get('runs')} runs"
    title = "Run finished" if status == "ok" else f"Run {status}"
    screen.notify(text, title=title, timeout=5)
    if any(w.startswith("FALLBACK:") for w in result.get("warnings") or []):
        screen.notify(
            "the requested EP did not run this model; see the run panel",
            title="EP fallback",
            severity="error",
            timeout=10,
        )
    if save_error:
        screen.notify(save_error, title="Not saved to history", severity="error", timeout=10)


def notify_failed(screen: Screen[Any], kind: str, message: str) -> None:
    title = "Bad input" if kind == "input" else "Run failed"
    screen.notify(message, title=title, severity="error", timeout=10)


def show_trace(screen: Screen[Any], result: dict[str, Any]) -> None:
    """A traced run ended: open its trace, or say why there is none."""
    from .trace import TraceScreen

    summary = result.get("trace")
    status = result.get("status", "ok")
    if status != "ok" or not isinstance(summary, dict):
        screen.notify(
            f"the traced run was {status}: no trace to show",
            title="Trace",
            severity="warning",
        )
        return
    if summary.get("error"):
        screen.notify(summary["error"], title="Trace incomplete", severity="error", timeout=10)
    model = (result.get("model") or {}).get("name", "?")
    profile = (result.get("profile") or {}).get("name", "?")
    screen.app.push_screen(TraceScreen(summary, f"{model} × {profile}"))
