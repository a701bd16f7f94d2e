"""How the new assertions a load holds reach each store (loaders.provenance.Ledger): Neo4j, which
has no COPY, in transactions no larger than the loader's batch size; the embedded store in one
COPY."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from graph.embedded import EmbeddedBackend
from graph.neo4j import Neo4jBackend
from loaders.load import load
from loaders.provenance import node_fact, sources

WriteCsv = Callable[..., Path]  # the `write_csv` fixture

GRIDS = [
    ["id", "name", "level", "kind"],
    *[[f"g{i}", f"{i}号网格", "1", "basic"] for i in range(1, 8)],
]


def assertion_writes(graph: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many new Assertions each write transaction of `graph` creates, from now on."""
    sizes: list[int] = []
    write = graph.write

    def recording(statements: Any) -> None:
        for text, params in statements:
            if text.startswith("UNWIND $rows AS r CREATE (n:Assertion "):
                sizes.append(len(params["rows"]))
        write(statements)

    monkeypatch.setattr(graph, "write", recording)
    return sizes


def test_held_assertions_reach_neo4j_in_slices_of_the_batch_size(
    neo4j_backend: Neo4jBackend, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seven grids in bulk batches of five then two, with a batch size of two: the grids'
    assertions are held and written two at a time (one CREATE of 250,000 overran the 1 GiB
    test server), every one of them, and the file's Load is counted after them."""
    writes = assertion_writes(neo4j_backend, monkeypatch)
    report = load(neo4j_backend, [write_csv("t.grids.csv", GRIDS)], batch_size=2, bulk_batch_size=5)
    assert (report.ok, [f.line() for f in report.files]) == (
        True,
        ["t.grids.csv: read 7 = loaded 7 + rejected 0 + duplicates 0"],
    )
    # The first batch's five are more than two: written at once, in slices; then the second's.
    assert writes == [2, 2, 1, 2]
    held = neo4j_backend.read("MATCH (a:Assertion) RETURN a.id AS id ORDER BY id")
    facts = [r["id"].rpartition("\x1f")[0] for r in held]
    assert facts == [node_fact("Grid", f"g{i}") for i in range(1, 8)]
    assert neo4j_backend.read("MATCH (l:Load) RETURN l.read AS read, l.loaded AS loaded") == [
        {"read": 7, "loaded": 7}
    ]
    [seen] = sources(neo4j_backend, node_fact("Grid", "g7"))
    assert (seen["source"], seen["first_file"], seen["last_file"]) == (
        "t.grids.csv",
        "t.grids.csv",
        "t.grids.csv",
    )


def test_held_assertions_go_into_the_embedded_store_in_one_copy(
    backend: EmbeddedBackend, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same load into the embedded store: one write of all seven (one COPY), since each
    COPY into the Assertion table commits with a checkpoint that grows with the table."""
    written: list[int] = []
    upsert = backend.upsert_nodes

    def recording(node_type: Any, rows: Any, *, bulk: bool) -> None:
        if node_type.label == "Assertion" and bulk:
            written.append(len(rows))
        upsert(node_type, rows, bulk=bulk)

    monkeypatch.setattr(backend, "upsert_nodes", recording)
    assert load(backend, [write_csv("t.grids.csv", GRIDS)], batch_size=2, bulk_batch_size=5).ok
    assert written == [7]
    assert backend.read("MATCH (a:Assertion) RETURN count(a) AS n") == [{"n": 7}]
