# AskMe — `make up` runs the site, `make test` runs every test. See README.md.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3

.PHONY: up down test lint format deps-run deps-test venv node clean

up: deps-run venv node
	bin/up.sh

down:
	bin/down.sh

test: deps-test venv node
	bin/test.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

deps-run:
	bin/system-deps.sh run

deps-test:
	bin/system-deps.sh test

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean: down
	rm -rf var $(VENV) node_modules
