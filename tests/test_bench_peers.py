"""The peers of the peer benchmark (tests/peers.py, `make bench-peers`) answer the three headline
questions exactly as the product does, on the example files: a peer that drifts from the
product's named queries fails here, not in a benchmark run."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import date
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from graph.backend import Row
from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.library import named_queries
from queries.referral import referral


def _module() -> ModuleType:
    path = Path(__file__).with_name("peers.py")
    spec = importlib.util.spec_from_file_location("bench_peers_peers", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


peers = _module()
PEERS = ("SQLite", "networkx", "networkx typed")


@pytest.fixture
def systems(
    examples_graph: EmbeddedBackend, example_files: list[Path], tmp_path: Path
) -> Iterator[dict[str, Any]]:
    """The product on the example files, and each peer loaded from the same files (their
    units come from example.units.csv: no division chain)."""
    peers.load_sqlite(tmp_path / "peers.sqlite", example_files, [])
    sqlite = peers.SqlitePeer(tmp_path / "peers.sqlite")
    graph = peers.load_networkx(example_files, [])
    yield {
        "product": examples_graph,
        "SQLite": sqlite,
        "networkx": peers.GraphPeer(graph),
        # every node's ties indexed by type, as the demo's and the city's hubs are
        "networkx typed": peers.GraphPeer(graph, hub=0),
    }
    sqlite.close()


def _answer(ask: Callable[[], Any]) -> Any:
    """The answer, or the error raised instead (its type and message)."""
    try:
        return ask()
    except Exception as exc:  # a NotFound for one is a NotFound for all
        return (type(exc).__name__, str(exc))


def test_every_peer_answers_every_question_as_the_product_does(
    systems: dict[str, Any],
) -> None:
    product = systems["product"]
    disputes = [r["id"] for r in product.read("MATCH (d:Dispute) RETURN d.id AS id ORDER BY id")]
    grids = [r["id"] for r in product.read("MATCH (g:Grid) RETURN g.id AS id ORDER BY id")]
    assert len(disputes) >= 3 and len(grids) >= 5
    first = _day(product, disputes[0])
    questions: list[tuple[str, Callable[[Any], Any]]] = []
    for d in disputes:
        day = _day(product, d)
        questions.append((f"referral {d}", partial(_referral, dispute_id=d, as_of=day)))
        questions.append((f"expert pool {d}", partial(_experts, dispute_id=d, as_of=day)))
    for g in grids:
        questions.append((f"escalation path {g}", partial(_escalation, grid_id=g, as_of=first)))
    answered = 0
    for what, ask in questions:
        expected = _answer(lambda ask=ask: ask(product))
        answered += not isinstance(expected, tuple)
        for name in PEERS:
            assert _answer(lambda ask=ask, name=name: ask(systems[name])) == expected, (name, what)
    assert answered == len(questions)  # answers, not errors alike
    for name in PEERS:
        read = set(systems[name].asked)
        # what the questions read on the examples: the ladders, the list, the pools, the walk
        assert {"grid_step", "unit_step", "referral_unit_bodies", "expert_conflicts"} <= read
        assert read <= set(peers.READ)


def test_the_conflict_walks_name_every_node_they_pass(systems: dict[str, Any]) -> None:
    """A walk from a party to an expert may pass a department (two people WORKS_IN it): each
    peer names it as the product does (the SQLite peer named no department; found by the city
    benchmark with 1,000 subjects, where the examples have no such walk)."""
    nodes = [("Department", "dept-330421-justice"), ("Person", "JS-P-0003")]
    product = systems["product"].read(
        "MATCH (b:Department {id: 'dept-330421-justice'}), (p:Person {id: 'JS-P-0003'}) "
        "RETURN b.name AS department, p.name AS person"
    )
    assert product == [{"department": "嘉善县司法局", "person": product[0]["person"]}]
    for name in PEERS:
        named = {n: facts[0] for n, facts in systems[name]._facts(nodes).items()}
        assert named == {nodes[0]: "嘉善县司法局", nodes[1]: product[0]["person"]}, name


def _referral(backend: Any, **asked: Any) -> Any:
    return referral(backend, **asked)


def _experts(backend: Any, **asked: Any) -> Any:
    return expert_pool(backend, **asked)


def _escalation(backend: Any, **asked: Any) -> Any:
    return escalation_path(backend, **asked)


def _day(product: EmbeddedBackend, dispute: str) -> Any:
    rows = product.read("MATCH (d:Dispute {id: $d}) RETURN d.reported_on AS day", {"d": dispute})
    return rows[0]["day"]


def test_a_peer_refuses_a_text_that_is_not_a_named_query_it_answers(
    systems: dict[str, Any],
) -> None:
    for name in ("SQLite", "networkx"):
        with pytest.raises(peers.NotNamed, match="answers only the named queries"):
            systems[name].read("MATCH (p:Person) RETURN p.id AS id", {})
        with pytest.raises(peers.NotNamed):  # a named query the questions do not read
            systems[name].read(named_queries()["county_summary"].text, {"county": "330421"})


def test_no_statement_of_the_sqlite_peer_reads_whole_a_table_it_could_search(
    systems: dict[str, Any], tmp_path: Path
) -> None:
    """The plans as for a big store: the example files' tables are so small that SQLite, knowing
    their sizes (ANALYZE), rightly reads them whole; without the statistics it takes every
    table to be big. `make bench-peers` checks the plans with the statistics of its own store."""
    store = tmp_path / "unsized.sqlite"
    shutil.copy(tmp_path / "peers.sqlite", store)
    with closing(sqlite3.connect(store)) as db:
        db.execute("DROP TABLE sqlite_stat1")
        db.commit()
    sqlite, product = peers.SqlitePeer(store), systems["product"]
    dispute = product.read("MATCH (d:Dispute) RETURN d.id AS id ORDER BY id")[0]["id"]
    day = _day(product, dispute)
    grid = product.read("MATCH (g:Grid) RETURN g.id AS id ORDER BY id")[0]["id"]
    referral(sqlite, dispute_id=dispute, as_of=day)  # the plans with a subject's parameters
    expert_pool(sqlite, dispute_id=dispute, as_of=day)
    escalation_path(sqlite, grid_id=grid, as_of=day)
    plans = sqlite.plans()
    assert set(plans) == set(peers.statements())
    assert peers.whole_reads(plans) == {}
    assert plans["unit_step"] == [
        "SEARCH p USING INDEX PART_OF_src (src=? AND dst_label=?)",
        "SEARCH n USING INDEX sqlite_autoindex_Unit_1 (code=?)",
    ]
    assert plans["ladder_unit_bodies 1"] == [  # a unit's centers, their upper ones and holders
        "SEARCH j USING COVERING INDEX JURISDICTION_dst (dst=? AND src_label=?)",
        "SEARCH b USING INDEX sqlite_autoindex_Center_1 (id=?)",
        "SEARCH e USING COVERING INDEX ESCALATES_TO_src (src=? AND dst_label=?) LEFT-JOIN",
        "CORRELATED SCALAR SUBQUERY 1",  # the upper one exists that day: by its key
        "SEARCH x USING INDEX sqlite_autoindex_Center_1 (id=?)",
        "SEARCH up USING INDEX sqlite_autoindex_Center_1 (id=?) LEFT-JOIN",
        "SEARCH h USING INDEX HOLDS_POST_dst (dst=? AND src_label=?) LEFT-JOIN",
        "SEARCH p USING INDEX sqlite_autoindex_Person_1 (id=?) LEFT-JOIN",
    ]
    # the check finds a statement that reads a whole table: a filter on a column no index has
    scan = "SELECT src FROM PARTY_TO WHERE side = :side"
    lines = [r[3] for r in sqlite.db.execute(f"EXPLAIN QUERY PLAN {scan}", {"side": "x"})]
    assert peers.whole_reads({"by side": lines}) == {"by side": ["SCAN PARTY_TO"]}
    sqlite.close()


# Validities that leave out, on some of DAYS, a unit (the town), a grid (the micro-grid's
# parent), centers (the county's, the town's) and departments: first day, last day.
VALIDITY = {
    "units": {"330421001000": ("", "2024-06-30")},
    "grids": {"330421001001-G01": ("2024-06-01", "")},
    "centers": {"center-330421": ("2024-06-01", ""), "center-330421001": ("", "2024-06-30")},
    "departments": {
        "dept-330421-justice": ("2024-06-10", ""),
        "dept-330421001-governance": ("", "2024-06-30"),
    },
}
DAYS = (date(2024, 5, 20), date(2024, 6, 5), date(2024, 7, 2))
DATED = (  # the named queries that keep what exists on $as_of
    "grid_step",
    "unit_step",
    "liaison_bodies",
    "ladder_unit_bodies",
    "ladder_stationed_departments",
    "referral_unit_bodies",
)


class _Recorder:
    """The product, remembering every read of a named query that takes `$as_of`."""

    def __init__(self, product: EmbeddedBackend) -> None:
        self.product = product
        self.named = {q.text: name for name, q in named_queries().items() if name in DATED}
        self.reads: list[tuple[str, str, dict[str, Any], list[Row]]] = []

    def read(self, query: str, params: dict[str, Any] | None = None) -> list[Row]:
        rows = self.product.read(query, params)
        if query in self.named:
            self.reads.append((self.named[query], query, dict(params or {}), rows))
        return rows


def _dated_files(files: list[Path], folder: Path) -> list[Path]:
    """The example files, with VALIDITY's dates on the units, grids, centers and departments."""
    folder.mkdir()
    dated = []
    for path in files:
        target = folder / path.name
        validity = VALIDITY.get(path.name.split(".")[-2])
        if validity is None:
            shutil.copy(path, target)
        else:
            with path.open(encoding="utf-8", newline="") as f:
                rows = list(csv.DictReader(f))
            with target.open("w", encoding="utf-8", newline="") as f:
                out = csv.DictWriter(f, [*rows[0], "valid_from", "valid_to"], lineterminator="\n")
                out.writeheader()
                for row in rows:
                    since, until = validity.get(next(iter(row.values())), ("", ""))
                    out.writerow({**row, "valid_from": since, "valid_to": until})
        dated.append(target)
    return dated


def _sorted(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: sorted((k, repr(v)) for k, v in r.items()))


def test_the_peers_keep_what_exists_on_the_day_as_the_product_does(
    backend: EmbeddedBackend, example_files: list[Path], tmp_path: Path
) -> None:
    """On a day inside and a day outside the validity of a unit, a grid, centers and
    departments, every peer gives the product's answer to each question, and the product's
    rows to each of its reads that take `$as_of`; those rows differ from day to day, so the
    days do leave something out."""
    files = _dated_files(example_files, tmp_path / "dated")
    assert load(backend, files).rejects == []
    peers.load_sqlite(tmp_path / "dated.sqlite", files, [])
    graph = peers.load_networkx(files, [])
    systems = {
        "SQLite": peers.SqlitePeer(tmp_path / "dated.sqlite"),
        "networkx": peers.GraphPeer(graph),
        "networkx typed": peers.GraphPeer(graph, hub=0),
    }
    product = _Recorder(backend)
    disputes = [r["id"] for r in backend.read("MATCH (d:Dispute) RETURN d.id AS id ORDER BY id")]
    grids = [r["id"] for r in backend.read("MATCH (g:Grid) RETURN g.id AS id ORDER BY id")]
    for day in DAYS:
        questions = [
            *(partial(_referral, dispute_id=d, as_of=day) for d in disputes),
            *(partial(_experts, dispute_id=d, as_of=day) for d in disputes),
            *(partial(_escalation, grid_id=g, as_of=day) for g in grids),
        ]
        for ask in questions:
            expected = _answer(lambda ask=ask: ask(product))
            assert not isinstance(expected, tuple), (ask, expected)
            for name, peer in systems.items():
                assert _answer(lambda ask=ask, peer=peer: ask(peer)) == expected, (name, ask)
    by_day: dict[tuple[str, str], dict[date, list[Row]]] = {}
    for name, text, params, rows in product.reads:
        for system, peer in systems.items():
            assert _sorted(peer.read(text, params)) == _sorted(rows), (system, name, params)
        asked = repr(sorted((k, v) for k, v in params.items() if k != "as_of"))
        by_day.setdefault((name, asked), {})[params["as_of"]] = _sorted(rows)
    changed = {name for (name, _), rows in by_day.items() if len(set(map(repr, rows.values()))) > 1}
    assert changed == set(DATED)
    systems["SQLite"].close()
