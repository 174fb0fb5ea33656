# Lockstep: `make run` to use it, `make test` to prove it. Both set everything up first.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Any python3 >= 3.11 on PATH; override with `make PYTHON=python3.12 run`.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
export REDIS_URL ?= redis://127.0.0.1:6379/0
# Tests use their own Redis database so a running `make run` keeps its queues.
TEST_REDIS_URL ?= $(patsubst %/0,%/15,$(REDIS_URL))

.PHONY: help setup sysdeps venv migrate content redis run test lint fmt bench check-deploy clean

help:
	@echo "make run    set up and start Lockstep (Redis, Celery workers, web server)"
	@echo "make test   set up and run the whole test suite"
	@echo "make lint   ruff check, format check, mypy on sandbox/engine"
	@echo "make bench  run the benchmarks in bench/ (prints figures)"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed on PATH (apt-get install python3)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "[setup] could not create a venv: install python3-venv"; exit 1; }
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(BIN)/.installed

sysdeps:
	@scripts/sysdeps.sh $(SYSDEPS)

redis: venv
	@$(PY) scripts/ensure_redis.py || (NEED_REDIS=1 scripts/sysdeps.sh && $(PY) scripts/ensure_redis.py)

migrate: venv
	@mkdir -p var
	@$(PY) manage.py migrate --no-input -v 0

content: migrate
	@$(PY) manage.py loadcontent

setup: sysdeps venv redis migrate content

run: setup
	@scripts/run.sh

test: SYSDEPS = test
test: setup
	@REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest $(PYTEST_ARGS); status=$$?; scripts/stop_redis.sh; exit $$status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: SYSDEPS = bench
bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

check-deploy: venv
	DEBUG=0 SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=lockstep.example $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .mypy_cache
