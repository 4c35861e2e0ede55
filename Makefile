# SculptOps API. `make run` starts the local stack; `make test` runs the whole suite.
# Both create the environment (.venv, node_modules) when it is missing.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# Swagger UI 5 from npm (swagger-ui-dist, pinned in package.json), copied into the core layer.
SWAGGER_DIR := layers/core/python/sculptops/http/static/swagger
SWAGGER_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png LICENSE NOTICE
SWAGGER_ASSETS := $(addprefix $(SWAGGER_DIR)/,$(SWAGGER_FILES))
CHROMIUM := /usr/bin/chromium
# The console (web/: its own package.json and lock), built by Vite into the core layer, whose
# identity function serves it at / (http/console.py). Its typed client is generated from the
# API's OpenAPI document, which `web/openapi.json` writes from the package.
CONSOLE_DIR := layers/core/python/sculptops/http/static/console
WEB_STAMP := web/node_modules/.installed
WEB_SOURCES := $(shell find web -path web/node_modules -prune -o -path web/src/client -prune \
	-o -path web/openapi.json -prune -o -type f -print 2>/dev/null)
PACKAGE_SOURCES := $(shell find layers/core/python/sculptops -name '*.py' 2>/dev/null)
PYTHON ?= python3
PORT ?= 8000
# pytest workers for `make test` (pytest-xdist; each test file stays on one worker, and files
# are handed out in the order of testpaths in pyproject.toml, longest first). Two workers fit
# this 2-core machine.
JOBS ?= 2
export SLS_TELEMETRY_DISABLED := 1
export SLS_NOTIFICATIONS_MODE := off
# swagger-ui-dist depends on @scarf/scarf, whose install script would report the install.
export SCARF_ANALYTICS := false

.PHONY: run test check lint format types unit integration e2e deploy-tests dynamodb-local \
	venv node swagger console browser layers package deploy-local bench load reliability clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python >= 3.11 is needed (set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(PY) -m pip install --quiet --disable-pip-version-check uv
	$(UV) pip install --quiet --python $(PY) -e '.[local,dev]'
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

venv: $(STAMP)
node: $(NODE_STAMP)

## Swagger UI's files (from node_modules) into the core layer, served at /api/v1/docs.
swagger: $(SWAGGER_ASSETS)

$(SWAGGER_DIR)/%: $(NODE_STAMP)
	@mkdir -p $(@D)
	cp node_modules/swagger-ui-dist/$* $@

## The console's production bundle (index.html, assets/*) into the core layer: `npm ci` in web/
## when its lock changed, then `npm run build` when a source or the API's document changed.
console: $(CONSOLE_DIR)/index.html

$(WEB_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Rewritten only when the document changed, so that an unrelated edit rebuilds nothing.
web/openapi.json: $(STAMP) $(PACKAGE_SOURCES)
	@$(PY) -c 'import json, sys; from sculptops.http.openapi import openapi_document; \
	  json.dump(openapi_document(), sys.stdout)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; echo "wrote $@"; fi

$(CONSOLE_DIR)/index.html: $(WEB_STAMP) web/openapi.json $(WEB_SOURCES)
	npm run build --prefix web
	@test -f $@ || { echo "npm run build wrote no $@"; exit 1; }
	@touch $@

## Debian's chromium for the browser tests (tests/browser), installed with apt when missing.
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else \
	    echo "$(CHROMIUM) is missing: the browser tests need the Debian package chromium" \
	      "(sudo apt-get install -y chromium)"; \
	    exit 1; \
	  fi; }

## The local stack on 127.0.0.1:$(PORT) (DYNAMODB=local for DynamoDB Local).
run: $(STAMP) $(NODE_STAMP) swagger console
	$(VENV)/bin/sculptops serve --port $(PORT) --dynamodb $(or $(DYNAMODB),moto)

## The whole suite: unit, integration (moto, and DynamoDB Local where Java is present), e2e.
test: $(STAMP) $(NODE_STAMP) swagger console browser
	$(VENV)/bin/pytest -n $(JOBS) --dist loadfile --no-loadscope-reorder

unit: $(STAMP)
	$(VENV)/bin/pytest tests/unit

integration: $(STAMP) $(NODE_STAMP) swagger console
	$(VENV)/bin/pytest tests/integration

## The store adapters' integration tests against DynamoDB Local only.
dynamodb-local: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/pytest tests/integration -m dynamodb_local

e2e: $(STAMP) $(NODE_STAMP) swagger console
	$(VENV)/bin/pytest tests/e2e

## The packaging checks and the rehearsal deploy (also part of `make test`).
deploy-tests: $(STAMP) $(NODE_STAMP) swagger console
	$(VENV)/bin/pytest tests/deploy

## The deps layer for python3.12 on x86_64 (manylinux wheels), into layers/deps/build.
layers: $(STAMP) swagger console
	$(PY) layers/deps/build.py

## Package offline (no AWS credentials, no network) into .serverless/ for STAGE (default dev).
package: layers $(NODE_STAMP)
	SCULPTOPS_OFFLINE_PACKAGE=1 node_modules/.bin/osls package --stage $(or $(STAGE),dev)

## A rehearsal deploy into a moto server on 127.0.0.1 (stage local).
deploy-local: layers $(NODE_STAMP)
	$(PY) -m sculptops.local.rehearsal

lint: $(STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

types: $(STAMP)
	$(VENV)/bin/mypy

## Benchmarks (scripts that print tables, not timed tests) -> build/BENCHMARKS.md;
## UPDATE=1 rewrites the tracked docs/BENCHMARKS.md instead.
bench: $(STAMP) $(NODE_STAMP)
	$(PY) -m tests.bench.run $(if $(filter 1,$(UPDATE)),--update)

## A bounded load run against a local stack of its own.
load: $(STAMP) $(NODE_STAMP)
	$(PY) -m tests.bench.load --seconds 10

## The long reliability tests only (contract fuzzing, state machines, load, rehearsal).
reliability: $(STAMP) $(NODE_STAMP)
	SCULPTOPS_TEST_BUDGET=full $(VENV)/bin/pytest -m slow

## The one gate before every commit.
check: lint types test

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .serverless layers/deps/build \
	  $(SWAGGER_DIR) $(CONSOLE_DIR) web/node_modules web/openapi.json
