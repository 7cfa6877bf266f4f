# Kaifang: `make run` serves the platform with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run test lint clean migration bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/kaifang migrate
	$(BIN)/kaifang demo load
	@echo "Serving Kaifang at http://$(HOST):$(PORT)  (Ctrl-C to stop)"
	$(BIN)/kaifang serve --host $(HOST) --port $(PORT)

# The suite includes mypy and the import-linter contracts (tests/test_architecture.py).
test: setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check kaifang tests
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

migration: setup
	$(BIN)/python scripts/regen_initial_migration.py

clean:
	rm -rf $(VENV) var .pytest_cache bench/work bench/.venv-peers
