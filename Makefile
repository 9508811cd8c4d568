# Shipshape: `make run` builds the pipeline on the bundled data; `make test` runs every test.
# Both create .venv and install the pinned dependencies first when needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PLOOMBER_STATS_ENABLED := false
export GX_ANALYTICS_ENABLED := false
export WANDB_SILENT := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test setup status clean-products

$(STAMP): settings.ini setup.py pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	$(PY) -m pip install -q -c requirements.lock -e ".[dev]"
	@touch $@

setup: $(STAMP)

run: $(STAMP)
	SHIPSHAPE_TRIGGER="make run" $(PY) -m nbs_lib.pipeline build

status: $(STAMP)
	$(PY) -m nbs_lib.pipeline status

test: $(STAMP)
	$(VENV)/bin/nbdev_test --n_workers 2
	WANDB_MODE=offline $(PY) -m pytest -q tests

clean-products:
	rm -rf products
