"""The read model's cases (queries.cases.Cases: a dispute's ties and the ties between
people) against Cypher: for every dispute, several days and every kind of tie, the same rows
of every query answered from them (walks compared whole, their nodes by position); the same
after reported disputes (writes that add a new dispute's ties: those are read by key and
added, the cases the same whole as read afresh, never read again) and after a later event (a
write of the dispute's state only: read by key, the cases stay); and read again whole after
any other write of what they hold (a load, a tie between people, a known person renamed);
the structure left as it is by a report's new parties."""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from api import acting
from api.auth import Caller as ApiCaller
from api.auth import Role
from graph.backend import Row
from graph.embedded import EmbeddedBackend
from graph.errors import BackendUnavailable
from graph.labels import EVERYTHING, read_by
from graph.places import DivisionCode, grids_within
from graph.schema import SCHEMA
from loaders.load import load
from queries import cases, dispute_fields, read_model
from queries.calendar import CHINA_TIME, china_calendar
from queries.dispute_fields import DisputeFields
from queries.experts import expert_pool
from queries.library import get_query, run
from queries.referral import referral
from queries.rules import load_rules
from workflow import store as events
from workflow.model import Caller, Command, Facts, Problem, Ref
from workflow.store import EventStore, Outcome

MISSING = ["no-such-dispute", ""]
DAYS = [date(2021, 1, 1), date(2022, 8, 1), date(2024, 3, 31), date(2024, 7, 2), None]
KINDS = [["family", "colleague", "neighbour"], ["family", "colleague"], ["neighbour"], []]


def canonical(rows: list[Row]) -> list[str]:
    """Rows as an order-free list; a walk's node ids (the store's internal ids in Cypher's
    rows, (label, key) in the model's) become positions in the walk, "end" for its ends."""

    def positions(row: Row) -> Row:
        if "node_ids" not in row:
            return row
        at = {repr(node): i for i, node in enumerate(row["node_ids"])}
        starts = [at.get(repr(node), "end") for node in row["rel_starts"]]
        return {**row, "node_ids": list(range(len(at))), "rel_starts": starts}

    return sorted(repr(sorted(positions(r).items())) for r in rows)


def _same(graph: EmbeddedBackend, model: read_model.ReadModel, name: str, **params: Any) -> int:
    query = get_query(name)
    cypher = graph.read(query.text, params)
    if name == "expert_load":
        assert cases.current_handled(graph, model)
    for own in _owns(graph, model):
        mine = cases.CASE_ANSWERS[name](model, params, own)
        assert mine is not None, name
        assert canonical(mine) == canonical(cypher), (name, params)
        assert all(list(row) == list(query.columns) for row in mine), name
    return len(cypher)


def _owns(graph: EmbeddedBackend, model: read_model.ReadModel) -> list[cases.Own]:
    """A dispute's own properties read by key, and from what `model` holds of every dispute
    (caught up by key first, as the product does, when writes came after it)."""

    def held() -> DisputeFields:
        fields = model.disputes
        if not fields.current(graph):
            fields = fields.caught_up(graph, graph.version) or DisputeFields.read(graph)
        assert fields.current(graph)
        return fields

    return [cases.Own(graph.read), cases.Own(graph.read, held)]


def _disputes(graph: EmbeddedBackend) -> list[Row]:
    return graph.read("MATCH (d:Dispute) RETURN d.id AS k, d.reported_on AS day ORDER BY k")


def assert_parity(
    graph: EmbeddedBackend, disputes: list[Row], model: read_model.ReadModel | None = None
) -> dict[str, int]:
    """Every query answered from the cases (of `model`, or read now), for `disputes` (and
    some that are not): how many rows each gave in all (a comparison of empty answers alone
    would prove nothing)."""
    model = model or read_model.ReadModel(graph)
    rows = dict.fromkeys(set(cases.CASE_ANSWERS) - {"conflict_paths"}, 0)  # assert_paths
    for key in [*(r["k"] for r in disputes), *MISSING]:
        for name in ("dispute_facts", "dispute_parties", "dispute_orgs"):
            rows[name] += _same(graph, model, name, dispute=key)
        reported = next((r["day"] for r in disputes if r["k"] == key), None)
        for day in [*DAYS, *([reported] if reported else [])]:
            for kinds in KINDS:
                rows["expert_conflicts"] += _same(
                    graph, model, "expert_conflicts", dispute=key, as_of=day, related_kinds=kinds
                )
            if day is not None:
                for days in (30, 365, 1000):
                    rows["party_visits"] += _same(
                        graph,
                        model,
                        "party_visits",
                        dispute=key,
                        since=day - timedelta(days=days),
                        until=day,
                    )
        rows["party_visits"] += _same(
            graph, model, "party_visits", dispute=key, since=None, until=date(2024, 7, 2)
        )
    domains = [r["k"] for r in graph.read("MATCH (d:Domain) RETURN d.code AS k")]
    for wanted in [[d] for d in domains] + [[*domains, *MISSING], [], MISSING]:
        rows["expert_load"] += _same(graph, model, "expert_load", domains=wanted)
    return rows


TIES = [["RELATED_TO", "WORKS_IN", "MEMBER_OF", "PARTY_TO"], ["RELATED_TO", "PARTY_TO"], []]


def assert_paths(
    graph: EmbeddedBackend, disputes: list[Row], model: read_model.ReadModel | None = None
) -> int:
    """conflict_paths from the model against Cypher: the same (party, side, person, hops) rows,
    each walk one of the shortest from its party (Cypher's ALL SHORTEST of the same walk), the
    least by the keys read from the person's end, and equal whole to Cypher's where it is the
    only one. How many rows there were."""
    model = model or read_model.ReadModel(graph)
    text = get_query("conflict_paths").text
    assert text.count("* SHORTEST") == 1
    every = text.replace("* SHORTEST", "* ALL SHORTEST")
    people = [r["k"] for r in graph.read("MATCH (p:Person) RETURN p.id AS k")]
    compared = 0
    for key in [*(r["k"] for r in disputes), *MISSING]:
        for day, kinds, ties in itertools.product(DAYS, KINDS[:2], TIES):
            params = dict(dispute=key, experts=people, as_of=day, related_kinds=kinds, ties=ties)
            mine, held = (cases.conflict_paths(model, params, own) for own in _owns(graph, model))
            assert mine is not None
            assert held == mine
            cypher = graph.read(text, params)
            assert canonical([_end(r) for r in mine]) == canonical([_end(r) for r in cypher])
            walks: dict[tuple[str, str], list[Row]] = {}
            for row in graph.read(every, params):
                walks.setdefault((row["party"], row["expert"]), []).append(row)
            for row in mine:
                shortest = walks[(row["party"], row["expert"])]
                assert canonical([row])[0] in canonical(shortest), (params, row)
                least = min(tuple(reversed(w["keys"])) for w in shortest)
                assert tuple(reversed(row["keys"])) == least
                if len(shortest) == 1:
                    assert canonical([row]) == canonical(shortest)
            compared += len(mine)
    return compared


def _end(row: Row) -> Row:
    return {k: row[k] for k in ("party", "side", "expert", "hops")}


def test_every_case_answer_reads_only_what_the_model_holds() -> None:
    for name in cases.CASE_ANSWERS:
        read = read_by(get_query(name).text)
        assert EVERYTHING not in read, name
        assert read - {"Dispute"} <= cases.CASES_HELD | read_model.HELD, (name, read)


def test_the_cases_answer_as_cypher_on_the_examples(examples_graph: EmbeddedBackend) -> None:
    rows = assert_parity(examples_graph, _disputes(examples_graph))
    assert all(rows.values()), rows
    assert assert_paths(examples_graph, _disputes(examples_graph)) > 0
    # from the party 0005 to its neighbour 0003, on to 0003's colleague and to who works in
    # 0003's department (0001 left 0002's party branch in March)
    model = read_model.ReadModel(examples_graph)
    kinds = ["neighbour", "colleague"]
    walks = cases.expert_conflicts(
        model,
        {"dispute": "JS-2024-0137", "as_of": date(2024, 7, 2), "related_kinds": kinds},
        cases.Own(examples_graph.read),
    )
    assert walks is not None
    assert sorted((r["expert"], r["steps"], tuple(r["keys"])) for r in walks) == [
        ("JS-P-0001", 4, ("JS-P-0005", "JS-P-0003", "dept-330421001-governance")),
        ("JS-P-0002", 3, ("JS-P-0005", "JS-P-0003")),
        ("JS-P-0003", 2, ("JS-P-0005",)),
        ("JS-P-0005", 1, ()),
    ]


# -- under the workflow's writes --------------------------------------------------------------

RULES = load_rules("330421")
CENTER = Ref("Center", "center-330421")
DISPATCHER = Caller(Ref("Person", "JS-P-0001"), "dispatcher", CENTER, "330421")
PARTY = Caller(Ref("Person", "JS-P-0003"), "resident")
NEW = "W1"


def _act(graph: EmbeddedBackend, command: Command, hour: int, facts: Facts) -> None:
    when = datetime(2024, 7, 2, hour, tzinfo=CHINA_TIME)
    outcome = EventStore(graph).act(command, facts, when, RULES, china_calendar())
    assert isinstance(outcome, Outcome), outcome


def _report(graph: EmbeddedBackend) -> None:
    """A report of a dispute whose parties are 0003 (0005's neighbour) and the hospital, party
    to JS-2024-0137 with 0005."""
    data = {
        "channel": "app",
        "title": "手术费用集体纠纷",
        "place": "330421001001-G01",
        "category": "medical",
        "parties": 12,
        "party_ids": ["Person:JS-P-0003", "Organisation:org-330421-hospital1"],
    }
    command = Command(NEW, "report", PARTY, 0, "r-1", (CENTER,), None, data)
    _act(graph, command, 9, Facts(target_level="county", visits=1))


class _Beside:
    """The graph under another name: a model attached to it is not the graph's."""

    def __init__(self, graph: EmbeddedBackend) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def _cases_read(monkeypatch: pytest.MonkeyPatch, whole: type = cases.Cases) -> list[int]:
    """A list that grows by one each time the cases (or `whole`: the read model) are read."""
    counted: list[int] = []
    build = whole.__init__

    def counting(self: Any, backend: Any, *given: Any) -> None:
        counted.append(1)
        build(self, backend, *given)

    monkeypatch.setattr(whole, "__init__", counting)
    return counted


def _answers(backend: Any, day: date, new: str = NEW) -> list[Any]:
    asked = [new, "JS-2024-0137", "JS-2024-0158"]
    return [
        (
            referral(backend, dispute_id=key, as_of=day),
            expert_pool(backend, dispute_id=key, domains=("medical",), as_of=day),
        )
        for key in asked
    ]


def test_a_reported_dispute_and_its_events_are_answered_as_cypher(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = date(2024, 7, 2)
    modelled = _Beside(examples_graph)
    read = _cases_read(monkeypatch)
    assert read_model.attach(modelled) is not None
    assert run(modelled, "dispute_parties", dispute=NEW) == []
    _report(examples_graph)
    # the report wrote the new dispute's ties: the next question reads them by key, and the
    # cases are not read again
    assert run(modelled, "dispute_parties", dispute=NEW) == [{"party": "JS-P-0003", "side": None}]
    assert len(read) == 1
    walks = run(modelled, "expert_conflicts", dispute=NEW, as_of=day, related_kinds=["neighbour"])
    # 0005 is the new dispute's party's neighbour (and party with its other party to an
    # older dispute: a longer walk); 0001 works in 0003's department
    assert sorted((r["expert"], r["steps"], tuple(r["keys"])) for r in walks) == [
        ("JS-P-0001", 3, ("JS-P-0003", "dept-330421001-governance")),
        ("JS-P-0003", 1, ()),
        ("JS-P-0005", 2, ("JS-P-0003",)),
    ]
    assert _answers(modelled, day) == _answers(examples_graph, day)
    assert len(read) == 1
    # a later event sets the dispute's state only: the cases stay, its facts are read by key
    _act(examples_graph, Command(NEW, "accept", DISPATCHER, 1, "a"), 10, Facts())
    facts = run(modelled, "dispute_facts", dispute=NEW)
    assert facts == run(examples_graph, "dispute_facts", dispute=NEW)
    assert [f["status"] for f in facts] == ["accepted"]
    assert _answers(modelled, day) == _answers(examples_graph, day)
    assert len(read) == 1
    # a dispute an expert handled is open again, rated 2: its state is read again, by key
    load = run(modelled, "expert_load", domains=["medical"])
    assert load == run(examples_graph, "expert_load", domains=["medical"])
    assert [(r["outcome"], r["satisfaction"]) for r in load] == [("settled", 5)]
    examples_graph.write(
        [
            (
                "MATCH (d:Dispute {id: $id}) SET d.outcome = NULL, d.settled_on = NULL, "
                "d.satisfaction = 2",
                {"id": "JS-2024-0137"},
            )
        ]
    )
    load = run(modelled, "expert_load", domains=["medical"])
    assert load == run(examples_graph, "expert_load", domains=["medical"])
    assert [(r["expert"], r["dispute"], r["outcome"], r["satisfaction"]) for r in load] == [
        ("JS-P-0004", "JS-2024-0137", None, 2)
    ]
    assert len(read) == 1
    assert_parity(examples_graph, _disputes(examples_graph))
    assert assert_paths(examples_graph, _disputes(examples_graph)) > 0


class _Counted(_Beside):
    """The graph under another name, keeping the text of each read."""

    def __init__(self, graph: EmbeddedBackend) -> None:
        super().__init__(graph)
        self.texts: list[str] = []

    def read(self, query: str, params: Any = None) -> list[Row]:
        self.texts.append(query)
        return self._graph.read(query, params)


def test_a_disputes_own_properties_are_held_and_caught_up_after_writes(
    examples_graph: EmbeddedBackend,
) -> None:
    """dispute_facts, party_visits and the conflict walks take a dispute's own properties
    (title, report day, parties, state) from what the model holds of every dispute, caught up
    by key after a report and a later event, read whole after a write that named no dispute:
    Cypher's rows each time, and no read of a Dispute per question."""
    day = date(2024, 7, 2)
    modelled = _Counted(examples_graph)
    assert read_model.attach(modelled) is not None
    asked = [
        (name, {"dispute": key, **params})
        for key in (NEW, "JS-2024-0137")
        for name, params in (
            ("dispute_facts", {}),
            ("party_visits", {"since": date(2024, 1, 1), "until": day}),
            ("expert_conflicts", {"as_of": day, "related_kinds": []}),
        )
    ]

    def answers() -> list[list[Row]]:
        found = [run(modelled, name, **params) for name, params in asked]
        modelled.texts.clear()
        assert [run(modelled, name, **params) for name, params in asked] == found
        assert [t for t in modelled.texts if "Dispute" in t] == []  # held: no read by key
        cypher = [examples_graph.read(get_query(name).text, params) for name, params in asked]
        assert list(map(canonical, found)) == list(map(canonical, cypher))
        return found

    answers()
    _report(examples_graph)
    answers()  # the report caught up: the new dispute appended to what is held
    _act(examples_graph, Command(NEW, "accept", DISPATCHER, 1, "a"), 10, Facts())
    facts, visits, walks = answers()[:3]  # the accept caught up: its state in the overlay
    assert [(f["title"], f["parties"], f["status"]) for f in facts] == [
        ("手术费用集体纠纷", 12, "accepted")
    ]
    assert visits != []
    assert "JS-2024-0137" in {k for w in walks for k in w["keys"]}
    # a write that names no dispute (as a load's): what is held is read again whole
    renamed = {"id": "JS-2024-0137", "title": "改"}
    examples_graph.write([("MATCH (d:Dispute {id: $id}) SET d.title = $title", renamed)])
    walks = answers()[2]
    assert "改" in {t for w in walks for t in w["titles"]}


def test_the_question_after_a_report_reads_nothing_of_the_new_dispute(
    examples_graph: EmbeddedBackend,
) -> None:
    """The first question after a report brings the cases and the list fields current from
    what the report's writer told of it (`dispute_fields.reported`): no read of the new
    dispute (the store's first read of new ties is what cost). What it told holds only while
    no later write touched what it names: after a later event the dispute's fields are read
    again by key; after a report whose new party is renamed, its ties and fields are read, in
    one read. Cypher's answers each time."""
    modelled = _Counted(examples_graph)
    assert read_model.attach(modelled) is not None
    day = date(2024, 7, 2)
    before = "JS-2024-0137"  # the questions' first reads (the structure, the rules) before
    assert _answers(modelled, day, before) == _answers(examples_graph, day, before)
    _report(examples_graph)
    modelled.texts.clear()
    found = referral(modelled, dispute_id=NEW, as_of=day)
    assert modelled.texts == []
    assert found == referral(examples_graph, dispute_id=NEW, as_of=day)
    assert _answers(modelled, day) == _answers(examples_graph, day)
    assert modelled.texts == []
    _act(examples_graph, Command(NEW, "accept", DISPATCHER, 1, "a"), 10, Facts())
    facts = run(modelled, "dispute_facts", dispute=NEW)
    assert modelled.texts == [dispute_fields._BY_KEY]
    assert facts == run(examples_graph, "dispute_facts", dispute=NEW)
    assert [f["status"] for f in facts] == ["accepted"]
    modelled.texts.clear()
    renamed = _reported(
        examples_graph, "r-9", GRID, "Person:JS-P-0003", new=("王小明",), category="medical"
    )
    (person,) = [p for p, _ in _parties(examples_graph, renamed) if p != "JS-P-0003"]
    examples_graph.upsert_nodes(SCHEMA.node("Person"), [{"id": person, "name": "周一"}], bulk=False)
    assert _answers(modelled, day, renamed) == _answers(examples_graph, day, renamed)
    assert modelled.texts[0] == cases._REPORTED
    assert dispute_fields._BY_KEY not in modelled.texts
    model = read_model.model_of(modelled)
    assert model is not None
    assert _whole(model.cases) == _whole(cases.Cases(examples_graph))
    assert ("Person", person, "周一") in [
        (model.cases.label(n), model.cases.key(n), model.cases.name(n))
        for n in range(model.cases.node_count)
    ]


def test_a_question_as_the_reports_version_appears_finds_it_told(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A question asked on another thread the moment a report's write has committed and its
    version has become visible, before the writer's `act` has returned: it finds what the
    report wrote told, and reads nothing of the new dispute (once told after the write, such
    a question read the new ties from the store, 41–172 ms on a busy city)."""
    modelled = _Counted(examples_graph)
    assert read_model.attach(modelled) is not None
    day = date(2024, 7, 2)
    before = "JS-2024-0137"  # the questions' first reads (the structure, the rules) before
    assert _answers(modelled, day, before) == _answers(examples_graph, day, before)
    modelled.texts.clear()
    asked: list[tuple[int, list[Row], list[str]]] = []
    real = EmbeddedBackend._changing

    @contextlib.contextmanager
    def changing(self: EmbeddedBackend, *args: Any) -> Iterator[None]:
        with real(self, *args):
            yield
        if args[1:2] == (("Dispute", frozenset({NEW})),):  # the report's, committed
            ask = threading.Thread(
                target=lambda: asked.append(
                    (self.version, referral(modelled, dispute_id=NEW, as_of=day), modelled.texts)
                )
            )
            ask.start()
            ask.join(30)

    monkeypatch.setattr(EmbeddedBackend, "_changing", changing)
    _report(examples_graph)
    monkeypatch.undo()
    assert asked == [
        (examples_graph.version, referral(examples_graph, dispute_id=NEW, as_of=day), [])
    ]
    assert asked[0][1] != []


def test_a_report_whose_write_fails_tells_nothing(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report refused by the store as it writes (the dispute's key taken by another
    report first, unseen by its decision) leaves what the first report told as it was, and
    the latest event's time kept for the next append's stamp; the question after it reads
    the dispute (a write about it since, failed or not: what was told no longer holds) and
    answers the first report's."""
    modelled = _Counted(examples_graph)
    assert read_model.attach(modelled) is not None
    day = date(2024, 7, 2)
    _report(examples_graph)
    told = dict(dispute_fields._reported[examples_graph])
    latest = events._LATEST._kept.get(examples_graph)  # the latest event's time, kept
    version = examples_graph.version

    class Unseen(_Beside):  # its reads under the lock miss the first report
        def write_locked(self, label: str, key: str, work: Any, committed: Any = None) -> Any:
            def read(query: str, params: Any) -> list[Row]:
                return [] if "LOGGED" in query else examples_graph.read(query, params)

            return examples_graph.write_locked(label, key, lambda _: work(read), committed)

    data = {
        "channel": "hotline",
        "title": "另一纠纷",
        "place": "330421001001-G01",
        "category": "medical",
        "parties": 1,
        "party_ids": ["Person:JS-P-0005"],
    }
    command = Command(NEW, "report", PARTY, 0, "r-2", (CENTER,), None, data)
    refused = EventStore(Unseen(examples_graph)).act(  # type: ignore[arg-type]
        command, Facts(), datetime(2024, 7, 2, 10, tzinfo=CHINA_TIME), RULES, china_calendar()
    )
    assert not isinstance(refused, Outcome)
    assert [e.code for e in refused.errors] == [Problem.STALE_VERSION], refused
    assert examples_graph.version == version + 2  # the failed write moved it on
    assert dispute_fields._reported[examples_graph] == told
    assert told[NEW].version == version
    assert latest is not None and latest[0] == version
    assert events._LATEST._kept.get(examples_graph) == latest
    modelled.texts.clear()
    found = referral(modelled, dispute_id=NEW, as_of=day)
    assert modelled.texts == [cases._REPORTED]  # a write about it since: read, not taken
    assert found == referral(examples_graph, dispute_id=NEW, as_of=day) != []


def test_what_a_report_tells_is_what_the_store_reads_of_it(
    examples_graph: EmbeddedBackend,
) -> None:
    """What a report's writer tells of it (`dispute_fields.reported`) is, whole, what the
    catch-up would read of the dispute (`cases._REPORTED`) and what the list fields read of
    it by key, with the version its write ended at: new parties and known ones, a person and
    an organisation, with and without a category and a list item, and a list item that is not
    in the store (no tie made to it; a party that is not is refused: test_flow_audit)."""
    keys = [
        _reported(
            examples_graph,
            "t-1",
            GRID,
            "Person:JS-P-0003",
            "Organisation:org-330421-hospital1",
            new=("王小明", "李四"),
            category="medical",
            item="li-330421-medical",
        ),
        _reported(examples_graph, "t-2", "330421001000-Z02", "Organisation:org-330421-property01"),
        _reported(examples_graph, "t-3", GRID, "Person:JS-P-0004", item="no-such-item"),
    ]
    told = dispute_fields._reported[examples_graph]
    for d in keys:
        report = told[d]
        rows = cases.reported_rows(report)
        assert rows is not None
        assert canonical(rows) == canonical(examples_graph.read(cases._REPORTED, {"dispute": d}))
        assert [report.fields] == examples_graph.read(dispute_fields._BY_KEY, {"keys": [d]})
        (written, *_) = examples_graph.writes_since(report.version - 1) or [None]
        assert written is not None and written.version == report.version
        assert written.about == ("Dispute", frozenset({d}))
    assert [sorted(t[0] for t in told[d].ties) for d in keys] == [
        [
            "CLASSIFIED_AS",
            "IN_DOMAIN",
            "OCCURRED_IN",
            "PARTY_TO",
            "PARTY_TO",
            "PARTY_TO",
            "PARTY_TO",
        ],
        ["OCCURRED_IN", "PARTY_TO"],
        ["OCCURRED_IN", "PARTY_TO"],
    ]
    version = examples_graph.version
    assert dispute_fields.reports_holding(examples_graph, keys, version) == {
        d: told[d] for d in keys
    }
    accepted = ("MATCH (d:Dispute {id: $id}) SET d.status = 'accepted'", {"id": keys[1]})
    examples_graph.write_locked("Dispute", keys[1], lambda read: ([accepted], 0))  # its event
    assert dispute_fields.reports_holding(examples_graph, keys, examples_graph.version) == {
        d: told[d] for d in (keys[0], keys[2])
    }
    assert dispute_fields.reports_holding(examples_graph, keys, version) == {
        d: told[d] for d in keys
    }


def _parties(graph: EmbeddedBackend, dispute: str) -> list[tuple[str, str]]:
    return [
        (r["p"], r["name"])
        for r in graph.read(
            "MATCH (p)-[:PARTY_TO]->(:Dispute {id: $d}) RETURN p.id AS p, p.name AS name",
            {"d": dispute},
        )
    ]


# -- reports added to the cases by key; anything else has them read again whole ---------------

GRID = "330421001001-G01"
CENTER_OF_TOWN = "Center:center-330421001"
REPORTER = ApiCaller(  # the town's dispatcher, who may report in each of its grids
    Role.MEDIATOR, "330421001", person="JS-P-0001", unit=CENTER_OF_TOWN, workflow_role="dispatcher"
)
PLACES = ["330421001001", "330421001000", "330421"]  # a village, its town, the county


def _reported(
    graph: EmbeddedBackend,
    key: str,
    place: str,
    *parties: str,
    new: tuple[str, ...] = (),
    category: str | None = None,
    item: str | None = None,
) -> str:
    """A dispute reported through the API's path (`api.acting.report`: new people first,
    then the report's transaction): its key."""
    acted = acting.report(
        graph, REPORTER, key, kind="dispute", title="邻里纠纷", place=place, channel="app",
        category=category, list_item=item, receiver=CENTER_OF_TOWN, parties=parties,
        new_parties=[acting.NewParty(name) for name in new],
        now=datetime(2024, 7, 2, 9, tzinfo=CHINA_TIME),
    )  # fmt: skip
    assert isinstance(acted.result, Outcome), acted.result
    return acted.dispute


def _whole(c: cases.Cases) -> dict[str, Any]:
    """The cases as values, whatever numbers their nodes and ties were given: the nodes
    (label, key, name), every tie (type, ends, properties), each node's ties, the filed ties
    of each dispute; only what these cases see (`node_count`, `tie_count`) of the storage
    they share with those brought current from them."""
    nodes = range(c.node_count)
    for n in nodes:
        assert c.node(c.label(n), c.key(n)) == n

    def tie(t: int) -> str:
        ends = [(c.label(x), c.key(x)) for x in (c.starts[t], c.ends[t])]
        return repr((c.type_of(t), *ends, c.props(t)))

    disputes = [c.key(n) for n in nodes if c.label(n) == "Dispute"]
    return {
        "nodes": sorted(repr((c.label(n), c.key(n), c.name(n))) for n in nodes),
        "numbered": sorted(  # every node found by key, of the storage shared
            repr((c.label(n), c.key(n)))
            for n in range(c._numbered())
            if c.node(c.label(n), c.key(n)) is not None
        ),
        "ties": sorted(map(tie, range(c.tie_count))),
        "ties of": {(c.label(n), c.key(n)): sorted(map(tie, c.ties_of(n))) for n in nodes},
        "filed": {
            t: {d: sorted(c.filed_of(t, d)) for d in disputes if c.filed_of(t, d)}
            for t in cases.FILED
        },
    }


def _within(graph: EmbeddedBackend, modelled: Any, code: str) -> list[str]:
    """The disputes in the grids inside `code` from the model, checked against Cypher's."""
    place = DivisionCode.parse(code)
    grids = sorted(grids_within(graph.read, place))
    cypher = graph.read(
        "MATCH (d:Dispute)-[:OCCURRED_IN]->(g:Grid) WHERE g.id IN $grids "
        "RETURN DISTINCT d.id AS k ORDER BY k",
        {"grids": grids},
    )
    found = read_model.disputes_within(modelled, place)
    assert found == [r["k"] for r in cypher], code
    return found


@pytest.mark.parametrize("later", [0, 100], ids=["indexed-again", "kept-beside"])
def test_reported_disputes_are_added_to_the_cases_never_read_again(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch, later: float
) -> None:
    # the new ties kept beside the index of the ties read whole, or all indexed again
    monkeypatch.setattr(cases, "LATER", later)
    modelled = _Beside(examples_graph)
    read = _cases_read(monkeypatch)
    assert read_model.attach(modelled) is not None
    before = {code: _within(examples_graph, modelled, code) for code in PLACES[:2]}
    new = [
        # a new party and a known one, a category and a list item
        _reported(
            examples_graph,
            "r-1",
            GRID,
            "Person:JS-P-0003",
            new=("王小明",),
            category="medical",
            item="li-330421-medical",
        ),
    ]
    assert _within(examples_graph, modelled, PLACES[0]) == sorted([*before[PLACES[0]], *new])
    new += [  # two at once: a micro-grid, parties known to other disputes; a town's grid
        _reported(
            examples_graph,
            "r-2",
            "330421001001-G01-W03",
            "Person:JS-P-0005",
            "Organisation:org-330421-property01",
            category="property",
        ),
        _reported(examples_graph, "r-3", "330421001000-Z02", new=("李四", "张三")),
    ]
    assert _within(examples_graph, modelled, PLACES[1]) == sorted([*before[PLACES[1]], *new])
    # a party of three of them now, another new person of the same name as the first
    new.append(
        _reported(
            examples_graph,
            "r-4",
            GRID,
            "Person:JS-P-0003",
            "Organisation:org-330421-hospital1",
            new=("王小明",),
        )
    )
    for code in PLACES:
        _within(examples_graph, modelled, code)
    assert len(read) == 1  # when the model was attached: never since
    model = read_model.model_of(modelled)
    assert model is not None
    kept = model.cases
    assert kept.version == examples_graph.version
    assert bool(kept.later) == bool(later)
    assert set(kept._occurred_in) == {DivisionCode.parse(code) for code in PLACES}
    afresh = cases.Cases(examples_graph)
    assert _whole(kept) == _whole(afresh)
    assert len(kept.parties(new[3])) == 3 and len(kept.parties(new[2])) == 2
    for code in PLACES:
        grids = read_model.grids_within(modelled, DivisionCode.parse(code))
        assert grids is not None
        assert kept.occurred_in(grids, None) == afresh.occurred_in(grids, None)
    rows = assert_parity(examples_graph, _disputes(examples_graph), model)
    assert all(rows.values()), rows
    assert assert_paths(examples_graph, _disputes(examples_graph), model) > 0


def _storage(c: cases.Cases) -> tuple[int, ...]:
    """How much the storage the cases share with those brought current from them holds."""
    return (c._numbered(), len(c._label_at), len(c._type_at), len(c.starts), len(c._props_at))


def test_cases_under_way_see_nothing_of_a_later_catch_up(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the new ties kept beside the index, so that a later report appends to the same arrays
    monkeypatch.setattr(cases, "LATER", 100)
    modelled = _Beside(examples_graph)
    read = _cases_read(monkeypatch)
    assert read_model.attach(modelled) is not None

    def held() -> cases.Cases:
        _within(examples_graph, modelled, PLACES[1])  # a question that catches them up
        model = read_model.model_of(modelled)
        assert model is not None and model.cases.version == examples_graph.version
        return model.cases

    town = read_model.grids_within(modelled, DivisionCode.parse(PLACES[1]))
    assert town is not None
    first = held()
    # a party of JS-2024-0137 (whose ties the next two reports add to), a new person
    one = _reported(examples_graph, "r-1", GRID, "Person:JS-P-0003", new=("王小明",))
    second = held()
    seen = {
        c: (_whole(c), c.occurred_in(town, None), c.node_count, c.tie_count)
        for c in (first, second)
    }
    two = _reported(
        examples_graph, "r-2", GRID, "Person:JS-P-0003", "Organisation:org-330421-hospital1",
        new=("李四",), category="medical", item="li-330421-medical",
    )  # fmt: skip
    third = held()
    assert len(read) == 1  # when attached: each report added, into the same storage
    assert third._added_keys is first._added_keys and third._type_at is first._type_at
    assert third.later is second.later and second.later
    counts = [(c.node_count, c.tie_count) for c in (first, second, third)]
    assert counts[0] < counts[1] < counts[2] == _storage(third)[::2][:2]  # nodes, ties
    for c, was in seen.items():
        assert (_whole(c), c.occurred_in(town, None), c.node_count, c.tie_count) == was
    assert _whole(third) == _whole(cases.Cases(examples_graph))
    party = first.node("Person", "JS-P-0003")
    assert party is not None
    assert len(third.ties_of(party)) == len(second.ties_of(party)) + 1
    assert len(second.ties_of(party)) == len(first.ties_of(party)) + 1
    assert first.parties(one) == [] and second.parties(two) == []
    assert [first.filed_of("OCCURRED_IN", one), second.filed_of("IN_DOMAIN", two)] == [(), ()]
    assert third.filed_of("OCCURRED_IN", two) == (GRID,)
    assert sorted(third.key(p) for p, _ in third.parties(two)) == sorted(
        r["p"]
        for r in examples_graph.read(
            "MATCH (p)-[:PARTY_TO]->(:Dispute {id: $d}) RETURN p.id AS p", {"d": two}
        )
    )
    assert sorted([*first.occurred_in(town, None), one, two]) == third.occurred_in(town, None)


def test_a_catch_up_whose_read_fails_leaves_the_cases_as_they_were(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    modelled = _Beside(examples_graph)
    read = _cases_read(monkeypatch)
    assert read_model.attach(modelled) is not None
    model = read_model.model_of(modelled)
    assert model is not None
    kept = model.cases
    before, storage = _whole(kept), _storage(kept)
    reported = [
        _reported(
            examples_graph, "r-1", GRID, "Person:JS-P-0003", new=("王小明",), category="medical"
        ),
        _reported(examples_graph, "r-2", GRID, "Person:JS-P-0005", category="medical"),
    ]
    reads: list[Any] = []

    def failing(text: str, params: Any = None) -> list[Row]:
        reads.append((text, params))
        if params == {"dispute": max(reported)}:
            raise BackendUnavailable("the graph went away")  # the last read of a catch-up
        return examples_graph.read(text, params)

    monkeypatch.setattr(modelled, "read", failing, raising=False)
    monkeypatch.setattr(dispute_fields, "_reported", type(dispute_fields._reported)())  # read
    with pytest.raises(BackendUnavailable):
        read_model.disputes_within(modelled, DivisionCode.parse(PLACES[0]))
    # one read per dispute: the first one's rows read, none appended
    assert reads == [(cases._REPORTED, {"dispute": d}) for d in sorted(reported)]
    assert read_model.model_of(modelled) is model and model.cases is kept
    assert (_whole(kept), _storage(kept)) == (before, storage)
    monkeypatch.setattr(modelled, "read", examples_graph.read)
    _within(examples_graph, modelled, PLACES[0])  # caught up now, by key
    assert len(read) == 1
    caught_up = read_model.model_of(modelled)
    assert caught_up is not None and caught_up.cases._added_keys is kept._added_keys
    assert _whole(caught_up.cases) == _whole(cases.Cases(examples_graph))
    assert _whole(kept) == before


def test_any_other_write_of_what_the_cases_hold_has_them_read_again_whole(
    examples_graph: EmbeddedBackend, example_files: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    modelled = _Beside(examples_graph)
    read = _cases_read(monkeypatch)
    assert read_model.attach(modelled) is not None
    person = SCHEMA.node("Person")
    day = date(2024, 7, 2)

    def asked(builds: int) -> None:
        """A question that reads the cases, as Cypher answers it, after `builds` reads of
        them whole; the cases then the same whole as read afresh."""
        for dispute in ("JS-2024-0137", "JS-2024-0158"):
            params = {"dispute": dispute, "as_of": day, "related_kinds": ["family", "neighbour"]}
            for name, p in (
                ("dispute_parties", {"dispute": dispute}),
                ("expert_conflicts", params),
            ):
                assert canonical(run(modelled, name, **p)) == canonical(
                    run(examples_graph, name, **p)
                )
        _within(examples_graph, modelled, "330421")
        assert len(read) == builds
        model = read_model.model_of(modelled)
        assert model is not None and model.cases.version == examples_graph.version
        assert _whole(model.cases) == _whole(cases.Cases(examples_graph))
        read.clear()

    _reported(examples_graph, "r-1", GRID, "Person:JS-P-0003", new=("王小明",))
    asked(1)  # attached; the report added
    examples_graph.upsert_nodes(person, [{"id": "JS-P-9001", "name": "周一"}], bulk=False)
    asked(0)  # a person the cases do not hold
    examples_graph.write(  # a tie between people
        [
            (
                "MATCH (a:Person {id: $a}), (b:Person {id: $b}) CREATE (a)-[:RELATED_TO "
                "{rid: $rid, kind: $kind, source: $source}]->(b)",
                {"a": "JS-P-0003", "b": "JS-P-9001", "rid": "t-1", "kind": "family", "source": "t"},
            )
        ]
    )
    asked(1)
    examples_graph.upsert_nodes(person, [{"id": "JS-P-0003", "name": "陈丽"}], bulk=False)
    asked(1)  # a person the cases hold, renamed
    assert load(examples_graph, example_files).rejects == []
    asked(2)  # a load: the cases alone, then with the structure, which it changed too
    _reported(examples_graph, "r-2", GRID, "Person:JS-P-9001")
    asked(0)


def test_a_reports_new_parties_leave_the_structure_as_it_was(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report's new parties are people the structure does not hold (it holds those at the
    start of its ties): it is not read again for them (a city's takes seconds, every report),
    and the answers stay Cypher's; a person it holds, renamed, has it read again."""
    built = _cases_read(monkeypatch, read_model.ReadModel)
    modelled = _Beside(examples_graph)
    assert read_model.attach(modelled) is not None
    day = date(2024, 7, 2)
    known = _reported(examples_graph, "r-1", GRID, "Person:JS-P-0003", category="medical")
    assert _answers(modelled, day, known) == _answers(examples_graph, day, known)
    new = _reported(
        examples_graph, "r-2", GRID, "Person:JS-P-0005", new=("王小明", "李四"), category="medical"
    )
    assert _answers(modelled, day, new) == _answers(examples_graph, day, new)
    model = read_model.model_of(modelled)
    assert model is not None and model.version == examples_graph.version
    assert len(built) == 1  # when attached: never since
    serving = examples_graph.read(
        "MATCH (p:Person)-[:SERVES_IN]->(:Grid {id: $g}) RETURN p.id AS id ORDER BY id LIMIT 1",
        {"g": GRID},
    )[0]["id"]
    renamed = [{"id": serving, "name": "周一"}]
    examples_graph.upsert_nodes(SCHEMA.node("Person"), renamed, bulk=False)
    assert _answers(modelled, day, new) == _answers(examples_graph, day, new)
    assert len(built) == 2


def test_the_handled_disputes_state_is_read_again_only_after_a_write_of_one(
    examples_graph: EmbeddedBackend,
) -> None:
    """expert_load holds the state of the disputes the pools' experts handled: a report (a
    write about a dispute none of them) leaves it, with no read; a write of one of them, or
    a write that names no dispute, has it read again by key. Cypher's rows each time."""
    modelled = _Counted(examples_graph)
    assert read_model.attach(modelled) is not None
    domains = {"domains": ["medical"]}

    def load(reads: int) -> list[Row]:
        modelled.texts.clear()
        found = run(modelled, "expert_load", **domains)
        assert found == run(examples_graph, "expert_load", **domains)
        assert len([t for t in modelled.texts if "satisfaction" in t]) == reads
        return found

    assert [r["dispute"] for r in load(1)] == ["JS-2024-0137"]  # the first question reads
    load(0)
    _reported(examples_graph, "r-1", GRID, "Person:JS-P-0003", new=("王小明",), category="medical")
    load(0)
    examples_graph.upsert_nodes(
        SCHEMA.node("Dispute"), [{"id": "JS-2024-0137", "satisfaction": 1}], bulk=False
    )
    assert [r["satisfaction"] for r in load(1)] == [1]
    load(0)
    examples_graph.write(
        [("MATCH (d:Dispute {id: $id}) SET d.satisfaction = 3", {"id": "JS-2024-0158"})]
    )
    assert [r["satisfaction"] for r in load(1)] == [1]


@pytest.mark.slow
def test_the_cases_answer_as_cypher_on_the_demo_graph(demo_graph: EmbeddedBackend) -> None:
    disputes = _disputes(demo_graph)
    picked = [r for r in disputes if r["k"].endswith("D900001")] + disputes[::250]
    rows = assert_parity(demo_graph, picked)
    # no expert of the demo has handled a dispute (the examples' has: compared above)
    assert rows.pop("expert_load") == 0
    assert all(rows.values()), rows


def test_the_cases_of_a_graph_without_disputes_or_ties_are_empty(tmp_path: Path) -> None:
    """A label whose ends are read from no row at all (an empty table) numbers nothing."""
    backend = EmbeddedBackend(tmp_path / "empty.lbdb")
    try:
        backend.init_schema()
        held = cases.Cases(backend)
        assert (held.node_count, held.tie_count, held._numbered(), len(held._label_at)) == (0,) * 4
        assert held.node("Dispute", "D1") is None
    finally:
        backend.close()


def test_a_key_not_held_is_found_nowhere_by_bisection(examples_graph: EmbeddedBackend) -> None:
    """The nodes read are found by bisection in their label's keys, in order: a key before
    the first, between two, past the last, or another label's, is not found; every key held
    is (each sampled one and each between)."""
    c = cases.Cases(examples_graph)
    found, missed = [], []
    for label, (first, end, _) in c._spans.items():
        keys = [c.key(n) for n in range(first, end)]
        assert keys == sorted(keys), label
        found += [c.node(label, k) == n for n, k in enumerate(keys, first)]
        between = [k + "\0" for k in keys]  # after each key, before the next
        missed += [c.node(label, k) for k in ("", *between, "~")]
        for other in set(c._spans) - {label}:  # another label's never gives one of these
            numbers = [c.node(other, k) for k in keys]
            assert not [n for n in numbers if n is not None and first <= n < end], other
    assert all(found) and len(found) == c.node_count
    assert set(missed) == {None}


def test_a_key_found_again_is_its_kept_number(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key's number found by bisection is kept (`Cases._found`): found again with none,
    for its own label only; past FOUND keys those kept are let go, the numbers the same."""
    c = cases.Cases(examples_graph)
    every = [
        (label, c.key(n), n)
        for label, (first, end, _) in c._spans.items()
        for n in range(first, end)
    ]
    bisected: list[str] = []
    bisect = cases.place_in_text

    def counted(*args: Any) -> int | None:
        bisected.append(args[3])
        return bisect(*args)

    monkeypatch.setattr(cases, "place_in_text", counted)
    for _ in range(2):
        assert [c.node(label, k) for label, k, _ in every] == [n for _, _, n in every]
    assert bisected == [k for _, k, _ in every]  # the first time only
    for label, k, n in every:  # another label's never gives it
        assert all(c.node(other, k) != n for other in set(c._spans) - {label})
    monkeypatch.setattr(cases, "FOUND", 3)
    c._found.clear()
    bisected.clear()
    assert [c.node(label, k) for label, k, _ in every] == [n for _, _, n in every]
    assert len(c._found) <= 3 and len(bisected) == len(every)


_HOMES = (
    "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) WHERE p.id IN $people RETURN p.id AS id, u.code AS code"
)


def test_the_models_cases_take_the_people_on_posts_from_the_structures_read(
    examples_graph: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model's cases number the people on posts from what the structure's read gave of
    them (their keys, names and mobiles), reading no tie of POSTS again: the same cases,
    every person's name, mobile and home the same (found by their place in the store), as
    cases read alone, which read them; at the version the structure was read at."""
    posts = [text for type_, *_, text in cases._texts(arrow=True) if type_ in cases.POSTS]
    assert len(posts) == 6  # SERVES_IN, HOLDS_POST's three, LEADS, MEDIATES_IN
    read: list[str] = []
    table = EmbeddedBackend._table

    def reading(self: EmbeddedBackend, conn: Any, query: str) -> Any:
        read.append(query)
        return table(self, conn, query)

    monkeypatch.setattr(EmbeddedBackend, "_table", reading)
    model = read_model.ReadModel(examples_graph)
    assert not set(posts) & set(read)
    alone = cases.Cases(examples_graph)
    assert set(posts) <= set(read)
    assert model.cases.version == model.version == alone.version
    assert _whole(model.cases) == _whole(alone)
    people = [alone.key(n) for n in range(alone.node_count) if alone.label(n) == "Person"]
    assert [model.cases.person(p) for p in people] == [alone.person(p) for p in people]
    homes = {r["id"]: (r["code"],) for r in examples_graph.read(_HOMES, {"people": people})}
    assert {p: model.cases.homes(p) for p in people} == {p: homes.get(p, ()) for p in people}
    assert {p: alone.homes(p) for p in people} == {p: homes.get(p, ()) for p in people}
    serving = examples_graph.read("MATCH (a:Person)-[:SERVES_IN]->(:Grid) RETURN a.id AS id")
    held = {row["id"]: model.cases.person(row["id"]) for row in serving}
    assert held and None not in held.values()


def test_a_dispute_or_person_with_several_filed_ties_holds_them_all(
    examples_graph: EmbeddedBackend,
) -> None:
    """A dispute OCCURRED_IN two grids and a person LIVING_IN two units, read whole, hold
    both (as a tuple), where the others hold their one, as the store has them."""
    grids = [r["id"] for r in examples_graph.read("MATCH (g:Grid) RETURN g.id AS id ORDER BY id")]
    units = [r["c"] for r in examples_graph.read("MATCH (u:Unit) RETURN u.code AS c ORDER BY c")]
    filed = examples_graph.read(
        "MATCH (x:Dispute)-[:OCCURRED_IN]->(g:Grid) RETURN x.id AS d, g.id AS g ORDER BY d"
    )
    homed = examples_graph.read(
        "MATCH (x:Person)-[:PARTY_TO]->(:Dispute) MATCH (x)-[:LIVES_IN]->(u:Unit) "
        "RETURN DISTINCT x.id AS p, u.code AS u ORDER BY p"
    )
    dispute, person = filed[0]["d"], homed[0]["p"]
    grid = next(g for g in grids if g != filed[0]["g"])
    unit = next(u for u in units if u != homed[0]["u"])
    examples_graph.write(
        [
            (
                "MATCH (d:Dispute {id: $d}), (g:Grid {id: $g}) CREATE (d)-[:OCCURRED_IN]->(g)",
                {"d": dispute, "g": grid},
            ),
            (
                "MATCH (p:Person {id: $p}), (u:Unit {code: $u}) CREATE (p)-[:LIVES_IN]->(u)",
                {"p": person, "u": unit},
            ),
        ]
    )
    c = cases.Cases(examples_graph)
    assert sorted(c.filed_of("OCCURRED_IN", dispute)) == sorted([filed[0]["g"], grid])
    assert sorted(c.homes(person) or ()) == sorted([homed[0]["u"], unit])
    others = {r["d"]: (r["g"],) for r in filed[1:] if r["d"] != dispute}
    assert {d: c.filed_of("OCCURRED_IN", d) for d in others} == others
    homes = {r["p"]: (r["u"],) for r in homed if r["p"] != person}
    assert {p: c.homes(p) for p in homes} == homes
