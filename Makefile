# One command runs everything: `make test` (what CI runs). It creates .venv with pinned tools first.
# `make unit` is the inner loop: the unit and process tests, no lint, no Docker, nothing built.
# `make dry-run` needs only the action's runtime packages: it has its own small .venv-demo.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_VENV ?= .venv-demo
PYTEST_ARGS ?=
# More workers than cores: many process tests wait on a deadline or a retry, not on the CPU.
UNIT_WORKERS ?= 6

.PHONY: help setup test suite unit lint fuzz docker-test bench dry-run lock lock-check clean

help:
	@echo "make test        set up .venv, lint, and run every test (container tests where Docker can run)"
	@echo "make suite       every test, no lint (CI's test job)"
	@echo "make unit        the inner loop: unit and process tests; no lint, no Docker, no builds or installs"
	@echo "make lint        ruff, mypy, zizmor, schema checks, hadolint, yamllint"
	@echo "make fuzz        the long property-based profile (thousands of examples)"
	@echo "make bench       the benchmark (see BENCHMARKS.md)"
	@echo "make dry-run     the action on a bundled event (EVENT=release, push, ...), sending nothing;"
	@echo "                 installs only the runtime requirements, into $(DEMO_VENV)"
	@echo "make lock        recompile the hash-locked requirements*.txt from requirements*.in"
	@echo "make lock-check  fail when a lock is not what its .in compiles to"
	@echo "make clean       remove what setup, the demo, a build, an install and the tests leave in the tree"

$(BIN)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	@echo "setup: creating $(VENV) with the pinned packages; about a minute, and again only when a requirements file changes"
	@$(PYTHON) -m venv $(VENV)
	@echo "setup: [1/3] the action's runtime requirements (requirements.txt, hash-checked)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	@echo "setup: [2/3] test and lint tools and the build backend (requirements-dev.txt, hash-checked)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.txt
	@echo "setup: [3/3] this package, editable, built by the locked setuptools (nothing fetched)"
	@$(BIN)/pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps -e .
	@touch $@
	@echo "setup: done"

setup: $(BIN)/.installed

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/zizmor --offline .github/workflows action.yml native/action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml native/action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	$(BIN)/hadolint Dockerfile
	$(BIN)/yamllint -s .github action.yml native .yamllint.yml

unit: setup
	$(BIN)/python -m pytest -n $(UNIT_WORKERS) -m "not docker and not slow" $(PYTEST_ARGS)

suite: setup
	BIN=$(BIN) scripts/test.sh $(PYTEST_ARGS)

test: lint suite

fuzz: setup
	HYPOTHESIS_PROFILE=long $(BIN)/python -m pytest -n 2 tests/test_fuzz.py $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/bench.py

# The demo runs entrypoint.py from the checkout, so the package itself is not installed.
$(DEMO_VENV)/.installed: requirements.txt
	@echo "demo: creating $(DEMO_VENV) with the action's runtime requirements only (requirements.txt, hash-checked; about 15 s, once)"
	@$(PYTHON) -m venv $(DEMO_VENV)
	@$(DEMO_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements.txt
	@touch $@

EVENT ?= release
dry-run: $(DEMO_VENV)/.installed
	PYTHON=$(DEMO_VENV)/bin/python examples/dry-run.sh $(EVENT)

# The hash-locked requirements*.txt, compiled from requirements*.in by pip-tools (scripts/lock.py
# holds the options). `make lock` keeps pins the .in still allows and recomputes every hash, as
# `make lock-check` does; LOCK_ARGS=--upgrade moves the pins.
lock: setup
	$(BIN)/python scripts/lock.py $(LOCK_ARGS)

lock-check: setup
	$(BIN)/python scripts/lock.py --check

# Everything setup, the demo, `pip install .`, a build and the tests leave in the tree, and what
# the container tests made outside it: their images and the state of the engine they started
# (scripts/docker-engine.sh keeps the list in .cache/docker-built; without one, Docker is untouched).
clean:
	scripts/docker-engine.sh clean
	rm -rf $(VENV) $(DEMO_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist .cache
	find . -name '*.egg-info' -prune -exec rm -rf {} +
	find . -name __pycache__ -prune -exec rm -rf {} +
