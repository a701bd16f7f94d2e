"""A grid's team as the read model keeps it (`ReadModel.team`: its posts in a team's order,
sorted once) and records shaped from the model (`read_model.shaped`: the properties a query
names, the rest None), against what the store holds."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from graph.backend import Row
from graph.embedded import EmbeddedBackend
from graph.schema import GRID_ROLES, SCHEMA
from queries import read_model

MISSING = ["no-such-key", ""]


def test_a_grids_team_is_its_posts_heads_first(demo_graph: EmbeddedBackend) -> None:
    """Every grid's posts as the store holds them, by role (GRID_ROLES' order), then the day
    the post began (none first), then the holder's key; the same tuple the next time."""
    model = read_model.ReadModel(demo_graph)
    posts: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for row in demo_graph.read(
        "MATCH (p:Person)-[r:SERVES_IN]->(g:Grid) RETURN g.id AS grid, p.id AS person, "
        "r.role AS role, r.valid_from AS valid_from, r.valid_to AS valid_to"
    ):
        order = (GRID_ROLES.index(row["role"]), row["valid_from"] or date.min, row["person"])
        posts[row["grid"]].append((order, row["person"], row["role"], row["valid_from"],
                                   row["valid_to"]))  # fmt: skip
    assert len(posts) > 1000
    several = [g for g, found in posts.items() if len({p[2] for p in found}) > 2]
    assert len(several) > 100  # teams of three roles and more, whose order is tested
    for grid in [*model.nodes["Grid"], *MISSING]:
        expected = [p[1:] for p in sorted(posts.get(grid, []), key=lambda p: p[0])]
        team = [
            (person, t["role"], t.get("valid_from"), t.get("valid_to"))
            for person, t in model.team(grid)
        ]
        assert team == expected, grid
    kept = model._teams[several[0]]
    assert list(model.team(several[0])) == list(zip(kept[::2], kept[1::2], strict=True))
    assert model._teams[several[0]] is kept  # sorted once


def test_a_team_keeps_the_order_of_posts_alike() -> None:
    """Two posts alike in role, day and holder keep the order the ties were read in, as a
    stable sort of them does; a role not known comes last."""

    class Ties:
        def ties_in(self, type_: str, label: str, key: str) -> list[tuple[str, str, Row]]:
            return [("Person", person, props) for person, props in TIES]

    first, second = {"role": "member"}, {"role": "member"}
    TIES = [
        ("p2", first),
        ("p1", {"role": "full_time", "valid_from": date(2020, 1, 1)}),
        ("p2", second),
        ("p3", {"role": "full_time", "valid_from": None}),
        ("p9", {"role": "head", "valid_from": date(2021, 1, 1)}),
    ]
    model = object.__new__(read_model.ReadModel)
    model._teams = {}
    model.ties_in = Ties().ties_in  # type: ignore[method-assign]
    team = list(model.team("g"))
    assert [p for p, _ in team] == ["p9", "p3", "p1", "p2", "p2"]
    assert team[3][1] is first and team[4][1] is second


def test_records_shaped_from_the_model_are_its_nodes(demo_graph: EmbeddedBackend) -> None:
    """A person's (held column by column) and a grid's record: the properties named, the key,
    the rest of the label's None; a node without one of the names is left out."""
    model = read_model.ReadModel(demo_graph)
    for label, names in (
        ("Person", {"id", "name"}),
        ("Person", {"name", "mobile", "profession"}),
        ("Person", set()),
        ("Grid", {"id", "name", "kind"}),
        ("Grid", {"location", "valid_from"}),
    ):
        nodes, key = model.nodes[label], SCHEMA.node(label).key
        blank = dict.fromkeys(p.name for p in SCHEMA.node(label).properties)
        keys = [*list(nodes)[:500], *MISSING]
        found = read_model.shaped(nodes, key, keys, frozenset(names), blank)
        expected = {
            k: {**blank, key: k, **{n: nodes[k][n] for n in names}} for k in keys if k in nodes
        }
        assert found == expected, (label, names)
        assert len(found) == 500 and all(r is not blank for r in found.values())
    people = model.nodes["Person"]
    some = list(people)[:5]
    blank = dict.fromkeys(p.name for p in SCHEMA.node("Person").properties)
    # gender is not held by the model: no person is shaped, however often asked
    for _ in range(2):
        assert read_model.shaped(people, "id", some, frozenset({"gender"}), blank) == {}
    nodes = {"a": {"id": "a", "name": "A"}, "b": {"id": "b"}}
    assert read_model.shaped(nodes, "id", ["a", "b"], frozenset({"name"}), {"name": None}) == {
        "a": {"id": "a", "name": "A"}
    }
