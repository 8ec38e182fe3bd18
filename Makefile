# `make demo` sets everything up and builds the demo dossier into output/.
# `make test` sets everything up and runs the checks CI runs (lint, types, tests).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup setup-test lint bench clean

demo: setup
	$(BIN)/submission-kit build --out output

test: setup-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/run.py

setup: $(VENV)/.runtime-ok
setup-test: $(VENV)/.test-ok

# constraints.txt pins the versions the reproducibility contract was checked with.
$(VENV)/.runtime-ok: pyproject.toml constraints.txt
	scripts/install-system-deps.sh runtime
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[examples]'
	touch $@

$(VENV)/.test-ok: $(VENV)/.runtime-ok
	scripts/install-system-deps.sh test
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	touch $@

clean:
	rm -rf output .venv .pytest_cache .mypy_cache .ruff_cache
