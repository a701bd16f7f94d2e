"""A list's page reads its items' homes ahead, in the one batch a DataLoader would
(`Loaders.tie_rows`, `lists.AHEAD`), and each resident's `home` is then answered at once:
the same answers, for every role, as the DataLoader's (a selection through a fragment is not
read ahead), a home outside the town included; and no DataLoader is made for them."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.cypher import Tie
from api.graphql.dataloaders import Loaders
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from queries import read_model

SCHEMA = build_schema(Settings(_env_file=None))
CALLERS = [ANONYMOUS, Caller(Role.ADMIN), Caller(Role.MEDIATOR, "330421")]
AHEAD = """query ($w: String!, $first: Int!, $after: String) {
    people(within: $w, first: $first, after: $after) { pageInfo { endCursor hasNextPage }
        items { id name mobile home { code name level } } } }"""
# the same asked through a fragment: not read ahead, each home through the DataLoader
LOADED = """query ($w: String!, $first: Int!, $after: String) {
    people(within: $w, first: $first, after: $after) { pageInfo { endCursor hasNextPage }
        items { id name mobile ... on Person { home { code name level } } } } }"""


def _pages(graph: Any, query: str, caller: Caller, code: str, first: int) -> list[Any]:
    pages, after = [], None
    while True:
        context = Context(graph, caller)
        variables = {"w": code, "first": first, "after": after}
        result = asyncio.run(
            SCHEMA.execute(query, variable_values=variables, context_value=context)
        )
        assert result.errors is None, result.errors
        page = result.data["people"]  # type: ignore[index]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return pages
        after = page["pageInfo"]["endCursor"]


def _tie_loaders(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    made: Counter[str] = Counter()
    ties = Loaders.ties

    def counted(self: Loaders, tie: Tie, *args: Any) -> Any:
        made[tie.rel] += 1
        return ties(self, tie, *args)

    monkeypatch.setattr(Loaders, "ties", counted)
    return made


@pytest.mark.parametrize("modelled", [False, True], ids=["store", "model"])
@pytest.mark.parametrize("caller", CALLERS, ids=["viewer", "admin", "mediator"])
def test_homes_read_ahead_answer_as_the_dataloader(
    examples_graph: EmbeddedBackend,
    monkeypatch: pytest.MonkeyPatch,
    caller: Caller,
    modelled: bool,
) -> None:
    # a second home outside the town, its code lower: the first of a person's homes
    examples_graph.write(
        [
            (
                "MATCH (p:Person {id: 'JS-P-0001'}), (u:Unit {code: '330421000000'}) "
                "CREATE (p)-[:LIVES_IN {rid: 'test-ahead'}]->(u)",
                {},
            )
        ]
    )
    if modelled:
        assert read_model.attach(examples_graph) is not None
    made = _tie_loaders(monkeypatch)
    ahead = _pages(examples_graph, AHEAD, caller, "330421001", 2)
    assert made["LIVES_IN"] == 0  # every home read ahead, none asked of a DataLoader
    loaded = _pages(examples_graph, LOADED, caller, "330421001", 2)
    assert made["LIVES_IN"] == sum(len(p["items"]) for p in loaded)  # asked by each resident
    assert ahead == loaded
    homes = {p["id"]: p["home"] for page in ahead for p in page["items"]}
    assert homes == {
        "JS-P-0001": {"code": "330421000000", "name": "嘉善县", "level": "COUNTY"},
        "JS-P-0002": {"code": "330421001001", "name": "日晖社区", "level": "VILLAGE"},
        "JS-P-0003": {"code": "330421001001", "name": "日晖社区", "level": "VILLAGE"},
        "JS-P-0004": {"code": "330421001000", "name": "魏塘街道", "level": "TOWN"},
        "JS-P-0005": {"code": "330421001001", "name": "日晖社区", "level": "VILLAGE"},
    }
