"""The CPU and memory the numbers come from: cores, model, governor, frequency, load."""

from __future__ import annotations

import os
import platform


def logical_cores() -> int:
    """Logical CPUs (hyper-threads included), at least 1."""
    return max(1, os.cpu_count() or 1)


def physical_cores() -> int:
    """Physical cores: the seed article's intra-op thread count. Logical count as fallback."""
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except Exception:
        n = None
    return max(1, n or logical_cores())


def cpu_model_name() -> str:
    """CPU model from /proc/cpuinfo, else whatever `platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_governor() -> str | None:
    """Frequency governor of cpu0 ("powersave" skews latency), None where not exposed."""
    try:
        with open("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", encoding="utf-8") as fh:
            return fh.read().strip() or None
    except OSError:
        return None


def cpu_freq_mhz() -> float | None:
    """Current frequency of the CPU in MHz, None where psutil cannot tell."""
    try:
        import psutil

        freq = psutil.cpu_freq()
    except Exception:
        return None
    return round(freq.current, 1) if freq and freq.current else None


def memory_mb() -> int:
    """Total memory in MiB, 0 where psutil cannot tell."""
    try:
        import psutil

        return int(psutil.virtual_memory().total // 2**20)
    except Exception:
        return 0


def load_avg() -> tuple[float, float, float] | None:
    """The 1, 5 and 15 minute load averages, None where the OS has none."""
    try:
        a, b, c = os.getloadavg()
    except (OSError, AttributeError):
        return None
    return (round(a, 2), round(b, 2), round(c, 2))
