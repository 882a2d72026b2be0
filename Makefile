# Stockhouse: `make run` starts the product, `make test` passes every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8080
TEST_WORKERS ?= 2
DATA_DIR ?= ./stockhouse-data
# Reinstall whenever pyproject.toml changes.
INSTALLED := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench bench-deps browser-deps services migration clean

$(INSTALLED): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## run: a demo marketplace on http://127.0.0.1:$(PORT) (make run PORT=8090 DATA_DIR=/tmp/x)
run: $(INSTALLED)
	@test -f $(DATA_DIR)/demo-credentials.json || $(BIN)/stockhouse demo --data-dir $(DATA_DIR)
	$(BIN)/stockhouse serve --data-dir $(DATA_DIR) --port $(PORT)

## test: lint, type-check, then the whole suite
test: lint
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: $(INSTALLED)
	$(BIN)/ruff check src tests $(wildcard bench)
	$(BIN)/mypy

## bench: every benchmark, quick mode
bench: $(INSTALLED) bench-deps
	@for script in bench/*.py; do [ -e "$$script" ] || continue; echo "== $$script"; \
		$(BIN)/python "$$script" --quick || exit 1; done

## bench-deps: wrk, the HTTP load generator of bench/http.py
bench-deps:
	@command -v wrk >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq wrk; }

## browser-deps: Debian's Chromium for the browser tests
browser-deps:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium chromium-driver; }

## services: start the local PostgreSQL and Redis if they are not answering (CI uses this)
services:
	@scripts/start-services

## migration: a new Alembic migration from the models (make migration MSG="add things")
migration: $(INSTALLED)
	$(BIN)/alembic revision --autogenerate -m "$(MSG)"
	$(BIN)/ruff check --fix --quiet src/stockhouse/db/migrations; $(BIN)/ruff format --quiet src/stockhouse/db/migrations

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
