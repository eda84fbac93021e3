# gridmap: `make demo` sets everything up and serves the demo district with gunicorn;
# `make serve` serves an existing database; `make test` runs the suite. `make help` lists targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
SYSTEMD_ARGS ?=
.DEFAULT_GOAL := demo
GUNICORN := GRIDMAP_BIND=$(HOST):$(PORT) $(VENV)/bin/gunicorn -c gridmap/gunicorn.conf.py
# gunicorn in the foreground and the background worker (django-q2, PostgreSQL as the queue)
# beside it; Ctrl-C stops both.
SERVE := trap 'kill -INT $$WORKER 2>/dev/null' EXIT; $(PY) manage.py qcluster & WORKER=$$!; $(GUNICORN)

.PHONY: help demo test stop setup setup-dev sysdeps venv venv-dev db migrate load-demo static serve \
	fixtures bench lint backup systemd

help:
	@echo "make demo     install (runtime), start the database, load the demo district, serve it (gunicorn)"
	@echo "make serve    install (runtime), start the database, migrate, collect static files, serve (gunicorn)"
	@echo "              HOST=$(HOST) PORT=$(PORT); GRIDMAP_WEB_WORKERS etc.: see gridmap/gunicorn.conf.py"
	@echo "make stop     stop the embedded database cluster"
	@echo "make test     install (runtime + dev), run the suite (PYTEST_ARGS=...)"
	@echo "make lint     ruff"
	@echo "make bench    benchmarks (separate databases)"
	@echo "make backup   python manage.py backup (database + media into the data folder's backups/)"
	@echo "make systemd  write systemd units and an nginx example to var/systemd (SYSTEMD_ARGS=--help)"

demo: setup db migrate load-demo static
	@$(PY) manage.py demo_logins
	@echo "gridmap: serving on http://$(HOST):$(PORT)/ with the background worker  (Ctrl-C stops both; 'make stop' stops the database)"
	$(SERVE)

# Serve the existing database (embedded cluster or DATABASE_URL) without loading the demo.
serve: setup db migrate static
	@echo "gridmap: serving on http://$(HOST):$(PORT)/ with the background worker  (Ctrl-C stops both; 'make stop' stops the database)"
	$(SERVE)

test: setup-dev db
	$(PY) -m pytest $(PYTEST_ARGS)

setup: sysdeps venv

setup-dev: sysdeps venv-dev

sysdeps:
	@bash scripts/sysdeps.sh

# Runtime packages only (requirements.txt); venv-dev adds tests, lint and bench tools.
venv: $(VENV)/.installed

venv-dev: $(VENV)/.installed-dev

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

# Hashed, compressed copies of static/ in var/staticfiles, served by WhiteNoise.
static: venv
	@$(PY) manage.py collectstatic --noinput --verbosity 0

# Starts the embedded PostGIS cluster under var/pg (does nothing when DATABASE_URL is set).
db: venv
	@$(PY) -m gridmap.pgcluster start

migrate: db
	@$(PY) -m gridmap.schema_check
	@$(PY) manage.py migrate --noinput

load-demo: migrate
	@$(PY) manage.py load_demo

stop:
	@$(PY) -m gridmap.pgcluster stop

# Rebuild the demo fixtures from the OpenStreetMap extract in ../shared/data (seeded).
fixtures: migrate
	$(PY) manage.py build_demo

# Benchmarks against the tools a user would otherwise pick (separate bench databases).
bench: setup-dev db
	$(PY) bench/link_grids.py
	$(PY) bench/import_households.py
	$(PY) bench/circles.py
	$(PY) bench/hotspots.py
	$(PY) bench/pages.py
	$(PY) bench/serve.py

lint: venv-dev
	$(VENV)/bin/ruff check .

backup: db
	$(PY) manage.py backup

systemd: venv
	$(PY) scripts/systemd_units.py $(SYSTEMD_ARGS)
