"""A page of disputes takes its records from their own properties held beside the read model
(`queries.dispute_fields`, `Loaders._disputes`) when the query names none that they lack:
the same answers, masked alike for every role, as the records read by key; and no dispute is
read by key then. A query naming a property they lack reads the records, as before."""

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
CALLERS = [ANONYMOUS, Caller(Role.ADMIN), Caller(Role.MEDIATOR, "330421")]
HELD = """query ($w: String!, $order: DisputeOrder!, $after: String) {
    disputes(within: $w, orderBy: $order, first: 100, after: $after) {
    totalCount pageInfo { endCursor hasNextPage }
    items { id title reportedOn channel status outcome settledLevel parties warning } } }"""
UNHELD = HELD.replace("warning }", "warning satisfaction settledOn source }")


@pytest.fixture(scope="module")
def modelled(demo_graph: Any) -> Logged:
    graph = Logged(demo_graph)
    assert read_model.attach(graph) is not None
    return graph


def _pages(graph: Any, query: str, caller: Caller, order: str, most: int = 3) -> list[Any]:
    pages, after = [], None
    while len(pages) < most:
        variables = {"w": "330421002", "order": order, "after": after}
        result = asyncio.run(
            SCHEMA.execute(query, variable_values=variables, context_value=Context(graph, caller))
        )
        assert result.errors is None, result.errors
        page = result.data["disputes"]  # type: ignore[index]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return pages


def _by_key(reads: list[str]) -> list[str]:
    return [q for q in reads if "MATCH (n:Dispute {id: k})" in q]


@pytest.mark.parametrize("order", ["ID", "REPORTED_ON"])
@pytest.mark.parametrize("caller", CALLERS, ids=["viewer", "admin", "mediator"])
def test_a_page_of_disputes_from_their_held_properties(
    demo_graph: Any, modelled: Logged, caller: Caller, order: str
) -> None:
    expected = _pages(Logged(demo_graph), HELD, caller, order)
    modelled.reads.clear()
    found = _pages(modelled, HELD, caller, order)
    assert found == expected
    assert len(found) == 3 and all(len(p["items"]) == 100 for p in found)
    assert _by_key(modelled.reads) == []  # no dispute read by key
    assert len({d["status"] for p in found for d in p["items"]} - {None}) > 1
    # a property they lack: the records are read, the same answers
    found = _pages(modelled, UNHELD, caller, order, 1)
    assert found == _pages(Logged(demo_graph), UNHELD, caller, order, 1)
    assert len(_by_key(modelled.reads)) == 1
