# Two commands for a new user: `make run` and `make test`. Both create the
# virtualenv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/pybabel compile -d locales
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/quoting demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy quoting
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_pricing.py

clean:
	rm -rf $(VENV)
