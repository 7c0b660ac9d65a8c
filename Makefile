# dxguard — one command for the demo, one for every test. Each sets up what it needs on first use:
# a virtualenv with the Python dependencies, and the real OPA built from the Go module pinned in
# tools/opa/ (reused until tools/opa/go.mod, go.sum or main.go change).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
TOOLS  := .tools/bin
OPA    := $(TOOLS)/opa
STAMP  := $(VENV)/.dxguard-installed

export DXGUARD_OPA := $(CURDIR)/$(OPA)

.PHONY: all setup demo test test-rego test-python lint fmt opa clean

all: setup

setup: $(STAMP) $(OPA)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

opa: $(OPA)

$(OPA): tools/opa/go.mod tools/opa/go.sum tools/opa/main.go
	@mkdir -p $(TOOLS)
	@echo "Building OPA from tools/opa (first build takes about two minutes; later builds reuse the Go cache)"
	cd tools/opa && go build -trimpath -o $(CURDIR)/$(OPA) .
	@$(OPA) version | head -n 1

# The main job on the bundled fixtures. Exit 1 (a control not satisfied) is the expected outcome of
# the demo — the fixtures include non-compliant manifests on purpose; exit 2 (an error) fails it.
demo: setup
	@$(VENV)/bin/dxguard scan fixtures/k8s; rc=$$?; \
	  echo; echo "dxguard exit code: $$rc (0 = all controls satisfied, 1 = a control is not satisfied, 2 = error)"; \
	  test $$rc -le 1

test: setup test-rego lint test-python

test-rego: $(OPA)
	$(OPA) fmt --list --fail rego/
	$(OPA) check --strict rego/
	$(OPA) test rego/

lint: $(STAMP)
	$(VENV)/bin/ruff check checker tests
	$(VENV)/bin/ruff format --check checker tests

test-python: setup
	$(PY) -m pytest -q

fmt: setup
	$(OPA) fmt --write rego/
	$(VENV)/bin/ruff format checker tests
	$(VENV)/bin/ruff check --fix checker tests

clean:
	rm -rf $(VENV) .tools .pytest_cache .ruff_cache *.egg-info
