# Two commands on a fresh machine with Python 3.11+:  make run  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: run test check lint screenshots bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV): $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/ortbench

test: $(DEV)
	$(BIN)/ruff check ortbench_tui tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not serial"
	$(BIN)/python -m pytest -q -m serial

# The fast part of the suite, for the edit-test loop: nothing marked slow (2 s or more: real
# measurements, calibration experiments, Ray clusters, big screens), serial or e2e (tmux).
# `make test` runs all of it.
check: $(DEV)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -m "not slow and not e2e and not serial"

lint: $(DEV)
	$(BIN)/ruff check ortbench_tui tests benchmarks
	$(BIN)/ruff format --check ortbench_tui tests benchmarks

screenshots: $(DEV)
	$(BIN)/python scripts/screenshots.py

bench: $(DEV)
	$(BIN)/python benchmarks/harness_overhead.py
	$(BIN)/python benchmarks/observer_effect.py
	$(BIN)/python benchmarks/startup.py
	$(BIN)/python benchmarks/sweep_vs_exhaustive.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
