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

.PHONY: run test setup status monitor contract simulate promote rollback drill drift-drill clean-products

$(STAMP): settings.ini setup.py pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	@# every pin of the lock as it stands, nothing resolved (the spark extra's pyspark and py4j come with `make test`);
	@# then the project itself, and pip check: a lock that misses a dependency fails here, not at run time
	grep -vE '^(pyspark|py4j)==' requirements.lock > $(VENV)/requirements.run.txt
	$(PY) -m pip install -q --no-deps -r $(VENV)/requirements.run.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PY) -m pip check
	@touch $@

setup: $(STAMP)

# The JupyterLab extension (extension/): built with jlpm (Node 20), installed editable with its test dependencies.
# Ploomber's Jupyter server extension is disabled: its contents manager wraps jupytext's async one synchronously,
# which breaks JupyterLab's file API (every /api/contents request fails with a 500) in this project.
EXT := extension
EXT_STAMP := $(VENV)/.extension-installed
EXT_PATH := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
$(EXT_STAMP): $(STAMP) $(EXT)/package.json $(EXT)/pyproject.toml $(wildcard $(EXT)/src/*.ts) $(wildcard $(EXT)/style/*)
	cd $(EXT) && $(EXT_PATH) jlpm install && $(EXT_PATH) jlpm build:prod
	$(EXT_PATH) $(PY) -m pip install -q -c requirements.lock -e "./$(EXT)[test]"
	$(EXT_PATH) $(VENV)/bin/jupyter labextension develop --overwrite $(EXT)   # the venv serves the bundle just built
	$(VENV)/bin/jupyter server extension disable --sys-prefix ploomber
	@touch $@
setup run test: $(EXT_STAMP)

# The spark extra (pyspark, for `shipshape score --engine spark` and its test, marked `spark`): `make test` installs it.
SPARK_STAMP := $(VENV)/.spark-installed
$(SPARK_STAMP): $(STAMP)
	$(PY) -m pip install -q -c requirements.lock -e ".[spark]"
	@touch $@
test: $(SPARK_STAMP)

# The airflow and argo extras (Airflow 3 + the cncf-kubernetes provider; Hera), for `shipshape dag export` and its tests,
# marked `airflow`: `make test` installs them; requirements-airflow.lock pins what they add to requirements.lock.
AIRFLOW_STAMP := $(VENV)/.airflow-installed
$(AIRFLOW_STAMP): $(STAMP) requirements-airflow.lock
	$(PY) -m pip install -q -c requirements.lock -c requirements-airflow.lock -e ".[airflow,argo]"
	@touch $@
test: $(AIRFLOW_STAMP)

# Every target below calls the `shipshape` command (`.venv/bin/shipshape --help`). Values given on the make command
# line (VERSION, WHO, REASON, OVERRIDE, ARGS) reach it through the environment ("$$VERSION"), never spliced into the
# shell line, so `make promote VERSION='v0001; touch x'` passes one odd argument that shipshape refuses.
SHIPSHAPE := $(VENV)/bin/shipshape

run: $(STAMP)
	SHIPSHAPE_TRIGGER="make run" $(SHIPSHAPE) run $$ARGS

status: $(STAMP)
	$(SHIPSHAPE) status

# The scheduled job: every new batch in data/incoming/; exit 0 all clear, 1 alert (drift, rejected file, quarantine
# breach), 2 failed.
monitor: $(STAMP)
	SHIPSHAPE_TRIGGER="make monitor" $(SHIPSHAPE) monitor $$ARGS

# Regenerate contracts/<name>.contract.yaml from the training rows (review the diff; overrides stay).
contract: $(STAMP)
	$(SHIPSHAPE) contract

# Demo batches into data/incoming/: make simulate ARGS="--faults 0.01 --drift-from 3"
simulate: $(STAMP)
	$(SHIPSHAPE) simulate $$ARGS

# make promote VERSION=v0002 WHO=alice REASON='better recall'   (OVERRIDE='why' forces past a no-go gate, recorded)
promote: $(STAMP)
	$(SHIPSHAPE) promote $${WHO:+--who "$$WHO"} $${REASON:+--reason "$$REASON"} $${OVERRIDE:+--override-reason "$$OVERRIDE"} -- "$$VERSION"

rollback: $(STAMP)
	$(SHIPSHAPE) rollback $${WHO:+--who "$$WHO"} $${REASON:+--reason "$$REASON"}

drill: $(STAMP)
	$(SHIPSHAPE) drill

# Drift drill on copies: a clean and a drifted batch, the alert must fire and retraining must run.
drift-drill: $(STAMP)
	$(SHIPSHAPE) drift-drill

# The suite's JUnit result is readiness evidence (I3: integration tests), recorded with its commit even when it fails.
test: $(STAMP)
	$(VENV)/bin/nbdev_test --n_workers 2
	@mkdir -p test-artifacts
	WANDB_MODE=offline $(PY) -m pytest -q --junitxml=test-artifacts/junit.xml tests; rc=$$?; \
	  $(SHIPSHAPE) evidence tests test-artifacts/junit.xml || true; exit $$rc
	cd $(EXT) && WANDB_MODE=offline $(EXT_PATH) ../$(PY) -m pytest -q

clean-products:
	rm -rf products

# Lint (CI will run it before the tests): ruff on all Python, the notebooks' code cells included (see pyproject.toml);
# nbdev_clean and nbdev_export must leave notebooks/ and nbs_lib/ unchanged; ESLint + Prettier on the extension.
.PHONY: lint
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	@tmp=$$(mktemp -d) && cp -r notebooks nbs_lib $$tmp/ && $(VENV)/bin/nbdev_clean && $(VENV)/bin/nbdev_export \
	  && diff -rq -x __pycache__ -x .ipynb_checkpoints $$tmp/notebooks notebooks \
	  && diff -rq -x __pycache__ $$tmp/nbs_lib nbs_lib; rc=$$?; rm -rf $$tmp; test $$rc = 0 \
	  || { echo "lint: nbdev_clean/nbdev_export changed notebooks/ or nbs_lib/ (git diff shows how): commit the result" >&2; exit 1; }
	cd $(EXT) && $(EXT_PATH) jlpm install --immutable >/dev/null && $(EXT_PATH) jlpm lint
