"""Neo4j benchmark (not a test): the headline queries on Neo4j beside the embedded store, on
the demo counties, p50 / p99 in milliseconds.

    .venv/bin/python -P tests/bench_neo4j.py                  # builds both (a few minutes)
    .venv/bin/python -P tests/bench_neo4j.py --uri bolt://127.0.0.1:7687 --password …

Without --uri it generates the demo, loads it into an embedded store in a temporary folder and
into a Neo4j Community server started for the run (tests/neo4j_server: Java and Maven), and
prints how long each load took. With --uri it uses that server, loading the demo only if the
database is empty. Each query is asked about `--subjects` subjects (disputes for the referral
and the expert pool, micro-grids for the escalation path, county and day for the brokers),
twice: the first pass also pays for Neo4j planning each query text and for the JIT; the
second is the steady state. The embedded store is measured reading Cypher, as Neo4j (which
other clients write to, so it gets no read model) always does, and with its read model
(queries.read_model).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "fixtures"))

import generate  # noqa: E402

from graph.backend import Backend, Params, Row  # noqa: E402
from graph.embedded import EmbeddedBackend  # noqa: E402
from graph.neo4j import Neo4jBackend  # noqa: E402
from loaders.divisions import divisions_within  # noqa: E402
from loaders.load import Loader, MemoryTable  # noqa: E402
from queries import read_model  # noqa: E402
from queries.brokerage import brokers  # noqa: E402
from queries.escalation import escalation_path  # noqa: E402
from queries.experts import expert_pool  # noqa: E402
from queries.referral import referral  # noqa: E402

Subject = tuple[str, date]
Ask = Callable[[Backend, str, date], Any]
ASKS: list[tuple[str, Ask, str]] = [
    ("referral", lambda b, k, day: referral(b, dispute_id=k, as_of=day), "disputes"),
    (
        "expert pool + conflicts",
        lambda b, k, day: expert_pool(b, dispute_id=k, as_of=day),
        "disputes",
    ),
    ("escalation path", lambda b, k, day: escalation_path(b, grid_id=k, as_of=day), "grids"),
    ("brokers (research)", lambda b, k, day: brokers(b, county=k, as_of=day), "counties"),
]


class NothingKept:
    """A backend without its `version`: no read model, every named query reads the store."""

    def __init__(self, backend: Backend) -> None:
        self._backend = backend

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        return self._backend.read(query, params)


def load_demo(graph: Backend, files: list[Path]) -> float:
    started = time.perf_counter()
    graph.init_schema()
    loader = Loader(graph)
    for code in generate.DIVISIONS["demo"]:
        chain = divisions_within(code)
        loader.load_tables(
            [MemoryTable(code, "units", chain.units), MemoryTable(code, "part_of", chain.part_of)]
        )
    assert loader.load_paths(files).rejects == []
    return time.perf_counter() - started


def subjects(graph: Backend, count: int) -> dict[str, list[Subject]]:
    def spread(rows: list[Row]) -> list[Subject]:
        step = max(1, len(rows) // count)
        return [(r["k"], r["day"]) for r in rows[::step][:count]]

    grids = graph.read(
        "MATCH (m:Grid)-[:PART_OF]->(:Grid) WHERE m.kind = 'micro' "
        "RETURN m.id AS k, date('2021-12-31') AS day ORDER BY k"
    )
    disputes = graph.read(
        "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid) MATCH (d)-[:IN_DOMAIN]->(:Domain) "
        "RETURN d.id AS k, d.reported_on AS day ORDER BY k"
    )
    days = [date(2017 + i % 8, 1 + i % 12, 1) for i in range(min(count, 20))]
    counties = [(c, day) for day in days for c in ("330421000000", "331127000000")]
    return {"grids": spread(grids), "disputes": spread(disputes), "counties": counties}


def timed(ask: Ask, backend: Any, items: Sequence[Subject]) -> list[float]:
    times = []
    for key, day in items:
        started = time.perf_counter()
        ask(backend, key, day)
        times.append((time.perf_counter() - started) * 1000)
    return times


def figures(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):8.1f} / {p99:8.1f}"


def launcher() -> Any:
    path = ROOT / "tests" / "neo4j_server" / "server.py"
    spec = importlib.util.spec_from_file_location("govgraph_neo4j_test_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uri", help="a Neo4j server to use instead of starting one")
    parser.add_argument("--user", default="neo4j")
    parser.add_argument("--password", default="")
    parser.add_argument("--subjects", type=int, default=100, help="subjects per query")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-neo4j-"))
    files = generate.generate(folder / "files")
    embedded = EmbeddedBackend(folder / "demo.lbdb")
    print(f"embedded store: demo loaded in {load_demo(embedded, files):.1f} s")
    server = None
    if args.uri:
        uri, password = args.uri, args.password
    else:
        module = launcher()
        started = time.perf_counter()
        server = module.start(module.build(), folder / "neo4j")
        uri, password = server.uri, server.password
        print(f"Neo4j Community started in {time.perf_counter() - started:.1f} s ({uri})")
    neo4j = Neo4jBackend.connect(uri, user=args.user, password=password, timeout_ms=120_000)
    try:
        if neo4j.is_empty("Person"):
            print(f"Neo4j: demo loaded in {load_demo(neo4j, files):.1f} s")
        version = neo4j.read("CALL dbms.components() YIELD versions RETURN versions[0] AS v")
        picked = subjects(embedded, args.subjects)
        print(
            f"\nNeo4j {version[0]['v']} beside the embedded store, {len(picked['disputes'])} "
            f"disputes, {len(picked['grids'])} micro-grids, {len(picked['counties'])} county days; "
            "p50 / p99 ms\n"
        )
        read_model.attach(embedded)
        print("| query | embedded, Cypher | embedded, read model | Neo4j, 1st pass | Neo4j, 2nd |")
        print("|---|---:|---:|---:|---:|")
        for name, ask, kind in ASKS:
            items = picked[kind]
            cold = timed(ask, NothingKept(embedded), items)
            kept = timed(ask, embedded, items)
            first = timed(ask, neo4j, items)
            second = timed(ask, neo4j, items)
            print(
                f"| {name} | {figures(cold)} | {figures(kept)} | {figures(first)} | "
                f"{figures(second)} |"
            )
    finally:
        neo4j.close()
        embedded.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
