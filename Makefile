# The two commands of the README: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck schema clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/hookwire serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check hookwire tests
	$(BIN)/ruff format --check hookwire tests

typecheck: install
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/pytest -q

schema: install
	$(BIN)/hookwire export-schema > schema.graphql

clean:
	rm -rf $(VENV) hookwire.db hookwire.db-shm hookwire.db-wal
