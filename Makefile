# AskMe — `make up` runs the site, `make test` runs every test. See README.md.
SHELL := /bin/bash
VENV := .venv
PYTHON ?= python3

.PHONY: up down cluster cluster-down test lint format deps-run deps-test deps-cluster venv node clean

up: deps-run venv node
	bin/up.sh

down:
	bin/down.sh

# Two nodes + a load balancer on this machine (ports 8100, 8200, 8300); README "Running on
# several machines".
cluster: deps-cluster venv node
	bin/cluster.sh up

cluster-down:
	bin/cluster.sh down

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

deps-cluster:
	bin/system-deps.sh cluster

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@# a leftover that is not a working venv (a dangling or looping symlink, a
	@# half-made directory) would make `venv` fail with "File exists"
	test -x $(VENV)/bin/python || { rm -rf $(VENV); $(PYTHON) -m venv $(VENV); }
	$(VENV)/bin/pip install -q --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install -q --disable-pip-version-check -e ".[dev]"
	touch $@

node: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean: down
	rm -rf var $(VENV) node_modules
