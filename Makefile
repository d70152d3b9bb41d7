# Every target builds .venv from scratch (pinned by constraints.txt) when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export AIRFLOW_HOME ?= $(CURDIR)/airflow_home

.PHONY: setup demo run browser test test-fast test-scaleout lint bench airflow scaleout scaleout-stop clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip==$$(grep '^pip==' constraints.txt | cut -d= -f3)"
	$(BIN)/pip install -q -c constraints.txt -e ".[airflow,dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/laborwatch demo --scenario strengthen

test: $(STAMP) browser
	$(BIN)/pytest -q -m "not scaleout"
	$(MAKE) test-scaleout

# Debian's chromium, for the report's headless-browser test.
browser:
	@command -v chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not scaleout and not browser and not demo_e2e"

test-scaleout: $(STAMP)
	$(BIN)/pytest -q -m scaleout

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# Airflow standalone (SQLite metadata, LocalExecutor) with these DAGs and a project-local home.
# standalone starts its components by running `airflow` from PATH, hence the venv on PATH.
airflow: export AIRFLOW__CORE__DAGS_FOLDER = $(CURDIR)/dags
airflow: export AIRFLOW__CORE__LOAD_EXAMPLES = False
airflow: export PATH := $(CURDIR)/$(BIN):$(PATH)
airflow: $(STAMP)
	$(BIN)/airflow db migrate
	$(BIN)/airflow pools set duckdb_writer 1 "DuckDB single writer"
	$(BIN)/airflow standalone

# CeleryExecutor (Redis broker, PostgreSQL metadata) with WORKERS Celery workers; see docs/deployment.md.
scaleout: $(STAMP)
	$(BIN)/python deploy/scaleout.py start --workers $(or $(WORKERS),2)

scaleout-stop: $(STAMP)
	$(BIN)/python deploy/scaleout.py stop

clean:
	rm -rf $(VENV) data airflow_home .pytest_cache
