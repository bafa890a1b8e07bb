# One command per task; `make help` lists them. Every target installs what it needs first
# (uv through pip when it is missing, then the workspace), so each works on a fresh clone.

SHELL := /bin/bash
UV ?= uv
PYTEST_ARGS ?=

.PHONY: help setup run test lint fmt typecheck migrate plugins bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Install uv (when missing) and the workspace with its dev tools into .venv
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --all-packages

run: setup ## Run the gateway on the embedded default (SQLite in ./data, in-memory state)
	@$(UV) run --frozen switchboard serve

test: setup ## Run the whole test suite (PostgreSQL and Redis tests skip when absent)
	@$(UV) run --frozen pytest $(PYTEST_ARGS)

lint: setup ## ruff (lint and format check) and mypy --strict
	@$(UV) run --frozen ruff check .
	@$(UV) run --frozen ruff format --check .
	@$(UV) run --frozen mypy

fmt: setup ## Format and autofix with ruff
	@$(UV) run --frozen ruff format .
	@$(UV) run --frozen ruff check --fix .

migrate: setup ## Create or upgrade the configured database's schema
	@$(UV) run --frozen switchboard migrate

plugins: setup ## Show installed plugins, their hooks and where they are on
	@$(UV) run --frozen switchboard plugins list

bench: setup ## Run the reference benchmark against the gateway (see bench/README.md)
	@bench/run.sh

clean: ## Remove the venv, caches and the embedded data dir
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache data
