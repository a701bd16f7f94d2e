"""The embedded backend: LadybugDB, a graph database in one file on disk.

Facts this adapter is built around (shared/notes/ladybugdb.md):
- one write transaction at a time per database, and a second one fails at once rather than
  waiting, so every call here is serialised by one lock;
- `COPY T FROM $table` is the fast path into empty tables; `UNWIND … MERGE` slows down as a
  table grows, so upserts MATCH-and-SET the rows that exist and CREATE the rest;
- `UNWIND $rows` needs every map to have the same keys and fails on an empty list;
- a missing parameter does not raise, so callers must pass every one.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa

from graph.backend import Params, Row
from graph.ddl import RID, embedded_ddl, ident
from graph.errors import BackendUnavailable, GraphError, from_ladybug
from graph.schema import NodeType, Property, RelType, Type

_ARROW_TYPES = {
    Type.STRING: pa.string(),
    Type.INT64: pa.int64(),
    Type.DOUBLE: pa.float64(),
    Type.BOOL: pa.bool_(),
    Type.DATE: pa.date32(),
}


class EmbeddedBackend:
    def __init__(self, path: Path, *, read_only: bool = False, timeout_ms: int = 0) -> None:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise BackendUnavailable(
                f"there is no graph at {path}; build one with `govgraph demo` or "
                "`govgraph init` and `govgraph load`, or point GOVGRAPH_DB at it"
            )
        try:
            self._db = ladybug.Database(str(path), read_only=read_only)
            self._conn = ladybug.Connection(self._db)
        except RuntimeError as exc:
            raise from_ladybug(exc) from exc
        if timeout_ms:
            self._conn.set_query_timeout(timeout_ms)
        self._lock = threading.Lock()
        self.path = path

    # -- the Backend interface ------------------------------------------------------------

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        with self._lock:
            result = self._execute(query, params)
            columns = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append(dict(zip(columns, result.get_next(), strict=True)))
            return rows

    def write(self, statements: Sequence[tuple[str, Params]]) -> None:
        with self._lock:
            self._transaction(statements)

    def init_schema(self) -> None:
        with self._lock:
            for statement in embedded_ddl():
                self._execute(statement)

    def is_empty(self, label_or_type: str) -> bool:
        query = "MATCH ()-[r:" + ident(label_or_type) + "]->() RETURN count(r) AS n"
        if label_or_type[:1].isupper() and not label_or_type.isupper():
            query = "MATCH (n:" + ident(label_or_type) + ") RETURN count(n) AS n"
        return int(self.read(query)[0]["n"]) == 0

    def upsert_nodes(self, node_type: NodeType, rows: Sequence[Row], *, bulk: bool) -> None:
        if not rows:
            return
        label, key = ident(node_type.label), ident(node_type.key)
        if bulk:
            table = _arrow(rows, node_type.properties)
            with self._lock:
                self._execute("COPY " + label + " FROM $rows", {"rows": table})
            return
        # Set only the properties the rows carry: a partial file updates what it holds.
        others = [p for p in node_type.properties if p.name != node_type.key and p.name in rows[0]]
        update = (
            "UNWIND $rows AS r MATCH (n:" + label + " {" + key + ": r." + key + "}) "
            "SET " + ", ".join("n." + ident(p.name) + " = " + _value(p) for p in others)
        )
        assignments = ", ".join(
            [key + ": r." + key] + [ident(p.name) + ": " + _value(p) for p in others]
        )
        create = (
            "UNWIND $rows AS r OPTIONAL MATCH (n:" + label + " {" + key + ": r." + key + "}) "
            "WITH r, n WHERE n IS NULL CREATE (:" + label + " {" + assignments + "})"
        )
        params = {"rows": [dict(r) for r in rows]}
        statements = [(update, params), (create, params)] if others else [(create, params)]
        with self._lock:
            self._transaction(statements)

    def upsert_rels(
        self, rel_type: RelType, groups: Mapping[tuple[str, str], Sequence[Row]], *, bulk: bool
    ) -> None:
        statements = [
            self._rel_statement(rel_type, a, b, rows, bulk=bulk)
            for (a, b), rows in groups.items()
            if rows
        ]
        if statements:
            with self._lock:
                self._transaction(statements)

    def _rel_statement(
        self, rel_type: RelType, from_label: str, to_label: str, rows: Sequence[Row], *, bulk: bool
    ) -> tuple[str, Params]:
        type_ = ident(rel_type.type)
        a, b = ident(from_label), ident(to_label)
        if bulk:
            rid = Property(RID, max_length=64)
            table = _arrow(rows, (Property("from"), Property("to"), rid, *rel_type.properties))
            return "COPY " + type_ + " FROM $rows (from='" + a + "', to='" + b + "')", {
                "rows": table
            }
        a_key = ident(_key_of(rel_type, a))
        b_key = ident(_key_of(rel_type, b, end=1))
        given = [p for p in rel_type.properties if p.name in rows[0]]
        sets = ", ".join("e." + ident(p.name) + " = " + _value(p) for p in given)
        merge = (
            "UNWIND $rows AS r "
            "MATCH (a:" + a + " {" + a_key + ": r.from}) "
            "MATCH (b:" + b + " {" + b_key + ": r.to}) "
            "MERGE (a)-[e:"
            + type_
            + " {"
            + RID
            + ": r."
            + RID
            + "}]->(b)"
            + (" SET " + sets if sets else "")
        )
        return merge, {"rows": [dict(r) for r in rows]}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._db.close()

    # -- helpers --------------------------------------------------------------------------

    def _execute(self, query: str, params: Params | None = None) -> Any:
        try:
            return self._conn.execute(query, dict(params or {}))
        except RuntimeError as exc:
            raise from_ladybug(exc) from exc

    def _transaction(self, statements: Sequence[tuple[str, Params]]) -> None:
        self._execute("BEGIN TRANSACTION")
        try:
            for query, params in statements:
                self._execute(query, params)
        except GraphError:
            # LadybugDB rolls a failed transaction back by itself; a ROLLBACK here would only
            # report that no transaction is active. Be sure, without hiding the first error.
            with contextlib.suppress(RuntimeError):
                self._conn.execute("ROLLBACK")
            raise
        self._execute("COMMIT")


def _value(p: Property) -> str:
    """`r.<name>`, cast to its type: a batch whose values are all empty would otherwise bind
    as STRING and fail against an INT64 or DATE column."""
    if p.type is Type.STRING:
        return "r." + ident(p.name)
    return "CAST(r." + ident(p.name) + " AS " + p.type.value + ")"


def _key_of(rel_type: RelType, label: str, end: int = 0) -> str:
    from graph.schema import SCHEMA

    if label not in {pair[end] for pair in rel_type.endpoints}:
        raise GraphError(f"{rel_type.type} has no endpoint {label}")
    return SCHEMA.node(label).key


def _arrow(rows: Sequence[Row], columns: Sequence[Property]) -> pa.Table:
    """Rows as an Arrow table with the schema's types, so COPY never guesses a type."""
    arrays = {}
    for p in columns:
        values = [r.get(p.name) for r in rows]
        if p.type is Type.DATE:
            values = [
                v if v is None or isinstance(v, date) else date.fromisoformat(v) for v in values
            ]
        arrays[p.name] = pa.array(values, type=_ARROW_TYPES[p.type])
    return pa.table(arrays)
