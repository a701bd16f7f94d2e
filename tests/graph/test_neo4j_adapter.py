"""The Neo4j adapter against a fake driver: what it asks the driver for (routing, database
name, timeouts, managed transactions, shared bookmarks), how a retried transaction repeats
its work, and how every driver and server error becomes the project's own.

Proven here: the calls the adapter makes and the statements it sends, and error codes a
test server is hard to bring to (a lost leader, a commit cut off). That a Neo4j server
answers them as expected is proven on a real one: the contract suite, test_neo4j_server.py
and tests/queries/test_neo4j_parity.py (docs/neo4j.md says what was verified where).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import neo4j
import pytest
from neo4j import EagerResult, Query, Record, RoutingControl
from neo4j import exceptions as neo
from neo4j.graph import Graph, Node, Path, Relationship
from neo4j.time import Date, DateTime

from graph.backend import UnknownBackend, open_backend
from graph.ddl import RID
from graph.errors import (
    AuthenticationFailed,
    BackendUnavailable,
    BadQuery,
    ConstraintViolation,
    GraphError,
    QueryTimeout,
    from_neo4j,
)
from graph.neo4j import Neo4jBackend, plain, schema_statements
from graph.schema import SCHEMA

GRID = SCHEMA.node("Grid")
SERVES_IN = SCHEMA.rel("SERVES_IN")
PART_OF = SCHEMA.rel("PART_OF")


def server_error(code: str, message: str = "it failed") -> neo.Neo4jError:
    """An error as the driver builds it from a server's FAILURE message."""
    return neo.Neo4jError._hydrate_neo4j(code=code, message=message)


@dataclass
class Run:
    text: str
    params: dict[str, Any]
    attempt: int


@dataclass
class FakeDriver:
    """Records what the adapter asks for. `fail_reads` / `fail_writes` hold errors to raise,
    one per call or per statement run, in order (None: succeed)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    fail_reads: list[Exception | None] = field(default_factory=list)
    fail_writes: list[Exception | None] = field(default_factory=list)
    fail_verify: Exception | None = None
    queries: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    transactions: list[dict[str, Any]] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    closed: bool = False
    execute_query_bookmark_manager: object = field(default_factory=object)

    def verify_connectivity(self) -> None:
        if self.fail_verify:
            raise self.fail_verify

    def execute_query(self, query: Query, parameters: dict[str, Any], **config: Any) -> EagerResult:
        self.queries.append({"query": query, "parameters": parameters, **config})
        if self.fail_reads and (error := self.fail_reads.pop(0)):
            raise error
        keys = list(self.rows[0]) if self.rows else []
        return EagerResult([Record(r) for r in self.rows], None, keys)  # type: ignore[arg-type]

    def session(self, **config: Any) -> FakeSession:
        self.sessions.append(config)
        return FakeSession(self)

    def close(self) -> None:
        self.closed = True


class FakeSession:
    """Retries the transaction function as the driver does: on a retryable error, from the
    start, in a new transaction."""

    def __init__(self, driver: FakeDriver) -> None:
        self.driver = driver

    def __enter__(self) -> FakeSession:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def execute_write(self, work: Callable[[Any], None]) -> None:
        for attempt in range(1, 4):
            self.driver.transactions.append({"timeout": getattr(work, "timeout", "unset")})
            try:
                work(FakeTx(self.driver, attempt))
                return
            except (neo.Neo4jError, neo.DriverError) as exc:
                if not exc.is_retryable() or attempt == 3:
                    raise


class FakeTx:
    def __init__(self, driver: FakeDriver, attempt: int) -> None:
        self.driver, self.attempt = driver, attempt

    def run(self, text: str, params: dict[str, Any]) -> FakeTx:
        self.driver.runs.append(Run(text, params, self.attempt))
        if self.driver.fail_writes and (error := self.driver.fail_writes.pop(0)):
            raise error
        return self

    def consume(self) -> None:
        pass


@pytest.fixture
def driver() -> FakeDriver:
    return FakeDriver()


@pytest.fixture
def backend(driver: FakeDriver) -> Neo4jBackend:
    """Overrides the embedded `backend` fixture of tests/conftest.py in this module."""
    return Neo4jBackend(driver, database="govdb", timeout_ms=2_500, write_timeout_ms=60_000)  # type: ignore[arg-type]


def grid(id_: str, **extra: Any) -> dict[str, Any]:
    return {"id": id_, "name": "网格", "level": 1, "kind": "basic", "source": "t", **extra}


# -- reads -----------------------------------------------------------------------------------


def test_a_read_goes_to_readers_of_the_named_database_with_a_timeout(backend, driver) -> None:
    driver.rows = [{"id": "G1", "n": 3}]
    assert backend.read("MATCH (g:Grid {id: $id}) RETURN g.id AS id", {"id": "G1"}) == [
        {"id": "G1", "n": 3}
    ]
    [call] = driver.queries
    assert call["routing_"] == RoutingControl.READ
    assert call["database_"] == "govdb"
    assert call["parameters"] == {"id": "G1"}
    assert isinstance(call["query"], Query)
    assert call["query"].text == "MATCH (g:Grid {id: $id}) RETURN g.id AS id"
    assert call["query"].timeout == 2.5


def test_no_timeout_of_ours_leaves_the_server_default(driver) -> None:
    Neo4jBackend(driver, timeout_ms=0).read("RETURN 1 AS x")  # type: ignore[arg-type]
    assert driver.queries[0]["query"].timeout is None


def test_results_come_back_as_plain_python(backend, driver) -> None:
    driver.rows = [
        {"d": Date(2024, 3, 1), "t": DateTime(2024, 3, 1, 8, 30), "xs": [Date(2020, 1, 2)]}
    ]
    assert backend.read("RETURN 1") == [
        {"d": date(2024, 3, 1), "t": datetime(2024, 3, 1, 8, 30), "xs": [date(2020, 1, 2)]}
    ]


def test_nodes_relationships_and_paths_are_shaped_as_the_embedded_store_shapes_them() -> None:
    graph = Graph()
    g = Node(graph, "4:x:1", 1, ["Grid"], {"id": "G1", "households": 300})
    u = Node(graph, "4:x:2", 2, ["Unit"], {"code": "330421000000"})
    e = Relationship(graph, "5:x:9", 9, {RID: "r1"})
    e._start_node, e._end_node = g, u
    assert plain(g) == {"_ID": "4:x:1", "_LABEL": "Grid", "id": "G1", "households": 300}
    assert plain(e) == {
        "_ID": "5:x:9",
        "_LABEL": "Relationship",
        "_SRC": "4:x:1",
        "_DST": "4:x:2",
        RID: "r1",
    }
    assert plain(Path(g, e)) == {"_NODES": [plain(g), plain(u)], "_RELS": [plain(e)]}


# -- writes ----------------------------------------------------------------------------------


def test_a_write_is_one_managed_transaction_sharing_the_reads_bookmarks(backend, driver) -> None:
    backend.write([("CREATE (:Grid {id: $id})", {"id": "G1"}), ("MATCH (g) SET g.x = 1", {})])
    assert driver.sessions == [
        {"database": "govdb", "bookmark_manager": driver.execute_query_bookmark_manager}
    ]
    assert driver.transactions == [{"timeout": 60.0}]
    assert [(r.text, r.params) for r in driver.runs] == [
        ("CREATE (:Grid {id: $id})", {"id": "G1"}),
        ("MATCH (g) SET g.x = 1", {}),
    ]


def test_a_retried_transaction_runs_all_its_statements_again_from_the_first(
    backend, driver
) -> None:
    driver.fail_writes = [None, server_error("Neo.TransientError.Transaction.DeadlockDetected")]
    backend.upsert_nodes(GRID, [grid("G1")], bulk=False)
    backend.upsert_rels(
        PART_OF,
        {("Grid", "Unit"): [{"from": "G1", "to": "U1", RID: "a"}], ("Grid", "Grid"): []},
        bulk=False,
    )
    attempts = [r.attempt for r in driver.runs]
    assert attempts == [1, 1, 2]  # the node batch, then the relationships twice
    assert driver.runs[1].text == driver.runs[2].text
    assert driver.runs[1].params == driver.runs[2].params
    assert "MERGE" in driver.runs[2].text  # the same work again changes nothing


def test_a_transient_error_that_outlasts_the_retries_means_unavailable(backend, driver) -> None:
    driver.fail_writes = [server_error("Neo.TransientError.General.DatabaseUnavailable")] * 3
    with pytest.raises(BackendUnavailable, match="DatabaseUnavailable"):
        backend.write([("CREATE (:Grid {id: 'G1'})", {})])
    assert len(driver.transactions) == 3


def test_upsert_nodes_merges_by_key_and_sets_only_the_given_properties(backend, driver) -> None:
    backend.upsert_nodes(
        GRID, [grid("G1", households=300), grid("G2", households=None)], bulk=False
    )
    [run] = driver.runs
    assert run.text == (
        "UNWIND $rows AS r MERGE (n:Grid {id: r.id}) SET n.name = r.name, n.level = r.level, "
        "n.kind = r.kind, n.households = r.households, n.source = r.source"
    )
    assert run.params == {"rows": [grid("G1", households=300), grid("G2", households=None)]}


def test_the_bulk_path_creates_and_leans_on_the_uniqueness_constraint(backend, driver) -> None:
    backend.upsert_nodes(GRID, [{"id": "G1"}], bulk=True)
    assert driver.runs[0].text == "UNWIND $rows AS r CREATE (n:Grid {id: r.id})"
    assert any("REQUIRE n.id IS UNIQUE" in s and "(n:Grid)" in s for s in schema_statements())


def test_text_in_typed_columns_is_converted_as_the_embedded_cast_does(backend, driver) -> None:
    row = {"from": "P1", "to": "G1", RID: "r", "role": "head", "valid_from": "2021-01-01"}
    backend.upsert_rels(SERVES_IN, {("Person", "Grid"): [row]}, bulk=False)
    assert driver.runs[0].params["rows"][0]["valid_from"] == date(2021, 1, 1)


def test_upsert_rels_writes_every_group_in_one_transaction(backend, driver) -> None:
    groups = {
        ("Grid", "Unit"): [{"from": "G1", "to": "U1", RID: "a", "source": "t"}],
        ("Grid", "Grid"): [{"from": "M1", "to": "G1", RID: "b", "source": "t"}],
        ("Unit", "Unit"): [],
    }
    backend.upsert_rels(PART_OF, groups, bulk=False)
    assert len(driver.transactions) == 1
    assert [r.text for r in driver.runs] == [
        "UNWIND $rows AS r MATCH (a:Grid {id: r.from}) MATCH (b:Unit {code: r.to}) "
        "MERGE (a)-[e:PART_OF {rid: r.rid}]->(b) SET e.source = r.source",
        "UNWIND $rows AS r MATCH (a:Grid {id: r.from}) MATCH (b:Grid {id: r.to}) "
        "MERGE (a)-[e:PART_OF {rid: r.rid}]->(b) SET e.source = r.source",
    ]


def test_a_relationship_between_labels_the_schema_does_not_join_is_refused(backend) -> None:
    with pytest.raises(GraphError, match="does not join Person→Unit"):
        backend.upsert_rels(PART_OF, {("Person", "Unit"): [{"from": "x", "to": "y"}]}, bulk=False)


def test_values_never_enter_the_query_text(backend, driver) -> None:
    hostile = "x'}) WITH 1 AS x MATCH (n) DETACH DELETE n //"
    backend.upsert_nodes(GRID, [grid("G1", name=hostile)], bulk=False)
    assert hostile not in driver.runs[0].text
    assert driver.runs[0].params["rows"][0]["name"] == hostile


def test_nothing_to_write_opens_no_transaction(backend, driver) -> None:
    backend.upsert_nodes(GRID, [], bulk=False)
    backend.upsert_rels(PART_OF, {("Grid", "Unit"): []}, bulk=True)
    backend.write([])
    assert driver.sessions == []


def test_a_read_only_backend_refuses_writes_before_reaching_the_server(driver) -> None:
    backend = Neo4jBackend(driver, read_only=True)  # type: ignore[arg-type]
    with pytest.raises(GraphError, match="read-only"):
        backend.upsert_nodes(GRID, [grid("G1")], bulk=False)
    assert driver.sessions == []


def test_init_schema_creates_every_constraint_and_index_in_its_own_transaction(
    backend, driver
) -> None:
    backend.init_schema()
    texts = [r.text for r in driver.runs]
    assert texts[:-1] == schema_statements()
    assert texts[-1] == "CALL db.awaitIndexes($seconds)"
    assert len(driver.transactions) == len(texts)
    assert {t["timeout"] for t in driver.transactions} == {3600}  # long: builds over the data
    assert all("IF NOT EXISTS" in t for t in texts[:-1])
    for n in SCHEMA.nodes:
        assert f"FOR (n:{n.label}) REQUIRE n.{n.key} IS UNIQUE" in " ".join(texts)
    for r in SCHEMA.rels:
        assert f"FOR ()-[r:{r.type}]-() REQUIRE r.rid IS UNIQUE" in " ".join(texts)
    assert (
        "CREATE INDEX dispute_reported_on IF NOT EXISTS FOR (n:Dispute) ON (n.reported_on)" in texts
    )
    assert (
        "CREATE INDEX serves_in_valid_from IF NOT EXISTS FOR ()-[r:SERVES_IN]-() "
        "ON (r.valid_from)" in texts
    )
    names = [t.split()[2] for t in texts[:-1]]
    assert len(names) == len(set(names)), "every constraint and index has its own name"


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("Grid", "MATCH (n:Grid) RETURN count(n) AS n"),
        ("SERVES_IN", "MATCH ()-[r:SERVES_IN]->() RETURN count(r) AS n"),
    ],
)
def test_is_empty_counts_a_label_or_a_type(backend, driver, name, query) -> None:
    driver.rows = [{"n": 0}]
    assert backend.is_empty(name)
    assert driver.queries[0]["query"].text == query


def test_close_closes_the_driver(backend, driver) -> None:
    backend.close()
    assert driver.closed


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (server_error("Neo.ClientError.Schema.ConstraintValidationFailed"), ConstraintViolation),
        (server_error("Neo.ClientError.Statement.SyntaxError"), BadQuery),
        (server_error("Neo.ClientError.Statement.ParameterMissing"), BadQuery),
        (server_error("Neo.ClientError.Statement.AccessMode"), BadQuery),  # a write in a read
        (server_error("Neo.ClientError.Statement.TypeError"), BadQuery),
        (server_error("Neo.ClientError.Transaction.TransactionTimedOut"), QueryTimeout),
        (
            server_error("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration"),
            QueryTimeout,
        ),
        (server_error("Neo.ClientError.Security.Unauthorized"), AuthenticationFailed),
        (server_error("Neo.ClientError.Security.TokenExpired"), AuthenticationFailed),
        (server_error("Neo.ClientError.Database.DatabaseNotFound"), BackendUnavailable),
        (server_error("Neo.TransientError.General.DatabaseUnavailable"), BackendUnavailable),
        (server_error("Neo.ClientError.Cluster.NotALeader"), BackendUnavailable),
        (server_error("Neo.ClientError.Security.Forbidden"), GraphError),
        (server_error("Neo.DatabaseError.General.UnknownError"), GraphError),
        (neo.ServiceUnavailable("Unable to retrieve routing information"), BackendUnavailable),
        (neo.SessionExpired("gone"), BackendUnavailable),
        (neo.IncompleteCommit("lost while committing"), BackendUnavailable),
        (neo.ConnectionAcquisitionTimeoutError("pool exhausted"), BackendUnavailable),
        (neo.AuthConfigurationError("bad auth"), AuthenticationFailed),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else getattr(v, "code", type(v).__name__),
)
def test_every_driver_error_becomes_the_projects_own(backend, driver, error, expected) -> None:
    assert type(from_neo4j(error)) is expected
    driver.fail_reads = [error]
    with pytest.raises(expected) as raised:
        backend.read("RETURN 1")
    assert raised.value.__cause__ is error


def test_a_database_that_does_not_exist_names_the_setting_to_fix() -> None:
    error = server_error("Neo.ClientError.Database.DatabaseNotFound", "Graph not found: govdb")
    assert "GOVGRAPH_NEO4J_DATABASE" in str(from_neo4j(error))
    assert "GOVGRAPH_NEO4J_PASSWORD" in str(
        from_neo4j(server_error("Neo.ClientError.Security.Unauthorized"))
    )


# -- opening ---------------------------------------------------------------------------------


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch, driver: FakeDriver) -> Iterator[list[dict[str, Any]]]:
    """Every `GraphDatabase.driver(...)` call, answered with the fake driver."""
    calls: list[dict[str, Any]] = []

    def make(uri: str, **config: Any) -> FakeDriver:
        calls.append({"uri": uri, **config})
        return driver

    monkeypatch.setattr(neo4j.GraphDatabase, "driver", make)
    yield calls


@pytest.mark.parametrize("scheme", ["neo4j", "neo4j+s", "neo4j+ssc", "bolt", "bolt+s", "bolt+ssc"])
def test_open_backend_opens_neo4j_for_each_scheme_with_the_settings(made, driver, scheme) -> None:
    driver.rows = [{"ok": 1}]
    uri = f"{scheme}://db.example:7687"
    backend = open_backend(uri, user="gov", password="s3cret", database="govdb", timeout_ms=500)
    assert isinstance(backend, Neo4jBackend)
    assert made == [{"uri": uri, "auth": ("gov", "s3cret"), "notifications_min_severity": "OFF"}]
    # Verified at start-up: the server is reachable and the database answers a read.
    assert driver.queries[0]["database_"] == "govdb"
    assert driver.queries[0]["query"].timeout == 0.5
    backend.close()
    assert driver.closed


def test_a_failed_start_up_check_closes_the_driver(made, driver) -> None:
    driver.fail_reads = [server_error("Neo.ClientError.Database.DatabaseNotFound")]
    with pytest.raises(BackendUnavailable, match="GOVGRAPH_NEO4J_DATABASE"):
        open_backend("bolt://db.example:7687", database="nope")
    assert driver.closed


def test_wrong_credentials_fail_at_start_up(made, driver) -> None:
    driver.fail_verify = server_error("Neo.ClientError.Security.Unauthorized")
    with pytest.raises(AuthenticationFailed):
        open_backend("neo4j+s://x.databases.neo4j.io", user="neo4j", password="wrong")
    assert driver.closed


def test_no_server_at_the_address_is_unavailable_quickly() -> None:
    with pytest.raises(BackendUnavailable, match="is the Neo4j server running"):
        open_backend("bolt://127.0.0.1:9", password="x")


@pytest.mark.parametrize("url", ["postgres://x", "http://localhost:7474", "neo4j+x://h"])
def test_an_unknown_scheme_lists_every_valid_form(url) -> None:
    with pytest.raises(UnknownBackend, match="Valid forms: a file path") as raised:
        open_backend(url)
    for form in ("neo4j://", "neo4j+s://", "neo4j+ssc://", "bolt://", "bolt+s://", "bolt+ssc://"):
        assert form in str(raised.value)
