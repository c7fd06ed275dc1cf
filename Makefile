# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The exact CPU build: a plain `pip install torch` would pull a multi-GB CUDA build.
TORCH ?= torch==2.13.0

.PHONY: run test test-fast lint format bench bench-quick clean

$(BIN)/makemore-tui: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[dev,web]'
	touch $@

run: $(BIN)/makemore-tui
	$(BIN)/makemore-tui $(ARGS)

# The tests run on every core (a test's training uses one torch thread): PYTEST_ARGS="-n 0"
# runs them in this process, for a debugger.
test: $(BIN)/makemore-tui
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -n auto --dist worksteal $(PYTEST_ARGS)

# The inner loop: everything but the slow tests (quality figures, the fault script, signals,
# the real engine's processes, the recording's freshness).
test-fast: $(BIN)/makemore-tui
	$(BIN)/ruff check .
	$(BIN)/pytest -q -n auto --dist worksteal -m "not slow" $(PYTEST_ARGS)

format: $(BIN)/makemore-tui
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/makemore-tui
	$(BIN)/python -m bench

bench-quick: $(BIN)/makemore-tui
	$(BIN)/python -m bench --quick

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
