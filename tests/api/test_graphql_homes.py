"""A mediator's people judged without a read (`Context._inside_held`): a person lies in the
jurisdiction when a home of theirs (the cases' LIVES_IN of the people they number:
`Cases.homes`) or a post of theirs (the structure's SERVES_IN, on a grid inside the scope)
is inside it, the rule's two ties. The same answers, masked alike, as the store's walk
(`api.privacy.inside_query`) for every party of a town's disputes and every member of its
grids' teams, for mediators of several scopes; none of that walk read for the people the
cases or the posts judge; and after a report (its new parties read) and a change of a
party's home (the cases read again), the answers the store gives.

And a town's residents' homes kept with their keys (`Context.placed_keys`, the unit each
LIVES_IN): a page of `people(within:)` answers `home` from them, with no read, as the read
of the page's homes does, for every role; and after a write of a home or a person, ending
before a request or during the read of the keys, the answers the store gives."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from api import acting
from api.auth import ANONYMOUS, Caller, Role
from api.graphql import lists
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.privacy import inside, inside_query
from api.settings import Settings
from graph.places import DivisionCode
from loaders.load import load
from queries import read_model
from queries.calendar import CHINA_TIME
from tests.api.logged import Logged
from workflow.store import Outcome

SCHEMA = build_schema(Settings(_env_file=None))
WALK = inside_query("Person")
SCOPES = ["330421", "330421002", "330421002001", "331127"]  # a county, a town, a village
DISPUTES = """query ($w: String!) { disputes(within: $w, orderBy: ID, first: 100) { items {
    id participants { side party { __typename ... on Person { id name mobile } } } } } }"""


def _run(backend: Any, query: str, caller: Caller, **variables: Any) -> Any:
    context = Context(backend, caller)
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=context))
    assert result.errors is None, result.errors
    return result.data


@pytest.fixture(scope="module")
def modelled(demo_graph: Any) -> Logged:
    graph = Logged(demo_graph)
    assert read_model.attach(graph) is not None
    return graph


@pytest.mark.slow
@pytest.mark.parametrize("scope", SCOPES)
def test_people_judged_from_homes_and_posts_are_the_walks(demo_graph, modelled, scope):
    """Every party of a town's disputes and every member of its grids' teams: the model
    judges each, as the store's walk does."""
    parties = [
        r["p"]
        for r in demo_graph.read(
            "MATCH (p:Person)-[:PARTY_TO]->(d:Dispute)-[:OCCURRED_IN]->(g:Grid) "
            "WHERE g.id STARTS WITH '330421-' AND d.id < '330421-D000400' RETURN DISTINCT p.id AS p"
        )
    ]
    members = [
        r["p"]
        for r in demo_graph.read(
            "MATCH (p:Person)-[:SERVES_IN]->(g:Grid) WHERE g.id < '330421-G0400' "
            "RETURN DISTINCT p.id AS p"
        )
    ]
    assert len(parties) > 500 and len(members) > 500
    keys = sorted({*parties, *members})
    code = DivisionCode.parse(scope)
    judged = Context(modelled, Caller(Role.MEDIATOR, scope))._inside_held("Person", code, keys)
    rows: dict[str, list[Any]] = {k: [] for k in keys}
    for row in demo_graph.read(WALK, {"keys": keys}):
        rows[row["key"]].append(row)
    walked = [inside(rows[k], code) for k in keys]
    assert [j for j in judged if j is not None] == [
        w for j, w in zip(judged, walked, strict=True) if j is not None
    ]
    assert None not in judged  # the parties' homes and the teams' are the cases'
    assert set(judged) == ({False} if scope == "331127" else {True, False})


@pytest.mark.slow
@pytest.mark.parametrize("scope", SCOPES)
def test_a_mediators_disputes_parties_without_the_walk(demo_graph, modelled, scope):
    """A town's first 100 disputes with their people: the same answer, masked alike, as
    without the model (every person walked), with none walked."""
    caller = Caller(Role.MEDIATOR, scope)
    expected = _run(Logged(demo_graph), DISPUTES, caller, w="330421002")
    modelled.reads.clear()
    found = _run(modelled, DISPUTES, caller, w="330421002")
    assert found == expected
    people = [
        p["party"] for d in found["disputes"]["items"] for p in d["participants"]
        if p["party"]["__typename"] == "Person"
    ]  # fmt: skip
    assert len(people) > 200
    shown = {p["mobile"] is not None and "*" not in p["mobile"] for p in people}
    # the county's and the town's mediators see them all (they live in the town), another
    # county's none, a village's those who live (or serve) in it
    assert shown == {"330421002001": {True, False}, "331127": {False}}.get(scope, {True})
    assert WALK not in modelled.reads


# -- after writes: a report's new parties, a party's home moved ---------------------------------

GRID = "330421001001-G01"
VILLAGE = Caller(Role.MEDIATOR, "330421001001")  # 日晖社区's mediator
REPORTER = Caller(
    Role.MEDIATOR,
    "330421001",
    person="JS-P-0001",
    unit="Center:center-330421001",
    workflow_role="dispatcher",
)
PEOPLE = """{ disputes(within: "330421001001", orderBy: ID, first: 20) { items { id
    participants { party { ... on Person { id name mobile } } } } } }"""


def _shown(backend: Any) -> dict[str, list[tuple[str, str]]]:
    items = _run(backend, PEOPLE, VILLAGE)["disputes"]["items"]
    return {
        d["id"]: sorted(
            (p["party"]["id"], p["party"]["name"]) for p in d["participants"] if p["party"]
        )
        for d in items
    }


def _lives_in(folder: Path, person: str, unit: str) -> list[Path]:
    folder.mkdir()
    path = folder / "moved.lives_in.csv"
    path.write_text(f"from,to,from_type,to_type\n{person},{unit},Person,Unit\n", encoding="utf-8")
    return [path]


def test_after_a_report_and_a_home_moved_the_answers_are_the_stores(examples_graph, tmp_path):
    modelled = Logged(examples_graph)
    assert read_model.attach(modelled) is not None
    assert _shown(modelled) == _shown(examples_graph)
    assert modelled.keys_read(WALK) == []
    # a report whose parties are 0004 (on a post at the county's center, living in the
    # town: not the village's), 0005 and a new party: the new party, numbered by the report
    # (no home read), is walked
    acted = acting.report(
        examples_graph, REPORTER, "k-1", kind="dispute", title="邻里纠纷", place=GRID,
        channel="app", category="medical", receiver="Center:center-330421001",
        parties=["Person:JS-P-0004", "Person:JS-P-0005"], new_parties=[acting.NewParty("王小明")],
        now=datetime(2024, 7, 2, 9, tzinfo=CHINA_TIME),
    )  # fmt: skip
    assert isinstance(acted.result, Outcome), acted.result
    after = _shown(modelled)
    assert after == _shown(examples_graph)
    new = after[acted.dispute]
    assert [name for _, name in new] == ["钱某", "陆美琴", "王某"]
    (newcomer,) = [p for p, _ in new if not p.startswith("JS-")]
    assert modelled.keys_read(WALK) == [[newcomer]]  # 0004 and 0005 judged by the homes held
    # 0005 moves to the town: the cases are read again, 0005 masked for the village's
    # mediator everywhere (0003, who serves on the village's grid, is still shown)
    examples_graph.write([("MATCH (:Person {id: 'JS-P-0005'})-[r:LIVES_IN]->(:Unit) DELETE r", {})])
    assert (
        load(examples_graph, _lives_in(tmp_path / "a", "JS-P-0005", "330421001000")).rejects == []
    )
    modelled.clear()
    moved = _shown(modelled)
    assert moved == _shown(examples_graph)
    assert {name for d in moved.values() for p, name in d if p == "JS-P-0005"} == {"陆某"}
    assert modelled.keys_read(WALK) == []  # read again whole: the report's parties numbered, homed
    # a second home, in the village: shown again
    assert (
        load(examples_graph, _lives_in(tmp_path / "b", "JS-P-0005", "330421001001")).rejects == []
    )
    again = _shown(modelled)
    assert again == _shown(examples_graph)
    assert {name for d in again.values() for p, name in d if p == "JS-P-0005"} == {"陆美琴"}
    assert modelled.keys_read(WALK) == []


# -- a town's residents' homes kept with their keys -------------------------------------------

RESIDENTS = """query ($w: String!, $after: String) { people(within: $w, first: 100, after: $after) {
    totalCount pageInfo { endCursor } items { id name mobile home { code name } } } }"""
CALLERS = [ANONYMOUS, Caller(Role.ADMIN), *(Caller(Role.MEDIATOR, s) for s in SCOPES)]


def _homes_read(reads: list[str]) -> list[str]:
    """The reads of people's homes but the read of the residents' keys (which collects) and
    the walk that judges a mediator's jurisdiction."""
    return [q for q in reads if "LIVES_IN" in q and "collect(" not in q and q != WALK]


def _least_homes(graph: Any, people: list[str]) -> dict[str, str]:
    """The least code of the units each of `people` LIVES_IN, by Cypher."""
    rows = graph.read(
        "UNWIND $keys AS k MATCH (p:Person {id: k})-[:LIVES_IN]->(u:Unit) "
        "RETURN k AS key, min(u.code) AS code",
        {"keys": people},
    )
    return {r["key"]: r["code"] for r in rows}


@pytest.mark.slow
@pytest.mark.parametrize("code", ["330421002", "330421002012"])  # a town, a village of it
def test_residents_homes_kept_with_their_keys_are_the_reads(demo_graph, modelled, monkeypatch,
                                                            code):  # fmt: skip
    """Two pages of a town's residents with their homes, for every role: the same answer as
    the read of the page's homes, with no home read; the homes the least code each person
    LIVES_IN."""
    for caller in CALLERS:
        after = None
        for _ in range(2):
            with monkeypatch.context() as m:
                m.setattr(lists, "_homes_ahead", lambda *_: False)
                modelled.clear()
                expected = _run(modelled, RESIDENTS, caller, w=code, after=after)["people"]
                assert _homes_read(modelled.reads)  # the comparison is the read's
            modelled.clear()
            found = _run(modelled, RESIDENTS, caller, w=code, after=after)["people"]
            assert found == expected
            assert _homes_read(modelled.reads) == []
            people = [p["id"] for p in found["items"]]
            assert len(people) == 100 and found["totalCount"] > 300
            least = _least_homes(demo_graph, people)
            assert [p["home"]["code"] for p in found["items"]] == [least[k] for k in people]
            after = found["pageInfo"]["endCursor"]


def test_residents_homes_after_writes_are_the_stores(examples_graph, tmp_path):
    """魏塘街道's five residents with their homes, answered from the kept keys, after: a
    home moved inside the town; a second home outside it, of a lesser code; a resident
    renamed; a resident moved out; a home moved while the keys are read. Each time the
    answer the store gives (by Cypher, and through the read of the homes), with no home
    read."""
    town = "330421001"
    mediator = Caller(Role.MEDIATOR, "330421001001")
    during: list[Any] = []

    class Writing(Logged):
        """Runs the writes in `during` once, just after the residents' keys are read."""

        def read(self, query: str, params: Any = None) -> Any:
            rows = super().read(query, params)
            if "collect(" in query:
                while during:
                    during.pop(0)()
            return rows

    modelled = Writing(examples_graph)
    assert read_model.attach(modelled) is not None

    def check(homes: dict[str, str]) -> None:
        for caller in (Caller(Role.ADMIN), mediator):
            modelled.clear()
            found = _run(modelled, RESIDENTS, caller, w=town)["people"]
            assert _homes_read(modelled.reads) == []
            assert found == _run(examples_graph, RESIDENTS, caller, w=town)["people"]
            assert {p["id"]: p["home"]["code"] for p in found["items"]} == homes

    def move(person: str, unit: str, folder: str) -> None:
        examples_graph.write(
            [("MATCH (:Person {id: $p})-[r:LIVES_IN]->(:Unit) DELETE r", {"p": person})]
        )
        assert load(examples_graph, _lives_in(tmp_path / folder, person, unit)).rejects == []

    village = "330421001001"
    homes = {f"JS-P-000{i}": village for i in (1, 2, 3, 5)} | {"JS-P-0004": "330421001000"}
    check(homes)
    move("JS-P-0001", "330421001000", "a")  # to the town's own unit
    check(homes | {"JS-P-0001": "330421001000"})
    # a second home, in the county: outside the town, its code the least
    second = _lives_in(tmp_path / "b", "JS-P-0002", "330421000000")
    assert load(examples_graph, second).rejects == []
    check(homes | {"JS-P-0001": "330421001000", "JS-P-0002": "330421000000"})
    examples_graph.write([("MATCH (p:Person {id: 'JS-P-0003'}) SET p.name = '沈建国'", {})])
    check(homes | {"JS-P-0001": "330421001000", "JS-P-0002": "330421000000"})
    renamed = _run(modelled, RESIDENTS, Caller(Role.ADMIN), w=town)["people"]["items"][2]
    assert (renamed["id"], renamed["name"]) == ("JS-P-0003", "沈建国")
    move("JS-P-0005", "330421000000", "c")  # out of the town
    del homes["JS-P-0005"]
    check(homes | {"JS-P-0001": "330421001000", "JS-P-0002": "330421000000"})
    # moved back while the keys are read again (after a write of a person): answered as
    # read, then read again
    examples_graph.write([("MATCH (p:Person {id: 'JS-P-0003'}) SET p.name = '沈建华'", {})])
    during.append(lambda: move("JS-P-0001", village, "d"))
    modelled.clear()
    read = _run(modelled, RESIDENTS, Caller(Role.ADMIN), w=town)["people"]["items"]
    assert during == [] and read[0]["home"]["code"] == "330421001000"
    check(homes | {"JS-P-0002": "330421000000"})
