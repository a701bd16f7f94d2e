"""`people(within:)` of a town or a village, sorted by id with no other filter, is cut from
the residents' keys kept from one read (`Context.placed_keys`) and counted without a read:
the same pages, cursors, totalCount and masked records as the Cypher that sorts them from
the place each time, for every role; a resident loaded later is listed at once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.enums import Direction
from api.graphql.pagination import Listing
from api.graphql.schema import build_schema
from api.graphql.within import start_within
from api.settings import Settings
from graph.places import DivisionCode, grids_within, params
from loaders.load import load
from tests.api.logged import Logged

ADMIN = Caller(Role.ADMIN)
CALLERS = [ANONYMOUS, ADMIN, Caller(Role.MEDIATOR, "330421")]
SCHEMA = build_schema(Settings(_env_file=None))

RESIDENTS = """query ($w: String!, $dir: Direction!, $after: String) {
    people(within: $w, orderBy: ID, direction: $dir, first: 100, after: $after) {
        totalCount pageInfo { endCursor hasNextPage }
        items { id name mobile idNumber home { code name } } } }"""


def _run(backend: Any, query: str, caller: Caller = ANONYMOUS, **variables: Any) -> Any:
    context = Context(backend, caller)
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=context))
    assert result.errors is None, result.errors
    return result.data


def _pages(backend: Any, code: str, direction: str, caller: Caller, most: int) -> list[Any]:
    """Up to `most` pages of the residents of `code`, each after the last one's cursor."""
    pages, after = [], None
    while len(pages) < most:
        page = _run(backend, RESIDENTS, caller, w=code, dir=direction, after=after)["people"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return pages


def _by_cypher(graph: Any, code: str, direction: Direction) -> list[str]:
    """Every resident's key in order, by the Cypher that sorts them from the place."""
    place = DivisionCode.parse(code)
    p = params(place, grids_within(graph.read, place))
    listing = Listing("Person", "id", direction, (), p, start_within("Person"))
    return [r["key"] for r in graph.read(listing.page_query(after=False), {**p, "limit": 10**6})]


# a town (7,564 residents), a village of it (303) and a village of another county (352)
CODES = ["330421002", "330421002012", "331127001003"]


@pytest.mark.slow
@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_residents_from_the_kept_keys_are_the_stores_sort(demo_graph, monkeypatch, code,
                                                          direction):  # fmt: skip
    expected = _by_cypher(demo_graph, code, Direction[direction])
    assert len(expected) > 300
    whole = _pages(demo_graph, code, direction, ADMIN, 10**6)
    assert [p["id"] for page in whole for p in page["items"]] == expected
    assert {page["totalCount"] for page in whole} == {len(expected)}
    kept = {caller: _pages(demo_graph, code, direction, caller, 3) for caller in CALLERS}
    with monkeypatch.context() as m:  # the same first pages, every field, by the store's sort
        m.setattr(Context, "placed_keys", lambda *_: _none())
        for caller in CALLERS:
            assert _pages(demo_graph, code, direction, caller, 3) == kept[caller]


async def _none() -> None:
    return None


def test_a_towns_residents_are_read_once_and_counted_without_a_read(demo_graph):
    graph = Logged(demo_graph)
    for code, placed in [("330421002", True), ("330421", False)]:
        for _ in range(2):
            graph.reads.clear()
            found = _run(graph, RESIDENTS, ADMIN, w=code, dir="ASC")["people"]
            assert len(found["items"]) == 100
            sorted_or_counted = [q for q in graph.reads if "ORDER BY" in q or "count(" in q]
            assert len(sorted_or_counted) == (0 if placed else 2), sorted_or_counted
        if placed:  # the second request read no keys either: kept
            assert not any("collect(" in q for q in graph.reads)


_UNITS = [
    {"code": c, "name": n, "level": lv, "kind": k, "edition": "NBS 2023"}
    for c, n, lv, k in [
        ("330421000000", "嘉善县", "county", "county"),
        ("330421001000", "魏塘街道", "town", "street"),
        ("330421001001", "日晖社区", "village", "community"),
        ("330421001002", "东门社区", "village", "community"),
    ]
]


def _write(folder: Path, files: dict[str, list[dict[str, str]]]) -> list[Path]:
    folder.mkdir()
    paths = []
    for stem, rows in files.items():
        path = folder / f"town.{stem}.csv"
        header = list(dict.fromkeys(k for r in rows for k in r))
        lines = [",".join(header)] + [",".join(r.get(k, "") for k in header) for r in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _resident(person: str, name: str, unit: str) -> dict[str, list[dict[str, str]]]:
    return {
        "people": [{"id": person, "name": name, "mobile": "13857321846"}],
        "lives_in": [{"from": person, "to": unit, "from_type": "Person", "to_type": "Unit"}],
    }


def test_a_resident_loaded_later_is_listed_at_once(backend, tmp_path):
    """The kept keys hold while no write changes people, homes or units: a resident loaded
    after they were kept is listed (and counted) by the next request."""
    part_of = [
        {"from": a, "to": b, "from_type": "Unit", "to_type": "Unit"}
        for a, b in [
            ("330421001000", "330421000000"),
            ("330421001001", "330421001000"),
            ("330421001002", "330421001000"),
        ]
    ]
    first = {"units": _UNITS, "part_of": part_of, **_resident("P2", "顾晓燕", "330421001001")}
    assert load(backend, _write(tmp_path / "a", first)).rejects == []
    query = """query ($w: String!) { people(within: $w, first: 1) {
        totalCount pageInfo { hasNextPage } items { id name mobile home { code } } } }"""
    town, village = "330421001", "330421001002"
    p2 = {"id": "P2", "name": "顾某", "mobile": "138****1846", "home": {"code": "330421001001"}}
    assert _run(backend, query, w=town)["people"] == {
        "totalCount": 1,
        "pageInfo": {"hasNextPage": False},
        "items": [p2],
    }
    assert _run(backend, query, w=village)["people"]["totalCount"] == 0
    later = _resident("P1", "沈建华", "330421001002")
    assert load(backend, _write(tmp_path / "b", later)).rejects == []
    p1 = {"id": "P1", "name": "沈某", "mobile": "138****1846", "home": {"code": "330421001002"}}
    assert _run(backend, query, w=town)["people"] == {
        "totalCount": 2,
        "pageInfo": {"hasNextPage": True},
        "items": [p1],
    }
    assert _run(backend, query, w=village)["people"]["items"] == [p1]


FILTERED = """query ($w: String!) {
    people(within: $w, gender: FEMALE, first: 100) { totalCount items { id gender } } }"""


@pytest.mark.parametrize("code", ["330421002", "330421"])
def test_people_filtered_within_a_place_read_no_grids(demo_graph, monkeypatch, code):
    """The people of a place with another filter are found from the units inside it (their
    homes), sorted by the store: the grids inside it are neither looked up nor sent."""
    prefix = DivisionCode.parse(code).prefix
    expected = sorted(
        r["k"]
        for r in demo_graph.read(
            "MATCH (n:Person)-[:LIVES_IN]->(u:Unit) WHERE u.code STARTS WITH $p"
            " AND n.gender = 'female' RETURN DISTINCT n.id AS k",
            {"p": prefix},
        )
    )
    sent: list[dict[str, Any]] = []

    class Sent(Logged):
        def read(self, query: str, params: Any = None) -> Any:
            sent.append(dict(params or {}))
            return super().read(query, params)

    async def no_grids(*_: Any) -> frozenset[str]:
        raise AssertionError("the grids inside were looked up")

    monkeypatch.setattr(Context, "grids_within", no_grids)
    found = _run(Sent(demo_graph), FILTERED, ADMIN, w=code)["people"]
    assert found == {
        "totalCount": len(expected),
        "items": [{"id": k, "gender": "FEMALE"} for k in expected[:100]],
    }
    assert len(expected) > 100
    assert sent and not any("within_grids" in p for p in sent)
