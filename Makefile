# One command per task; `make help` lists them. Every target installs what it needs first
# (uv through pip when it is missing, then the workspace, then the admin UI's build), so each
# works on a fresh clone.

SHELL := /bin/bash
UV ?= uv
NPM ?= npm
PYTEST_ARGS ?=

# The admin UI (admin_ui/) builds into the core package, which serves it at /ui/ and ships it
# in the wheel. The build is redone only when a source, the lock file or the config is newer
# than the built index.html (Vite rewrites it on every build).
UI_DIR := admin_ui
UI_BUILD := core/src/switchboard/ui_build/index.html
UI_MODULES := $(UI_DIR)/node_modules/.package-lock.json
UI_SOURCES := $(shell find $(UI_DIR)/src $(UI_DIR)/public -type f 2>/dev/null) \
	$(wildcard $(UI_DIR)/index.html $(UI_DIR)/vite.config.ts $(UI_DIR)/tsconfig*.json)

define check_node
	@command -v node >/dev/null 2>&1 && command -v $(NPM) >/dev/null 2>&1 || { \
	  echo "make: the admin UI needs node 20 or newer and npm; install them (https://nodejs.org) and run make again" >&2; exit 1; }
	@node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' || { \
	  echo "make: the admin UI needs node 20 or newer; this is node $$(node --version)" >&2; exit 1; }
endef

.PHONY: help setup ui run test lint fmt typecheck migrate plugins bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(UI_BUILD) ## Install uv (when missing), the workspace with its dev tools into .venv, and build the admin UI (needs node 20+, npm)
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --all-packages

ui: $(UI_MODULES) ## Rebuild the admin UI (admin_ui/ -> core/src/switchboard/ui_build, served at /ui/)
	$(check_node)
	@cd $(UI_DIR) && $(NPM) run build

$(UI_MODULES): $(UI_DIR)/package.json $(UI_DIR)/package-lock.json
	$(check_node)
	@cd $(UI_DIR) && $(NPM) ci --no-audit --no-fund
	@touch $@

$(UI_BUILD): $(UI_MODULES) $(UI_SOURCES)
	$(check_node)
	@cd $(UI_DIR) && $(NPM) run build

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

clean: ## Remove the venv, caches, the embedded data dir, and the UI's node_modules and build
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache data $(UI_DIR)/node_modules core/src/switchboard/ui_build
