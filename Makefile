# Everyday commands. CI runs `bash .ci/run` (a fresh venv, then the same pytest command as `make test`).
PY ?= .venv/bin/python
export CHAINRULE_DATA ?= $(abspath ../shared/data)

.PHONY: test lint format bench
test:
	$(PY) -m pytest
lint:
	$(PY) -m ruff check . && $(PY) -m ruff format --check .
format:
	$(PY) -m ruff format . && $(PY) -m ruff check --fix .
bench:
	$(PY) -m benchmarks
