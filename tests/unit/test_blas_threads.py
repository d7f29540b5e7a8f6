"""The ortbench process and its workers run numpy's BLAS on one thread: OpenBLAS's pool
threads spin after every call, and one matrix product per live batch once kept a core of a
2-core machine busy beside the measurement."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import os, ortbench_tui.cli, numpy as np
a = np.ones((512, 512))
for _ in range(5):
    a @ a
print(len(os.listdir('/proc/self/task')), os.environ.get('OPENBLAS_NUM_THREADS'))
"""


def _probe(env: dict[str, str]) -> tuple[int, str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[0]), out[1]


def _env_without_blas_settings() -> dict[str, str]:
    env = dict(os.environ)
    for key in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.pop(key, None)
    return env


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads in /proc")
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="OpenBLAS starts no pool on one core")
def test_importing_the_entry_point_keeps_numpy_on_one_thread():
    threads, setting = _probe(_env_without_blas_settings())
    assert (threads, setting) == (1, "1")


def test_a_users_own_blas_setting_is_kept():
    env = _env_without_blas_settings()
    env["OPENBLAS_NUM_THREADS"] = "2"
    assert _probe(env)[1] == "2"
