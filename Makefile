# The two commands a newcomer needs: `make run` and `make test`.
# Each creates .venv and installs what it needs when missing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-faults lint bench bench-quick bench-exports clean schemas asyncapi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kapaudit needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kapaudit up --demo

# The browser tests drive Debian's Chromium (never a downloaded one).
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium

# WeasyPrint (the report's PDF) loads Pango through ctypes; fonts make its text visible.
PANGO := /usr/lib/$(shell uname -m)-linux-gnu/libpango-1.0.so.0

$(PANGO):
	$(SUDO) apt-get update -q
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

# Everything, on both stores and the real broker, spread over workers (pytest-xdist),
# then the fault suite alone, since it kills processes and times outages. Two workers
# per core: the suite mostly waits on brokers, databases and child processes.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) * 2 )))

test: $(STAMP) $(CHROMIUM) $(PANGO)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --ignore=tests/faults
	$(BIN)/pytest -q tests/faults

# The inner loop, under two minutes: unit, store-contract and HTTP tests on memory and
# SQLite, with the embedded broker; no PostgreSQL server, no browser; one worker per
# core (pytest-xdist), each with its own broker. `make test` runs everything.
test-fast: $(STAMP)
	$(BIN)/pytest -q -n auto -m "not postgres" tests/unit tests/contract tests/http

# The fault suite at full scale (50,000 events, 20 recorder kills, 30 s outages); it
# rewrites docs/RELIABILITY.md. `make test` runs its short form.
test-faults: $(STAMP)
	KAPAUDIT_FAULTS=full $(BIN)/pytest tests/faults -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy events projections services bench
	$(BIN)/lint-imports

# Every figure of docs/BENCHMARKS.md in one run (about half an hour); it rewrites that page.
bench: $(STAMP)
	$(BIN)/python bench/suite.py

bench-quick: $(STAMP)
	$(BIN)/python bench/suite.py --quick

# The regulators' figures: export, offline verification and proof latency (issue 8).
bench-exports: $(STAMP)
	$(BIN)/python bench/export_throughput.py
	$(BIN)/python bench/verify_export.py
	$(BIN)/python bench/proof_latency.py

schemas: $(STAMP)
	$(BIN)/kapaudit schemas export
	$(BIN)/kapaudit asyncapi --output docs/asyncapi.yaml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/artifacts
