# One entry point for people and CI. `make demo` and `make test` are the README's Quick start.
VENV := .venv/bin
export OMP_WAIT_POLICY ?= passive

.PHONY: venv demo test smoke lint check bench

venv:
	@bash scripts/bootstrap.sh

demo: venv  ## set up, migrate SQLite, load the demo portfolio, run the nightly cycle, serve
	$(VENV)/arrears demo

test: venv  ## the whole suite (SQLite by default; set DATABASE_URL for PostgreSQL)
	$(VENV)/pytest

smoke: venv  ## the quick subset, used by CI on SQLite
	$(VENV)/pytest -m smoke

lint: venv
	$(VENV)/ruff check .
	$(VENV)/lint-imports

check: lint test
