"""The backend contract: the same tests for every backend, the embedded store and Neo4j.

The Neo4j half runs on the server of `neo4j_backend` (tests/conftest.py): Neo4j Community
launched for the test run, or the one GOVGRAPH_TEST_NEO4J_URI names. Each Neo4j test starts
on an empty database and leaves it empty. The demo counties on both stores are compared in
tests/queries/test_neo4j_parity.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.backend import Backend, Row, Written
from graph.ddl import RID
from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.errors import BadQuery, ConstraintViolation, QueryTimeout
from graph.neo4j_admin import export_neo4j_admin
from graph.schema import SCHEMA
from loaders.load import load

GRID = SCHEMA.node("Grid")
PERSON = SCHEMA.node("Person")
SERVES_IN = SCHEMA.rel("SERVES_IN")


# -- the backends ----------------------------------------------------------------------------


@pytest.fixture(params=["embedded", "neo4j"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """An empty graph with the whole schema on each backend; left empty afterwards."""
    if request.param == "embedded":
        graph = EmbeddedBackend(tmp_path / "g.lbdb")
        graph.init_schema()
        yield graph
        graph.close()
        return
    yield request.getfixturevalue("neo4j_backend")


@pytest.fixture
def with_timeout(backend: Backend, tmp_path: Path) -> Callable[[int], Backend]:
    """The same kind of backend with another read timeout (on Neo4j, the same driver)."""

    def make(timeout_ms: int) -> Backend:
        if isinstance(backend, EmbeddedBackend):
            return EmbeddedBackend(tmp_path / "timed.lbdb", timeout_ms=timeout_ms)
        from graph.neo4j import Neo4jBackend

        assert isinstance(backend, Neo4jBackend)
        return Neo4jBackend(backend._driver, database=backend.database, timeout_ms=timeout_ms)

    return make


def grid(id_: str, name: str, **extra: Any) -> dict[str, Any]:
    row = dict.fromkeys(p.name for p in GRID.properties)
    row.update(id=id_, name=name, level=1, kind="basic", source="test", **extra)
    return row


def person(id_: str, name: str) -> dict[str, Any]:
    row = dict.fromkeys(p.name for p in PERSON.properties)
    row.update(id=id_, name=name, source="test")
    return row


def serves(from_: str, to: str, role: str, rid: str, valid_from: date | None = None) -> dict:
    return {
        "from": from_,
        "to": to,
        RID: rid,
        "role": role,
        "valid_from": valid_from,
        "valid_to": None,
        "source": "test",
    }


def grids(graph: Backend) -> list[dict[str, Any]]:
    return graph.read(
        "MATCH (g:Grid) RETURN g.id AS id, g.name AS name, g.households AS households ORDER BY id"
    )


# -- the interface ---------------------------------------------------------------------------


def test_init_schema_is_safe_to_run_twice(backend: Backend) -> None:
    backend.init_schema()
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=False)
    assert grids(backend) == [{"id": "G1", "name": "一号", "households": None}]


@pytest.mark.parametrize("bulk", [True, False])
def test_upsert_nodes_inserts_then_updates_by_key(backend: Backend, bulk: bool) -> None:
    backend.upsert_nodes(GRID, [grid("G1", "一号"), grid("G2", "二号")], bulk=bulk)
    backend.upsert_nodes(
        GRID, [grid("G2", "二号网格", households=300), grid("G3", "三号")], bulk=False
    )
    assert grids(backend) == [
        {"id": "G1", "name": "一号", "households": None},
        {"id": "G2", "name": "二号网格", "households": 300},
        {"id": "G3", "name": "三号", "households": None},
    ]


def test_rows_set_only_the_properties_they_carry(backend: Backend) -> None:
    backend.upsert_nodes(GRID, [grid("G1", "一号", households=300)], bulk=True)
    backend.upsert_nodes(GRID, [{"id": "G1", "name": "一号网格"}], bulk=False)
    assert grids(backend) == [{"id": "G1", "name": "一号网格", "households": 300}]


def test_the_bulk_path_refuses_a_key_that_exists(backend: Backend) -> None:
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    with pytest.raises(ConstraintViolation):
        backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    assert grids(backend) == [{"id": "G1", "name": "一号", "households": None}]


@pytest.mark.parametrize("bulk", [True, False])
def test_upsert_rels_is_idempotent_by_rid_and_keeps_dates(backend: Backend, bulk: bool) -> None:
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    backend.upsert_nodes(PERSON, [person("P1", "张三")], bulk=True)
    first = serves("P1", "G1", "head", "r1", date(2021, 1, 1))
    backend.upsert_rels(SERVES_IN, {("Person", "Grid"): [first]}, bulk=bulk)
    later = [{**first, "valid_to": date(2021, 6, 30)}, serves("P1", "G1", "part_time", "r2")]
    backend.upsert_rels(SERVES_IN, {("Person", "Grid"): later}, bulk=False)
    rows = backend.read(
        "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid) "
        "RETURN p.id AS p, g.id AS g, s.rid AS rid, s.role AS role, s.valid_from AS valid_from, "
        "s.valid_to AS valid_to ORDER BY rid"
    )
    assert rows == [
        {
            "p": "P1",
            "g": "G1",
            "rid": "r1",
            "role": "head",
            "valid_from": date(2021, 1, 1),
            "valid_to": date(2021, 6, 30),
        },
        {
            "p": "P1",
            "g": "G1",
            "rid": "r2",
            "role": "part_time",
            "valid_from": None,
            "valid_to": None,
        },
    ]


def test_a_date_parameter_compares_with_stored_dates(backend: Backend) -> None:
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    backend.upsert_nodes(PERSON, [person("P1", "张三")], bulk=True)
    row = serves("P1", "G1", "head", "r1", date(2021, 1, 1))
    backend.upsert_rels(SERVES_IN, {("Person", "Grid"): [row]}, bulk=False)
    query = (
        "MATCH (p:Person)-[s:SERVES_IN]->(:Grid {id: $grid}) "
        "WHERE s.valid_from <= $day AND (s.valid_to IS NULL OR s.valid_to >= $day) "
        "RETURN p.id AS id"
    )
    assert backend.read(query, {"grid": "G1", "day": date(2022, 5, 1)}) == [{"id": "P1"}]
    assert backend.read(query, {"grid": "G1", "day": date(2020, 5, 1)}) == []


def test_write_runs_all_statements_or_none(backend: Backend) -> None:
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    with pytest.raises(BadQuery):
        backend.write(
            [
                ("MATCH (g:Grid {id: $id}) SET g.name = $name", {"id": "G1", "name": "改名"}),
                ("MATCH (g:Grid RETURN g", {}),
            ]
        )
    assert grids(backend) == [{"id": "G1", "name": "一号", "households": None}]


def test_write_locked_reads_under_the_lock_then_writes_what_it_decided(backend: Backend) -> None:
    """One node's writers decide one after the other: each reads, under the node's lock, what
    the one before committed; the statements it returns run in the same transaction."""
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)

    def rename(to: str) -> Callable[[Any], tuple[list[tuple[str, Any]], str]]:
        def work(read: Any) -> tuple[list[tuple[str, Any]], str]:
            [row] = read("MATCH (g:Grid {id: $id}) RETURN g.name AS name", {"id": "G1"})
            set_name = ("MATCH (g:Grid {id: $id}) SET g.name = $name", {"id": "G1", "name": to})
            return [set_name], row["name"]

        return work

    assert backend.write_locked("Grid", "G1", rename("二号")) == "一号"
    assert backend.write_locked("Grid", "G1", rename("三号")) == "二号"
    assert backend.write_locked("Grid", "G1", lambda read: ([], "nothing")) == "nothing"
    assert grids(backend) == [{"id": "G1", "name": "三号", "households": None}]
    with pytest.raises(BadQuery):  # what it decided runs whole or not at all
        backend.write_locked(
            "Grid",
            "G1",
            lambda read: ([rename("四号")(read)[0][0], ("MATCH (g:Grid RETURN g", {})], ""),
        )
    assert grids(backend) == [{"id": "G1", "name": "三号", "households": None}]
    # a node that does not exist yet locks nothing, and the work still runs
    assert (
        backend.write_locked(
            "Grid", "G9", lambda read: ([], len(read("MATCH (g:Grid) RETURN g.id AS id", {})))
        )
        == 1
    )


def test_write_locked_says_once_it_has_committed(backend: Backend) -> None:
    """`committed` is called once the statements have committed, never when they failed nor
    when there were none: on the embedded store with the version the write ends at, before
    a reader can see it (the version still odd: under way); on Neo4j, with no version, None."""
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    called: list[tuple[int | None, int | None, list[Row]]] = []

    def committed(version: int | None) -> None:
        seen = getattr(backend, "version", None)
        called.append((version, seen, grids(backend)))

    rename = ("MATCH (g:Grid {id: $id}) SET g.name = $name", {"id": "G1", "name": "二号"})
    before = getattr(backend, "version", None)
    assert backend.write_locked("Grid", "G1", lambda read: ([rename], "done"), committed) == "done"
    assert backend.write_locked("Grid", "G1", lambda read: ([], "nothing"), committed) == "nothing"
    with pytest.raises(BadQuery):
        backend.write_locked(
            "Grid", "G1", lambda read: ([("MATCH (g:Grid RETURN g", {})], ""), committed
        )
    renamed = [{"id": "G1", "name": "二号", "households": None}]
    if before is None:  # Neo4j
        assert called == [(None, None, renamed)]
    else:
        assert called == [(before + 2, before + 1, renamed)]


def test_the_writes_told_and_the_pages_given_back(backend: Backend) -> None:
    """Every backend says what it knows of the writes since a version (Neo4j: nothing, None)
    and gives back the pages it keeps, the graph and what it told left as they were."""
    before = getattr(backend, "version", None)
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=False)
    told = backend.writes_since(0 if before is None else before)
    if before is None:  # Neo4j
        assert told is None
    else:
        assert told == [Written(before + 2, frozenset({"Grid"}), ("Grid", frozenset({"G1"})))]
    backend.drop_cached_pages()
    assert grids(backend) == [{"id": "G1", "name": "一号", "households": None}]
    assert backend.writes_since(0 if before is None else before) == told


def test_is_empty_for_labels_and_relationship_types(backend: Backend) -> None:
    assert backend.is_empty("Grid") and backend.is_empty("SERVES_IN")
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    assert not backend.is_empty("Grid")
    assert backend.is_empty("SERVES_IN")


def test_values_are_parameters_not_query_text(backend: Backend) -> None:
    hostile = "x' WITH p MATCH (q:Person) DETACH DELETE q //"
    backend.upsert_nodes(PERSON, [person("P1", "张三"), person("P2", hostile)], bulk=False)
    rows = backend.read("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id")
    assert rows == [{"id": "P1", "name": "张三"}, {"id": "P2", "name": hostile}]


def test_a_syntax_error_is_a_bad_query(backend: Backend) -> None:
    with pytest.raises(BadQuery):
        backend.read("MATCH (g:Grid RETURN g")


def test_a_slow_query_stops_at_the_time_limit(with_timeout: Callable[[int], Backend]) -> None:
    timed = with_timeout(100)
    try:
        with pytest.raises(QueryTimeout):
            timed.read(
                "UNWIND range(1, 20000) AS a UNWIND range(1, 20000) AS b "
                "WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*) AS n"
            )
    finally:
        if isinstance(timed, EmbeddedBackend):
            timed.close()


# -- the loader on every backend -------------------------------------------------------------


@pytest.fixture
def files(write_csv: Callable[..., Path]) -> list[Path]:
    return [
        write_csv(
            "t.grids.csv",
            [
                ["id", "name", "level", "kind", "households", "urban"],
                ["g1", "一号网格", "1", "basic", "300", "true"],
                ["g2", "二号网格", "2", "micro", "", "false"],
                ["g3", "三号网格", "9", "basic", "", ""],  # level out of range: rejected
            ],
        ),
        write_csv(
            "t.people.csv",
            [["id", "name"], ["p1", "张三"], ["p2", "李四"], ["p3", "王五"], ["p1", "张三"]],
        ),
        write_csv(
            "t.serves_in.csv",
            [
                ["from", "to", "role", "valid_from"],
                ["p1", "g1", "head", "2024-01-01"],
                ["p2", "g2", "full_time", ""],
                ["p3", "g1", "part_time", "2023-05-01"],
                ["p3", "g3", "part_time", ""],  # the grid was rejected
            ],
        ),
    ]


EXPECTED_REPORT = [
    "t.grids.csv: read 3 = loaded 2 + rejected 1 + duplicates 0",
    "t.people.csv: read 4 = loaded 3 + rejected 0 + duplicates 1",
    "t.serves_in.csv: read 4 = loaded 3 + rejected 1 + duplicates 0",
]


def test_a_load_reconciles_and_a_rerun_changes_nothing(backend: Backend, files) -> None:
    report = load(backend, files, batch_size=2)  # batches cross their boundary
    assert [f.line() for f in report.files] == EXPECTED_REPORT
    assert [(r.file, r.line, r.column) for r in report.rejects] == [
        ("t.grids.csv", 4, "level"),
        ("t.serves_in.csv", 5, "to"),
    ]
    first = dump(backend)
    assert len(first["Grid"]) == 2 and len(first["SERVES_IN"]) == 3
    assert next(g for g in first["Grid"] if g["id"] == "g1")["urban"] is True
    rerun = load(backend, files, batch_size=2)
    assert [f.line() for f in rerun.files] == EXPECTED_REPORT
    assert dump(backend) == first


class Killed(Exception):
    pass


@pytest.mark.parametrize("after_batches", [1, 3, 5])
def test_a_load_stopped_between_batches_then_rerun_ends_as_a_clean_run(
    backend: Backend, files, tmp_path: Path, after_batches: int
) -> None:
    clean = EmbeddedBackend(tmp_path / "clean.lbdb")
    clean.init_schema()
    load(clean, files, batch_size=1)
    expected = dump(clean)
    clean.close()
    committed = 0

    def stop(name: str, rows: int) -> None:
        nonlocal committed
        committed += 1
        if committed == after_batches:
            raise Killed

    with pytest.raises(Killed):
        load(backend, files, batch_size=1, on_progress=stop)
    assert dump(backend) != expected
    load(backend, files, batch_size=1)
    assert dump(backend) == expected


def test_the_admin_export_reads_the_same_files_from_every_backend(
    backend: Backend, files, tmp_path: Path
) -> None:
    load(backend, files)
    command = export_neo4j_admin(backend, tmp_path / "out", files_at="/import", page_size=2)
    texts = {p.relative_to(tmp_path / "out").as_posix(): p.read_text() for p in command.files}
    assert texts["nodes/Grid.csv"] == (
        "id:ID(Grid),name,level:long,kind,grid_class:long,households:long,population:long,"
        "urban:boolean,location,field,unit_level,valid_from:date,valid_to:date,source\n"
        "g1,一号网格,1,basic,,300,,true,,,,,,t.grids.csv\n"
        "g2,二号网格,2,micro,,,,false,,,,,,t.grids.csv\n"
    )
    assert texts["relationships/SERVES_IN.Person.Grid.csv"].splitlines()[0] == (
        ":START_ID(Person),:END_ID(Grid),:TYPE,rid,role,valid_from:date,valid_to:date,source"
    )
    assert "p1,g1,SERVES_IN," in texts["relationships/SERVES_IN.Person.Grid.csv"]
    assert command.counts["Person"] == 3 and command.counts["SERVES_IN"] == 3
