# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup demo test test-unit test-e2e portal bench clean

setup: $(STAMP) $(VENV)/.chromium

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

$(VENV)/.chromium: $(STAMP) scripts/ensure-chromium
	@scripts/ensure-chromium $(PY)
	@touch $@

demo: setup
	@$(VENV)/bin/runbook demo

test: setup
	@$(VENV)/bin/pytest -q

test-unit: setup
	@$(VENV)/bin/pytest -q tests/unit

test-e2e: setup
	@$(VENV)/bin/pytest -q tests/e2e

portal: setup
	@$(VENV)/bin/fake-portal --port 0 --seed demo

bench: setup
	@$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) runs test-results reports
