# gridmap: `make demo` sets everything up and serves the demo district; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: demo test stop setup sysdeps venv db migrate load-demo serve fixtures bench lint clean-db

demo: setup db migrate load-demo
	@$(PY) manage.py demo_logins
	@echo "gridmap: serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop the web server; 'make stop' stops the database)"
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

test: setup db
	$(PY) -m pytest $(PYTEST_ARGS)

setup: sysdeps venv

sysdeps:
	@bash scripts/sysdeps.sh

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

# Starts the embedded PostGIS cluster under var/pg (does nothing when DATABASE_URL is set).
db: venv
	@$(PY) -m gridmap.pgcluster start

migrate: db
	@$(PY) -m gridmap.schema_check
	@$(PY) manage.py migrate --noinput

load-demo: migrate
	@$(PY) manage.py load_demo

serve:
	$(PY) manage.py runserver --noreload $(HOST):$(PORT)

stop:
	@$(PY) -m gridmap.pgcluster stop

# Rebuild the demo fixtures from the OpenStreetMap extract in ../shared/data (seeded).
fixtures: migrate
	$(PY) manage.py build_demo

# Benchmarks against the tools a user would otherwise pick (separate bench databases).
bench: setup db
	$(PY) bench/link_grids.py
	$(PY) bench/import_households.py
	$(PY) bench/circles.py
	$(PY) bench/hotspots.py
	$(PY) bench/pages.py

lint: venv
	$(VENV)/bin/ruff check .
