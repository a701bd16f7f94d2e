import gc
import platform
import subprocess
import sys
import time
from datetime import date

import pyarrow as pa
import pytest

from graph import embedded
from graph.backend import UnknownBackend, Written, open_backend
from graph.ddl import RID
from graph.embedded import EmbeddedBackend
from graph.errors import BackendUnavailable, BadQuery, ConstraintViolation
from graph.schema import SCHEMA

GRID = SCHEMA.node("Grid")
PERSON = SCHEMA.node("Person")
SERVES_IN = SCHEMA.rel("SERVES_IN")


def grid(id_, name, **extra):
    row = dict.fromkeys(p.name for p in GRID.properties)
    row.update(id=id_, name=name, level=1, kind="basic", source="test", **extra)
    return row


def person(id_, name):
    row = dict.fromkeys(p.name for p in PERSON.properties)
    row.update(id=id_, name=name, source="test")
    return row


def serves(from_, to, role, rid, valid_from=None):
    return {
        "from": from_,
        "to": to,
        RID: rid,
        "role": role,
        "valid_from": valid_from,
        "valid_to": None,
        "source": "test",
    }


def grids(backend):
    return backend.read(
        "MATCH (g:Grid) RETURN g.id AS id, g.name AS name, g.households AS households ORDER BY id"
    )


def test_init_schema_is_safe_to_run_twice(backend):
    backend.init_schema()
    tables = backend.read("CALL show_tables() RETURN name ORDER BY name")
    assert len(tables) == len(SCHEMA.stored_nodes) + len(SCHEMA.stored_rels)


@pytest.mark.parametrize("bulk", [True, False])
def test_upsert_nodes_inserts_then_updates_by_key(backend, bulk):
    backend.upsert_nodes(GRID, [grid("G1", "一号"), grid("G2", "二号")], bulk=bulk)
    backend.upsert_nodes(
        GRID, [grid("G2", "二号网格", households=300), grid("G3", "三号")], bulk=False
    )
    assert grids(backend) == [
        {"id": "G1", "name": "一号", "households": None},
        {"id": "G2", "name": "二号网格", "households": 300},
        {"id": "G3", "name": "三号", "households": None},
    ]


def test_a_few_new_nodes_are_created_many_copied(backend, monkeypatch):
    """A small upsert's new nodes are CREATEd: a COPY's commit checkpoints the whole table (a
    report's one new party took 0.8 s among a city's million people). Past `NAMED`, COPY."""
    statements = []
    execute = backend._execute

    def recorded(query, params=None, conn=None):
        statements.append(query.split()[0])
        return execute(query, params, conn)

    monkeypatch.setattr(backend, "_execute", recorded)
    few = [
        {"id": f"F{i}", "name": f"{i}号", "level": 1, "kind": "basic", "source": "t"}
        for i in (1, 2)
    ]
    backend.upsert_nodes(GRID, few, bulk=False)
    assert "COPY" not in statements and "LOAD" in statements
    statements.clear()
    many = [grid(f"M{i:03d}", f"{i}号", households=i) for i in range(embedded.NAMED + 1)]
    backend.upsert_nodes(GRID, many, bulk=False)
    assert "COPY" in statements
    assert grids(backend) == [
        {"id": "F1", "name": "1号", "households": None},
        {"id": "F2", "name": "2号", "households": None},
        *(
            {"id": f"M{i:03d}", "name": f"{i}号", "households": i}
            for i in range(embedded.NAMED + 1)
        ),
    ]
    assert backend.read("MATCH (g:Grid {id: 'F2'}) RETURN g.level AS l, g.kind AS k") == [
        {"l": 1, "k": "basic"}
    ]


def _arrow_held():
    """Arrow's bytes allocated, by its own allocator and by malloc (the rows' tables)."""
    return pa.total_allocated_bytes() + pa.system_memory_pool().bytes_allocated()


def test_a_bulk_copy_lets_go_of_its_arrow_table_before_the_commit(backend, monkeypatch):
    """A large COPY's commit, with its checkpoint, is where a load's memory is highest: the
    Arrow table the COPY took (its rows are the store's by then) is not held through it."""
    held_at_commit = []
    steps = []
    execute = backend._execute
    pool = pa.default_memory_pool()

    def recorded(query, params=None, conn=None):
        if query == "COMMIT":
            held_at_commit.append(_arrow_held())
        steps.append(query.split()[0])
        return execute(query, params, conn)

    class Pool:  # Arrow's pool, its giving back seen (mimalloc keeps what is freed)
        def release_unused(self):
            steps.append("release")
            pool.release_unused()

    monkeypatch.setattr(backend, "_execute", recorded)
    monkeypatch.setattr(embedded.pa, "default_memory_pool", Pool)
    backend.upsert_nodes(GRID, [grid("G0", "零号")], bulk=True)  # Arrow's pool set up
    backend.upsert_nodes(PERSON, [person("P0", "张零")], bulk=True)
    held_at_commit.clear()
    steps.clear()
    gc.collect()  # what earlier tests left (tracebacks' tables) freed now, not during the COPYs
    before = _arrow_held()
    backend.upsert_nodes(GRID, [grid(f"G{i}", f"{i}号网格") for i in range(1, 2001)], bulk=True)
    backend.upsert_nodes(PERSON, [person(f"P{i}", f"张{i}") for i in range(1, 2001)], bulk=True)
    ties = {("Person", "Grid"): [serves(f"P{i}", f"G{i}", "head", f"r{i}") for i in range(1, 2001)]}
    backend.upsert_rels(SERVES_IN, ties, bulk=True)
    assert held_at_commit == [before, before, before]
    assert steps == ["BEGIN", "COPY", "release", "COMMIT"] * 3
    assert backend.read("MATCH (:Person)-[s:SERVES_IN]->(g:Grid) RETURN count(s) AS n") == [
        {"n": 2000}
    ]
    assert backend.read("MATCH (g:Grid {id: 'G2000'}) RETURN g.name AS name") == [
        {"name": "2000号网格"}
    ]


def test_a_bulk_copy_lets_go_of_an_arrow_table_handed_to_it(backend, monkeypatch):
    """A table handed over whole (the ledger's assertions: their only holder is the call) is
    not held through the COPY's commit either: the one COPYed shares its buffers."""
    held_at_commit = []
    execute = backend._execute

    def recorded(query, params=None, conn=None):
        if query == "COMMIT":
            held_at_commit.append(_arrow_held())
        return execute(query, params, conn)

    backend.upsert_nodes(PERSON, [person("P0", "张零")], bulk=True)  # Arrow's pool set up
    monkeypatch.setattr(backend, "_execute", recorded)
    before = _arrow_held()
    rows = [person(f"P{i}", f"张{i}") for i in range(1, 5001)]
    backend.upsert_nodes(PERSON, pa.Table.from_pylist(rows), bulk=True)
    assert held_at_commit == [before]
    assert backend.read("MATCH (p:Person) RETURN count(p) AS n") == [{"n": 5001}]


def test_bulk_path_refuses_a_key_that_exists(backend):
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    with pytest.raises(ConstraintViolation, match="duplicated primary key"):
        backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    assert grids(backend) == [{"id": "G1", "name": "一号", "households": None}]


@pytest.mark.parametrize("bulk", [True, False])
def test_upsert_rels_is_idempotent_by_rid(backend, bulk):
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


def test_write_runs_all_statements_or_none(backend):
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    with pytest.raises(BadQuery):
        backend.write(
            [
                ("MATCH (g:Grid {id: $id}) SET g.name = $name", {"id": "G1", "name": "改名"}),
                ("MATCH (g:Grid) SET g.no_such_property = 1", {}),
            ]
        )
    assert grids(backend) == [{"id": "G1", "name": "一号", "households": None}]


def test_is_empty_for_labels_and_relationship_types(backend):
    assert backend.is_empty("Grid") and backend.is_empty("SERVES_IN")
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    assert not backend.is_empty("Grid")
    assert backend.is_empty("SERVES_IN")


def test_values_are_parameters_not_query_text(backend):
    hostile = "x' WITH p MATCH (q:Person) DETACH DELETE q //"
    backend.upsert_nodes(PERSON, [person("P1", "张三"), person("P2", hostile)], bulk=False)
    rows = backend.read("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id")
    assert rows == [{"id": "P1", "name": "张三"}, {"id": "P2", "name": hostile}]


def test_a_bad_query_becomes_bad_query(backend):
    with pytest.raises(BadQuery, match="Cannot find property nope"):
        backend.read("MATCH (g:Grid) RETURN g.nope")


def test_a_second_writer_process_finds_the_store_unavailable(tmp_path):
    path = tmp_path / "locked.lbdb"
    EmbeddedBackend(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, ladybug; db = ladybug.Database(sys.argv[1]); "
            "print('open', flush=True); time.sleep(30)",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(BackendUnavailable, match="another process"):
            EmbeddedBackend(path)
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    time.sleep(0.1)
    EmbeddedBackend(path).close()  # usable again once the other process is gone


@pytest.mark.parametrize("url", ["postgres://x", "http://localhost:7474"])
def test_an_unknown_backend_lists_the_valid_forms(url):
    with pytest.raises(UnknownBackend, match="Valid forms: a file path"):
        open_backend(url)


def test_a_query_past_its_time_limit_becomes_query_timeout(tmp_path):
    from graph.errors import QueryTimeout

    slow = EmbeddedBackend(tmp_path / "slow.lbdb", timeout_ms=50)
    slow.init_schema()
    try:
        with pytest.raises(QueryTimeout, match="time limit"):
            slow.read("UNWIND range(1, 100000000) AS i RETURN sum(i) AS n")
    finally:
        slow.close()


def test_a_read_does_not_wait_for_another_threads_read(tmp_path):
    """Each thread reads on a connection of its own: a quick read answers while a long one
    in another thread is still running (one lock for all reads would queue it behind)."""
    import threading

    store = EmbeddedBackend(tmp_path / "readers.lbdb")
    store.init_schema()
    store.upsert_nodes(GRID, [grid("G1", "一")], bulk=True)
    long_done = threading.Event()

    def long_read():
        store.read("UNWIND range(1, 400000000) AS i RETURN sum(i) AS n")
        long_done.set()

    reader = threading.Thread(target=long_read)
    try:
        reader.start()
        time.sleep(0.3)
        assert grids(store) == [{"id": "G1", "name": "一", "households": None}]
        assert not long_done.is_set()
    finally:
        reader.join()
        store.close()


def test_reads_from_many_threads_agree(backend):
    from concurrent.futures import ThreadPoolExecutor

    backend.upsert_nodes(GRID, [grid(f"G{i}", f"网格{i}") for i in range(50)], bulk=True)
    expected = grids(backend)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: grids(backend), range(64)))
    assert answers == [expected] * 64
    assert len(expected) == 50


def test_reads_share_a_few_connections_whatever_the_threads(tmp_path):
    """A server's worker threads come and go: the reads they make borrow from a bounded pool
    of connections (each holds tens of MB once used), never one per thread."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    store = EmbeddedBackend(tmp_path / "pool.lbdb", readers=3)
    store.init_schema()
    store.upsert_nodes(GRID, [grid("G1", "一")], bulk=True)
    try:
        for _ in range(20):  # one short-lived thread after another
            thread = threading.Thread(target=grids, args=(store,))
            thread.start()
            thread.join()
        assert len(store._readers) == 1
        with ThreadPoolExecutor(16) as pool:  # more at once than connections
            answers = list(pool.map(lambda _: grids(store), range(200)))
        assert answers == [[{"id": "G1", "name": "一", "households": None}]] * 200
        assert len(store._readers) <= 3
    finally:
        store.close()


def test_a_read_connection_is_closed_after_its_reads_and_replaced(tmp_path):
    """A connection keeps native memory from every query it runs until it is closed (the
    soak's growth): after `reads_per_connection` reads it is closed, and reads go on, on a new
    one, with the same answers."""
    store = EmbeddedBackend(tmp_path / "worn.lbdb", readers=2, reads_per_connection=3)
    store.init_schema()
    store.upsert_nodes(GRID, [grid("G1", "一")], bulk=True)
    try:
        answers = [grids(store)]
        [first] = store._readers
        answers += [grids(store), grids(store)]  # its third read closes it
        assert store._readers == [] and first.is_closed
        answers.append(grids(store))
        [second] = store._readers
        assert second is not first and not second.is_closed
        assert answers == [[{"id": "G1", "name": "一", "households": None}]] * 4
        with store.snapshot() as read:  # a snapshot is one read, on one connection
            assert read("MATCH (g:Grid) RETURN g.id AS id") == [{"id": "G1"}]
        assert store._readers == [second]
        grids(store)
        assert store._readers == [] and second.is_closed
    finally:
        store.close()


def test_the_write_connection_is_replaced_between_writes_once_worn(tmp_path):
    """The write connection too keeps what its statements leave: after as many statements as
    a reader's reads it is replaced when a write ends (never inside one), and writes go on."""
    store = EmbeddedBackend(tmp_path / "worn.lbdb", reads_per_connection=4, timeout_ms=5000)
    store.init_schema()  # many statements: replaced as it ends
    try:
        first = store._conn
        store.write([("CREATE (:Grid {id: $id, name: $n})", {"id": "G1", "n": "一"})])
        assert store._conn is first  # BEGIN, CREATE, COMMIT: three statements
        store.write([("MATCH (g:Grid {id: $id}) SET g.households = 3", {"id": "G1"})])
        assert store._conn is not first and first.is_closed
        store.write([("MATCH (g:Grid {id: $id}) SET g.households = 4", {"id": "G1"})])
        assert grids(store) == [{"id": "G1", "name": "一", "households": 4}]
    finally:
        store.close()


def test_the_store_is_checkpointed_after_so_many_updates_not_when_worn(tmp_path):
    """The store keeps memory for every committed change of a stored property until a
    checkpoint folds its write-ahead log into the file (the soak's growth), and a checkpoint
    costs about as much whatever the log holds: the write that brings the statements that SET,
    REMOVE or DELETE to `updates_per_checkpoint` checkpoints, while writes that only create
    (reports) leave the log growing, however often they wear the write connection; every write
    is kept."""
    path, wal = tmp_path / "held.lbdb", tmp_path / "held.lbdb.wal"
    store = EmbeddedBackend(path, reads_per_connection=4, updates_per_checkpoint=2, timeout_ms=5000)
    store.init_schema()
    try:
        sizes, connections = [], set()
        for n in range(1, 5):  # BEGIN, CREATE, COMMIT: worn every other write
            store.write([("CREATE (:Grid {id: $id, name: $n})", {"id": f"G{n}", "n": "一"})])
            sizes.append(wal.stat().st_size)
            connections.add(id(store._conn))
        assert len(connections) > 1 and sizes == sorted(set(sizes))  # replaced, log growing
        store.write([("MATCH (g:Grid {id: $id}) SET g.households = 3", {"id": "G1"})])
        assert wal.stat().st_size > sizes[-1]  # one update: held
        store.write([("MATCH (g:Grid {id: $id}) SET g.households = 4", {"id": "G2"})])
        assert not wal.exists()  # two: checkpointed
        store.write([("MATCH (g:Grid {id: $id}) SET g.households = 5", {"id": "G3"})])
        assert wal.exists()
    finally:
        store.close()
    reopened = EmbeddedBackend(path, read_only=True)
    try:
        assert reopened.read(
            "MATCH (g:Grid) RETURN g.id AS id, g.households AS households ORDER BY id"
        ) == [
            {"id": "G1", "households": 3},
            {"id": "G2", "households": 4},
            {"id": "G3", "households": 5},
            {"id": "G4", "households": None},
        ]
    finally:
        reopened.close()


def test_every_worn_connection_closed_is_followed_by_a_trim(tmp_path, monkeypatch):
    """What a closed connection freed stays in malloc's heaps until glibc is asked to trim
    them: each worn connection closed, read or write, is followed by one `malloc_trim(0)`, and
    nothing else asks for one."""
    if platform.libc_ver()[0] == "glibc":
        assert embedded._MALLOC_TRIM is not None  # found in this process's C library
    trims: list[int] = []
    monkeypatch.setattr(embedded, "_MALLOC_TRIM", trims.append)
    store = EmbeddedBackend(tmp_path / "worn.lbdb", readers=2, reads_per_connection=3)
    try:
        store.init_schema()  # many statements: the write connection is worn
        assert trims == [0]
        store.write([("CREATE (:Grid {id: $id, name: $n})", {"id": "G1", "n": "一"})])
        assert trims == [0, 0]  # BEGIN, CREATE, COMMIT: worn again
        grids(store)
        grids(store)
        assert trims == [0, 0]
        grids(store)  # the read connection's third read
        assert trims == [0, 0, 0] and store._readers == []
    finally:
        store.close()
    assert trims == [0, 0, 0]  # closing the store is no worn connection


def test_every_write_moves_the_version_on(backend):
    before = backend.version
    backend.upsert_nodes(GRID, [grid("G1", "一")], bulk=True)
    backend.write([("MATCH (g:Grid {id: $id}) SET g.households = $n", {"id": "G1", "n": 3})])
    with pytest.raises(BadQuery):
        backend.write([("MATCH (g:Grid) SET g.nonexistent = 1", {})])
    grids(backend)  # reads leave it
    assert backend.version == before + 6  # up as each write starts, and as it ends


def test_a_labels_stamp_moves_before_the_version_says_the_write_ended(backend):
    # A reader on another thread that sees the version the write ends at must see the stamps
    # it set: each stamp set while the version is still odd (under way), at the version to be.
    seen = []

    class Stamps(dict):
        def __setitem__(self, label, version):
            seen.append((label, version, backend.version))
            super().__setitem__(label, version)

    backend._changed = Stamps(backend._changed)
    start = backend.version
    backend.upsert_nodes(GRID, [grid("G1", "一")], bulk=False)
    assert seen == [("Grid", start + 2, start + 1)]
    assert (backend.version, backend.stamp(frozenset({"Grid"}))) == (start + 2, start + 2)


def test_the_writes_since_a_version_say_what_each_changed_and_was_about(backend, monkeypatch):
    start = backend.version
    backend.upsert_nodes(GRID, [grid("G1", "一"), grid("G2", "二")], bulk=False)
    backend.upsert_nodes(GRID, [grid("G3", "三")], bulk=True)  # a load: about anything
    many = [person(f"P{i}", "人") for i in range(embedded.NAMED + 1)]
    backend.upsert_nodes(PERSON, many, bulk=False)  # too many keys to name

    def work(read):
        return [("MATCH (g:Grid {id: $id}) SET g.households = 3", {"id": "G1"})], "done"

    assert backend.write_locked("Grid", "G1", work) == "done"
    assert backend.writes_since(start) == [
        Written(start + 2, frozenset({"Grid"}), ("Grid", frozenset({"G1", "G2"}))),
        Written(start + 4, frozenset({"Grid"}), None),
        Written(start + 6, frozenset({"Person"}), None),
        Written(start + 8, frozenset({"Grid"}), ("Grid", frozenset({"G1"}))),
    ]
    assert backend.writes_since(start + 6) == backend.writes_since(start)[3:]
    assert backend.writes_since(backend.version) == []
    monkeypatch.setattr(embedded, "JOURNAL", 3)  # the oldest are forgotten: not known
    backend.write([("MATCH (g:Grid {id: $id}) SET g.households = 4", {"id": "G2"})])
    assert [w.version for w in backend.writes_since(start + 4)] == [
        start + 6,
        start + 8,
        start + 10,
    ]
    assert backend.writes_since(start + 2) is None


def test_a_closed_store_refuses_reads(tmp_path):
    store = EmbeddedBackend(tmp_path / "closed.lbdb")
    store.init_schema()
    assert store.read("RETURN 1 AS x") == [{"x": 1}]  # this thread now has a connection
    store.close()
    with pytest.raises(BackendUnavailable, match="closed"):
        store.read("RETURN 1 AS x")


def test_a_snapshot_does_not_see_a_write_committed_while_it_reads(backend):
    # The research copy reads every label and type in turn while the server writes: in one
    # snapshot, people and who serves where agree, whatever was written between the two reads.
    backend.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
    backend.upsert_nodes(PERSON, [person("P1", "甲")], bulk=True)
    people = "MATCH (p:Person) RETURN p.id AS id ORDER BY id"
    ties = "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid) RETURN p.id AS id, g.id AS grid"
    with backend.snapshot() as read:
        before = read(people)
        backend.upsert_nodes(PERSON, [person("P2", "乙")], bulk=False)
        backend.upsert_rels(
            SERVES_IN, {("Person", "Grid"): [serves("P2", "G1", "head", "r1")]}, bulk=False
        )
        assert read(people) == before == [{"id": "P1"}]
        assert read(ties) == []
    assert backend.read(people) == [{"id": "P1"}, {"id": "P2"}]
    assert backend.read(ties) == [{"id": "P2", "grid": "G1"}]


def test_dropping_the_cached_pages_keeps_the_graph_its_version_and_writes(tmp_path):
    """The store closed and opened again: what it holds, this process's version and the
    writes it tells of are as they were, it writes again, and it stays locked to this
    process (a second writer is still refused)."""
    store = EmbeddedBackend(tmp_path / "dropped.lbdb")
    try:
        store.init_schema()
        store.upsert_nodes(GRID, [grid("G1", "一号")], bulk=True)
        before = grids(store)
        version, journal = store.version, store.writes_since(0)
        first = store._db
        store.drop_cached_pages()
        assert store._db is not first
        assert (grids(store), store.version, store.writes_since(0)) == (before, version, journal)
        store.upsert_nodes(GRID, [grid("G2", "二号")], bulk=False)
        assert [row["id"] for row in grids(store)] == ["G1", "G2"]
        assert store.version == version + 2
        locked = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys, ladybug\ntry:\n    ladybug.Database(sys.argv[1])\n"
                "except RuntimeError as exc:\n    print(exc)",
                str(tmp_path / "dropped.lbdb"),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "lock" in locked.stdout.lower()
    finally:
        store.close()


def test_dropping_the_cached_pages_waits_for_the_reads_under_way(tmp_path):
    import threading

    store = EmbeddedBackend(tmp_path / "waits.lbdb")
    store.init_schema()
    answers = []
    reader = threading.Thread(
        target=lambda: answers.append(
            store.read("UNWIND range(1, 100000000) AS i RETURN sum(i) AS n")
        )
    )
    try:
        reader.start()
        time.sleep(0.3)
        store.drop_cached_pages()
        assert answers == [[{"n": 5000000050000000}]]  # answered whole, before the close
    finally:
        reader.join()
        store.close()


def test_a_store_taken_while_its_pages_are_dropped_is_closed_and_says_so(tmp_path):
    store = EmbeddedBackend(tmp_path / "taken.lbdb")
    store.init_schema()

    def taken() -> None:
        raise RuntimeError("IO exception: Could not set lock on file : held by another process")

    store._database = taken
    with pytest.raises(BackendUnavailable, match="another process"):
        store.drop_cached_pages()
    with pytest.raises(BackendUnavailable, match="closed"):
        store.read("RETURN 1 AS x")
    store.close()


def test_the_write_connection_works_on_one_thread(backend):
    """A COPY on two threads partitions its rows for each apart: a million relationships took
    150 MiB more at their commit for the same CPU (docs/benchmarks.md). So too once the
    connection is worn and replaced, and once the store has let go of its memory."""
    threads = "CALL current_setting('threads') RETURN *"
    assert backend._execute(threads).get_all() == [["1"]]
    for _ in range(embedded.READS_PER_CONNECTION):
        backend.write([("MATCH (g:Grid {id: 'none'}) SET g.name = 'x'", {})])
    backend.drop_cached_pages()
    assert backend._execute(threads).get_all() == [["1"]]
