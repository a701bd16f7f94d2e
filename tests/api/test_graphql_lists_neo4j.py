"""The lists answer on Neo4j as on the embedded store: a page's keys sorted by the store, then
its records by key, and the count of those found from the units (`api.graphql.pagination`)."""

from __future__ import annotations

import asyncio

import pytest

from api.auth import Caller, Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from queries import read_model

ADMIN = Caller(Role.ADMIN)
PAGE = "totalCount pageInfo { endCursor hasNextPage } items { id name }"

LISTS = [
    "people(within: $w, first: 30, after: $after) { " + PAGE + " }",
    "people(within: $w, gender: FEMALE, first: 30, after: $after) { " + PAGE + " }",
    "centers(within: $w, orderBy: NAME, direction: DESC, first: 5, after: $after) { " + PAGE + " }",
    "organisations(within: $w, first: 10, after: $after) { " + PAGE + " }",
    "grids(kind: BASIC, orderBy: NAME, first: 10, after: $after) { " + PAGE + " }",
    "grids(within: $w, kind: BASIC, orderBy: NAME, first: 10, after: $after) { " + PAGE + " }",
]


def _pages(backend, field: str, within: str) -> list[dict]:
    """The first three pages of `field`, followed by their cursors."""
    schema = build_schema(Settings(_env_file=None))
    declared = "$w: String, $after: String" if "$w" in field else "$after: String"
    query = "query (" + declared + ") { list: " + field + " }"
    pages, after = [], None
    for _ in range(3):
        result = asyncio.run(
            schema.execute(
                query,
                variable_values={"after": after, **({"w": within} if "$w" in field else {})},
                context_value=Context(backend, ADMIN),
            )
        )
        assert result.errors is None, result.errors
        pages.append(result.data["list"])
        after = result.data["list"]["pageInfo"]["endCursor"]
        if not result.data["list"]["pageInfo"]["hasNextPage"]:
            break
    return pages


@pytest.mark.parametrize("field", LISTS)
@pytest.mark.parametrize("within", ["330421", "330421002"])
def test_a_list_pages_and_counts_alike_on_both_backends(demo_graph, neo4j_demo, field, within):
    embedded = _pages(demo_graph, field, within)
    assert embedded[0]["items"] and embedded[0]["totalCount"] > 0
    assert _pages(neo4j_demo, field, within) == embedded


NESTED = [
    "grids(within: $w, kind: BASIC, first: 20, after: $after) { totalCount "
    'pageInfo { endCursor hasNextPage } items { id team(asOf: "2021-01-01") { role validFrom '
    "person { id name mobile } } } }",
    "disputes(within: $w, orderBy: ID, direction: ASC, first: 20, after: $after) { totalCount "
    "pageInfo { endCursor hasNextPage } items { id grid { id name } domain { code } "
    "participants { side party { ... on Person { id name } ... on Organisation { id } } } } }",
]


class _Beside:
    """The graph under another name: a read model attached to it is not the graph's."""

    def __init__(self, graph: object) -> None:
        self._graph = graph

    def __getattr__(self, name: str) -> object:
        return getattr(self._graph, name)


@pytest.mark.parametrize("field", NESTED)
def test_a_grids_team_and_a_disputes_ties_are_alike_on_neo4j_and_from_the_model(
    demo_graph, neo4j_demo, field
):
    """`Loaders.team` and `Loaders.filed` answer from the read model on the embedded store
    and read Cypher on Neo4j (no model): the same pages."""
    modelled = _Beside(demo_graph)
    assert read_model.attach(modelled) is not None
    embedded = _pages(modelled, field, "330421002")
    assert embedded[0]["items"] and embedded[0]["totalCount"] > 0
    assert _pages(neo4j_demo, field, "330421002") == embedded
