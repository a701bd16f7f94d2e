"""Walks never beside a write on the embedded store (graph/walks.py): LadybugDB 0.22's
recursive join corrupts memory when a write runs beside it (docs/benchmarks.md, "The native
abort under writes"). The crash itself takes minutes of a city to meet; these tests hold a
write or a walk open and check that the other waits, and that plain reads do not."""

import threading
from pathlib import Path

import pytest

from graph.embedded import EmbeddedBackend
from graph.schema import SCHEMA
from graph.walks import walks

QUERIES = Path(__file__).resolve().parents[2] / "queries"
GRID = SCHEMA.node("Grid")
WALK = "MATCH (g:Grid)-[:PART_OF*1..30]->(u) RETURN count(u) AS n"
PLAIN = "MATCH (g:Grid) RETURN count(g) AS n"
WRITE = [
    ("CREATE (g:Grid {id: $id, name: $name, level: 1, kind: 'basic'})", {"id": "G2", "name": "二"})
]
WAIT = 10  # seconds a step that should end may take, on a busy machine


def test_a_pattern_with_a_star_walks_and_no_other_does():
    conflicts = (QUERIES / "expert_conflicts.cypher").read_text(encoding="utf-8")
    summary = (QUERIES / "county_summary.cypher").read_text(encoding="utf-8")
    assert (walks(conflicts), walks(summary), walks(WALK)) == (True, True, True)
    assert (walks(PLAIN), walks("MATCH (d:Dispute {id: $id}) RETURN d.id AS id")) == (False, False)


@pytest.fixture
def store(tmp_path):
    store = EmbeddedBackend(tmp_path / "walks.lbdb")
    store.init_schema()
    row = dict.fromkeys(p.name for p in GRID.properties)
    row.update(id="G1", name="一", level=1, kind="basic", source="test")
    store.upsert_nodes(GRID, [row], bulk=True)
    yield store
    store.close()


def held(store, monkeypatch, on):
    """Each statement of the store for which `on(query)` holds waits for the event returned
    once it has begun (the other event set)."""
    begun, go = threading.Event(), threading.Event()
    execute = store._execute

    def waiting(query, params=None, conn=None):
        if on(query):
            begun.set()
            assert go.wait(WAIT)
        return execute(query, params, conn)

    monkeypatch.setattr(store, "_execute", waiting)
    return begun, go


def run(target):
    done = threading.Event()
    thread = threading.Thread(target=lambda: (target(), done.set()))
    thread.start()
    return thread, done


def test_a_walk_waits_for_the_write_under_way_and_a_plain_read_does_not(store, monkeypatch):
    begun, go = held(store, monkeypatch, lambda query: query.startswith("CREATE"))
    writer, written = run(lambda: store.write(WRITE))
    try:
        assert begun.wait(WAIT)
        walker, walked = run(lambda: store.read(WALK))
        assert store.read(PLAIN) == [{"n": 1}]  # the write not committed yet
        assert not walked.wait(0.5)
    finally:
        go.set()
        writer.join(WAIT)
    walker.join(WAIT)
    assert (written.is_set(), walked.is_set()) == (True, True)
    assert store.read(PLAIN) == [{"n": 2}]


def test_a_write_waits_for_the_walk_under_way_and_walks_go_together(store, monkeypatch):
    begun, go = held(store, monkeypatch, lambda query: query == WALK)
    walker, walked = run(lambda: store.read(WALK))
    try:
        assert begun.wait(WAIT)
        # another walk is let in beside it (it waits only on the same held statement)
        _, other_walked = run(lambda: store.read(WALK.replace("count(u)", "count(*)")))
        assert other_walked.wait(WAIT)
        writer, written = run(lambda: store.write(WRITE))
        assert not written.wait(0.5)
    finally:
        go.set()
        walker.join(WAIT)
    writer.join(WAIT)
    assert (walked.is_set(), written.is_set()) == (True, True)
    assert store.read(PLAIN) == [{"n": 2}]
