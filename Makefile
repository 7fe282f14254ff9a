# Shortcuts for developers; CI runs .ci/run (the README's test command).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test lint bench eval example deploy-check

$(VENV)/bin/activate:
	python3 -m venv $(VENV)

install: $(VENV)/bin/activate
	$(VENV)/bin/pip install -q -e '.[test]'

test: install
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy

bench: install
	$(PY) bench/bench_extract.py && $(PY) bench/bench_feeds.py

eval: install
	$(PY) bench/eval_nlp.py

example: install
	$(VENV)/bin/listener run --once -c config/listener.example.yaml

# systemd-analyze verify on the unit, hadolint on the Dockerfile, the compose file against the
# Compose Specification's schema (needs systemd installed; the linters come from pip).
deploy-check: install
	$(VENV)/bin/pip install -q -e '.[deploy-check]'
	LISTENER_BIN=$(VENV)/bin/listener deploy/verify-unit
	$(VENV)/bin/hadolint deploy/Dockerfile && echo "hadolint: deploy/Dockerfile is clean"
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose.yaml
