"""workflow.store on the embedded backend: one transaction per append, stale versions and
replayed idempotency keys, and the Dispute node's projection equal to the replay."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from api.measures import read_logs
from graph.embedded import EmbeddedBackend
from graph.schema import SCHEMA
from queries.calendar import CHINA_TIME, china_calendar
from queries.rules import load_rules
from workflow.model import Caller, Command, Facts, Ref, Refusal
from workflow.state import replay
from workflow.store import EventStore, Outcome, from_row, prime, projection, to_row

RULES, CALENDAR, NO_FACTS = load_rules("330421"), china_calendar(), Facts()
CENTER = Ref("Center", "center-330421")
DISPATCHER = Caller(Ref("Person", "JS-P-0001"), "dispatcher", CENTER, "330421")
PARTY = Caller(Ref("Person", "JS-P-0003"), "resident")
REPORT = dict(
    channel="app",
    title="手术费用集体纠纷",
    place="330421001001-G01",
    category="medical",
    parties=12,
    party_ids=["Person:JS-P-0003"],
)


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CHINA_TIME)


def act(store: EventStore, command: Command, now: datetime, facts: Facts = NO_FACTS) -> Any:
    return store.act(command, facts, now, RULES, CALENDAR)


def report(store: EventStore, key: str = "r-1") -> Outcome:
    outcome = act(
        store,
        Command("W1", "report", PARTY, 0, key, (CENTER,), None, REPORT),
        at("2024-07-02", 9),
        Facts(target_level="county", visits=1),
    )
    assert isinstance(outcome, Outcome)
    return outcome


def test_an_event_row_is_the_event(backend: EmbeddedBackend) -> None:
    event = report(EventStore(backend)).event
    assert from_row(to_row(event)) == event


def test_a_report_creates_the_dispute_with_its_ties_and_log(
    examples_graph: EmbeddedBackend,
) -> None:
    store = EventStore(examples_graph)
    outcome = report(store)
    assert outcome.event.id == "W1#1" and not outcome.replayed
    ties = examples_graph.read(
        "MATCH (d:Dispute {id: 'W1'})-[r]-(x) RETURN label(r) AS type, x.id AS id, "
        "x.code AS code ORDER BY type"
    )
    assert ties == [
        {"type": "IN_DOMAIN", "id": None, "code": "medical"},
        {"type": "LOGGED", "id": "W1#1", "code": None},
        {"type": "OCCURRED_IN", "id": "330421001001-G01", "code": None},
        {"type": "PARTY_TO", "id": "JS-P-0003", "code": None},
        {"type": "REPORTED", "id": "JS-P-0003", "code": None},
    ]
    assert store.log("W1") == (outcome.event,)


def test_the_dispute_node_shows_what_the_replay_derives(backend: EmbeddedBackend) -> None:
    store = EventStore(backend)
    report(store)
    for version, (action, kw, facts) in enumerate(
        [
            ("accept", {}, Facts()),
            ("sign", {}, Facts()),
            ("close", {"outcome": "settled", "settled_level": "county"}, Facts(in_scope=True)),
        ],
        start=1,
    ):
        command = Command("W1", action, DISPATCHER, version, f"k{version}", data=kw)
        assert isinstance(act(store, command, at("2024-07-03", 9 + version), facts), Outcome)
    rating = Command("W1", "rate", PARTY, 4, "k4", data={"rating": 4})
    assert isinstance(act(store, rating, at("2024-07-04", 9), Facts(is_party=True)), Outcome)
    node = backend.read(
        "MATCH (d:Dispute {id: 'W1'}) RETURN d.id AS id, d.status AS status, d.outcome AS "
        "outcome, d.settled_level AS settled_level, d.settled_on AS settled_on, d.warning AS "
        "warning, d.satisfaction AS satisfaction, d.parties AS parties, d.reported_on AS day"
    )
    state = store.state("W1")
    assert state is not None
    assert node == [{**projection(state), "parties": 12, "day": date(2024, 7, 2)}]
    assert node[0]["warning"] == "red" and node[0]["settled_on"] == date(2024, 7, 3)


def test_the_logs_of_disputes_looked_up_by_key(backend: EmbeddedBackend) -> None:
    store = EventStore(backend)
    report(store)
    second = Command("W2", "report", PARTY, 0, "r-2", (CENTER,), None, REPORT)
    assert isinstance(
        act(store, second, at("2024-07-02", 10), Facts(target_level="county")), Outcome
    )
    accept = Command("W2", "accept", DISPATCHER, 1, "k1")
    assert isinstance(act(store, accept, at("2024-07-02", 11)), Outcome)
    both = {"W1": store.log("W1"), "W2": store.log("W2")}
    assert [len(log) for log in both.values()] == [1, 2]
    assert store.logs() == both
    assert store.logs(keys=["W2", "W1", "no-such-dispute"]) == both
    assert store.logs(keys=["W2"]) == {"W2": both["W2"]}
    assert store.logs("d.status = $status", {"status": "accepted"}, keys=["W1", "W2"]) == {
        "W2": both["W2"]
    }
    assert store.logs(keys=[]) == {}
    # a dispute with no log (loaded): looked up, walked, and answered with nothing
    backend.upsert_nodes(SCHEMA.node("Dispute"), [{"id": "W0", "title": "t"}], bulk=False)
    assert store.logs(keys=["W0", "W1"]) == {"W1": both["W1"]}
    assert store.logs("d.id = $id", {"id": "W0"}, keys=["W0", "W1"]) == {}
    measured = read_logs(backend, keys=["W0", "W2"])
    assert list(measured) == ["W2"]
    assert [(e.version, e.action, e.to_state) for e in measured["W2"]] == [
        (e.version, e.action, e.to_state) for e in both["W2"]
    ]


def test_a_stale_version_is_refused_and_changes_nothing(backend: EmbeddedBackend) -> None:
    store = EventStore(backend)
    report(store)
    first = act(store, Command("W1", "accept", DISPATCHER, 1, "a"), at("2024-07-02", 10))
    assert isinstance(first, Outcome)
    second = act(store, Command("W1", "sign", DISPATCHER, 1, "b"), at("2024-07-02", 11))
    assert isinstance(second, Refusal)
    assert [e.code.value for e in second.errors] == ["stale_version"]
    assert [e.version for e in store.log("W1")] == [1, 2]


class _Behind:
    """A backend whose first read of a log, under the dispute's lock, misses the last event:
    a writer that read before another committed, as it would without the lock. The store's
    uniqueness constraint still refuses its event whole."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self.backend = backend
        self.behind = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.backend, name)

    def write_locked(self, label: str, key: str, work: Any, committed: Any = None) -> Any:
        def read(query: str, params: Any) -> list[dict[str, Any]]:
            rows = self.backend.read(query, params)
            if self.behind and ":LOGGED]" in query:
                self.behind = False
                return rows[:-1]
            return rows

        return self.backend.write_locked(label, key, lambda _: work(read), committed)


def test_two_writers_of_one_version_clash_in_the_store(backend: EmbeddedBackend) -> None:
    report(EventStore(backend))
    assert isinstance(
        act(EventStore(backend), Command("W1", "accept", DISPATCHER, 1, "a"), at("2024-07-02", 10)),
        Outcome,
    )
    late = act(
        EventStore(_Behind(backend)),  # type: ignore[arg-type]
        Command("W1", "report", PARTY, 0, "r-2", (CENTER,), None, REPORT),
        at("2024-07-02", 11),
    )
    assert isinstance(late, Refusal) and [e.code.value for e in late.errors] == ["dispute_exists"]
    # It decides on version 1 (the accept unseen) and writes W1#2, which exists: refused whole.
    behind = EventStore(_Behind(backend))  # type: ignore[arg-type]
    result = act(
        behind,
        Command("W1", "accept", Caller(Ref("Person", "JS-P-0009"), "dispatcher", CENTER), 1, "c"),
        at("2024-07-02", 11),
    )
    assert isinstance(result, Refusal)
    assert [(e.code.value, e.message) for e in result.errors] == [
        (
            "stale_version",
            "another action made version 2 first: read the dispute again and decide anew",
        )
    ]
    assert [e.idempotency_key for e in EventStore(backend).log("W1")] == ["r-1", "a"]


def test_a_replayed_key_returns_the_first_result_and_applies_nothing(
    backend: EmbeddedBackend,
) -> None:
    store = EventStore(backend)
    first = report(store)
    again = report(store)
    assert again == Outcome(first.event, first.state, replayed=True)
    accepted = act(store, Command("W1", "accept", DISPATCHER, 1, "a"), at("2024-07-02", 10))
    assert isinstance(accepted, Outcome)
    later = act(store, Command("W1", "accept", DISPATCHER, 1, "a"), at("2024-07-02", 12))
    assert later == Outcome(accepted.event, accepted.state, replayed=True)
    assert len(store.log("W1")) == 2
    reused = act(store, Command("W1", "sign", DISPATCHER, 2, "a"), at("2024-07-02", 13))
    assert isinstance(reused, Refusal)
    assert [(e.code.value, e.field) for e in reused.errors] == [
        ("idempotency_key_reused", "idempotencyKey")
    ]
    assert replay(store.log("W1")) == accepted.state


def test_an_append_is_stamped_at_the_latest_time_without_reading_every_event_again(
    backend: EmbeddedBackend, monkeypatch: Any
) -> None:
    store, scans, execute = EventStore(backend), [], backend._execute

    def counting(query: str, *args: Any, **kwargs: Any) -> Any:
        scans.extend([query] if "max(e.at)" in query else [])
        return execute(query, *args, **kwargs)

    monkeypatch.setattr(backend, "_execute", counting)
    report(store)  # 9:00, the events read once
    accepted = act(store, Command("W1", "accept", DISPATCHER, 1, "a"), at("2024-07-02", 8))
    assert (accepted.event.at, len(scans)) == (at("2024-07-02", 9), 1)  # kept: not read again
    # an event written another way (a load of a log) is later: the next append reads again
    later = at("2024-07-03", 12).isoformat()
    backend.write([("CREATE (:DisputeEvent {id: 'X#1', dispute: 'X', at: $at})", {"at": later})])
    signed = act(store, Command("W1", "sign", DISPATCHER, 2, "s"), at("2024-07-02", 10))
    assert (signed.event.at, len(scans)) == (at("2024-07-03", 12), 2)
    another = act(
        store,
        Command("W2", "report", PARTY, 0, "r-2", (CENTER,), None, REPORT),
        at("2024-07-04", 9),
        Facts(target_level="county", visits=1),
    )
    assert (another.event.at, len(scans)) == (at("2024-07-04", 9), 2)


def test_the_latest_time_read_ahead_spares_the_first_append_its_read(
    backend: EmbeddedBackend, monkeypatch: Any
) -> None:
    """A server reads the latest event's time as it opens (`prime`): the first append reads no
    event and is stamped after the latest; once events are written another way, read again."""
    later = at("2024-07-03", 12).isoformat()
    backend.write([("CREATE (:DisputeEvent {id: 'X#1', dispute: 'X', at: $at})", {"at": later})])
    prime(backend)
    store, scans, execute = EventStore(backend), [], backend._execute

    def counting(query: str, *args: Any, **kwargs: Any) -> Any:
        scans.extend([query] if "max(e.at)" in query else [])
        return execute(query, *args, **kwargs)

    monkeypatch.setattr(backend, "_execute", counting)
    first = report(store)  # at 2024-07-02 9:00, before the event read ahead
    assert (first.event.at, len(scans)) == (at("2024-07-03", 12), 0)
    latest = at("2024-07-05", 8).isoformat()
    backend.write([("CREATE (:DisputeEvent {id: 'X#2', dispute: 'X', at: $at})", {"at": latest})])
    accepted = act(store, Command("W1", "accept", DISPATCHER, 1, "a"), at("2024-07-04", 8))
    assert (accepted.event.at, len(scans)) == (at("2024-07-05", 8), 1)
