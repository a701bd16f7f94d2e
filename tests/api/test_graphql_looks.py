"""A request looks at the read model's currency once per kind of look while nothing is
written (`Context._looks`), and answers exactly as a look at the stamps would: a write that
ends during the request is seen by every look after it (its labels then read the store), and
nothing is kept while a write is under way."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from api.auth import Caller, Role
from api.graphql import context as context_module
from api.graphql.context import Context
from api.graphql.dataloaders import Loaders
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from queries import read_model

ADMIN = Caller(Role.ADMIN)
PEOPLE = frozenset({"Person"})
SCHEMA = build_schema(Settings(_env_file=None))
GRIDS = """{ grids(within: "330421", first: 100) { items {
    id team { role person { id name } } } } }"""


@pytest.fixture
def modelled(examples_graph: EmbeddedBackend) -> EmbeddedBackend:
    assert read_model.attach(examples_graph) is not None
    return examples_graph


def _counted(monkeypatch: pytest.MonkeyPatch) -> Counter[frozenset[str]]:
    """Counts the looks at the model's stamps (`context._current`), by labels."""
    looks: Counter[frozenset[str]] = Counter()
    current = context_module._current

    def counted(backend: Any, labels: frozenset[str]) -> Any:
        looks[labels] += 1
        return current(backend, labels)

    monkeypatch.setattr(context_module, "_current", counted)
    return looks


def _rename(graph: EmbeddedBackend, person: str, name: str) -> None:
    graph.write([("MATCH (p:Person {id: $id}) SET p.name = $name", {"id": person, "name": name})])


def test_looked_once_while_nothing_is_written(
    modelled: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks = _counted(monkeypatch)
    model = read_model.model_of(modelled)
    context = Context(modelled, ADMIN)
    assert [context.model(read_model.PLACES) for _ in range(3)] == [model] * 3
    assert [context.model(PEOPLE) for _ in range(2)] == [model] * 2
    assert looks == {read_model.PLACES: 1, PEOPLE: 1}
    assert model is not None
    assert context.cases(read_model.OCCURRED) is context.cases(read_model.OCCURRED) is model.cases
    # another request looks again
    assert Context(modelled, ADMIN).model(PEOPLE) is model
    assert looks[PEOPLE] == 2


def test_a_write_ended_since_is_seen_by_the_next_look(
    modelled: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = read_model.model_of(modelled)
    context = Context(modelled, ADMIN)
    assert context.model(PEOPLE) is model
    assert context.model(read_model.PLACES) is model
    (person,) = modelled.read("MATCH (p:Person) RETURN p.id AS id ORDER BY p.id LIMIT 1")
    _rename(modelled, person["id"], "改名")
    assert context.model(PEOPLE) is None  # changed: the store is read
    assert context.model(read_model.PLACES) is model  # not changed by the write


def test_nothing_kept_while_a_write_is_under_way(
    modelled: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks = _counted(monkeypatch)
    context = Context(modelled, ADMIN)
    (person,) = modelled.read("MATCH (p:Person) RETURN p.id AS id ORDER BY p.id LIMIT 1")
    seen: list[Any] = []

    def committed(version: int | None) -> None:  # the write's version still odd
        seen.extend(context.model(PEOPLE) for _ in range(2))

    def work(read: Any) -> tuple[list[tuple[str, dict[str, Any]]], None]:
        statement = "MATCH (p:Person {id: $id}) SET p.name = $name"
        return [(statement, {"id": person["id"], "name": "改名"})], None

    modelled.write_locked("Person", person["id"], work, committed)
    assert looks[PEOPLE] == 2  # each looked at the stamps
    assert context.model(PEOPLE) is None
    assert looks[PEOPLE] == 3


def _team_names(data: Any) -> dict[str, dict[str, str]]:
    return {
        g["id"]: {p["person"]["id"]: p["person"]["name"] for p in g["team"]}
        for g in data["grids"]["items"]
    }


def test_a_person_renamed_mid_request_is_shown_renamed_after_it(
    modelled: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write ends after the first grid's team was answered from the model: the later
    grids' teams show the new name (read from the store), as a look at the stamps would."""

    # a second grid with a team, whose member is on no other (before the model is read)
    modelled.write(
        [
            (
                "MATCH (p:Person {id: 'JS-P-0004'}), (g:Grid {id: '330421001000-Z02'}) "
                "CREATE (p)-[:SERVES_IN {rid: 'test-looks', role: 'head'}]->(g)",
                {},
            )
        ]
    )
    assert read_model.attach(modelled) is not None

    def ask() -> dict[str, dict[str, str]]:
        result = asyncio.run(SCHEMA.execute(GRIDS, context_value=Context(modelled, ADMIN)))
        assert result.errors is None, result.errors
        return _team_names(result.data)

    before = ask()
    grids = [g for g, team in before.items() if team]
    first, later = "330421001000-Z02", "330421001001-G01"
    assert grids == [first, later]  # by id
    person = next(p for p in before[later] if p not in before[first])
    held = Loaders.team_held
    calls = 0

    def writing(self: Loaders, *args: Any) -> Any:
        nonlocal calls
        answer = held(self, *args)
        calls += 1
        if calls == 1:
            _rename(modelled, person, "改名")
        return answer

    monkeypatch.setattr(Loaders, "team_held", writing)
    after = ask()
    assert after[first] == before[first]
    assert after[later] == {**before[later], person: "改名"}
