# Each target sets up what it needs from nothing but python3 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench migrations schema docs image image-smoke clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

## make run: serve on http://127.0.0.1:8000 (SQLite file gatehouse.db, in-process event bus)
run: $(STAMP)
	$(BIN)/gatehouse serve --host 127.0.0.1 --port 8000

## make test: lint, type-check, then the whole suite (SQLite unless TEST_DATABASE_URL is set)
test: $(STAMP) lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-logo
	$(BIN)/mypy

## make bench: every benchmark in bench/, each printing its figures
bench: $(STAMP)
	@# The checkout's root on the path, as for the tests: benches import `gatehouse` and `tests`.
	@for b in bench/bench_*.py; do echo "== $$b"; PYTHONPATH=. $(BIN)/python $$b || exit 1; done

## make migrations: write a migration for model changes (Tortoise's built-in engine)
migrations: $(STAMP)
	DATABASE_URL=sqlite:///tmp/gatehouse-makemigrations.db $(BIN)/tortoise -c gatehouse.server.tortoise_config.TORTOISE_ORM makemigrations
	rm -f /tmp/gatehouse-makemigrations.db*

## make schema: re-print gatehouse/schema/schema.graphql after changing the GraphQL types
schema: $(STAMP)
	$(BIN)/python -m gatehouse.schema.export > gatehouse/schema/schema.graphql

## make docs: re-print README.md's generated parts (the permissions table) from the code
docs: $(STAMP)
	$(BIN)/python -m gatehouse.auth.permission_docs --write

## make image: build docker/Dockerfile with podman (no Docker engine needed; see docker/build-image.sh)
image:
	docker/build-image.sh

## make image-smoke: run the image's migrate and serve against local PostgreSQL and Redis, then SIGTERM
image-smoke:
	docker/smoke-image.sh

clean:
	rm -rf $(VENV) *.egg-info
