"""The loaders that find far ends by key (`Loaders.team`, `grid_unit`, `filed`) take them from
the node loader's batch at once, not through a DataLoader future per key: a record is still
read once a request and is the same dict wherever it is asked for, even when two batches ask
for it at once. And `api.privacy.reveal` masks a batch as it masked one record at a time."""

from __future__ import annotations

import asyncio
from typing import Any

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.cypher import NODE
from api.graphql.dataloaders import Loaders
from api.privacy import masked, reveal
from graph.backend import Params, Row
from graph.schema import SCHEMA


class _Store:
    """Units and people by key, every read logged as (label, keys); a fresh dict per read."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, list[str]]] = []

    async def read(self, query: str, params: Params) -> list[Row]:
        label = "Unit" if ":Unit" in query else "Person"
        keys = list(params["keys"])
        self.reads.append((label, keys))
        await asyncio.sleep(0)  # let another batch start meanwhile, as a read off the loop does
        names = [p.name for p in SCHEMA.node(label).properties]
        key = SCHEMA.node(label).key
        return [
            {"key": k, **{NODE + n: (k if n == key else f"{n} of {k}") for n in names}}
            for k in keys
            if not k.endswith("missing")
        ]


async def _units_of(grids: list[str]) -> dict[str, str]:
    return {g: "u" + g[1:] for g in grids if g != "g-orphan"}


def _loaders(store: _Store, model: Any = None) -> Loaders:
    return Loaders(store.read, _units_of, model=lambda _: model)


def test_a_grids_unit_is_the_node_loaders_record_read_once() -> None:
    async def run() -> tuple[Any, ...]:
        store = _Store()
        loaders = _loaders(store)
        first = await loaders.node("Unit").load("u1")
        units = await loaders.grid_unit().load_many(["g1", "g2", "g1", "g-orphan", "g-missing"])
        again = await loaders.node("Unit").load_many(["u2", "u-missing"])
        return store.reads, first, units, again

    reads, first, units, again = asyncio.run(run())
    assert reads == [("Unit", ["u1"]), ("Unit", ["u2", "u-missing"])]
    assert units[0] is first and units[2] is first
    assert units[1] is again[0]
    assert units[3] is None and units[4] is None and again[1] is None
    assert units[1] == {
        "code": "u2",
        **{p.name: f"{p.name} of u2" for p in SCHEMA.node("Unit").properties if p.name != "code"},
    }


def test_two_batches_at_once_keep_one_record() -> None:
    """The node loader's batch and grid_unit's read the same unit side by side: both callers
    get the dict found first (a later read must not replace the one already handed out)."""

    async def run() -> tuple[Any, Any, Any]:
        store = _Store()
        loaders = _loaders(store)
        by_grid, by_key = await asyncio.gather(
            loaders.grid_unit().load("g7"), loaders.node("Unit").load("u7")
        )
        return by_grid, by_key, await loaders.node("Unit").load("u7")

    by_grid, by_key, later = asyncio.run(run())
    assert by_grid is by_key
    assert later is by_key


class _Model:
    """A read model holding the posts of grids (SERVES_IN) and no people."""

    def __init__(self, posts: dict[str, list[str]]) -> None:
        self.nodes: dict[str, Any] = {}
        self.posts = posts

    def ties_in(self, type_: str, label: str, key: str) -> list[tuple[Any, str, dict[str, Any]]]:
        assert (type_, label) == ("SERVES_IN", "Grid")
        return [(None, person, {"role": "member"}) for person in self.posts.get(key, [])]

    def team(self, grid: str) -> list[tuple[str, dict[str, Any]]]:
        """The posts into `grid` in a team's order: one role, no days, so by holder."""
        posts = ((p, t) for _, p, t in self.ties_in("SERVES_IN", "Grid", grid))
        return sorted(posts, key=lambda post: post[0])

    def node(self, label: str, key: str) -> None:
        return None


def test_a_team_shares_its_people_with_the_node_loader() -> None:
    async def run() -> tuple[Any, ...]:
        store = _Store()
        loaders = _loaders(store, _Model({"g1": ["p2", "p1"], "g2": ["p1", "p-missing"]}))
        teams = await loaders.team().load_many(["g1", "g2", "g3"])
        person = await loaders.node("Person").load("p1")
        return store.reads, teams, person

    reads, teams, person = asyncio.run(run())
    assert reads == [("Person", ["p-missing", "p1", "p2"])]
    g1, g2, g3 = teams
    assert [p["id"] for _, p in g1] == ["p1", "p2"]
    assert [p["id"] for _, p in g2] == ["p1"]  # a post whose person is not found is left out
    assert g3 == []
    assert g1[0][1] is person and g2[0][1] is person
    assert g1[0][0] == {"role": "member"} and g1[0][0] is not g2[0][0]


PEOPLE = [
    {"id": "p1", "name": "欧阳修", "mobile": "13812341234", "id_number": "330421198001011234"},
    {"id": "p2", "name": "张三", "mobile": None, "id_number": None},  # the model's: unasked None
    {"id": "p3", "name": "", "mobile": "1381234"},  # an empty name, a short mobile, no ID
]
MASKED = [
    {"id": "p1", "name": "欧阳某", "mobile": "138****1234", "id_number": "330421********1234"},
    {"id": "p2", "name": "张某", "mobile": None, "id_number": None},
    {"id": "p3", "name": "", "mobile": "****"},
]


def test_a_batch_is_masked_per_role_as_one_record_at_a_time() -> None:
    before = [dict(p) for p in PEOPLE]
    mediator = Caller(Role.MEDIATOR, "330421")
    assert reveal(ANONYMOUS, "Person", PEOPLE) == MASKED
    assert reveal(Caller(Role.VIEWER), "Person", PEOPLE) == MASKED
    assert reveal(Caller(Role.RESEARCHER), "Person", PEOPLE) == MASKED
    assert reveal(Caller(Role.ADMIN), "Person", PEOPLE) == PEOPLE
    assert reveal(mediator, "Person", PEOPLE, [True, False, True]) == [
        PEOPLE[0],
        MASKED[1],
        PEOPLE[2],
    ]
    assert reveal(mediator, "Person", PEOPLE) == MASKED  # where they lie not known: masked
    assert [masked("Person", p) for p in PEOPLE] == MASKED
    assert before == PEOPLE  # masked in copies
    shown = reveal(Caller(Role.ADMIN), "Person", PEOPLE)
    assert all(s is not p for s, p in zip(shown, PEOPLE, strict=True))
    disputes = [{"id": "d1", "title": "张三与李四相邻纠纷"}, {"id": "d2", "title": None}]
    assert reveal(ANONYMOUS, "Dispute", disputes) == [
        {"id": "d1", "title": "（已隐去）"},
        {"id": "d2", "title": None},
    ]
    grid = [{"id": "g1", "name": "一网格"}]  # no personal data: shown to anyone
    assert reveal(ANONYMOUS, "Grid", grid) == grid
