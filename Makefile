# One command to start, one to test. Everything installs into .venv.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ITSM := $(BIN)/itsm
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install dev test lint typecheck layers pytest pytest-pg browser bench bench-smoke clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

## make run: migrate the embedded database, load demo data once, serve on 127.0.0.1:8000 with the worker.
run: install
	$(ITSM) migrate --no-input
	$(ITSM) demo --if-empty
	$(ITSM) serve --host $(HOST) --port $(PORT)

## make test: ruff, mypy, the layer contract and the whole suite (SQLite, then PostgreSQL if configured).
test: dev browser lint typecheck layers pytest pytest-pg

lint:
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck:
	$(BIN)/mypy

layers:
	$(BIN)/lint-imports

pytest:
	ITSM_TESTING=1 ITSM_DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 $(BIN)/pytest -q

pytest-pg:
	@if [ -n "$$ITSM_TEST_DATABASE_URL" ]; then \
		echo "== test suite on PostgreSQL =="; \
		ITSM_TESTING=1 ITSM_DATABASE_URL="$$ITSM_TEST_DATABASE_URL" $(BIN)/pytest -q; \
	else echo "ITSM_TEST_DATABASE_URL is not set: PostgreSQL run skipped"; fi

## Browser tests drive Debian's Chromium; install it when missing (needs root or sudo).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; \
	fi

bench: dev
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-smoke: dev
	$(BIN)/python -m bench --smoke $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
