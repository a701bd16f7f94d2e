"""The lists answer on Neo4j as on the embedded store: a page's keys sorted by the store, then
its records by key, and the count of those found from the units (`api.graphql.pagination`)."""

from __future__ import annotations

import asyncio

import pytest

from api.auth import Caller, Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings

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
