# Shortcuts for developers; CI runs .ci/run (the README's test command).
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install test lint bench eval example

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
