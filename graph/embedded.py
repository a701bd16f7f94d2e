"""The embedded backend: LadybugDB, a graph database in one file on disk.

Facts this adapter is built around (shared/notes/ladybugdb.md):
- one write transaction at a time per database, and a second one fails at once rather than
  waiting, so every write here is serialised by one lock and runs on one connection;
- reads may run beside each other and beside a write (each sees the last committed state), so
  each read borrows a connection from a small pool (at most `readers` open, each limited to
  `read_threads` LadybugDB threads): with one thread, two requests on two cores run side by
  side, and a small query is 20–40% faster than with a thread pool per query. A connection
  holds tens of MB of prepared statements once used, so they are few and reused, never one
  per thread (a server's worker threads come and go);
- a connection also keeps native memory from the queries it runs (LadybugDB 0.22: copies of
  the physical plan made as each prepared statement runs, more beside writes), given back
  only when it is closed: a server under load grew by 300–400 MiB a minute without a plateau.
  So a read connection is closed after `READS_PER_CONNECTION` reads, and the next read opens
  a fresh one; the write connection likewise, after as many statements, between two writes
  (docs/benchmarks.md, the soak). What a closed connection frees stays in malloc's heaps
  until glibc is asked to trim them (`malloc_trim`), which follows every close;
- the store keeps memory for what was written since its last checkpoint (which folds the
  write-ahead log into the file): on a city about 40 MiB once anything is, then some 10 KB a
  report (new nodes and ties) but about 30 KB for each property a transaction changed on a
  stored node (170–190 KB for the workflow's SET of six). It checkpoints by itself only when
  that log reaches 16 MB: some 5,000 reports, or 30,000 such SETs and 5 GB. A checkpoint costs
  much the same whatever the log holds (on a city 0.3–0.9 s after one report or thirty, 1–2 s
  after 100 reports and accepts on a busy machine) and reads go on beside it, so the write
  connection checkpoints after `UPDATES_PER_CHECKPOINT` statements that SET, REMOVE or
  DELETE, not each time it is worn (every 7th report, when it checkpointed then);
- `COPY T FROM $table` is the fast path into empty tables, and appends to non-empty ones;
  `UNWIND $rows` of maps is slow (seconds per 50,000 rows) and `UNWIND … MERGE` slows down as
  a table grows, while `LOAD FROM $table` (an Arrow table) with a key lookup reads or sets
  50,000 rows in a fraction of a second. So an upsert reads what the rows' keys hold now,
  SETs the rows that differ, and COPYs the new ones, all in one transaction;
- every node table has a primary-key hash index, and its in-memory part is made when the store
  opens and held until it closes: 3.3 MiB a table however few its rows (256 sub-indexes, each
  with two 4 KiB disk-array buffers and a 4 KiB page of slots). A table made without it
  (`CALL enable_default_hash_index=false`, then CREATE) is looked up by scanning and still
  refuses a key twice, but takes COPY only while empty: rows added later are CREATEd;
- `UNWIND $rows` needs every map to have the same keys and fails on an empty list;
- a missing parameter does not raise, so callers must pass every one.
"""

from __future__ import annotations

import contextlib
import ctypes
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import ladybug
import pyarrow as pa
import pyarrow.compute as pc

from graph.backend import Params, Reader, Row, Statement, T, Written
from graph.date_refs import Leak
from graph.ddl import (
    RID,
    SchemaGaps,
    StoredTable,
    embedded_ddl,
    embedded_gaps,
    ident,
    node_table,
)
from graph.errors import BackendUnavailable, GraphError, from_ladybug
from graph.labels import EVERYTHING, changed_by
from graph.schema import SCHEMA, NodeType, Property, RelType, Type
from graph.walks import WalkGate, walks

DEFAULT_READERS = 8  # reads at once; a request waits for a connection beyond that
# Reads before a read connection is closed and replaced, giving back the native memory it has
# kept; a new one prepares its statements again, a few ms each (in an 8-minute soak, 100
# instead of 500: 1 GB less at the peak, 6% fewer requests a second).
READS_PER_CONNECTION = 100
# Statements that change stored properties (SET, REMOVE, DELETE) before the write connection
# checkpoints: on a city some 60 MiB kept at most (40 for anything written, 0.2 an accept), a
# checkpoint every 100 accepts (docs/benchmarks.md, "Checkpoints by what is held").
UPDATES_PER_CHECKPOINT = 100
# Node tables made without the primary-key hash index: reference tables of tens or hundreds of
# rows (a city's 11 pools to 419 organisations), where a scan finds a key about as fast (0.05
# ms at 419 rows, 0.03 with the index) and the index would hold 3.3 MiB each in every process
# that opens the store: a city server's resident memory ~20 MiB less (docs/benchmarks.md).
UNINDEXED = frozenset({"Domain", "ExpertPool", "Department", "Center", "ListItem", "Organisation"})
_UPDATES = re.compile(r"\b(?:SET|REMOVE|DELETE)\b", re.IGNORECASE)
# The writes `writes_since` tells of (older ones: the caller reads again whole), and the most
# keys of one upsert it names (a bigger upsert is a load, taken as about anything).
JOURNAL = 256
NAMED = 100
try:  # glibc's: gives the free pages inside malloc's heaps back to the system
    _MALLOC_TRIM: Callable[[int], int] | None = ctypes.CDLL(None).malloc_trim
except (AttributeError, OSError, TypeError):  # another C library: nothing to call
    _MALLOC_TRIM = None

# Rows made into Arrow by malloc rather than Arrow's own allocator (mimalloc), which keeps what
# its builders free as they grow (by doubling) for its next tables: a large batch's parts lay
# among some 100 MiB more until its COPY (the city's log: 289 MiB allocated, 386 held), and
# made them in more CPU (docs/benchmarks.md)
_ROWS_POOL = pa.system_memory_pool()
_ARROW_TYPES = {
    Type.STRING: pa.string(),
    Type.INT64: pa.int64(),
    Type.DOUBLE: pa.float64(),
    Type.BOOL: pa.bool_(),
    Type.DATE: pa.date32(),
}


class EmbeddedBackend:
    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        timeout_ms: int = 0,
        read_threads: int = 1,
        readers: int = DEFAULT_READERS,
        buffer_pool_mb: int = 0,
        reads_per_connection: int = READS_PER_CONNECTION,
        updates_per_checkpoint: int = UPDATES_PER_CHECKPOINT,
    ) -> None:
        """Open (or create) the store at `path`. `timeout_ms` bounds each read (0: no bound);
        `read_threads` is how many LadybugDB threads one read may use (0: one per core);
        `readers` is how many reads may run at once (more wait for a connection), each
        connection closed after `reads_per_connection` reads (the write connection after as many
        statements), and the store checkpointed after `updates_per_checkpoint` writes of stored
        properties;
        `buffer_pool_mb` is the most memory the store takes for its pages and the reads' work
        (0: LadybugDB's default, 80% of the machine's memory). The pool does not give back what
        a read used: a long-running server's memory climbs to it, so the server sets it."""
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise BackendUnavailable(
                f"there is no graph at {path}; build one with `govgraph demo` or "
                "`govgraph init` and `govgraph load`, or point GOVGRAPH_DB at it"
            )
        self._database: Callable[[], Any] = lambda: ladybug.Database(
            str(path), read_only=read_only, buffer_pool_size=buffer_pool_mb << 20
        )
        try:
            self._db = self._database()
            self._conn = _writer(self._db, timeout_ms)
            self._leak = Leak.probe(self._conn)  # the binding's dates: graph/date_refs.py
        except RuntimeError as exc:
            if "recovery" in str(exc).lower():  # "checkpoint recovery pending", after kill -9
                raise BackendUnavailable(f"{exc} — {recovery(path)}") from exc
            raise from_ladybug(exc) from exc
        self._lock = threading.Lock()  # held by every write, on self._conn
        self._walks = WalkGate()  # no recursive read beside a write (graph/walks.py)
        self._timeout_ms = timeout_ms
        self._read_threads = read_threads
        self._max_readers = max(1, readers)
        self._reads_per_connection = max(1, reads_per_connection)
        self._written = 0  # statements run on the write connection (self._conn) since it opened
        self._updates_per_checkpoint = max(1, updates_per_checkpoint)
        self._updates = 0  # statements that SET, REMOVE or DELETE since the last checkpoint
        self._readers: list[Any] = []  # every read connection opened, to close them
        self._idle: list[Any] = []  # those no read holds now, the last returned on top
        self._reads: dict[int, int] = {}  # reads made on each open one, by id()
        self._pool = threading.Condition()
        self._closed = False
        self.path = path
        # Moved on by every write of this process, and odd while one is under way. No other
        # process can change what this one sees: a read-write store is locked to one
        # process, and a read-only one reads a snapshot. So results kept from reads at one
        # (even) version hold until it changes.
        self.version = 0
        # The version at which each label or type was last changed (graph.labels): results
        # kept from reads of labels no write has changed since stay valid (`stamp`).
        self._changed: dict[str, int] = {}
        # The last JOURNAL writes, oldest first: replaced whole, never changed, by each write.
        self._journal: tuple[Written, ...] = ()

    def stamp(self, labels: frozenset[str]) -> int:
        """The version at which any of `labels` last changed: kept results of a query that
        reads only those are valid while it stays the same (queries.read_model)."""
        if EVERYTHING in labels:
            return self.version
        return max((self._changed.get(name, 0) for name in (*labels, EVERYTHING)), default=0)

    def writes_since(self, version: int) -> list[Written] | None:
        """The writes of this process that ended after `version`, oldest first (each listed
        before the version moves past it); None when some of them are no longer kept."""
        journal = self._journal
        # every write moves the version by two: the first kept ended two after the one before
        if journal and journal[0].version - 2 > version:
            return None
        return [w for w in journal if w.version > version]

    # -- the Backend interface ------------------------------------------------------------

    def read(self, query: str, params: Params | None = None) -> list[Row]:
        with self._reader() as conn:
            return self._rows(conn, query, params)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Callable[[str], list[Row]]]:
        """A read function whose reads all see the graph as it was when the first began (one
        read-only transaction): a write committed meanwhile is in none of them, so reading
        nodes and then their relationships never finds an end that was not read."""
        with self._reader() as conn:
            self._execute("BEGIN TRANSACTION READ ONLY", None, conn)
            try:
                yield lambda query: self._rows(conn, query, None)
            finally:
                self._execute("COMMIT", None, conn)

    @contextlib.contextmanager
    def table_snapshot(self) -> Iterator[Callable[[str], pa.Table]]:
        """`snapshot` with each read's result as one Arrow table: a whole label's rows held
        column by column in Arrow's buffers, never as a Python dict per row (the researchers'
        copy reads the whole graph this way, inside the server)."""
        with self._reader() as conn:
            self._execute("BEGIN TRANSACTION READ ONLY", None, conn)
            try:
                yield lambda query: self._table(conn, query)
            finally:
                self._execute("COMMIT", None, conn)

    def _rows(self, conn: Any, query: str, params: Params | None) -> list[Row]:
        with self._reading(), self._walks.walk() if walks(query) else contextlib.nullcontext():
            return self._dicts(self._execute(query, params, conn))

    def _dicts(self, result: Any) -> list[Row]:
        columns = result.get_column_names()
        values = result.get_all()
        self._leak.release(values, result.get_column_data_types())
        return [dict(zip(columns, row, strict=True)) for row in values]

    def _table(self, conn: Any, query: str) -> pa.Table:
        with self._reading(), self._walks.walk() if walks(query) else contextlib.nullcontext():
            return self._execute(query, None, conn).get_as_arrow(0)  # 0: one chunk

    @contextlib.contextmanager
    def _reading(self) -> Iterator[None]:
        """A read's store errors as the graph's errors, and a read cut by `close` said so."""
        try:
            yield
        except (GraphError, RuntimeError) as exc:
            if self._closed:  # closed under the read: say so, not "timed out"
                raise BackendUnavailable(f"the graph at {self.path} was closed") from None
            if isinstance(exc, RuntimeError):
                raise from_ladybug(exc) from exc
            raise

    def write(self, statements: Sequence[tuple[str, Params]]) -> None:
        changed = frozenset().union(*(changed_by(query) for query, _ in statements))
        with self._lock, self._changing(changed):
            self._transaction(statements)

    def write_locked(
        self,
        label: str,
        key: str,
        work: Callable[[Reader], tuple[Sequence[Statement], T]],
        committed: Callable[[int | None], None] | None = None,
    ) -> T:
        # This process is the store's only writer and every write holds `_lock`: holding it
        # locks every node, and a read under it sees every write committed. The reads run on
        # the write connection, which only the lock's holder uses: a writer never waits for a
        # pooled read connection (busy with the readers) while every other writer waits for it.
        def read(query: str, params: Params) -> list[Row]:
            return self._dicts(self._execute(query, params))

        with self._lock:
            statements, answer = work(read)
            if not statements:
                return answer
            changed = frozenset().union(*(changed_by(query) for query, _ in statements))
            with self._changing(changed, (label, frozenset({key})), committed):
                self._transaction(statements)
        return answer

    def init_schema(self) -> None:
        """Create the schema, or bring a store made by an older govgraph up to it: the
        tables, columns and relationship ends it lacks are added, nothing it holds is
        changed. Refused, changing nothing, when the store holds what no addition mends."""
        with self._lock:
            gaps = self._gaps(lambda query: list(self._execute(query).get_all()))
        if gaps.conflicts:
            raise GraphError(_conflicting(self.path, gaps.conflicts))
        unindexed = {node_table(SCHEMA.node(label)) for label in UNINDEXED}
        with self._lock, self._changing(frozenset({EVERYTHING})):
            for statement in embedded_ddl():
                if statement not in unindexed:
                    self._execute(statement)
                    continue
                # the database's setting, whatever the connection: set back come what may (a
                # table the store holds already keeps its index)
                self._execute("CALL enable_default_hash_index=false")
                try:
                    self._execute(statement)
                finally:
                    self._execute("CALL enable_default_hash_index=true")
            for statement in gaps.statements:
                if statement.startswith("ALTER"):  # the tables are the CREATEs above
                    self._execute(statement)

    def schema_gaps(self) -> SchemaGaps:
        """What the store lacks of the schema (`graph.ddl.embedded_gaps`)."""
        return self._gaps(self._catalog)

    def _gaps(self, catalog: Callable[[str], list[list[Any]]]) -> SchemaGaps:
        """The catalog's calls take a table's name only as text: the names asked are the
        schema's (`ident`)."""
        declared = {n.label for n in SCHEMA.stored_nodes} | {r.type for r in SCHEMA.stored_rels}
        stored: dict[str, StoredTable] = {}
        for name, kind in catalog("CALL show_tables() RETURN name, type"):
            if name not in declared:
                continue  # not govgraph's: left alone
            quoted = "('" + ident(name) + "')"
            columns = dict(catalog("CALL table_info" + quoted + " RETURN name, type"))
            pairs: frozenset[tuple[str, str]] = frozenset()
            if kind == "REL":
                connections = catalog("CALL show_connection" + quoted + " RETURN *")
                pairs = frozenset((row[0], row[1]) for row in connections)
            stored[name] = StoredTable(columns, pairs)
        return embedded_gaps(stored)

    def _catalog(self, query: str) -> list[list[Any]]:
        with self._reader() as conn, self._reading():
            return list(self._execute(query, None, conn).get_all())

    def is_empty(self, label_or_type: str) -> bool:
        query = "MATCH ()-[r:" + ident(label_or_type) + "]->() RETURN count(r) AS n"
        if label_or_type[:1].isupper() and not label_or_type.isupper():
            query = "MATCH (n:" + ident(label_or_type) + ") RETURN count(n) AS n"
        return int(self.read(query)[0]["n"]) == 0

    def upsert_nodes(
        self, node_type: NodeType, rows: Sequence[Row] | pa.Table, *, bulk: bool
    ) -> None:
        if len(rows) == 0:
            return
        label = ident(node_type.label)  # rows as a table (`arrow_table`'s) only when bulk
        # a table without its index takes COPY only while empty: its few rows are compared
        # and CREATEd as a report's new parties are, whatever the load's path
        copied = node_type.label not in UNINDEXED
        if bulk and copied:
            table = arrow_table(rows, node_type.properties)
            # a table handed over (the ledger's assertions) shares its buffers with `table`:
            # let go of it too, so that nothing of it is held through the commit
            del rows
            with self._lock, self._changing(label), self._writing_tables(large=True):
                self._execute("COPY " + label + " FROM $rows", {"rows": table})
                del table  # copied: not held through the commit (`_writing_tables`)
            return
        if isinstance(rows, pa.Table):  # a bulk batch, for a table without its index
            rows = rows.to_pylist()
        # Set only the properties the rows carry: a partial file updates what it holds.
        key = node_type.property(node_type.key)
        others = [p for p in node_type.properties if p is not key and p.name in rows[0]]
        given = arrow_table(rows, [key, *others])
        find = "LOAD FROM $rows MATCH (n:" + label + " {" + ident(key.name) + ": c0}) "
        keys = given.column(0).to_pylist() if len(rows) <= NAMED else None
        about = None if keys is None else (node_type.label, frozenset(keys))
        with self._lock, self._changing(label, about), self._writing_tables():
            now = self._execute(
                find + "RETURN c0" + "".join(", n." + ident(p.name) for p in others),
                {"rows": _numbered(given.select([0]))},
            ).get_as_arrow()
            changed, new = _compare(given, now, identity=1)
            if changed and others:
                sets = ", ".join(f"n.{ident(p.name)} = c{j}" for j, p in enumerate(others, 1))
                self._execute(find + "SET " + sets, {"rows": _numbered(given.take(changed))})
            if len(new) > NAMED and copied:
                table = _widen(given.take(new), node_type.properties)
                self._execute("COPY " + label + " FROM $rows", {"rows": table})
            elif new:  # a few (a report's new parties): a COPY's commit checkpoints the
                # whole table (0.8 s for one person among a city's million), a CREATE's not
                props = ", ".join(f"{ident(p.name)}: c{j}" for j, p in enumerate([key, *others]))
                self._execute(
                    "LOAD FROM $rows CREATE (n:" + label + " {" + props + "})",
                    {"rows": _numbered(given.take(new))},
                )

    def copy_table(self, kind: NodeType | RelType, rows: Sequence[Row]) -> pa.Table:
        """`rows` as the Arrow table a bulk upsert of `kind` COPYs (`arrow_table`): a loader
        makes a large batch's table a part at a time, holding no more than a part's rows as
        Python's, and hands it over whole, for one COPY. Several COPYs into one table in one
        transaction took LadybugDB twice the CPU and five times the memory of one (only a COPY
        into an empty table takes its fast path); one committed per part, more again."""
        columns = kind.properties if isinstance(kind, NodeType) else rel_columns(kind)
        return arrow_table(rows, columns)

    def upsert_rels(
        self,
        rel_type: RelType,
        groups: Mapping[tuple[str, str], Sequence[Row] | pa.Table],
        *,
        bulk: bool,
    ) -> None:
        work = [(a, b, rows) for (a, b), rows in groups.items() if len(rows)]
        if not work:
            return
        if bulk:
            tables = [(a, b, arrow_table(rows, rel_columns(rel_type))) for a, b, rows in work]
            del groups, work  # tables handed over: none of them held through the commit
            with self._lock, self._changing(rel_type.type), self._writing_tables(large=True):
                for a, b, table in tables:
                    self._copy_rels(rel_type, a, b, table)
                del tables, table  # copied: not held through the commit (`_writing_tables`)
            return
        with self._lock, self._changing(rel_type.type), self._writing_tables():
            for a, b, rows in work:
                self._merge_rels(rel_type, a, b, rows)

    def _copy_rels(self, rel_type: RelType, from_label: str, to_label: str, table: Any) -> None:
        a, b = ident(from_label), ident(to_label)
        self._execute(
            "COPY " + ident(rel_type.type) + " FROM $rows (from='" + a + "', to='" + b + "')",
            {"rows": table},
        )

    def _merge_rels(
        self, rel_type: RelType, from_label: str, to_label: str, rows: Sequence[Row]
    ) -> None:
        """What `MERGE (a)-[e:T {rid}]->(b) SET e…` does, row by row: the relationships whose
        rid joins the same endpoints are updated where their properties differ, and the rest
        are created."""
        type_ = ident(rel_type.type)
        others = [p for p in rel_type.properties if p.name in rows[0]]
        given = arrow_table(rows, [*rel_columns(rel_type)[:3], *others])  # from, to, rid, …
        # The relationships are found from one end's nodes, looked up by key, along their own
        # relationships (a pattern that binds both ends is planned as a scan of the whole
        # type). The end with more distinct keys in the rows is taken: its nodes are likely to
        # have fewer relationships each (a person lives in one unit; a unit has thousands).
        ends = [
            (0, ident(from_label), ident(_key_of(rel_type, from_label)), "-[e:" + type_),
            (1, ident(to_label), ident(_key_of(rel_type, to_label, end=1)), "<-[e:" + type_),
        ]
        keys = [pc.unique(given.column(j)) for j in (0, 1)]
        (near, near_label, near_key, arrow), (far, far_label, far_key, _) = (
            ends if len(keys[0]) >= len(keys[1]) else ends[::-1]
        )
        tail = "]->" if near == 0 else "]-"
        start = "LOAD FROM $rows MATCH (x:" + near_label + " {" + near_key + ": c0}) "
        walk = "OPTIONAL MATCH (x)" + arrow + "{}" + tail + "(y:" + far_label + "{}) "
        # Every relationship of those nodes; where a node has none, a row of nulls, which
        # identifies nothing.
        now = self._execute(
            start
            + walk.format("", "")
            + "RETURN c0, y."
            + far_key
            + ", e."
            + RID
            + "".join(", e." + ident(p.name) for p in others),
            {"rows": pa.table({"c0": keys[near]})},
        ).get_as_arrow()
        if near == 1:  # (to, from, rid, …) as (from, to, rid, …)
            now = now.select([1, 0, *range(2, now.num_columns)])
        changed, new = _compare(given, now, identity=3)
        if changed and others:
            # c0: the near end's key, c1: the far end's, c2: rid, c3…: the properties.
            order = [near, far, *range(2, given.num_columns)]
            carried = "".join(f", c{j}" for j in range(3, 3 + len(others)))
            sets = ", ".join(f"e.{ident(p.name)} = c{j}" for j, p in enumerate(others, 3))
            self._execute(
                start
                + walk.format(" {" + RID + ": c2}", " {" + far_key + ": c1}")
                + "WITH e"
                + carried
                + " WHERE e IS NOT NULL SET "
                + sets,
                {"rows": _numbered(given.take(changed).select(order))},
            )
        if new:
            self._copy_rels(
                rel_type, from_label, to_label, _widen(given.take(new), rel_columns(rel_type))
            )

    def drop_cached_pages(self) -> None:
        """Give back the pages the store keeps in memory: the database closed and opened again
        as it was (this process's version and writes kept: nothing is written meanwhile).
        LadybugDB's buffer pool keeps every page a read touched until it is full, and lets
        go of none but by closing: after the read model's bulk reads (queries.read_model)
        a city's 140 MiB, which the questions answered from the model never read again.
        Reads under way are waited for; reads and writes wait meanwhile (0.2 s on a city).
        A store held read-write is unlocked meanwhile: should another process take it then
        (a `govgraph load` started at that moment), this one is closed, BackendUnavailable."""
        with self._lock, self._pool:
            while len(self._idle) < len(self._readers) and not self._closed:
                self._pool.wait(0.1)  # a read under way gives its connection back
            if self._closed:
                raise BackendUnavailable(f"the graph at {self.path} is closed")
            self._shut()
            give_back_memory()
            try:
                self._db = self._database()
                self._conn = _writer(self._db, self._timeout_ms)
            except RuntimeError as exc:
                self._closed = True
                self._pool.notify_all()
                raise from_ladybug(exc) from exc
            self._written = self._updates = 0  # closing the database checkpointed it

    def close(self) -> None:
        with self._lock, self._pool:
            if self._closed:
                return
            self._closed = True
            self._pool.notify_all()  # reads waiting for a connection: the store is closed
            self._shut()

    def _shut(self) -> None:
        """Every connection and the database closed (under the lock and the pool)."""
        for conn in self._readers:
            conn.close()
        self._readers.clear()
        self._idle.clear()
        self._reads.clear()
        self._conn.close()
        self._db.close()

    # -- helpers --------------------------------------------------------------------------

    @contextlib.contextmanager
    def _reader(self) -> Iterator[Any]:
        """A read connection for the length of one read: an idle one, a new one while fewer
        than `readers` are open, or else the next one returned. One that has served
        `READS_PER_CONNECTION` reads is closed when given back, its memory given back."""
        with self._pool:
            while True:
                if self._closed:
                    raise BackendUnavailable(f"the graph at {self.path} is closed")
                if self._idle:
                    conn = self._idle.pop()
                    break
                if len(self._readers) < self._max_readers:
                    conn = self._connect()
                    self._readers.append(conn)
                    break
                self._pool.wait()
        worn = False
        try:
            yield conn
        finally:
            with self._pool:
                reads = self._reads.pop(id(conn), 0) + 1
                if reads >= self._reads_per_connection and not self._closed:
                    self._readers.remove(conn)  # the next read opens a new one
                    conn.close()
                    worn = True
                else:
                    self._reads[id(conn)] = reads
                    self._idle.append(conn)
                self._pool.notify()
            if worn:
                give_back_memory()

    def _connect(self) -> Any:
        try:
            conn = ladybug.Connection(self._db)
        except RuntimeError as exc:
            raise from_ladybug(exc) from exc
        if self._timeout_ms:
            conn.set_query_timeout(self._timeout_ms)
        if self._read_threads:
            conn.set_max_threads_for_exec(self._read_threads)
        return conn

    def _execute(self, query: str, params: Params | None = None, conn: Any = None) -> Any:
        if conn is None:
            self._written += 1
            if _UPDATES.search(query):
                self._updates += 1
        try:
            return (conn or self._conn).execute(query, dict(params or {}))
        except RuntimeError as exc:
            raise from_ladybug(exc) from exc

    @contextlib.contextmanager
    def _changing(
        self,
        changed: str | frozenset[str],
        about: tuple[str, frozenset[str]] | None = None,
        committed: Callable[[int | None], None] | None = None,
    ) -> Iterator[None]:
        """A write of the labels or types `changed` (about the nodes `about`, where the writer
        names them): the version moves on as it starts and again when it ends, committed or
        not (a failed write may have run statements before the one that failed). It is odd
        while a write is under way: rows read then may be from before or after it. Once it
        has committed, `committed` is called with the version it ends at, while `version`
        still says it is under way (`Backend.write_locked`)."""
        names = frozenset({changed} if isinstance(changed, str) else changed)
        # No walk beside the write, its checkpoint or a worn connection's close (graph/walks.py)
        with self._walks.write():
            self.version += 1
            try:
                yield
                if committed is not None:
                    committed(self.version + 1)
            finally:
                written = Written(self.version + 1, names, about)
                self._journal = (*self._journal[1 - JOURNAL :], written)
                # The stamps before the version (readers on other threads): one who sees the new
                # version sees the new stamps, so it never takes kept answers as current after
                # a write that changed them (a new stamp beside the odd version: read again).
                for name in names:
                    self._changed[name] = written.version
                self.version = written.version
                # What the store and the connection keep (the module's header), given back.
                held = self._updates >= self._updates_per_checkpoint
                worn = self._written >= self._reads_per_connection
                if held:  # reads go on beside it; should it fail, the next write tries again
                    with contextlib.suppress(RuntimeError):
                        self._conn.execute("CHECKPOINT")
                        self._updates = 0
                if worn:
                    self._conn.close()
                    self._conn = _writer(self._db, self._timeout_ms)
                    self._written = 0
                if held or worn:
                    give_back_memory()

    @contextlib.contextmanager
    def _writing_tables(self, *, large: bool = False) -> Iterator[None]:
        """A write whose statements take Arrow tables, in one transaction. The connection
        caches a prepared statement per query and parameter shape, and takes each Arrow table
        for a shape of its own: every batch's statements would be kept, and with them the
        batch's tables (about 40 MB a batch of 50,000). Those made here are dropped once the
        statements have run, before the commit: the store holds what they wrote, and a large
        COPY's commit, with its checkpoint, is where a load's memory is highest (a city's
        disputes' log, 260 MiB of Arrow table). Arrow's allocator (mimalloc), and malloc,
        which makes the rows' tables, keep what is freed for what they make next: after a
        `large` write (a bulk COPY) both are asked to give it back to the system then, or the
        commit's checkpoint would take its memory beside it."""
        cache = getattr(self._conn, "_pybind_implicit_prepared_cache", None)
        cached = set(cache) if isinstance(cache, dict) else None
        with self._in_transaction():
            try:
                yield
            finally:
                if cached is not None and isinstance(cache, dict):
                    for key in [key for key in cache if key not in cached]:
                        del cache[key]
                if large:
                    pa.default_memory_pool().release_unused()
                    give_back_memory()  # the rows' tables, made by malloc (`arrow_table`)

    def _transaction(self, statements: Sequence[tuple[str, Params]]) -> None:
        with self._in_transaction():
            for query, params in statements:
                self._execute(query, params)

    @contextlib.contextmanager
    def _in_transaction(self) -> Iterator[None]:
        self._execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            # LadybugDB rolls a failed statement's transaction back by itself; a ROLLBACK here
            # would only report that no transaction is active. Be sure, without hiding the
            # first error (nor leaving a transaction open after any other exception).
            with contextlib.suppress(RuntimeError):
                self._conn.execute("ROLLBACK")
            raise
        self._execute("COMMIT")


def give_back_memory() -> None:
    """After a connection is closed, or the read model read (queries.read_model): the memory
    freed lies in malloc's heaps, between what other threads still hold, and glibc returns it
    to the system only when asked (an 8-minute soak: 0.5–0.8 GB less at the same load, where
    trimming by threshold, MALLOC_TRIM_THRESHOLD_, did nothing; a city's opening: 45 MiB).
    It walks every heap: done once a connection is worn, not after each read."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _writer(db: Any, timeout_ms: int) -> Any:
    """The write connection, its work on one thread, and the time limit. A COPY on two threads
    partitions its rows for each thread apart: a million relationships took 150 MiB more at
    its commit for the same CPU (docs/benchmarks.md), at a large COPY's commit, where a load's
    memory is highest."""
    conn = ladybug.Connection(db)
    conn.set_max_threads_for_exec(1)
    if timeout_ms:
        conn.set_query_timeout(timeout_ms)
    return conn


def recovery(path: Path) -> str:
    """What recovers a store left mid-write (a killed load): opening it for writing once."""
    return (
        f"the store at {path} needs recovery: run `GOVGRAPH_DB={path} govgraph init` once "
        "(opening it for writing recovers it; it changes no data), then try again"
    )


def outdated(path: Path, gaps: SchemaGaps) -> str:
    """What to do with a store that lacks part of the schema (`EmbeddedBackend.schema_gaps`)."""
    if gaps.conflicts:
        return _conflicting(path, gaps.conflicts)
    if len(gaps.missing) == len(embedded_ddl()) and all(
        s.startswith("CREATE") for s in gaps.statements
    ):  # not one table: a store just created
        return (
            f"there is no graph at {path}; build one with `govgraph demo` or "
            "`govgraph init` and `govgraph load`, or point GOVGRAPH_DB at it"
        )
    shown = ", ".join(gaps.missing[:5]) + (
        f" and {len(gaps.missing) - 5} more" * (len(gaps.missing) > 5)
    )
    return (
        f"the store at {path} was made by an older govgraph: it lacks {shown}; run "
        f"`GOVGRAPH_DB={path} govgraph init` once to add them (it changes no data), then try again"
    )


def _conflicting(path: Path, conflicts: tuple[str, ...]) -> str:
    return (
        f"the store at {path} does not fit this govgraph's schema and cannot be brought up to "
        f"it by adding to it: {'; '.join(conflicts)}. Load its source files into a new store "
        "(GOVGRAPH_DB naming another path), or restore a backup made by this version"
    )


def held_for_writing(path: Path) -> bool:
    """Whether another process has the store at `path` open for writing (a load under way).

    LadybugDB locks the file of a store open for writing with a POSIX lock, which a shared
    lock test sees; a store open read-only, by servers, takes none. Never ask this of a store
    this process has open: closing the file here would release the process's own locks.
    """
    import fcntl
    import os

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # no store there, or not one this process can read: opening it will say
    try:
        fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False


def _key_of(rel_type: RelType, label: str, end: int = 0) -> str:
    from graph.schema import SCHEMA

    if label not in {pair[end] for pair in rel_type.endpoints}:
        raise GraphError(f"{rel_type.type} has no endpoint {label}")
    return SCHEMA.node(label).key


def rel_columns(rel_type: RelType) -> tuple[Property, ...]:
    """A relationship table's columns as COPY takes them: from, to, rid, then its properties."""
    return (Property("from"), Property("to"), Property(RID, max_length=64), *rel_type.properties)


def arrow_table(rows: Sequence[Row] | pa.Table, columns: Sequence[Property]) -> pa.Table:
    """Rows as an Arrow table with the schema's types, so COPY never guesses a type.

    Rows that come column by column (a `by_column` dict of lists, as the loader gives them)
    are taken as they are, and an Arrow table is cast to the schema's types (a table read
    from the store, or made by this function: `graph.research_copy` reads the graph as
    tables and writes them to files for another process)."""
    if isinstance(rows, pa.Table):
        return rows.select([p.name for p in columns]).cast(
            pa.schema([(p.name, _ARROW_TYPES[p.type]) for p in columns])
        )
    by_column = getattr(rows, "by_column", None)
    arrays = {}
    for p in columns:
        if isinstance(by_column, dict):
            values = by_column.get(p.name)
            if values is None:
                arrays[p.name] = pa.nulls(len(rows), _ARROW_TYPES[p.type])
                continue
        else:
            values = [r.get(p.name) for r in rows]
        if p.type is Type.DATE and not all(v is None or isinstance(v, date) for v in values):
            values = [
                v if v is None or isinstance(v, date) else date.fromisoformat(v) for v in values
            ]
        arrays[p.name] = pa.array(values, type=_ARROW_TYPES[p.type], memory_pool=_ROWS_POOL)
    return pa.table(arrays)


def _numbered(table: pa.Table) -> pa.Table:
    """The table with its columns named c0, c1, …: `LOAD FROM` binds each column to a
    variable of its name, and a property may be named like a keyword (`from`, `to`)."""
    return table.rename_columns([f"c{j}" for j in range(table.num_columns)])


def _widen(table: pa.Table, columns: Sequence[Property]) -> pa.Table:
    """The table with every one of `columns`, in their order; the missing ones empty."""
    names = set(table.column_names)
    return pa.table(
        {
            p.name: table.column(p.name)
            if p.name in names
            else pa.nulls(table.num_rows, _ARROW_TYPES[p.type])
            for p in columns
        }
    )


def _compare(given: pa.Table, now: pa.Table, *, identity: int) -> tuple[list[int], list[int]]:
    """Which rows of `given` differ from what the graph holds now (`changed`), and which it
    does not hold (`new`). The first `identity` columns of each identify a record; the rest
    are compared, `given`'s with `now`'s in order. A record the graph holds twice is changed
    unless both copies hold the given values."""
    if now.num_rows == 0:
        return [], list(range(given.num_rows))
    if any(pa.types.is_floating(t) for t in given.schema.types):
        return _compare_values(given, now, identity=identity)
    keys = [f"k{j}" for j in range(identity)]
    values = range(identity, given.num_columns)
    mine = given.rename_columns([*keys, *(f"g{j}" for j in values)])
    mine = mine.append_column("row", pa.array(range(given.num_rows), pa.int64()))
    held = now.rename_columns([*keys, *(f"h{j}" for j in values)]).cast(
        pa.schema(
            [
                *(pa.field(k, t) for k, t in zip(keys, given.schema.types, strict=False)),
                *(pa.field(f"h{j}", given.schema.types[j]) for j in values),
            ]
        )
    )
    held = held.append_column("held", pa.array([True] * now.num_rows, pa.bool_()))
    joined = mine.join(held, keys=keys, join_type="left outer", use_threads=False)
    found = pc.is_valid(joined.column("held"))
    rows = joined.column("row")
    new = pc.filter(rows, pc.invert(found))
    differ = pa.array([False] * joined.num_rows, pa.bool_())
    for j in values:
        a, b = joined.column(f"g{j}"), joined.column(f"h{j}")
        same = pc.or_kleene(
            pc.and_(pc.is_null(a), pc.is_null(b)), pc.fill_null(pc.equal(a, b), False)
        )
        differ = pc.or_(differ, pc.invert(same))
    changed = pc.unique(pc.filter(rows, pc.and_(found, differ)))
    return sorted(changed.to_pylist()), sorted(new.to_pylist())


def _compare_values(
    given: pa.Table, now: pa.Table, *, identity: int
) -> tuple[list[int], list[int]]:
    """`_compare` in Python, for tables with floats: a float is taken by its bits, as the
    store holds it (0.0 is not -0.0; a NaN is itself)."""
    given_ids, given_values = _records(given, identity)
    now_ids, now_values = _records(now, identity)
    copies: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
    for record, held in zip(now_ids, now_values, strict=True):
        copies.setdefault(record, []).append(held)
    changed, new = [], []
    for i, (record, values) in enumerate(zip(given_ids, given_values, strict=True)):
        found = copies.get(record)
        if found is None:
            new.append(i)
        elif any(values != held for held in found):
            changed.append(i)
    return changed, new


def _records(table: pa.Table, identity: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A table's rows as (identity, values) tuples of Python values, floats by their bits."""
    columns = []
    for column in table.columns:
        values = column.to_pylist()
        if pa.types.is_floating(column.type):
            values = [v if v is None else float(v).hex() for v in values]
        columns.append(values)
    rows = list(zip(*columns, strict=True)) if columns else [()] * table.num_rows
    return [row[:identity] for row in rows], [row[identity:] for row in rows]
