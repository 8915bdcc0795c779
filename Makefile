# Two commands: `make demo` and `make test`. Each installs what it needs first.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
PYTHON ?= python3
# the suite mostly waits on servers, links and databases: several workers share the two cores
PYTEST_ARGS ?= -n 4 --dist loadfile --durations=20

.PHONY: demo test setup system lint pytest postgres clean

setup: $(STAMP) system $(NPM_STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# the console's front-end packages, exactly as the lockfile pins them
$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

system:
	@scripts/setup-system.sh

lint: $(STAMP)
	$(BIN)/ruff format --check src tests
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/lint-imports

postgres:
	@scripts/ensure-postgres.sh

pytest: $(STAMP) postgres
	$(BIN)/pytest $(PYTEST_ARGS)

test: setup lint pytest

demo: setup
	GRIDPOS_DATA_DIR=$${GRIDPOS_DATA_DIR:-$(CURDIR)/var} $(BIN)/gridpos demo $(DEMO_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
