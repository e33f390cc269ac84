# CornLake's verbs. Each target creates what it needs, so a fresh clone needs only Python 3.11+.
# Every Python package comes from uv.lock (with hashes); see README, "Dependencies".
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The one tool installed before the lock can be read: uv itself, pinned (the dev group pins the same).
UV_VERSION := 0.13.9
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
# The template tools pin their own dependencies tightly (SAM pins boto3 exactly), so each
# lives in its own environment, at a pinned version.
SAM_VERSION := 1.170.0
CHECKOV_VERSION := 3.3.30
# sam build needs the Lambda runtime's Python (3.12) on PATH; pyenv users get it this way.
SAM_PYENV := 3.11.7:3.12.1
export SAM_CLI_TELEMETRY := 0
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV

.PHONY: help venv test lint typecheck template-check requirements requirements-check update-deps unit integration e2e demo build size-check bench reliability browser clean

help:
	@echo "make demo         - install, start the local lake, ingest samples, run every stage, query"
	@echo "make test         - install and run every check (lint, types, template, locks, tests)"
	@echo "make build        - sam build (arm64, python3.12) and check each function is under 250 MB"
	@echo "make bench        - transform benchmarks, written to docs/PERFORMANCE.md"
	@echo "make reliability  - load, faults, races and hostile input; written to docs/RELIABILITY.md"
	@echo "make update-deps  - refresh uv.lock, rewrite the requirements files, run the tests"

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

$(BIN)/cornlake: pyproject.toml uv.lock shared_layer/pyproject.toml lambda_*/pyproject.toml | $(UV)
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

venv: $(BIN)/cornlake

$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==$(SAM_VERSION)"

$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov==$(CHECKOV_VERSION)"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

template-check: venv $(SAM_VENV)/bin/sam $(CHECKOV_VENV)/bin/checkov
	$(BIN)/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --skip-download --compact --quiet

# Each function's requirements.txt (what sam build installs) is written from uv.lock.
requirements: venv
	$(BIN)/python -m cornlake_toolkit.deps write

requirements-check: venv
	$(BIN)/python -m cornlake_toolkit.deps check

# On purpose, not by accident: newer versions of everything, then the whole suite on them.
update-deps: | $(UV)
	$(UV) lock --upgrade
	$(UV) sync --all-packages --python $(PYTHON)
	$(BIN)/python -m cornlake_toolkit.deps write
	$(MAKE) test

unit: venv
	$(BIN)/pytest tests/unit -q

integration: venv
	$(BIN)/pytest tests/integration -q

e2e: venv browser
	$(BIN)/pytest tests/e2e -q

# The catalog site's browser test drives a headless Chrome or Chromium over the DevTools protocol
# (no driver, no download). As root on Debian a missing one is installed; otherwise the one found.
browser: venv
	@if ! $(BIN)/python -m cornlake_toolkit.site.browser >/dev/null 2>&1 \
	    && [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium for the catalog site's browser test (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-liberation; \
	fi
	@$(BIN)/python -m cornlake_toolkit.site.browser

test: lint typecheck requirements-check template-check size-check browser
	$(BIN)/pytest -q

# sam build, then each function with its layers must fit Lambda's 250 MB unzipped.
build: venv $(SAM_VENV)/bin/sam
	PYENV_VERSION=$(SAM_PYENV) $(SAM_VENV)/bin/sam build --template template.yaml
	$(BIN)/python -m cornlake_toolkit.sizecheck .aws-sam/build

size-check: build

demo: venv
	$(BIN)/cornlake demo

bench: venv
	$(UV) sync --frozen --all-packages --group bench --python $(PYTHON)
	$(BIN)/python -m benchmarks.run
	$(UV) sync --frozen --all-packages --python $(PYTHON)

# Every reliability scenario, the long ones too; the report is written from the run's records.
RELIABILITY_RESULTS := .cornlake/reliability.json
reliability: venv
	rm -f $(RELIABILITY_RESULTS)
	CORNLAKE_RELIABILITY_LONG=1 CORNLAKE_RELIABILITY_RESULTS=$(RELIABILITY_RESULTS) $(BIN)/pytest -q -p no:cacheprovider tests/reliability
	$(BIN)/python -m cornlake_toolkit.reliability $(RELIABILITY_RESULTS) docs/RELIABILITY.md

clean:
	rm -rf $(VENV) $(TOOLS) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .cornlake .pytest_cache .mypy_cache .ruff_cache
