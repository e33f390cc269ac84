# CornLake's verbs. Each target creates what it needs, so a fresh clone needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
CHECKOV_VENV := .venv-checkov
# sam build needs the Lambda runtime's Python (3.12) on PATH; pyenv users get it this way.
SAM_PYENV := 3.11.7:3.12.1
export SAM_CLI_TELEMETRY := 0

.PHONY: help venv test lint typecheck template-check unit integration e2e demo build size-check bench clean

help:
	@echo "make demo   - install, start the local lake, ingest samples, run every stage, query"
	@echo "make test   - install and run every check (lint, types, template, tests)"
	@echo "make build  - sam build (arm64, python3.12) and check each function is under 250 MB"
	@echo "make bench  - transform benchmarks, written to docs/PERFORMANCE.md"

$(BIN)/cornlake: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

venv: $(BIN)/cornlake

$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet "aws-sam-cli==1.170.0"

# checkov pins its own dependencies tightly, so it gets a virtual environment of its own.
$(CHECKOV_VENV)/bin/checkov:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet "checkov==3.3.30"

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

template-check: venv $(SAM_VENV)/bin/sam $(CHECKOV_VENV)/bin/checkov
	$(BIN)/cfn-lint template.yaml
	$(SAM_VENV)/bin/sam validate --lint --template template.yaml --region us-east-1
	$(CHECKOV_VENV)/bin/checkov --file template.yaml --framework cloudformation --skip-download --compact --quiet

unit: venv
	$(BIN)/pytest tests/unit -q

integration: venv
	$(BIN)/pytest tests/integration -q

e2e: venv
	$(BIN)/pytest tests/e2e -q

test: lint typecheck template-check size-check
	$(BIN)/pytest -q

# sam build, then each function with its layers must fit Lambda's 250 MB unzipped.
build: venv $(SAM_VENV)/bin/sam
	PYENV_VERSION=$(SAM_PYENV) $(SAM_VENV)/bin/sam build --template template.yaml
	$(BIN)/python -m cornlake_toolkit.sizecheck .aws-sam/build

size-check: build

demo: venv
	$(BIN)/cornlake demo

bench: venv
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .cornlake .pytest_cache .mypy_cache .ruff_cache
