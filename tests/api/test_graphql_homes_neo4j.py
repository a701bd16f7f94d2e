"""A town's residents with their homes on Neo4j as on the embedded store: there the homes
come with the residents' keys kept (`Context.placed_keys`, which needs the store's stamps),
on Neo4j, which has none, they are read with the page (`Loaders.tie_rows`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from queries import read_model
from tests.api.logged import Logged

SCHEMA = build_schema(Settings(_env_file=None))
RESIDENTS = """query ($w: String!, $after: String) { people(within: $w, first: 100, after: $after) {
    totalCount pageInfo { endCursor hasNextPage } items { id name mobile home { code name } } } }"""
CALLERS = [ANONYMOUS, Caller(Role.ADMIN), Caller(Role.MEDIATOR, "330421002012")]


def _pages(backend: Any, code: str, caller: Caller) -> list[Any]:
    """The first two pages of the residents of `code`."""
    pages, after = [], None
    for _ in range(2):
        context = Context(backend, caller)
        result = asyncio.run(
            SCHEMA.execute(RESIDENTS, variable_values={"w": code, "after": after},
                           context_value=context)
        )  # fmt: skip
        assert result.errors is None, result.errors
        pages.append(result.data["people"])
        after = result.data["people"]["pageInfo"]["endCursor"]
    return pages


@pytest.mark.parametrize("code", ["330421002", "330421002012"])
def test_residents_homes_are_alike_on_neo4j_and_kept(demo_graph, neo4j_demo, code):
    modelled = Logged(demo_graph)
    assert read_model.attach(modelled) is not None
    for caller in CALLERS:
        embedded = _pages(modelled, code, caller)
        assert not [q for q in modelled.reads if "LIVES_IN" in q and "collect(" not in q
                    and "SERVES_IN" not in q]  # fmt: skip
        assert len(embedded[1]["items"]) == 100
        assert _pages(neo4j_demo, code, caller) == embedded
        modelled.clear()
