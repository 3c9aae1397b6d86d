# The two README commands: `make run` and `make test`. Both set everything up themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format e2e bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

# `make run VERBOSE=1` also prints Daphne's access log (every request, static files too);
# without it the terminal keeps what a person needs: the address, errors and the SMS codes.
VERBOSE ?=

run: export DJANGO_DEBUG ?= 1
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput $(if $(VERBOSE),,-v 0)
	$(BIN)/python manage.py load_demo_users
	@echo ""
	@echo "  dmsite is running at http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/)"
	@echo "  Demo log-ins, password dmsite-demo-2026: alice, bob, carol (friends),"
	@echo "    dave (no phone number), mod (moderator, for /admin/)"
	@echo "  SMS verification codes are printed below, as \"SMS to +…: …\" (console backend)."
	@echo "  Access log: off; run \`make run VERBOSE=1\` to see every request. Ctrl+C stops."
	@echo ""
	$(BIN)/daphne $(if $(VERBOSE),,-v 0) -b $(HOST) -p $(PORT) dmsite.asgi:application

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

CHROMIUM := /usr/bin/chromium

test: lint
	$(BIN)/python -m pytest
	@test -x $(CHROMIUM) || echo "Chromium not found at $(CHROMIUM): browser tests skipped"

# The browser tests alone: Playwright drives Debian's Chromium against a live Daphne.
e2e: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/e2e
	@test -x $(CHROMIUM) || echo "Chromium not found at $(CHROMIUM): browser tests skipped"

# Benchmarks of the hot paths on a throwaway seeded database (bench/README.md).
# SQLite by default; PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set.
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache
