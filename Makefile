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

# Rebuild docs/schema.md from graph/schema.py and the catalogue of named queries in
# docs/queries.md from the files' headers (a test fails when either is stale).
docs: $(BIN)/govgraph
	$(BIN)/python -m graph.docs > docs/schema.md
	$(BIN)/python -m queries.docs

# The city-scale load benchmark: prints rows/s for a first load and a re-load, and peak memory.
bench-load: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_load.py

clean:
	rm -rf $(VENV) build data .mypy_cache .ruff_cache .pytest_cache

# The Neo4j tests alone, which `make test` runs too: Neo4j Community (tests/neo4j_server, built
# with Maven on first use) against the contract suite, the server tests, the neo4j-admin
# import and the parity on the demo. GOVGRAPH_REQUIRE_NEO4J=1: no Java or Maven is a failure.
.PHONY: test-neo4j bench-neo4j
NEO4J_TESTS := tests/graph/test_contract.py tests/graph/test_neo4j_server.py \
	tests/graph/test_neo4j_admin.py tests/queries/test_neo4j_parity.py
test-neo4j: $(BIN)/govgraph
	GOVGRAPH_REQUIRE_NEO4J=1 $(BIN)/pytest $(NEO4J_TESTS)

# The headline queries on Neo4j beside the embedded store, on the demo: prints p50 / p99.
bench-neo4j: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_neo4j.py
