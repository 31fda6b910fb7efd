# Two commands matter: `make run` (the whole system, local stack included) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# requirements.lock: what the image installs; requirements-dev.lock: the same pins plus the dev extra.
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-dev.lock | sha1sum | cut -c1-12)
STACK := deploy/local/stack.sh

.PHONY: run test up down lint format schemas docs lock bench bench-fanout bench-dashboard replay clean venv screenshots

# The API docs page's Swagger UI is vendored from npm at build time (cached, not committed).
venv: $(STAMP)
	@$(PY) deploy/vendor_docs.py

$(STAMP): requirements.lock requirements-dev.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.lock
	@rm -f $(VENV)/.installed-* && touch $@

up:
	@bash $(STACK) up

down:
	@bash $(STACK) down

# The local store keeps its data across runs here (H2 file in .stack/mongo); tests use memory.
run: venv
	@LOCAL_MONGO_BACKEND=$${LOCAL_MONGO_BACKEND:-h2} $(PY) -m launcher

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Starts the local stack only if its services do not answer, and stops only what it started.
test: lint
	@bash deploy/local/with-stack.sh $(PY) -m pytest $(PYTEST_ARGS)

# The README's pictures of every dashboard view, at 1280 and 375 px, from the browser tests.
screenshots: venv
	@mkdir -p docs/screenshots
	@SCREENSHOTS=docs/screenshots bash deploy/local/with-stack.sh $(PY) -m pytest tests/e2e/test_dashboard.py tests/e2e/test_dashboard_jobs.py

schemas: venv
	$(PY) -m schemas.export schemas/json

docs: venv
	$(PY) -m docs

# The pipeline bench needs the local stack: started if it does not answer, as for the tests.
bench: venv
	$(PY) -m bench.parse
	@bash deploy/local/with-stack.sh $(PY) -m bench.pipeline $(BENCH_ARGS)

# 1,000 websocket clients on one gateway, with and without stalled ones (README, "The API").
bench-fanout: venv
	@bash deploy/local/with-stack.sh $(PY) -m bench.fanout $(BENCH_ARGS)

# The dashboard in Chromium: "Import now" to completed, and frames/s and memory during a 20,000-job import.
bench-dashboard: venv
	@bash deploy/local/with-stack.sh $(PY) -m bench.dashboard

# Re-drive history from Kafka, e.g. `make replay ARGS="plan --since 2h"` (see README, "Replay").
replay: venv
	$(PY) -m replay $(ARGS)

# Existing pins are kept unless pyproject.toml asks otherwise; the dev lock is constrained to the
# runtime lock, so development and the image run the same versions.
lock:
	$(PY) -m pip install -q uv
	$(VENV)/bin/uv pip compile -q pyproject.toml -o requirements.lock
	$(VENV)/bin/uv pip compile -q pyproject.toml --extra dev -c requirements.lock -o requirements-dev.lock

clean:
	rm -rf $(VENV) .stack .mypy_cache .ruff_cache .pytest_cache
