"""A dispute's parties shown without a read: the read model's cases hold the name and the
mobile of every person they number (`Cases.person`), so a page of disputes with its people's
`name mobile` reads no person by key (`Loaders._people`), masked for each caller as the
store's answer is. A property the cases do not hold (`gender`), a person written since they
were read, or a report's new party, is read."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from api import acting
from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.cypher import nodes_by_key
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from queries import read_model
from queries.calendar import CHINA_TIME
from queries.cases import Cases
from tests.api.logged import Logged
from workflow.store import Outcome

SCHEMA = build_schema(Settings(_env_file=None))
PEOPLE_BY_KEY = nodes_by_key("Person")
CALLERS = {
    "viewer": ANONYMOUS,
    "admin": Caller(Role.ADMIN),
    "village": Caller(Role.MEDIATOR, "330421001001"),  # 日晖社区
    "county": Caller(Role.MEDIATOR, "330421"),
}
PARTIES = """{ disputes(within: "330421", orderBy: ID, first: 100) { items { id
    participants { side party { __typename ... on Person { id name mobile }
                                ... on Organisation { id name } } } } } }"""
GENDERS = """{ disputes(within: "330421", orderBy: ID, first: 50) { items { id
    participants { party { __typename ... on Person { id name gender } } } } } }"""
REPORTER = Caller(
    Role.MEDIATOR,
    "330421001",
    person="JS-P-0001",
    unit="Center:center-330421001",
    workflow_role="dispatcher",
)


def _run(backend: Any, query: str, caller: Caller) -> Any:
    result = asyncio.run(SCHEMA.execute(query, context_value=Context(backend, caller)))
    assert result.errors is None, result.errors
    return result.data


def _people(data: Any) -> list[dict[str, Any]]:
    return [
        p["party"]
        for d in data["disputes"]["items"]
        for p in d["participants"]
        if p["party"] and p["party"]["__typename"] == "Person"
    ]


def test_the_cases_hold_every_numbered_persons_name_and_mobile_as_stored(
    examples_graph: EmbeddedBackend,
) -> None:
    # mobiles a number cannot hold as they are: a leading zero, a dash, empty, too long, none
    odd = {
        "JS-P-0001": "05738812345",
        "JS-P-0002": "138-5732-1846",
        "JS-P-0003": "",
        "JS-P-0004": "1" * 19,
        "JS-P-0005": None,
    }
    examples_graph.write(
        [
            ("MATCH (p:Person {id: $id}) SET p.mobile = $m", {"id": k, "m": m})
            for k, m in odd.items()
        ]
    )
    stored = {
        r["id"]: (r["name"], r["mobile"])
        for r in examples_graph.read("MATCH (p:Person) RETURN p.id AS id, p.name AS name, "
                                     "p.mobile AS mobile")
    }  # fmt: skip
    cases = Cases(examples_graph)
    held = {k: cases.person(k) for k in stored}
    numbered = {k for k in stored if cases.node("Person", k) is not None}
    assert {k for k, found in held.items() if found is not None} == numbered
    assert numbered == set(stored)  # the examples' five people: a party, the others tied
    assert {k: held[k] for k in numbered} == {k: stored[k] for k in numbered}
    assert [held[k] for k in odd] == [(stored[k][0], m) for k, m in odd.items()]
    assert cases.person("no-such-person") is None
    assert cases.person("JS-2024-0137") is None  # a dispute's key, not a person's


@pytest.fixture(scope="module")
def modelled(demo_graph: Any) -> Logged:
    graph = Logged(demo_graph)
    assert read_model.attach(graph) is not None
    return graph


@pytest.mark.slow
@pytest.mark.parametrize("who", CALLERS)
def test_a_page_of_disputes_people_reads_none_and_answers_as_the_store(demo_graph, modelled, who):
    caller = CALLERS[who]
    expected = _run(demo_graph, PARTIES, caller)
    modelled.reads.clear()
    found = _run(modelled, PARTIES, caller)
    assert found == expected
    people = _people(found)
    assert len(people) >= 50 and all(p["mobile"] for p in people)
    shown = {"*" not in p["mobile"] for p in people}
    assert shown == {"viewer": {False}, "village": {True, False}}.get(who, {True})
    assert PEOPLE_BY_KEY not in modelled.reads
    # a property the cases do not hold: the people read by key
    modelled.reads.clear()
    assert _run(modelled, GENDERS, caller) == _run(demo_graph, GENDERS, caller)
    assert PEOPLE_BY_KEY in modelled.reads


def test_a_mobile_written_since_is_the_stores(examples_graph):
    modelled = Logged(examples_graph)
    assert read_model.attach(modelled) is not None
    admin = CALLERS["admin"]
    assert _mobiles(_run(modelled, PARTIES, admin)) == {"JS-P-0005": {"13705736218"}}
    examples_graph.write([("MATCH (p:Person {id: 'JS-P-0005'}) SET p.mobile = '13900000000'", {})])
    after = _run(modelled, PARTIES, admin)
    assert after == _run(examples_graph, PARTIES, admin)
    assert _mobiles(after) == {"JS-P-0005": {"13900000000"}}


def test_a_reports_new_party_is_read(examples_graph):
    """The cases brought current by the report number its new party, whose mobile they did
    not read with the others: read by key, the others not."""
    modelled = Logged(examples_graph)
    assert read_model.attach(modelled) is not None
    admin = CALLERS["admin"]
    _run(modelled, PARTIES, admin)
    acted = acting.report(
        examples_graph, REPORTER, "k-1", kind="dispute", title="邻里纠纷",
        place="330421001001-G01", channel="app", category="medical",
        receiver="Center:center-330421001", parties=["Person:JS-P-0004"],
        new_parties=[acting.NewParty("王小明", mobile="13812345678")],
        now=datetime(2024, 7, 2, 9, tzinfo=CHINA_TIME),
    )  # fmt: skip
    assert isinstance(acted.result, Outcome), acted.result
    reported = _run(modelled, PARTIES, admin)
    assert reported == _run(examples_graph, PARTIES, admin)
    (new,) = [d for d in reported["disputes"]["items"] if d["id"] == acted.dispute]
    people = _people({"disputes": {"items": [new]}})
    assert [(p["name"], p["mobile"]) for p in people] == [("钱国良", "13967301475"),
                                                         ("王小明", "13812345678")]  # fmt: skip
    assert modelled.keys_read(PEOPLE_BY_KEY) == [[p["id"] for p in people if p["name"] == "王小明"]]


def _mobiles(data: Any) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for p in _people(data):
        found.setdefault(p["id"], set()).add(p["mobile"])
    return found
