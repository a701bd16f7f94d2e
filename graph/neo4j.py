"""The Neo4j backend: one server (`bolt://`) or a cluster or Aura (`neo4j://`, `neo4j+s://`).

Facts this adapter is built around (shared/notes/ladybugdb.md, the driver 6.x manual):
- one driver per process: it holds the connection pool, and the routing table on a cluster.
  It is verified when the backend opens and closed with it;
- reads go through `execute_query`, routed to readers, with the database named, so the driver
  never has to ask the server which database is its default;
- writes go through managed transactions, which the driver retries (transient errors, a lost
  leader, a dropped connection) for up to 30 s. Every write here is therefore idempotent:
  nodes are merged by key and relationships by `rid`, and only the given properties are set;
- reads and writes share one set of bookmarks (the driver's `execute_query` one), so a read
  that follows a write in this process sees it even on a read replica (the loader looks up
  endpoints it has just written). Another process is told of a write by its bookmarks
  (`bookmarks()` after it); it reads through `after(those)`, a view for that one request;
- every query carries a timeout; values are always parameters, and labels and property names
  come from the schema through `ident`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from neo4j import (
    Bookmarks,
    Driver,
    GraphDatabase,
    ManagedTransaction,
    Query,
    RoutingControl,
    unit_of_work,
)
from neo4j import exceptions as neo
from neo4j.api import BookmarkManager
from neo4j.graph import Node, Path, Relationship

from graph.backend import Params, Reader, Row, Statement, T, Written
from graph.ddl import RID, ident, neo4j_ddl
from graph.errors import BackendUnavailable, GraphError, from_neo4j
from graph.schema import SCHEMA, NodeType, Property, RelType, Schema, Type

_T = TypeVar("_T")
DEFAULT_TIMEOUT_MS = 10_000  # one read query
DEFAULT_WRITE_TIMEOUT_MS = 300_000  # one write transaction: a batch of a few thousand rows
SCHEMA_TIMEOUT_S = 3600  # one constraint or index, built over the nodes already there


class Neo4jBackend:
    """The `Backend` interface over a Neo4j 5 server, through the driver it is given."""

    dialect = "neo4j"  # which `name.<dialect>.cypher` variants of named queries apply

    def __init__(
        self,
        driver: Driver,
        *,
        database: str = "neo4j",
        read_only: bool = False,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        write_timeout_ms: int = DEFAULT_WRITE_TIMEOUT_MS,
        bookmarks: BookmarkManager | None = None,
    ) -> None:
        self._driver = driver
        self.database = database
        self.read_only = read_only
        # None: the driver's own, which every backend on this driver shares; a view made by
        # `after` has one of its own and does not own the driver
        self._view = bookmarks is not None
        self._bookmarks = bookmarks or driver.execute_query_bookmark_manager
        # 0 means "no limit of ours": the server's db.transaction.timeout still applies.
        self._timeout = timeout_ms / 1000 if timeout_ms else None
        self._write_timeout = write_timeout_ms / 1000 if write_timeout_ms else None

    @classmethod
    def connect(
        cls,
        uri: str,
        *,
        user: str,
        password: str,
        database: str = "neo4j",
        read_only: bool = False,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        write_timeout_ms: int = DEFAULT_WRITE_TIMEOUT_MS,
        **driver_config: Any,
    ) -> Neo4jBackend:
        """Create the process's driver for `uri`, check it reaches `database`, and wrap it.

        The server sends no notifications unless `driver_config` asks for them: the driver
        logs each as a warning, and a query that reads a property no node has yet (a column
        of the schema a county does not fill) would log one on every run."""
        driver_config.setdefault("notifications_min_severity", "OFF")
        try:
            driver = GraphDatabase.driver(uri, auth=(user, password), **driver_config)
        except (ValueError, neo.DriverError) as exc:
            raise BackendUnavailable(f"{uri}: {exc}") from exc
        backend = cls(
            driver,
            database=database,
            read_only=read_only,
            timeout_ms=timeout_ms,
            write_timeout_ms=write_timeout_ms,
        )
        try:
            _guard(driver.verify_connectivity)
            backend.read("RETURN 1 AS ok")  # the database exists and this user may read it
        except GraphError:
            driver.close()
            raise
        return backend

    # -- bookmarks: a write in one process, read by the next request in another -----------

    def bookmarks(self) -> list[str]:
        """Bookmarks of the writes made through this backend (and of those it has waited for):
        what a reply to a write hands its caller, so that the caller's next request, in any
        process, can read what was written (`after`). Opaque text; none before any query."""
        return sorted(self._bookmarks.get_bookmarks())

    def after(self, bookmarks: Iterable[str]) -> Neo4jBackend:
        """A view of this backend, on the same driver, whose queries wait until the server
        they reach holds the writes `bookmarks` name (from `bookmarks()`, perhaps in another
        process), and what this backend has written. For one request: its own bookmarks are
        apart, so a bookmark the server refuses fails that request only. Not to be closed."""
        return Neo4jBackend(
            self._driver,
            database=self.database,
            read_only=self.read_only,
            timeout_ms=int(self._timeout * 1000) if self._timeout else 0,
            write_timeout_ms=int(self._write_timeout * 1000) if self._write_timeout else 0,
            bookmarks=GraphDatabase.bookmark_manager(
                initial_bookmarks=Bookmarks.from_raw_values(
                    [*self._bookmarks.get_bookmarks(), *bookmarks]
                )
            ),
        )

    # -- the Backend interface ------------------------------------------------------------

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        records, _, keys = _guard(
            lambda: self._driver.execute_query(
                Query(query, timeout=self._timeout),
                dict(params or {}),
                routing_=RoutingControl.READ,
                database_=self.database,
                bookmark_manager_=self._bookmarks,
            )
        )
        return [dict(zip(keys, map(plain, r.values()), strict=True)) for r in records]

    def write(self, statements: Sequence[tuple[str, Params]]) -> None:
        self._transaction(statements, self._write_timeout)

    def write_locked(
        self,
        label: str,
        key: str,
        work: Callable[[Reader], tuple[Sequence[Statement], T]],
        committed: Callable[[int | None], None] | None = None,
    ) -> T:
        if self.read_only:
            raise GraphError("this graph was opened read-only; writes are refused")
        node = SCHEMA.node(label)
        # Writing a property takes the node's write lock until the transaction ends; the
        # property is removed again, so nothing of it is committed.
        lock = (
            "MATCH (n:" + ident(node.label) + " {" + ident(node.key) + ": $key}) "
            "SET n._lock = true REMOVE n._lock"
        )

        wrote = False  # statements run by the (last) try: `committed` is called after them

        @unit_of_work(timeout=self._write_timeout)
        def run(tx: ManagedTransaction) -> T:
            nonlocal wrote
            tx.run(lock, {"key": key}).consume()

            def read(query: str, params: Params) -> list[Row]:
                result = tx.run(query, dict(params))
                keys = result.keys()
                return [dict(zip(keys, map(plain, r.values()), strict=True)) for r in result]

            statements, answer = work(read)
            wrote = bool(statements)
            for text, params in statements:
                tx.run(text, dict(params)).consume()
            return answer

        def execute() -> T:
            with self._driver.session(
                database=self.database, bookmark_manager=self._bookmarks
            ) as session:
                return session.execute_write(run)

        answer = _guard(execute)
        if wrote and committed is not None:
            committed(None)  # no version: other clients write unseen
        return answer

    def init_schema(self) -> None:
        # A transaction per statement (Neo4j keeps schema changes apart), with a limit long
        # enough for a constraint to check a city's existing nodes after an offline import.
        for statement in schema_statements():
            self._transaction([(statement, {})], SCHEMA_TIMEOUT_S)
        wait = ("CALL db.awaitIndexes($seconds)", {"seconds": SCHEMA_TIMEOUT_S})
        self._transaction([wait], SCHEMA_TIMEOUT_S)

    def is_empty(self, label_or_type: str) -> bool:
        name = ident(label_or_type)
        if label_or_type in {n.label for n in SCHEMA.stored_nodes}:
            query = "MATCH (n:" + name + ") RETURN count(n) AS n"
        else:
            query = "MATCH ()-[r:" + name + "]->() RETURN count(r) AS n"
        return int(self.read(query)[0]["n"]) == 0

    def upsert_nodes(self, node_type: NodeType, rows: Sequence[Row], *, bulk: bool) -> None:
        if rows:
            self.write([node_statement(node_type, rows, bulk=bulk)])

    def upsert_rels(
        self, rel_type: RelType, groups: Mapping[tuple[str, str], Sequence[Row]], *, bulk: bool
    ) -> None:
        self.write(
            [
                rel_statement(rel_type, a, b, rows, bulk=bulk)
                for (a, b), rows in groups.items()
                if rows
            ]
        )

    def writes_since(self, version: int) -> list[Written] | None:
        """Not known: other clients write to the server unseen by this process."""
        return None

    def drop_cached_pages(self) -> None:
        """Nothing to give back: the pages are the server's, not this process's."""

    def close(self) -> None:
        if not self._view:
            self._driver.close()

    def _transaction(self, statements: Sequence[tuple[str, Params]], timeout: float | None) -> None:
        """Run `statements` in one managed transaction, which the driver may retry."""
        work = [(text, dict(params)) for text, params in statements]
        if not work:
            return
        if self.read_only:
            raise GraphError("this graph was opened read-only; writes are refused")

        @unit_of_work(timeout=timeout)
        def run_all(tx: ManagedTransaction) -> None:
            # Called again from the start if the driver retries: it holds no state of its own.
            for text, params in work:
                tx.run(text, params).consume()

        def execute() -> None:
            with self._driver.session(
                database=self.database, bookmark_manager=self._bookmarks
            ) as session:
                session.execute_write(run_all)

        _guard(execute)


# -- statements -------------------------------------------------------------------------------


def schema_statements(schema: Schema = SCHEMA) -> list[str]:
    """`graph.ddl.neo4j_ddl()` and range indexes on what queries filter by besides choices:
    dates (the day a dispute was filed, when a post was held) and relationships' choices."""
    statements = neo4j_ddl(schema)
    for n in schema.nodes:
        label = ident(n.label)
        for p in n.properties:
            if p.type is Type.DATE and p.name != n.key:
                statements.append(_index(label, p, f"(n:{label})", "n"))
    for r in schema.rels:
        type_ = ident(r.type)
        for p in r.properties:
            if p.type is Type.DATE or p.choices:
                statements.append(_index(type_, p, "()-[r:" + type_ + "]-()", "r"))
    return statements


def _index(owner: str, p: Property, pattern: str, var: str) -> str:
    name = ident(p.name)
    return (
        "CREATE INDEX "
        + owner.lower()
        + "_"
        + name
        + " IF NOT EXISTS FOR "
        + pattern
        + " ON ("
        + var
        + "."
        + name
        + ")"
    )


def node_statement(node_type: NodeType, rows: Sequence[Row], *, bulk: bool) -> tuple[str, Params]:
    """`UNWIND … MERGE` by key, setting only the properties the rows carry. `bulk` (none of the
    keys exists yet) may CREATE: the uniqueness constraint turns a broken promise into a
    ConstraintViolation, and a retried transaction starts from a rolled-back state."""
    label, key = ident(node_type.label), ident(node_type.key)
    given = [p for p in node_type.properties if p.name != node_type.key and p.name in rows[0]]
    verb = "CREATE" if bulk else "MERGE"
    text = "UNWIND $rows AS r " + verb + " (n:" + label + " {" + key + ": r." + key + "})"
    text += _sets("n", given)
    return text, {"rows": _typed(rows, node_type.properties)}


def rel_statement(
    rel_type: RelType, from_label: str, to_label: str, rows: Sequence[Row], *, bulk: bool
) -> tuple[str, Params]:
    """Match both endpoints by key (two MATCH clauses, never a comma), then MERGE by `rid`."""
    if (from_label, to_label) not in rel_type.endpoints:
        raise GraphError(f"{rel_type.type} does not join {from_label}→{to_label}")
    a, b = ident(from_label), ident(to_label)
    a_key, b_key = ident(SCHEMA.node(from_label).key), ident(SCHEMA.node(to_label).key)
    given = [p for p in rel_type.properties if p.name in rows[0]]
    type_, verb = ident(rel_type.type), "CREATE" if bulk else "MERGE"
    text = (
        "UNWIND $rows AS r MATCH (a:"
        + a
        + " {"
        + a_key
        + ": r.from}) "
        + "MATCH (b:"
        + b
        + " {"
        + b_key
        + ": r.to}) "
        + verb
        + " (a)-[e:"
        + type_
        + " {"
        + RID
        + ": r."
        + RID
        + "}]->(b)"
        + _sets("e", given)
    )
    return text, {"rows": _typed(rows, rel_type.properties)}


def _sets(var: str, given: Sequence[Property]) -> str:
    if not given:
        return ""
    return " SET " + ", ".join(f"{var}.{ident(p.name)} = r.{p.name}" for p in given)


_CONVERT: dict[Type, Callable[[str], Any]] = {
    Type.INT64: int,
    Type.DOUBLE: float,
    Type.DATE: date.fromisoformat,
}


def _typed(rows: Sequence[Row], properties: Sequence[Property]) -> list[dict[str, Any]]:
    """Rows with text in typed columns converted, as the embedded store's CAST does; a date
    goes to the driver as a `date`, which it sends as a Neo4j DATE."""
    converters = {p.name: _CONVERT[p.type] for p in properties if p.type in _CONVERT}
    out = []
    for row in rows:
        typed = dict(row)
        for name, convert in converters.items():
            if isinstance(typed.get(name), str):
                typed[name] = convert(typed[name])
        out.append(typed)
    return out


# -- results and errors -----------------------------------------------------------------------


_SCALARS = frozenset({str, int, float, bool, type(None)})


def plain(value: Any) -> Any:
    """A driver value as plain Python, shaped as the embedded store returns it: dates as
    `datetime.date`, a node as a dict of its properties with `_ID` and `_LABEL`."""
    if type(value) in _SCALARS:  # most values: returned as they are, without the tests below
        return value
    if isinstance(value, Node):
        return {"_ID": value.element_id, "_LABEL": min(value.labels, default=None), **_props(value)}
    if isinstance(value, Relationship):
        start, end = value.start_node, value.end_node
        return {
            "_ID": value.element_id,
            "_LABEL": value.type,
            "_SRC": start.element_id if start is not None else None,
            "_DST": end.element_id if end is not None else None,
            **_props(value),
        }
    if isinstance(value, Path):
        return {"_NODES": [plain(n) for n in value.nodes], "_RELS": [plain(r) for r in value]}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "to_native"):  # neo4j.time.Date, DateTime, Time
        return value.to_native()
    return value


def _props(entity: Node | Relationship) -> dict[str, Any]:
    return {k: plain(v) for k, v in entity.items()}


def _guard(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except (neo.Neo4jError, neo.DriverError) as exc:
        raise from_neo4j(exc) from exc
