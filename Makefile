# Run `make help` for the list of targets. Everything installs itself into .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help demo test lint fmt install serve clean browser services worker webhooks bench

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-8s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the project with its test and dev tools

# The demo delivers webhooks without Redis: `manage.py deliver_webhooks` runs in the background
# (the relay and the delivery every 2 s, as `make webhooks`) and is stopped when runserver exits.
demo: $(STAMP) ## Migrate the SQLite database, load demo data, print logins, serve on :8000 (webhooks delivered in the background)
	DEBUG=1 $(PY) manage.py migrate --no-input
	DEBUG=1 $(PY) manage.py seed_demo
	@echo "Serving on http://$(HOST):$(PORT)/  (admin: http://$(HOST):$(PORT)/admin/); webhooks delivered in the background"
	DEBUG=1 WEBHOOK_ALLOW_PRIVATE=1 $(PY) manage.py deliver_webhooks & webhooks=$$!; \
	trap 'kill $$webhooks 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# `make serve`: production settings over plain HTTP on this machine. The secrets are for local
# use only; a deployment sets its own (README, "Deploy").
SERVE_ENV := env -u DEBUG \
	SECRET_KEY=local-serve-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
	JWT_SIGNING_KEY=local-serve-only-jwt-key-not-a-secret-0123456789abcdefghijklmnop \
	ALLOWED_HOSTS=127.0.0.1,localhost \
	SECURE_SSL_REDIRECT=off SESSION_COOKIE_SECURE=off CSRF_COOKIE_SECURE=off SECURE_HSTS_SECONDS=0

serve: $(STAMP) ## Production-like: collectstatic, then gunicorn on :8000, DEBUG off, the demo database
	$(SERVE_ENV) $(PY) manage.py collectstatic --no-input -v 0
	@echo "Serving with gunicorn on http://$(HOST):$(PORT)/  (run make demo first for data)"
	$(SERVE_ENV) $(PY) -m gunicorn -c lms/gunicorn.conf.py --bind $(HOST):$(PORT)

worker: $(STAMP) ## Celery worker and beat (webhooks, large regrades); needs CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0
	$(PY) -m celery -A lms worker --beat --loglevel INFO

webhooks: $(STAMP) ## Without Redis (beside `make serve`; `make demo` runs it itself): turn attempt events into webhooks and deliver them every 2 s
	DEBUG=1 WEBHOOK_ALLOW_PRIVATE=1 $(PY) manage.py deliver_webhooks

browser: ## Install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

services: ## Install Debian's redis-server for the tests that start their own when missing
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "Installing Debian's redis-server for the tests"; \
		SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }

test: $(STAMP) browser services ## Run the whole test suite (DATABASE_URL picks the database; SQLite by default)
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	DEBUG=1 $(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null
	$(PY) -m pytest

# The benchmark's PostgreSQL database: built (about 7 GB, 1M attempts) when missing, reused after.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/lms_bench

bench: $(STAMP) ## 1M attempts on PostgreSQL: build or reuse the database, measure every surface, print one table
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/run.py

lint: $(STAMP) ## Check formatting and lint rules with ruff
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

fmt: $(STAMP) ## Format the code and apply safe lint fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean: ## Remove the virtualenv and the local SQLite database
	rm -rf $(VENV) var
