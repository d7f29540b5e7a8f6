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
	$(BIN)/python -m pytest -q

# The fast part of the suite, for the edit-test loop: no calibration experiments (repeated A/A,
# power and coverage runs), no Ray cluster, no tmux (marked slow or e2e). `make test` runs all.
check: $(DEV)
	$(BIN)/python -m pytest -q -m "not slow and not e2e"

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
