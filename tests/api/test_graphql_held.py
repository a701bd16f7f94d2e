"""A list item's grid unit, team, a dispute's grid, category, list item and parties are
answered at once, with no DataLoader batch, when nothing need be read (`Loaders.team_held`,
`grid_units_held`, `filed_held`, `Context.reveal_held`): the same answers, masked alike for
every role, as the batches and the store's walks give; and a batch still runs for what is
not held (a mediator's people, whose jurisdiction is read)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql import dataloaders
from api.graphql.context import Context
from api.graphql.dataloaders import Loaders
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.backend import Params, Row
from graph.places import units_up
from queries import read_model

ADMIN = Caller(Role.ADMIN)
MEDIATOR = Caller(Role.MEDIATOR, "330421")
AWAY = Caller(Role.MEDIATOR, "331127")  # another county's
SCHEMA = build_schema(Settings(_env_file=None))

# only what the read model holds of each type: a viewer's and an admin's answers need no read
GRIDS = """query ($w: String!, $day: Date) { grids(within: $w, first: 100) { items {
    id name unit { code name } team(asOf: $day) { role validFrom validTo person { id name } }
    } } }"""
DISPUTES = """query ($w: String!) { disputes(within: $w, orderBy: ID, first: 100) { items {
    id title grid { id name } domain { code name } listItem { id name }
    participants { side party { __typename ... on Person { id name mobile }
                                ... on Organisation { id name kind } } } } } }"""


class _Beside:
    """The graph under another name: a model attached to it is not the graph's."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


@pytest.fixture(scope="module")
def modelled(demo_graph: Any) -> Any:
    graph = _Beside(demo_graph)
    assert read_model.attach(graph) is not None
    return graph


def _run(backend: Any, query: str, caller: Caller, **variables: Any) -> Any:
    context = Context(backend, caller)
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=context))
    assert result.errors is None, result.errors
    return result.data


def _batches(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the DataLoaders asked for a grid's unit or team or a dispute's ties, by kind."""
    asked: Counter[str] = Counter()
    for name in ("team", "grid_unit", "filed"):
        made = getattr(Loaders, name)

        def counted(self: Loaders, *args: Any, _name: str = name, _made: Any = made) -> Any:
            asked[_name if _name != "filed" else f"filed {args[0].rel} {args[0].target}"] += 1
            return _made(self, *args)

        monkeypatch.setattr(Loaders, name, counted)
    return asked


@pytest.mark.slow
@pytest.mark.parametrize("day", [None, "2021-01-01"])
@pytest.mark.parametrize(
    "caller", [ANONYMOUS, ADMIN, MEDIATOR, AWAY], ids=["viewer", "admin", "mediator", "away"]
)
def test_grids_units_and_teams_held_are_the_stores(demo_graph, modelled, monkeypatch, caller,
                                                   day):  # fmt: skip
    expected = _run(_Beside(demo_graph), GRIDS, caller, w="330421002", day=day)
    batches = _batches(monkeypatch)
    found = _run(modelled, GRIDS, caller, w="330421002", day=day)
    assert found == expected
    items = found["grids"]["items"]
    assert len(items) == 100 and sum(len(g["team"]) for g in items) > 100
    # a mediator's team members too: where they lie judged by their homes (the cases') and
    # posts (the model's), not read
    assert batches == Counter()


@pytest.mark.slow
@pytest.mark.parametrize(
    "caller", [ANONYMOUS, ADMIN, MEDIATOR, AWAY], ids=["viewer", "admin", "mediator", "away"]
)
def test_a_disputes_ties_held_are_the_stores(demo_graph, modelled, monkeypatch, caller):
    expected = _run(_Beside(demo_graph), DISPUTES, caller, w="330421002")
    batches = _batches(monkeypatch)
    found = _run(modelled, DISPUTES, caller, w="330421002")
    assert found == expected
    items = found["disputes"]["items"]
    assert len(items) == 100 and all(d["grid"] and d["domain"] for d in items)
    parties = [p["party"]["__typename"] for d in items for p in d["participants"]]
    assert {"Person", "Organisation"} <= set(parties)
    # a dispute's grid, category, list item and organisations are held, and its people's
    # names and mobiles (the cases'), and for a mediator where they lie: none read
    assert batches == Counter()


class _Store:
    """People by key, every read logged."""

    def __init__(self) -> None:
        self.reads: list[list[str]] = []

    async def read(self, query: str, params: Params) -> list[Row]:
        self.reads.append(list(params["keys"]))
        return [{"key": k, "n_id": k, "n_name": f"name of {k}"} for k in params["keys"]]


class _Model:
    """A read model holding the posts of two grids and the people named `held`."""

    def __init__(self, held: list[str]) -> None:
        self.nodes = {"Person": {k: {"id": k, "name": f"name of {k}"} for k in held}}

    def ties_in(self, type_: str, label: str, key: str) -> list[tuple[Any, str, dict[str, Any]]]:
        posts = {"g1": ["p2", "p1"], "g2": ["p1", "p3"]}.get(key, [])
        return [(None, person, {"role": "member"}) for person in posts]

    def team(self, grid: str) -> list[tuple[str, dict[str, Any]]]:
        """The posts into `grid` in a team's order: one role, no days, so by holder."""
        return sorted(
            ((p, t) for _, p, t in self.ties_in("SERVES_IN", "Grid", grid)),
            key=lambda post: post[0],
        )

    def node(self, label: str, key: str) -> Any:
        return self.nodes[label].get(key)


def _loaders(store: _Store, held: list[str]) -> Loaders:
    model = _Model(held)
    return Loaders(
        store.read,
        lambda grids: _no_walk(),
        model=lambda _: model,
        asked=lambda _: frozenset({"id", "name"}),
        units_held=lambda grids: None,
    )


async def _no_walk() -> dict[str, str]:
    raise AssertionError("no grid's unit is asked")


def test_a_team_held_is_the_batchs_team_with_the_same_records() -> None:
    async def run() -> tuple[Any, ...]:
        store = _Store()
        held = _loaders(store, ["p1", "p2", "p3"])
        at_once = held.team_held(["g1", "g2", "g3"])
        batch = await held.team().load_many(["g1", "g2", "g3"])
        person = await held.node("Person").load("p1")
        return store.reads, at_once, batch, person

    reads, at_once, batch, person = asyncio.run(run())
    assert reads == []
    assert at_once == batch
    assert [[p["id"] for _, p in team] for team in at_once] == [["p1", "p2"], ["p1", "p3"], []]
    assert at_once[0][0][1] is person and batch[1][0][1] is person
    assert at_once[0][0][0] == {"role": "member"} and at_once[0][0][0] is not batch[0][0][0]


def test_a_team_with_a_person_not_held_waits_for_the_batch() -> None:
    async def run() -> tuple[Any, ...]:
        store = _Store()
        loaders = _loaders(store, ["p1", "p2"])
        at_once = loaders.team_held(["g2"]), loaders.team_held(["g1"])
        batch = await loaders.team().load("g2")
        return store.reads, at_once, batch

    reads, (g2, g1), batch = asyncio.run(run())
    assert g2 is None
    assert g1 is not None and [p["id"] for _, p in g1[0]] == ["p1", "p2"]
    assert reads == [["p3"]]  # the held ones were kept by the first look
    assert [p for _, p in batch] == [
        {"id": "p1", "name": "name of p1", "gender": None, "id_number": None, "mobile": None,
         "profession": None, "source": None},
        {"id": "p3", "name": "name of p3"},
    ]  # fmt: skip


def test_what_a_page_found_is_taken_by_its_kind_and_key() -> None:
    """What a list's page hands its items (`Loaders.ahead`) is taken by what was found and
    the item's key (`found`), each kind apart, a later page's added; a dispute's ties
    handed for every key asked are `filed_held`'s answer with no look at the cases, and
    without one of them it looks (here: none current, so None)."""
    loaders = _loaders(_Store(), [])  # no cases: `filed_held` finds nothing itself
    grid = dataloaders.Tie("Dispute", "OCCURRED_IN", "Grid")
    domain = dataloaders.Tie("Dispute", "IN_DOMAIN", "Domain")
    found = [({}, {"id": "g1"})]
    loaders.ahead(grid, {"d1": found, "d2": []})
    loaders.ahead("Dispute.participants", {"d1": ["shown"]})
    loaders.ahead(grid, {"d3": []})
    assert loaders.found(grid, "d1") is found and loaders.found(grid, "d3") == []
    assert loaders.found(grid, "d4") is None and loaders.found(domain, "d1") is None
    assert loaders.found("Dispute.participants", "d1") == ["shown"]
    assert loaders.found("Dispute.participants", "d2") is None
    assert loaders.filed_held(grid, ["d2", "d1"]) == [[], found]
    assert loaders.filed_held(grid, ["d1", "d4"]) is None
    assert loaders.filed_held(domain, ["d1"]) is None


@pytest.mark.slow
@pytest.mark.parametrize("caller", [ADMIN, MEDIATOR], ids=["admin", "mediator"])
def test_a_pages_disputes_ties_are_found_once_for_the_page(
    demo_graph, modelled, monkeypatch, caller
):
    """A page of disputes finds each tie its items ask for once for the whole page
    (`lists.AHEAD`, `Loaders.ahead`): the grid, category, list item, people and
    organisations, five batches for 100 disputes, not one per item and field; and shows the
    people on them to the caller at once (`types.SHOWN_PARTIES`); the store's answer. Items
    asking through a fragment (not looked into) find and show them one by one: the same
    answer."""
    expected = _run(_Beside(demo_graph), DISPUTES, caller, w="330421002")
    paired: list[str] = []
    made = dataloaders._paired

    def counted(label: str, *args: Any) -> Any:
        paired.append(label)
        return made(label, *args)

    shown: list[int] = []
    reveal_held = Context.reveal_held

    def revealed(self: Context, label: str, rows: Any) -> Any:
        if label == "Person":
            shown.append(len(rows))
        return reveal_held(self, label, rows)

    monkeypatch.setattr(dataloaders, "_paired", counted)
    monkeypatch.setattr(Context, "reveal_held", revealed)
    assert _run(modelled, DISPUTES, caller, w="330421002") == expected
    assert sorted(paired) == ["Domain", "Grid", "ListItem", "Organisation", "Person"]
    people = sum(
        p["party"]["__typename"] == "Person"
        for d in expected["disputes"]["items"]
        for p in d["participants"]
    )
    assert shown == [people]
    paired.clear()
    shown.clear()
    fragment = DISPUTES.replace("items {", "items { ...D } } } fragment D on Dispute {", 1)
    assert _run(modelled, fragment[:-4], caller, w="330421002") == expected
    assert len(paired) == 5 * 100 and len(shown) == 100 and sum(shown) == people


def test_one_grids_unit_held_is_the_walks(modelled: Any) -> None:
    """`Context.units_held` of one grid takes the least unit it is PART_OF when it has one,
    without the walk: the walk's answer for every grid held, those below a parent grid and
    those with none among them."""
    model = read_model.model_of(modelled)
    assert model is not None
    context = Context(modelled, ANONYMOUS)
    grids = sorted(model.nodes["Grid"])
    found = {g: context.units_held([g]) for g in grids}
    assert found == {g: units_up(model.grids_up, [g]) for g in grids}
    walked = [g for g in grids if not any(code for _, _, code in model.grids_up([g]))]
    assert len(grids) > 10_000 and walked and any(found[g] for g in walked)
