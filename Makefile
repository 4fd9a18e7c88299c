# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian's package of the headless browser the HTML report test drives.
CHROMIUM_PACKAGE := chromium
# pytest-xdist workers for `make test`: one per core; 0 runs the suite in one process.
PYTEST_WORKERS ?= auto

.PHONY: demo test lint install clean browser image-check

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Build the demo season (with the incident) on the embedded DuckDB warehouse and run the monitor.
demo: $(STAMP)
	$(BIN)/prediction-monitor demo

## Lint, type-check, check the container's install and run the test suite.
test: browser $(STAMP) image-check
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal

## A test renders the HTML report in headless Chromium: install it as root (CI,
## containers); anyone else is told the package's name before any test runs.
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	    || { [ -n "$$CHROMIUM" ] && command -v "$$CHROMIUM" >/dev/null 2>&1; }; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq $(CHROMIUM_PACKAGE) >/dev/null; \
	else \
	    echo "make test needs Debian's $(CHROMIUM_PACKAGE) package: sudo apt-get install $(CHROMIUM_PACKAGE)" >&2; \
	    exit 1; \
	fi

## The container's install, checked without a Docker engine: the package without dev
## extras into a fresh venv outside the checkout, as the Dockerfile's RUN line does,
## then the CLI from outside the checkout (so the packaged queries/ and alerts.yaml are used).
image-check:
	@set -e; venv=$$(mktemp -d); trap 'rm -rf "$$venv"' EXIT; \
	$(PYTHON) -m venv "$$venv"; \
	"$$venv/bin/pip" install --quiet --upgrade pip; \
	"$$venv/bin/pip" install --quiet --no-cache-dir -c constraints.txt .; \
	cd "$$venv" && ./bin/prediction-monitor --help >/dev/null && ./bin/prediction-monitor check-config >/dev/null; \
	echo "image-check: the package installs without dev extras; --help and check-config run"

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
