# The two commands a newcomer needs: `make demo` and `make test`. Both create the virtual
# environment on first use, from requirements.lock: every package at an exact version, checked
# against its hashes, so a fresh machine installs what the tests were run with.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint types unit bench-load bench-workflow bench-peers docs clean lock demo-digests browser

$(BIN)/govgraph: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Refresh requirements.lock on purpose: the newest versions pyproject.toml's ranges allow, with
# their hashes. Run `make test` afterwards and commit the lock with what it changed.
lock: $(BIN)/govgraph
	$(BIN)/pip-compile --quiet --upgrade --generate-hashes --allow-unsafe --strip-extras \
		--extra dev --no-emit-index-url --no-emit-find-links --output-file requirements.lock \
		pyproject.toml

demo: $(BIN)/govgraph
	$(BIN)/govgraph demo

test: lint types browser unit

lint: $(BIN)/govgraph
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(BIN)/govgraph
	$(BIN)/mypy

unit: $(BIN)/govgraph
	$(BIN)/pytest

# Debian's Chromium (and a Chinese font for its screenshots) for the browser tests, which never
# download a browser of their own. Installing needs root; without it the browser tests skip,
# saying why (GOVGRAPH_REQUIRE_BROWSER=1, as CI sets, makes that a failure).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			chromium fonts-wqy-microhei >/dev/null; \
	else echo "no /usr/bin/chromium: the browser tests will skip (apt-get install chromium)"; fi

# Rebuild docs/schema.md from graph/schema.py, the catalogue of named queries in
# docs/queries.md from the files' headers and the table of actions in docs/workflow.md from the
# rules (a test fails when any is stale).
docs: $(BIN)/govgraph
	$(BIN)/python -m graph.docs > docs/schema.md
	$(BIN)/python -m queries.docs
	$(BIN)/python -m workflow.docs

# Record the SHA-256 of every demo file in fixtures/demo.sha256, after a deliberate change to
# the demo (a test compares a fresh demo with it).
demo-digests: $(BIN)/govgraph
	$(BIN)/python -P fixtures/generate.py build/demo-digests --write-digests

# The city-scale load benchmark: prints rows/s for a first load and a re-load, and peak memory.
bench-load: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_load.py

# The workflow: decisions, appends, the scheduler over a city's open disputes, and over HTTP
# (on a copy of ./data/govgraph.lbdb: `govgraph demo --no-serve` first) mutations beside
# readers and the headline queries under writes.
bench-workflow: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_workflow.py

# The headline questions against SQLite and networkx (issue 15), loaded from the same files,
# answers checked equal to the product's, then timed interleaved: p50 / p99, ratios, load and
# memory. The demo by default (a few minutes); SCALE=city for 苏州市 (build/peers-city).
bench-peers: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_peers.py --scale $(or $(SCALE),demo)

clean:
	rm -rf $(VENV) build data .mypy_cache .ruff_cache .pytest_cache

# The Neo4j tests alone, which `make test` runs too: Neo4j Community (tests/neo4j_server, built
# with Maven on first use) against the contract suite, the server tests, the neo4j-admin
# import and the parity on the demo. GOVGRAPH_REQUIRE_NEO4J=1: no Java or Maven is a failure.
.PHONY: test-neo4j bench-neo4j
NEO4J_TESTS := tests/graph/test_contract.py tests/graph/test_neo4j_server.py \
	tests/graph/test_neo4j_admin.py tests/queries/test_neo4j_parity.py \
	tests/api/test_workflow_neo4j.py
test-neo4j: $(BIN)/govgraph
	GOVGRAPH_REQUIRE_NEO4J=1 $(BIN)/pytest $(NEO4J_TESTS)

# The headline queries on Neo4j beside the embedded store, on the demo: prints p50 / p99.
bench-neo4j: $(BIN)/govgraph
	$(BIN)/python -P tests/bench_neo4j.py

# The soak benchmark (issue 10): a real `govgraph serve` on a copy of the demo graph, 20
# clients for 30 minutes with runaway researcher queries and the workflow's mutations; prints
# requests/s, latencies, errors, memory over time and whether it stayed flat. MINUTES=5 for less.
.PHONY: soak
soak: $(BIN)/govgraph
	$(BIN)/python -P tests/soak.py --minutes $(or $(MINUTES),30)
