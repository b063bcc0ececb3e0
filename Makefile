# Two commands on a fresh machine: `make demo` and `make test`. Both install into .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PORT ?= 3000

.PHONY: install demo lint format test test-fast serve retrain clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall whenever pyproject.toml changes.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask]'
	touch $(INSTALLED)

install: $(INSTALLED)

demo: install
	$(BIN)/skillcast demo

# The architecture (import-linter contracts in pyproject.toml) and style (ruff), before any test.
LINTED := src tests serving benchmarks
lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

format: install
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

test: lint
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

serve: install
	$(BIN)/skillcast serve --port $(PORT)

# The quarterly job (training/README.md): DATA=folder overrides the config's data folder.
retrain: install
	$(BIN)/skillcast retrain --config training/quarterly.toml $(if $(DATA),--data $(DATA))

clean:
	rm -rf .skillcast .pytest_cache
