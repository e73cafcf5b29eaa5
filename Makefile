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
	$(BIN)/ruff check hookwire tests bench
	$(BIN)/ruff format --check hookwire tests bench

typecheck: install
	$(BIN)/mypy

# The tests that touch a database run a second time on PostgreSQL, each in a database of
# its own that is dropped afterwards.
DATABASE_TESTS := tests/api tests/services tests/models tests/fuzz tests/test_durability.py \
	tests/test_cli.py tests/test_scale_out.py tests/test_many_processes.py

test: install lint typecheck
	$(BIN)/pytest -q
	@if $(BIN)/python -m tests.support.postgres; then \
		echo "== database tests again, on PostgreSQL =="; \
		HOOKWIRE_TEST_BACKEND=postgres $(BIN)/pytest -q $(DATABASE_TESTS); \
	else \
		echo "PostgreSQL is not reachable at 127.0.0.1:5432: the PostgreSQL run is SKIPPED"; \
	fi

schema: install
	$(BIN)/hookwire export-schema > schema.graphql

clean:
	rm -rf $(VENV) hookwire.db hookwire.db-shm hookwire.db-wal
