# sopdesk: two commands for a new machine — `make run` and `make test`.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint format check bench clean help

help:
	@echo "make run    install, migrate, load the demo company, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   install the test tools and run linters and the whole suite"
	@echo "make lint   ruff, import-linter and the migrations check only"

$(VENV)/.base-installed: requirements/base.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/base.txt
	@touch $@

$(VENV)/.test-installed: requirements/test.txt $(VENV)/.base-installed
	$(PY) -m pip install --quiet -r requirements/test.txt
	@touch $@

run: $(VENV)/.base-installed
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_setup --port $(PORT)
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DATABASE_URL=sqlite://:memory: $(PY) manage.py makemigrations --check --dry-run

# The suite runs on every core (pytest-xdist, one file per worker at a time), but for the
# schemathesis file: its cases are made by schemathesis' own parametrization, which xdist does
# not run, so it runs after, on its own. PYTEST_ARGS (a path, -k ...) runs just that, serially.
TEST_WORKERS ?= auto
SCHEMATHESIS := tests/api/test_schemathesis.py

test: lint
ifeq ($(strip $(PYTEST_ARGS)),)
	$(VENV)/bin/pytest --ds=sopdesk.settings.test -n $(TEST_WORKERS) --dist loadfile --ignore=$(SCHEMATHESIS)
	$(VENV)/bin/pytest --ds=sopdesk.settings.test $(SCHEMATHESIS)
else
	$(VENV)/bin/pytest --ds=sopdesk.settings.test $(PYTEST_ARGS)
endif

format: $(VENV)/.test-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: $(VENV)/.test-installed
	$(PY) bench/pipeline_api.py

clean:
	rm -rf $(VENV) var/*.sqlite3 staticfiles .pytest_cache .ruff_cache
