# docmill: `make run` and `make test` set everything up themselves.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.docmill-installed
SEEDS ?= seeds
OUT ?= outputs

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup run test pytest lint bench eval clean browser

setup: $(STAMP)

$(STAMP): pyproject.toml requirements-pip.txt requirements.lock requirements-model.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-pip.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r requirements-model.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/docmill run $(SEEDS) --out $(OUT); code=$$?; \
	  if [ $$code -eq 0 ] || [ $$code -eq 3 ]; then $(VENV)/bin/docmill show --out $(OUT); fi; exit $$code

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Benchmark against a bare spaCy script (bench/run_bench.py); BENCH_ARGS=--large adds 50 MB.
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run_bench.py $(BENCH_ARGS)

eval: $(STAMP)
	$(PY) eval/run_eval.py

# Debian's Chromium for the report's browser tests: installed when missing (as root).
browser:
	@scripts/ensure-chromium.sh

# One pytest process per core (pytest-xdist), a test module's tests in one process
# (module-scoped servers start once); PYTEST_ARGS="-n 0" runs them in this process.
PYTEST_ARGS ?= -n auto --dist loadfile
pytest: $(STAMP) browser
	$(PY) -m pytest $(PYTEST_ARGS)

test: lint pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
