# Journey Canvas — the two commands of the README, and a few helpers.
#   make run    set everything up and run web + Celery worker + beat with demo data on :8000
#   make test   set everything up and run the whole test suite against PostgreSQL and Redis
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
REQ_HASH := $(shell cat requirements.txt requirements-dev.txt | md5sum | cut -c1-10)
STAMP := $(VENV)/.installed-$(REQ_HASH)

.PHONY: run test venv services browser bench messages vendor check

run: venv services
	@bash scripts/run.sh

test: venv services browser
	@bash scripts/test.sh $(ARGS)

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@rm -f $(VENV)/.installed-* && touch $@

services:
	@bash scripts/services.sh

browser:
	@bash scripts/browser.sh

bench: venv services
	@$(PY) -m bench $(ARGS)

messages: venv
	@$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=tests --ignore=var --no-obsolete
	@$(PY) manage.py makemessages -d djangojs -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=tests --ignore=var --ignore=static/vendor --no-obsolete
	@$(PY) manage.py compilemessages --ignore=.venv

vendor:
	@bash scripts/vendor.sh

check: venv
	@$(PY) manage.py check
	@$(PY) manage.py makemigrations --check --dry-run
