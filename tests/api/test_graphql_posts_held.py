"""A person's posts on grids (`Person.gridPosts`) answered from the read model: its ties
into the grids (SERVES_IN, which it holds all of) give each person's grids
(`Context.posted`), the person's posts are taken from theirs (`Loaders.posts_held`), with no
read and no DataLoader; the same answer as the store's walk from the person, on every day
and none; a post's `source` (not held) is read; after a load of a post, the new one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from api.auth import ANONYMOUS, Caller
from api.graphql.context import Context
from api.graphql.dataloaders import Loaders
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from loaders.load import load
from queries import read_model

SCHEMA = build_schema(Settings(_env_file=None))
POSTS = "role validFrom validTo grid { id name }"
DAYS = [None, "2021-01-01", "2021-06-01", "2024-12-31"]


class _Beside:
    """The graph under another name: a model attached to it is not the graph's."""

    def __init__(self, graph: Any) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> Any:
        return getattr(self._graph, name)


def _asked(selection: str = POSTS) -> str:
    return (
        "query ($id: ID!, $day: Date) { person(id: $id) { id name "
        f"gridPosts(asOf: $day) {{ {selection} }} }} }}"
    )


def _each(backend: Any, people: list[str], day: str | None, selection: str = POSTS) -> Any:
    return [_run(backend, _asked(selection), id=k, day=day)["person"] for k in people]


def _run(backend: Any, query: str, caller: Caller = ANONYMOUS, **variables: Any) -> Any:
    context = Context(backend, caller)
    result = asyncio.run(SCHEMA.execute(query, variable_values=variables, context_value=context))
    assert result.errors is None, result.errors
    return result.data


def _ties_loaded(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ties a request's DataLoaders were made for."""
    made: list[Any] = []
    ties = Loaders.ties

    def counted(self: Loaders, tie: Any, as_of: Any = None) -> Any:
        made.append(tie)
        return ties(self, tie, as_of)

    monkeypatch.setattr(Loaders, "ties", counted)
    return made


@pytest.mark.slow
@pytest.mark.parametrize("day", DAYS)
def test_peoples_posts_held_are_the_stores(demo_graph, monkeypatch, day):
    modelled = _Beside(demo_graph)
    assert read_model.attach(modelled) is not None
    # people on posts in a county (several, past and present), and people on none
    posted = [
        r["p"]
        for r in demo_graph.read(
            "MATCH (p:Person)-[:SERVES_IN]->(g:Grid) WHERE g.id STARTS WITH '330421-' "
            "RETURN p.id AS p, count(*) AS n ORDER BY n DESC, p LIMIT 150"
        )
    ]
    others = [
        r["p"]
        for r in demo_graph.read(
            "MATCH (p:Person) WHERE NOT (p)-[:SERVES_IN]->(:Grid) RETURN p.id AS p "
            "ORDER BY p.id LIMIT 50"
        )
    ]
    expected = _each(_Beside(demo_graph), posted + others, day)
    made = _ties_loaded(monkeypatch)
    found = _each(modelled, posted + others, day)
    assert found == expected
    counts = [len(person["gridPosts"]) for person in found]
    assert counts[len(posted) :] == [0] * len(others) and sum(counts) > 0
    if day is None:  # every post, past and present: several for some
        assert min(counts[: len(posted)]) >= 1 and max(counts) >= 2
    assert made == []  # none read
    # their posts' source, which the model does not hold: read, the same answer
    sourced = POSTS + " source"
    assert _each(modelled, posted[:20], day, sourced) == _each(
        _Beside(demo_graph), posted[:20], day, sourced
    )
    assert made


def test_a_post_loaded_since_is_the_stores(examples_graph: EmbeddedBackend, tmp_path: Path):
    modelled = _Beside(examples_graph)
    assert read_model.attach(modelled) is not None
    people = ["JS-P-0002", "JS-P-0004"]
    before = _each(modelled, people, None)
    assert before == _each(examples_graph, people, None)
    assert [len(p["gridPosts"]) for p in before] == [2, 0]
    posts = tmp_path / "more.serves_in.csv"
    posts.write_text(
        "from,to,from_type,to_type,role,valid_from,valid_to\n"
        "JS-P-0004,330421001001-G01,Person,Grid,part_time,2024-05-01,\n",
        encoding="utf-8",
    )
    assert load(examples_graph, [posts]).rejects == []
    after = _each(modelled, people, None)
    assert after == _each(examples_graph, people, None)
    assert [len(p["gridPosts"]) for p in after] == [2, 1]
