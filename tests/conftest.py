"""Shared fixtures: every test gets its own cache and data dirs, never the user's."""

from __future__ import annotations

import pytest


def _gpu_available() -> bool:
    try:
        from ortbench_tui.hardware import probe_providers

        return any(p.name == "CUDAExecutionProvider" and p.works for p in probe_providers())
    except Exception:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("gpu") for item in items):
        return
    if _gpu_available():
        return
    skip = pytest.mark.skip(reason="needs a working CUDA execution provider")
    for item in items:
        if item.get_closest_marker("gpu"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Samples cache shared by the session (generation is deterministic); results per test."""
    cache = tmp_path_factory.getbasetemp() / "ortbench-cache"
    monkeypatch.setenv("ORTBENCH_CACHE_DIR", str(cache))
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("ORTBENCH_DATA_DIR", str(data))
    return data
