"""queue_changes, the work queue's poll, and its cursor: what a client polling with the cursor
it got learns, in and out of scope; with the read model attached (the scope's units held) and
without one (Cypher, as on Neo4j); and that an event decided at an earlier time than one
logged first is stamped after it, on Neo4j too."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from api import acting, queue
from api.auth import Caller, Role
from loaders.load import load
from queries import read_model
from queries.calendar import CHINA_TIME
from workflow import store
from workflow.model import Refusal
from workflow.store import EventStore

GRID = "330421001001-G01"
CENTER = "Center:center-330421001"
GRID_WORKER = Caller(
    Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
)
DISPATCHER = Caller(
    Role.MEDIATOR, "330421001", person="JS-P-0001", unit=CENTER, workflow_role="dispatcher"
)
ADMIN = Caller(Role.ADMIN)
ELSEWHERE = Caller(Role.MEDIATOR, "330402")  # a mediator of another county


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 9, 2, hour, minute, tzinfo=CHINA_TIME)


def mark(hour: int, minute: int = 0) -> str:
    """The cursor an event at that time gives."""
    return at(hour, minute).isoformat(timespec="microseconds")


def act(graph, who, dispute, action, version, when, **data):
    acted = acting.act(
        graph, who, dispute, action, version, f"{dispute}-{version}", data=data, now=when
    )
    assert not isinstance(acted.result, Refusal), (action, acted.result)


def reported(graph):
    """Two disputes reported at 9:00 and 10:00 (the examples hold no log): their ids."""
    ids = []
    for key, hour in (("r-1", 9), ("r-2", 10)):
        acted = acting.report(
            graph, GRID_WORKER, key, kind="dispute", title="邻里纠纷", place=GRID, channel="app",
            category=None, receiver=CENTER, new_parties=[acting.NewParty("王小明")], now=at(hour),
        )  # fmt: skip
        assert not isinstance(acted.result, Refusal), acted.result
        ids.append(acted.dispute)
    return ids


@pytest.fixture(params=["cypher", "model"])
def graph(request, examples_graph):
    """The examples with the two disputes, and their ids; read with the read model attached
    or without one."""
    r1, r2 = reported(examples_graph)
    if request.param == "model":
        assert read_model.attach(examples_graph) is not None
    return examples_graph, r1, r2


def changes(graph, caller, since, within=None):
    rows, removed, cursor = queue.queue_changes(graph, caller, since, within, now=at(12))
    return {r.state.id: (r.state.state, r.state.version) for r in rows}, removed, cursor


def test_an_event_between_two_polls_is_answered_by_the_next(graph):
    graph, r1, r2 = graph
    first = queue.cursor(graph)
    assert first == mark(10)
    assert changes(graph, ADMIN, "") == (
        {r1: ("reported", 1), r2: ("reported", 1)}, [], mark(10)
    )  # fmt: skip
    act(graph, DISPATCHER, r1, "accept", 1, at(11))
    # r-2's report is at the cursor's instant: answered again, as every poll answers the
    # disputes of the latest events (an event logged later at that instant is not lost).
    assert changes(graph, ADMIN, first) == (
        {r1: ("accepted", 2), r2: ("reported", 1)}, [], mark(11)
    )  # fmt: skip
    assert queue.cursor(graph) == mark(11)
    assert changes(graph, ADMIN, mark(11)) == ({r1: ("accepted", 2)}, [], mark(11))
    act(graph, DISPATCHER, r2, "accept", 1, at(11))  # logged after that poll, same instant
    assert changes(graph, ADMIN, mark(11)) == (
        {r1: ("accepted", 2), r2: ("accepted", 2)}, [], mark(11)
    )  # fmt: skip
    assert changes(graph, ADMIN, mark(11, 1)) == ({}, [], mark(11))


@pytest.fixture(params=["cypher", "model", "neo4j"])
def both(request, example_files):
    """As `graph`, and on Neo4j (read without the model, as there)."""
    if request.param == "neo4j":
        graph = request.getfixturevalue("neo4j_backend")
        assert load(graph, example_files).rejects == []
    else:
        graph = request.getfixturevalue("examples_graph")
    r1, r2 = reported(graph)
    if request.param == "model":
        assert read_model.attach(graph) is not None
    return graph, r1, r2


def test_an_event_decided_before_a_later_one_is_logged_is_answered_by_the_next_poll(both):
    """A writer reads the clock (10:30) before it takes the write lock; meanwhile another
    logs an event at 11:00 and a poll takes 11:00 as its cursor. The first commits after
    that poll: it is stamped 11:00, in the order of the commits. At 10:30, before the
    cursor, the next poll (and every later one) would not have answered it."""
    graph, r1, r2 = both
    act(graph, DISPATCHER, r2, "accept", 1, at(11))
    assert changes(graph, ADMIN, mark(10)) == ({r2: ("accepted", 2)}, [], mark(11))
    act(graph, DISPATCHER, r1, "accept", 1, at(10, 30))
    assert changes(graph, ADMIN, mark(11)) == (
        {r1: ("accepted", 2), r2: ("accepted", 2)}, [], mark(11)
    )  # fmt: skip
    assert [(e.action, e.at) for e in EventStore(graph).log(r1)] == [
        ("report", at(9)), ("accept", at(11))
    ]  # fmt: skip


def test_a_dispute_closed_between_two_polls_is_removed(graph):
    graph, r1, r2 = graph
    since = queue.cursor(graph)
    act(graph, DISPATCHER, r1, "accept", 1, at(10, 10))
    act(graph, DISPATCHER, r1, "sign", 2, at(10, 20))
    act(graph, DISPATCHER, r1, "close", 3, at(10, 30), outcome="settled", settled_level="town")
    assert changes(graph, ADMIN, since) == ({r2: ("reported", 1)}, [r1], mark(10, 30))
    assert changes(graph, DISPATCHER, since) == ({r2: ("reported", 1)}, [r1], mark(10, 30))
    assert changes(graph, ADMIN, mark(10, 30)) == ({}, [r1], mark(10, 30))
    # the queue no longer holds it
    assert [r.state.id for r in queue.work_queue(graph, ADMIN, "ALL", now=at(12))] == [r2]


def test_a_caller_out_of_scope_sees_nothing(graph):
    graph, r1, r2 = graph
    act(graph, DISPATCHER, r1, "accept", 1, at(11))
    assert changes(graph, ELSEWHERE, "") == ({}, [], mark(11))
    assert changes(graph, ADMIN, "", within="330402") == ({}, [], mark(11))
    assert changes(graph, ADMIN, "", within="330421001") == (
        {r1: ("accepted", 2), r2: ("reported", 1)}, [], mark(11)
    )  # fmt: skip
    # a grid worker sees the disputes of the grid
    assert changes(graph, GRID_WORKER, mark(11)) == ({r1: ("accepted", 2)}, [], mark(11))
    other = Caller(Role.VIEWER, person="JS-P-0002", unit="Grid:no-such-grid")
    assert changes(graph, other, "") == ({}, [], mark(11))


def test_an_empty_log_gives_an_empty_cursor(examples_graph):
    assert queue.cursor(examples_graph) == ""
    assert changes(examples_graph, ADMIN, "") == ({}, [], "")


def test_with_the_model_a_mediator_poll_walks_no_path_in_cypher(examples_graph, monkeypatch):
    graph = examples_graph
    _, r2 = reported(graph)
    assert read_model.attach(graph) is not None
    reads: list[str] = []
    read = graph.read
    monkeypatch.setattr(graph, "read", lambda q, p=None: reads.append(q) or read(q, p))
    assert changes(graph, DISPATCHER, mark(10)) == ({r2: ("reported", 1)}, [], mark(10))
    assert changes(graph, ELSEWHERE, "") == ({}, [], mark(10))
    assert reads and [q for q in reads if "PART_OF*" in q] == []


def test_the_units_above_a_grid_are_the_cyphers_walk(examples_graph):
    assert read_model.attach(examples_graph) is not None
    grids = [r["id"] for r in examples_graph.read("MATCH (g:Grid) RETURN g.id AS id")]
    cypher = {
        g: {
            r["code"]
            for r in examples_graph.read(
                "MATCH (:Grid {id: $g})-[:PART_OF*1..30]->(u:Unit) RETURN DISTINCT u.code AS code",
                {"g": g},
            )
        }
        for g in [*grids, "no-such-grid"]
    }
    assert cypher["330421001001-G01-W03"] >= cypher["330421001001-G01"] != set()  # nested
    assert read_model.units_above(examples_graph, cypher) == cypher


def test_appends_to_two_disputes_commit_one_after_the_other(examples_graph, monkeypatch):
    """What stamping in commit order rests on: the embedded store's lock orders appends to
    different disputes too. Writer A (10:30) holds its transaction open after reading the
    latest time; writer B (11:00), on another dispute, waits for it. (On Neo4j, whose lock is
    the Dispute node's, B commits while A is open: docs/neo4j.md.)"""
    graph = examples_graph
    r1, r2 = reported(graph)
    deciding, release = threading.Event(), threading.Event()
    decide = store.decide

    def slow(state, command, *rest):
        if command.dispute == r1:
            deciding.set()
            assert release.wait(60)
        return decide(state, command, *rest)

    monkeypatch.setattr(store, "decide", slow)
    with ThreadPoolExecutor(2) as pool:
        try:
            a = pool.submit(act, graph, DISPATCHER, r1, "accept", 1, at(10, 30))
            assert deciding.wait(60)
            b = pool.submit(act, graph, DISPATCHER, r2, "accept", 1, at(11))
            with contextlib.suppress(TimeoutError):
                b.result(2)  # B is not to end while A's transaction is open
            cursor, waited = queue.cursor(graph), not b.done()
        finally:
            release.set()
        a.result(60)
        b.result(60)
    assert (waited, cursor) == (True, mark(10))
    assert changes(graph, ADMIN, cursor) == (
        {r1: ("accepted", 2), r2: ("accepted", 2)}, [], mark(11)
    )  # fmt: skip


SCANS = ("MATCH (e:DisputeEvent) RETURN max(e.at)", "WHERE e.at >= $since")


def counted(graph, monkeypatch) -> list[str]:
    """The reads of `graph` from now on that read every event (`SCANS`)."""
    scans: list[str] = []
    read = graph.read

    def reading(query, params=None):
        scans.extend(s for s in SCANS if s in query)
        return read(query, params)

    monkeypatch.setattr(graph, "read", reading)
    return scans


def scanned(graph, caller, since):
    """The poll's answer from a read of every event (nothing kept, as on Neo4j)."""
    kept = queue._RECENT
    queue._RECENT = queue._Recent()
    try:
        return changes(graph, caller, since)
    finally:
        queue._RECENT = kept


def test_polls_after_appends_read_no_event_but_the_appended_disputes(graph, monkeypatch):
    """The first poll reads every event; the next ones, after appends only, read the
    appended disputes' latest events by key, and answer as a read of every event does."""
    graph, r1, r2 = graph
    scans = counted(graph, monkeypatch)
    assert changes(graph, ADMIN, mark(10)) == ({r2: ("reported", 1)}, [], mark(10))
    assert scans == list(SCANS)
    del scans[:]
    act(graph, DISPATCHER, r1, "accept", 1, at(11))
    act(graph, DISPATCHER, r1, "sign", 2, at(11, 10))
    act(graph, DISPATCHER, r2, "accept", 1, at(11, 10))
    polls = [
        (ADMIN, mark(10)), (ADMIN, mark(11)), (ADMIN, mark(11, 10)), (ADMIN, mark(11, 11)),
        (DISPATCHER, mark(11)), (GRID_WORKER, mark(11, 10)), (ELSEWHERE, mark(10)),
    ]  # fmt: skip
    answers = [changes(graph, caller, since) for caller, since in polls]
    assert (scans, queue.cursor(graph)) == ([], mark(11, 10))
    assert answers[:4] == [
        ({r1: ("handling", 3), r2: ("accepted", 2)}, [], mark(11, 10)),
        ({r1: ("handling", 3), r2: ("accepted", 2)}, [], mark(11, 10)),
        ({r1: ("handling", 3), r2: ("accepted", 2)}, [], mark(11, 10)),
        ({}, [], mark(11, 10)),
    ]
    assert answers == [scanned(graph, caller, since) for caller, since in polls]
    act(graph, DISPATCHER, r1, "close", 3, at(11, 20), outcome="settled", settled_level="town")
    del scans[:]
    assert changes(graph, ADMIN, mark(11, 10)) == (
        {r2: ("accepted", 2)}, [r1], mark(11, 20)
    )  # fmt: skip
    assert scans == []


def test_a_cursor_older_than_the_kept_one_and_a_load_read_every_event(graph, monkeypatch):
    graph, r1, r2 = graph
    scans = counted(graph, monkeypatch)
    assert changes(graph, ADMIN, mark(10)) == ({r2: ("reported", 1)}, [], mark(10))
    del scans[:]
    # older than the first poll's cursor: those disputes' times were not kept
    assert changes(graph, ADMIN, mark(9)) == (
        {r1: ("reported", 1), r2: ("reported", 1)}, [], mark(10)
    )  # fmt: skip
    assert scans == list(SCANS)
    del scans[:]
    # a write about no named dispute (as a load is): the next poll reads every event again
    graph.write(
        [("MATCH (e:DisputeEvent {id: $id}) SET e.at = $at", {"id": f"{r1}#1", "at": mark(12)})]
    )
    assert changes(graph, ADMIN, mark(10)) == (
        {r1: ("reported", 1), r2: ("reported", 1)}, [], mark(12)
    )  # fmt: skip
    assert scans == list(SCANS)
    del scans[:]
    assert changes(graph, ADMIN, mark(12)) == ({r1: ("reported", 1)}, [], mark(12))
    assert scans == []


def test_a_write_ending_while_a_poll_reads_by_key_makes_it_read_every_event(graph, monkeypatch):
    """r-2 accepted at 11:00 after a poll kept what it read; while the next poll reads r-2's
    latest event by key, r-1 (older than what was kept) moves at 11:05 and r-2 at 11:10. Kept
    from that read, the cursor would be 11:10 with r-1 unanswered, and never answered by a
    later poll: the poll reads every event instead."""
    graph, r1, r2 = graph
    assert changes(graph, ADMIN, mark(10)) == ({r2: ("reported", 1)}, [], mark(10))
    act(graph, DISPATCHER, r2, "accept", 1, at(11))
    scans = counted(graph, monkeypatch)
    read, meanwhile = graph.read, [(r1, "accept", 1, at(11, 5)), (r2, "sign", 2, at(11, 10))]

    def writing_first(query, params=None):
        if "max(e.at) AS at" in query and "UNWIND $keys" in query:
            while meanwhile:
                act(graph, DISPATCHER, *meanwhile.pop(0))
        return read(query, params)

    monkeypatch.setattr(graph, "read", writing_first)
    assert changes(graph, ADMIN, mark(10)) == (
        {r1: ("accepted", 2), r2: ("handling", 3)}, [], mark(11, 10)
    )  # fmt: skip
    assert (meanwhile, scans) == ([], list(SCANS))


def test_a_cursor_asked_before_any_poll_keeps_what_it_read(graph, monkeypatch):
    """The cursor `workQueue` answers, asked before any poll, reads every event once; the next
    cursor and a poll from it read none, and answer as a read of every event does."""
    graph, r1, r2 = graph
    monkeypatch.setattr(queue, "_RECENT", queue._Recent())
    scans = counted(graph, monkeypatch)
    assert (queue.cursor(graph), scans) == (mark(10), list(SCANS))
    del scans[:]
    act(graph, DISPATCHER, r1, "accept", 1, at(11))
    assert queue.cursor(graph) == mark(11)
    assert changes(graph, ADMIN, mark(10)) == (
        {r1: ("accepted", 2), r2: ("reported", 1)}, [], mark(11)
    )  # fmt: skip
    assert scans == []
    assert changes(graph, ADMIN, mark(10)) == scanned(graph, ADMIN, mark(10))
