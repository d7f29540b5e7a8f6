# Two commands on a fresh machine with Python 3.11+:  make run  ·  make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev

.PHONY: run test lint screenshots bench clean

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
	$(BIN)/ruff check ortbench_tui tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(DEV)
	$(BIN)/ruff check ortbench_tui tests bench
	$(BIN)/ruff format --check ortbench_tui tests bench

screenshots: $(DEV)
	$(BIN)/python scripts/screenshots.py

bench: $(DEV)
	$(BIN)/python bench/harness_overhead.py
	$(BIN)/python bench/observer_effect.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/sweep_vs_exhaustive.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
