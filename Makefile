# The two commands that matter: `make demo` runs the product, `make test` runs the tests.
# Dependencies come only from the committed uv.lock (`make lock` upgrades it on purpose).
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
# uv itself, pinned, in its own small venv (uv sync removes what the lock does not list).
UV_VERSION := 0.13.9
UV_VENV  := .uv
UV       := $(UV_VENV)/bin/uv
CHROMIUM ?= /usr/bin/chromium
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test install lock chromium lint typecheck bench clean

$(UV):
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet 'uv==$(UV_VERSION)'

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	touch $(STAMP)

install: $(STAMP)

# Upgrade every dependency to the newest release the ranges in pyproject.toml allow.
lock: | $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

demo: $(STAMP)
	$(BIN)/floorwalker demo

# The browser tests drive Debian's Chromium: install it when we may, else say what to do.
chromium:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  echo "make test needs Chromium at $(CHROMIUM) for the browser tests: install it with 'sudo apt-get install chromium'." >&2; \
	  exit 1; \
	fi

test: $(STAMP) chromium
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src
	$(BIN)/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

bench: $(STAMP)
	$(BIN)/python benchmarks/ingest.py
	$(BIN)/python benchmarks/conditions.py
	$(BIN)/python benchmarks/scenarios.py
	$(BIN)/python benchmarks/realtime.py
	$(BIN)/python benchmarks/console.py

clean:
	rm -rf $(VENV) $(UV_VENV) floorwalker.db floorwalker.db-wal floorwalker.db-shm
