"""The machine as text: the `ortbench detect` report and the TUI's one-line header."""

from __future__ import annotations

from .machine import HardwareInfo


def _gib(mb: int | None) -> str:
    return "?" if mb is None else f"{mb / 1024:.1f} GiB"


def _short_ep(name: str) -> str:
    return name.removesuffix("ExecutionProvider")


def format_hardware(info: HardwareInfo) -> str:
    """Human-readable report for `ortbench detect`."""
    load = (
        " ".join(f"{x:.2f}" for x in info.load_avg) + " (1/5/15 min)"
        if info.load_avg
        else "unknown"
    )
    freq = f"{info.cpu_freq_mhz:.0f} MHz" if info.cpu_freq_mhz else "unknown"
    lines = [
        f"CPU        {info.cpu_model}",
        f"Cores      {info.physical_cores} physical / {info.logical_cores} logical",
        f"Memory     {_gib(info.memory_mb)}",
        f"Governor   {info.cpu_governor or 'unknown (no cpufreq in /sys)'}",
        f"Frequency  {freq}",
        f"Load       {load}",
    ]
    if info.gpus:
        lines.append(f"GPUs       {info.gpu_status}")
        for g in info.gpus:
            sms = f"{g.sm_count} SMs" if g.sm_count is not None else "SMs unknown"
            cc = f"cc {g.compute_capability}" if g.compute_capability else "cc unknown"
            lines.append(f"  [{g.index}] {g.name} · {sms} · {cc} · {_gib(g.memory_mb)}")
    else:
        lines.append(f"GPUs       none ({info.gpu_status})")
    lines.append(f"ORT        {info.ort_version}")
    lines.append("Providers")
    for p in info.providers:
        if p.works:
            lines.append(f"  works    {p.name}")
        else:
            why = p.reason if p.listed else f"not listed: {p.reason}"
            lines.append(f"  no       {p.name}: {why}")
            if p.fix:
                lines.append(f"    fix    {p.fix}")
    lines.append(f"System     {info.os} · Python {info.python}")
    return "\n".join(lines)


def _gib_short(mb: int | None) -> str:
    return "?" if not mb else f"{mb / 1024:.0f} GiB"


def one_line_summary(info: HardwareInfo) -> str:
    """Header line for the TUI: working EPs, ORT, GPUs with SM counts, cores, memory, CPU.
    What decides a run comes first: at 80 columns the CPU's long model name is what is cut."""
    if info.gpus:
        sms = [f"{g.sm_count} SMs" if g.sm_count else "SMs ?" for g in info.gpus]
        gpu = ", ".join(
            f"{g.name} ({sm}, {_gib_short(g.memory_mb)})"
            for g, sm in zip(info.gpus, sms, strict=True)
        )
    else:
        gpu = "no GPU"
    eps = ", ".join(_short_ep(n) for n in info.working_providers) or "none"
    return (
        f"EPs: {eps} · ORT {info.ort_version} · {gpu} · {info.physical_cores} phys / "
        f"{info.logical_cores} log cores · {_gib_short(info.memory_mb)} · {info.cpu_model}"
    )
