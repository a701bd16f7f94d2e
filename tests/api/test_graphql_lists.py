"""The lists `grids(within:)` and `disputes(within:)` read their candidates by key (the grids
inside a code, and with the read model the disputes in them) and count them without a read:
the same items, order and totalCount as the Cypher that tests every record, whatever the
depth of the grids, with filters combined, for every role."""

from __future__ import annotations

import asyncio
import csv
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.cypher import nodes_by_key
from api.graphql.enums import Direction
from api.graphql.lists import _Kept
from api.graphql.pagination import Listing
from api.graphql.schema import build_schema
from api.graphql.within import start_within
from api.settings import Settings
from graph.masking import WITHHELD
from graph.places import DivisionCode, grids_within, params, units_of, units_up
from loaders.load import load
from queries import read_model

ADMIN = Caller(Role.ADMIN)
SCHEMA = build_schema(Settings(_env_file=None))


class _Beside:
    """The graph under another name: a model attached to it is not the graph's."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def _run(backend: Any, query: str, caller: Caller = ANONYMOUS, **variables: Any) -> Any:
    context = Context(backend, caller)
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=context))
    assert result.errors is None, result.errors
    return result.data


def _old(graph: Any, label: str, code: str, order: str, direction: Direction,
         conditions: tuple[str, ...] = (), values: dict[str, Any] | None = None,
         first: int = 100) -> tuple[list[str], int]:  # fmt: skip
    """The keys of the first page and the count, by the Cypher the lists ran before: every
    candidate found from the units or grids inside `code` (`start_within`), then filtered."""
    place = DivisionCode.parse(code)
    p = {**params(place, grids_within(graph.read, place)), **(values or {})}
    listing = Listing(label, order, direction, conditions, p, start_within(label))
    page = graph.read(listing.page_query(after=False), {**p, "limit": first})
    total = graph.read(listing.count_query(), p)[0]["total"]
    return [r["key"] for r in page], total


GRIDS = """query ($w: String!, $kind: GridKind, $level: Int, $order: GridOrder!,
    $dir: Direction!, $after: String) {
    grids(within: $w, kind: $kind, level: $level, orderBy: $order, direction: $dir,
          first: 100, after: $after) {
        totalCount pageInfo { endCursor hasNextPage } items { id name level kind } } }"""

DISPUTES = """query ($w: String!, $from: Date, $to: Date, $open: Boolean, $order: DisputeOrder!,
    $dir: Direction!, $after: String) {
    disputes(within: $w, reportedFrom: $from, reportedTo: $to, open: $open, orderBy: $order,
             direction: $dir, first: 100, after: $after) {
        totalCount pageInfo { endCursor hasNextPage }
        items { id title reportedOn outcome grid { id } } } }"""

# a county, a town, a village with micro-grids (grids inside grids) and another county
CODES = ["330421", "330421002", "330421002012", "331127"]


@pytest.fixture(scope="module")
def modelled(demo_graph: Any) -> Any:
    graph = _Beside(demo_graph)
    assert read_model.attach(graph) is not None
    return graph


@pytest.mark.slow
@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    ("kind", "level", "order", "direction"),
    [
        (None, None, "ID", "ASC"),
        ("MICRO", None, "NAME", "DESC"),
        (None, 1, "LEVEL", "ASC"),
        ("BASIC", 1, "ID", "DESC"),
    ],
)
def test_grids_within_are_the_old_cyphers(demo_graph, modelled, code, kind, level, order,
                                          direction):  # fmt: skip
    conditions, values = [], {}
    if kind:
        conditions.append("n.kind = $kind")
        values["kind"] = kind.lower()
    if level:
        conditions.append("n.level = $level")
        values["level"] = level
    keys, total = _old(
        demo_graph, "Grid", code, order.lower(), Direction(direction.lower()),
        tuple(conditions), values,
    )  # fmt: skip
    variables = {"w": code, "kind": kind, "level": level, "order": order, "dir": direction}
    for backend in (demo_graph, modelled):
        found = _run(backend, GRIDS, **variables)["grids"]
        assert ([g["id"] for g in found["items"]], found["totalCount"]) == (keys, total)
        if found["pageInfo"]["hasNextPage"]:  # the next page follows on, the same both ways
            after = found["pageInfo"]["endCursor"]
            assert _run(backend, GRIDS, **variables, after=after) == _run(
                demo_graph, GRIDS, **variables, after=after
            )
    if (code, kind, level) == ("330421002012", None, None):
        assert total == 80  # the village's grids and the micro-grids inside them


@pytest.mark.slow
@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize(
    ("since", "until", "open_", "order", "direction"),
    [
        (None, None, None, "REPORTED_ON", "DESC"),
        ("2021-03-01", "2021-03-31", None, "ID", "ASC"),
        (None, None, True, "REPORTED_ON", "ASC"),
        ("2021-01-01", "2021-06-30", False, "ID", "DESC"),
    ],
)
@pytest.mark.parametrize(
    "caller",
    [ANONYMOUS, ADMIN, Caller(Role.MEDIATOR, "330421")],
    ids=["viewer", "admin", "mediator"],
)
def test_disputes_within_are_the_old_cyphers(demo_graph, modelled, code, since, until, open_,
                                             order, direction, caller):  # fmt: skip
    conditions, values = [], {}
    if since:
        conditions += ["n.reported_on >= date($since)", "n.reported_on <= date($until)"]
        values |= {"since": since, "until": until}
    if open_ is not None:
        conditions.append("n.outcome IS NULL" if open_ else "n.outcome IS NOT NULL")
    keys, total = _old(
        demo_graph, "Dispute", code, order.lower(), Direction(direction.lower()),
        tuple(conditions), values,
    )  # fmt: skip
    variables = {"w": code, "from": since, "to": until, "open": open_, "order": order,
                 "dir": direction}  # fmt: skip
    plain = _run(demo_graph, DISPUTES, caller, **variables)
    assert ([d["id"] for d in plain["disputes"]["items"]], plain["disputes"]["totalCount"]) == (
        keys,
        total,
    )
    assert _run(modelled, DISPUTES, caller, **variables) == plain  # titles masked alike
    titles = {d["title"] for d in plain["disputes"]["items"]}
    if caller is ANONYMOUS:
        assert titles <= {WITHHELD}
    elif caller.role is Role.MEDIATOR and keys:  # inside their county in full, else withheld
        assert (WITHHELD in titles) is (not code.startswith("330421"))


# -- grids five deep, on a place of their own ---------------------------------------------------

DEEP = ["G1", "G2", "G3", "G4", "G5"]
FILES: dict[str, list[dict[str, str]]] = {
    "units": [
        {"code": c, "name": n, "level": lv, "kind": k, "edition": "NBS 2023"}
        for c, n, lv, k in [
            ("330421000000", "嘉善县", "county", "county"),
            ("330421001000", "魏塘街道", "town", "street"),
            ("330421001001", "日晖社区", "village", "community"),
            ("330402000000", "南湖区", "county", "county"),
        ]
    ],
    "grids": [
        {"id": g, "name": f"第{i}级网格", "level": str(i), "kind": "basic" if i == 1 else "micro"}
        for i, g in enumerate(DEEP, start=1)
    ],
    "part_of": [
        {"from": a, "to": b, "from_type": "Unit", "to_type": "Unit"}
        for a, b in [("330421001000", "330421000000"), ("330421001001", "330421001000")]
    ]
    + [{"from": "G1", "to": "330421001001", "from_type": "Grid", "to_type": "Unit"}]
    + [
        {"from": below, "to": above, "from_type": "Grid", "to_type": "Grid"}
        for above, below in pairwise(DEEP)
    ],
    "disputes": [
        {"id": "D1", "title": "一级网格纠纷", "reported_on": "2024-05-01"},
        {"id": "D5", "title": "五级网格纠纷", "reported_on": "2024-05-02"},
    ],
    "occurred_in": [
        {"from": d, "to": g, "from_type": "Dispute", "to_type": "Grid"}
        for d, g in [("D1", "G1"), ("D5", "G5")]
    ],
}


def _write(folder: Path, files: dict[str, list[dict[str, str]]]) -> list[Path]:
    paths = []
    for stem, rows in files.items():
        path = folder / f"deep.{stem}.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, list(dict.fromkeys(k for r in rows for k in r)))
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths


DEEP_LISTS = """query ($w: String!) {
    grids(within: $w) { totalCount items { id } }
    disputes(within: $w, orderBy: ID, direction: ASC) { totalCount items { id title } } }"""


def test_the_deepest_grid_and_its_dispute_are_listed_in_every_unit_above(backend, tmp_path):
    assert load(backend, _write(tmp_path, FILES)).rejects == []
    modelled = _Beside(backend)
    assert read_model.attach(modelled) is not None
    mediator = Caller(Role.MEDIATOR, "330421")
    for code in ("330421001001", "330421001", "330421"):
        expected = {
            "grids": {"totalCount": 5, "items": [{"id": g} for g in DEEP]},
            "disputes": {
                "totalCount": 2,
                "items": [
                    {"id": "D1", "title": "一级网格纠纷"},
                    {"id": "D5", "title": "五级网格纠纷"},
                ],
            },
        }
        for graph in (backend, modelled):
            assert _run(graph, DEEP_LISTS, mediator, w=code) == expected
    away = Caller(Role.MEDIATOR, "330402")  # another county's mediator: titles withheld
    assert _run(modelled, DEEP_LISTS, away, w="330421")["disputes"]["items"] == [
        {"id": "D1", "title": WITHHELD},
        {"id": "D5", "title": WITHHELD},
    ]
    assert _run(modelled, DEEP_LISTS, w="330402") == {
        "grids": {"totalCount": 0, "items": []},
        "disputes": {"totalCount": 0, "items": []},
    }


def test_every_grid_five_deep_lies_in_the_village_of_the_first(backend, tmp_path):
    """`Grid.unit` walks up through parent grids at any depth (`graph.places.units_of`)."""
    assert load(backend, _write(tmp_path, FILES)).rejects == []
    query = '{ grids(within: "330421") { items { id unit { code name level } } } }'
    village = {"code": "330421001001", "name": "日晖社区", "level": "VILLAGE"}
    for graph in (backend, _Beside(backend)):
        assert _run(graph, query, ADMIN)["grids"]["items"] == [
            {"id": g, "unit": village} for g in DEEP
        ]


def test_a_grid_and_a_dispute_added_later_are_listed_at_once(backend, tmp_path):
    """A load after the model was read: the lists read the model again (or Cypher), never
    the model as it was."""
    assert load(backend, _write(tmp_path, FILES)).rejects == []
    modelled = _Beside(backend)
    assert read_model.attach(modelled) is not None
    assert _run(modelled, DEEP_LISTS, ADMIN, w="330421")["grids"]["totalCount"] == 5
    more = {
        "grids": [{"id": "G6", "name": "第6级网格", "level": "5", "kind": "micro"}],
        "part_of": [{"from": "G6", "to": "G5", "from_type": "Grid", "to_type": "Grid"}],
        "disputes": [{"id": "D6", "title": "六级网格纠纷", "reported_on": "2024-05-03"}],
        "occurred_in": [{"from": "D6", "to": "G6", "from_type": "Dispute", "to_type": "Grid"}],
    }
    later = tmp_path / "later"
    later.mkdir()
    assert load(backend, _write(later, more)).rejects == []
    found = _run(modelled, DEEP_LISTS, ADMIN, w="330421")
    assert found["grids"] == {"totalCount": 6, "items": [{"id": g} for g in [*DEEP, "G6"]]}
    assert [d["id"] for d in found["disputes"]["items"]] == ["D1", "D5", "D6"]
    assert found["disputes"]["totalCount"] == 3


@pytest.mark.slow
def test_the_unit_of_every_grid_walked_up_the_model_is_the_stores(demo_graph, modelled):
    """`units_of` on the model's PART_OF ties (the unit of each grid in a list, as a grid's
    `unit` loads it) gives what it gives on the store's, for every grid and one missing."""
    grids = [r["id"] for r in demo_graph.read("MATCH (g:Grid) RETURN g.id AS id")]
    grids.append("no-such-grid")
    model = read_model.model_of(modelled)
    assert model is not None
    found = units_up(model.grids_up, grids)
    assert len(found) == len(grids) - 1
    assert found == units_of(demo_graph.read, grids)


FILED = """query ($w: String!, $after: String) {
    disputes(within: $w, orderBy: ID, direction: ASC, first: 100, after: $after) {
        pageInfo { endCursor hasNextPage }
        items { id grid { id name population source } domain { code name source }
                listItem { id name } participants { side party { __typename
                    ... on Person { id name mobile idNumber }
                    ... on Organisation { id name kind } } } } } }"""
TIES_WALKED = ("OCCURRED_IN", "IN_DOMAIN", "CLASSIFIED_AS", "PARTY_TO")


class _Reads(_Beside):
    """`_Beside`, keeping the text of every read."""

    def __init__(self, graph: Any) -> None:
        super().__init__(graph)
        self.reads: list[str] = []

    def read(self, query: str, params: Any = None) -> Any:
        self.reads.append(query)
        return self._graph.read(query, params)


def _all_pages(backend: Any, caller: Caller, code: str) -> list[Any]:
    items, after = [], None
    while True:
        page = _run(backend, FILED, caller, w=code, after=after)["disputes"]
        items += page["items"]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "caller",
    [ANONYMOUS, ADMIN, Caller(Role.MEDIATOR, "330421"), Caller(Role.MEDIATOR, "331127")],
    ids=["viewer", "admin", "mediator", "another county's mediator"],
)
def test_a_disputes_grid_category_item_and_parties_from_the_cases_are_the_stores(
    demo_graph, caller
):
    """`Loaders.filed`: the cases' ties and the far ends read by key give what the walks of
    the ties in the store give (`Loaders.ties`), masked alike, for every dispute of a town;
    and no tie of theirs is walked in the store."""
    modelled = _Reads(demo_graph)
    assert read_model.attach(modelled) is not None
    found = _all_pages(modelled, caller, "330421002")
    assert len(found) > 1000
    assert sum(len(d["participants"]) for d in found) > 3000
    assert found == _all_pages(_Beside(demo_graph), caller, "330421002")
    assert [q for q in modelled.reads if any(t in q for t in TIES_WALKED)] == []


def test_a_disputes_parties_loaded_after_the_cases_were_read_are_shown_at_once(backend, tmp_path):
    assert load(backend, _write(tmp_path, FILES)).rejects == []
    modelled = _Beside(backend)
    assert read_model.attach(modelled) is not None
    query = """query ($d: ID!) { dispute(id: $d) { grid { id } domain { code }
        participants { side party { ... on Person { id name } } } } }"""
    assert _run(modelled, query, ADMIN, d="D1") == {
        "dispute": {"grid": {"id": "G1"}, "domain": None, "participants": []}
    }
    more = {
        "disputes": [{"id": "D6", "title": "六级网格纠纷", "reported_on": "2024-05-03"}],
        "occurred_in": [{"from": "D6", "to": "G5", "from_type": "Dispute", "to_type": "Grid"}],
        "people": [{"id": "P1", "name": "沈建华"}],
        "party_to": [
            {"from": "P1", "to": "D6", "from_type": "Person", "to_type": "Dispute",
             "side": "applicant"}
        ],
    }  # fmt: skip
    later = tmp_path / "later"
    later.mkdir()
    assert load(backend, _write(later, more)).rejects == []
    assert _run(modelled, query, ADMIN, d="D6") == {
        "dispute": {
            "grid": {"id": "G5"},
            "domain": None,
            "participants": [{"side": "APPLICANT", "party": {"id": "P1", "name": "沈建华"}}],
        }
    }


TEAMS = """query ($w: String!, $after: String, $day: Date) {
    grids(within: $w, first: 100, after: $after) { pageInfo { endCursor hasNextPage }
        items { id team(asOf: $day) { role validFrom validTo
                                     person { id name mobile idNumber gender } } } } }"""


def _all_teams(backend: Any, caller: Caller, code: str, query: str, day: str | None) -> Any:
    items, after = [], None
    while True:
        page = _run(backend, query, caller, w=code, after=after, day=day)["grids"]
        items += page["items"]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


@pytest.mark.slow
@pytest.mark.parametrize("day", [None, "2021-01-01", "2019-03-05"])
@pytest.mark.parametrize(
    "caller",
    [ANONYMOUS, ADMIN, Caller(Role.MEDIATOR, "330421")],
    ids=["viewer", "admin", "mediator"],
)
def test_a_grids_team_from_the_model_is_the_stores(demo_graph, caller, day):
    """`Loaders.team`: the model's SERVES_IN ties, as of a day or not, and the people read by
    key give what the walk in the store gives, masked alike, for every grid of a town; the
    posts' `source`, which the model does not hold, is read with the ties when asked."""
    modelled = _Reads(demo_graph)
    assert read_model.attach(modelled) is not None
    found = _all_teams(modelled, caller, "330421002", TEAMS, day)
    assert sum(len(g["team"]) for g in found) > (50 if day == "2019-03-05" else 1000)
    assert found == _all_teams(_Beside(demo_graph), caller, "330421002", TEAMS, day)
    assert [q for q in modelled.reads if "[r:SERVES_IN]" in q] == []  # the walk of the ties
    sourced = TEAMS.replace("validTo", "validTo source")
    found = _all_teams(modelled, caller, "330421002", sourced, day)
    assert found == _all_teams(_Beside(demo_graph), caller, "330421002", sourced, day)
    assert {g["team"][0]["source"] for g in found if g["team"]} != {None}


def test_a_post_loaded_after_the_model_was_read_is_on_the_team_at_once(backend, tmp_path):
    assert load(backend, _write(tmp_path, FILES)).rejects == []
    modelled = _Beside(backend)
    assert read_model.attach(modelled) is not None
    query = '{ grid(id: "G1") { team { role validFrom person { id name } } } }'
    assert _run(modelled, query, ADMIN) == {"grid": {"team": []}}
    more = {
        "people": [{"id": "P1", "name": "沈建华"}],
        "serves_in": [
            {"from": "P1", "to": "G1", "from_type": "Person", "to_type": "Grid",
             "role": "head", "valid_from": "2024-01-01"}
        ],
    }  # fmt: skip
    later = tmp_path / "later"
    later.mkdir()
    assert load(backend, _write(later, more)).rejects == []
    assert _run(modelled, query, ADMIN) == {
        "grid": {
            "team": [
                {
                    "role": "HEAD",
                    "validFrom": "2024-01-01",
                    "person": {"id": "P1", "name": "沈建华"},
                }
            ]
        }
    }


MODEL_LOOKUPS = {"held", "grid_keys_within", "disputes_within", "dispute_fields", "units_of"}


def test_the_models_lookups_leave_the_loop_only_when_it_must_be_read_again(
    backend, tmp_path, monkeypatch
):
    """While the model is current its lookups are answered on the event loop; after a load
    the lookup that finds it stale goes to a worker thread, which reads it again, and the
    lists show the load."""
    assert load(backend, _write(tmp_path, FILES)).rejects == []
    modelled = _Beside(backend)
    assert read_model.attach(modelled) is not None
    hops: list[str] = []
    off_loop = Context._off_loop

    async def counted(self: Context, call: Any, *args: Any) -> Any:
        hops.append(call.__name__)
        return await off_loop(self, call, *args)

    monkeypatch.setattr(Context, "_off_loop", counted)
    assert _run(modelled, DEEP_LISTS, ADMIN, w="330421")["grids"]["totalCount"] == 5
    units = '{ grid(id: "G5") { unit { code } } }'  # walked up the model's PART_OF ties
    assert _run(modelled, units, ADMIN) == {"grid": {"unit": {"code": "330421001001"}}}
    assert MODEL_LOOKUPS.intersection(hops) == set()
    later = tmp_path / "later"
    later.mkdir()
    more = {
        "grids": [{"id": "G6", "name": "第6级网格", "level": "5", "kind": "micro"}],
        "part_of": [{"from": "G6", "to": "G5", "from_type": "Grid", "to_type": "Grid"}],
    }
    assert load(backend, _write(later, more)).rejects == []
    hops.clear()
    grids = "query ($w: String!) { grids(within: $w) { totalCount items { id } } }"
    assert _run(modelled, grids, ADMIN, w="330421")["grids"] == {
        "totalCount": 6,
        "items": [{"id": g} for g in [*DEEP, "G6"]],
    }
    assert [h for h in hops if h in MODEL_LOOKUPS] == ["grid_keys_within"]
    hops.clear()
    assert _run(modelled, DEEP_LISTS, ADMIN, w="330421")["grids"]["totalCount"] == 6
    assert MODEL_LOOKUPS.intersection(hops) == set()


# -- a page cut from the keys ---------------------------------------------------------------


def test_a_page_is_cut_from_the_keys_after_the_cursor_in_either_direction():
    keys = ["a", "b", "c", "d"]
    by_name = {"a": "y", "b": "x", "c": "y", "d": "x"}  # ties broken by key, as in Cypher
    in_order = ["b", "d", "a", "c"]  # by (name, key)
    asc = Listing("Grid", "name", Direction.ASC, keys=in_order, value=by_name.__getitem__)
    desc = Listing("Grid", "name", Direction.DESC, keys=in_order, value=by_name.__getitem__)
    assert asc.first_keys(None, 3) == ["b", "d", "a"]
    assert asc.first_keys(("x", "d"), 3) == ["a", "c"]
    assert desc.first_keys(None, 3) == ["c", "a", "d"]
    assert desc.first_keys(("y", "a"), 3) == ["d", "b"]
    by_id = Listing("Grid", "id", Direction.DESC, keys=keys)
    assert by_id.first_keys(None, 2) == ["d", "c"]
    assert by_id.first_keys((None, "c"), 5) == ["b", "a"]
    assert Listing("Grid", "id", keys=keys).first_keys((None, "b"), 5) == ["c", "d"]
    # a condition left to the store, or no values to sort on: the store cuts the page
    assert Listing("Grid", "id", conditions=("n.level = 1",), keys=keys).first_keys(None, 2) is None
    assert Listing("Grid", "name", keys=keys).first_keys(None, 2) is None


def test_kept_keys_are_found_only_for_the_very_objects_they_were_made_from():
    kept = _Kept(2)
    keys, nodes = ["a", "b", "c"], {"a": {"kind": "basic"}, "b": {"kind": "micro"}, "c": {}}
    basic = (("kind", "basic"),)
    kept.put(keys, nodes, basic, "id", ["a"])
    assert kept.get(keys, nodes, basic, "id") == ["a"]
    assert kept.get(list(keys), nodes, basic, "id") is None  # equal keys, another list
    assert kept.get(keys, dict(nodes), basic, "id") is None  # the model read again
    assert kept.get(keys, nodes, (("kind", "micro"),), "id") is None
    assert kept.get(keys, nodes, basic, "name") is None
    kept.put(keys, nodes, (), "id", keys)
    kept.put(keys, nodes, (), "name", ["c", "b", "a"])
    assert kept.get(keys, nodes, basic, "id") is None  # pushed out: two are kept
    assert kept.get(keys, nodes, (), "name") == ["c", "b", "a"]


HELD_RECORDS = """query ($w: String!, $after: String) {
    grids(within: $w, first: 100, after: $after, orderBy: NAME) {
        pageInfo { endCursor hasNextPage }
        items { id name kind unit { code name } team { person { id name mobile } } } } }"""


def _all_grids(backend: Any, caller: Caller, query: str) -> Any:
    items, after = [], None
    while True:
        page = _run(backend, query, caller, w="330421002", after=after)["grids"]
        items += page["items"]
        if not page["pageInfo"]["hasNextPage"]:
            return items
        after = page["pageInfo"]["endCursor"]


def _read_by_key(reads: list[str], label: str) -> list[str]:
    return [q for q in reads if q == nodes_by_key(label)]


@pytest.mark.parametrize(
    "caller",
    [ANONYMOUS, ADMIN, Caller(Role.MEDIATOR, "330421")],
    ids=["viewer", "admin", "mediator"],
)
def test_records_come_from_the_model_when_it_holds_every_property_named(demo_graph, caller):
    """`Loaders.node`: a page of grids, their units and their teams' people, from the model
    with no read by key while it holds every property the query names (masked alike, the
    pages' cursors the same); read when the query names one it does not hold, anywhere."""
    modelled = _Reads(demo_graph)
    assert read_model.attach(modelled) is not None
    found = _all_grids(modelled, caller, HELD_RECORDS)
    assert len(found) > 100
    assert found == _all_grids(_Beside(demo_graph), caller, HELD_RECORDS)
    for label in ("Grid", "Unit", "Person"):
        assert _read_by_key(modelled.reads, label) == []
    unheld = HELD_RECORDS.replace("kind unit { code", "kind population unit { code source")
    unheld = unheld.replace("mobile }", "mobile gender }")
    modelled.reads.clear()
    found = _all_grids(modelled, caller, unheld)
    assert found == _all_grids(_Beside(demo_graph), caller, unheld)
    assert {g["population"] for g in found} != {None}
    assert {g["unit"]["source"] for g in found} != {None}
    for label in ("Grid", "Unit", "Person"):
        assert _read_by_key(modelled.reads, label) != []
