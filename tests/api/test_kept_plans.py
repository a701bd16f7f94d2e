"""A query's plan (its steps and graphql-core's collected subfields: `api.graphql.execution`,
`_Plan`) kept per operation and variables: the same answers as graphql-core's own execution
whatever the requests before, none worked out again for the same operation and variables,
one per set of variables (the `@include`s and arguments they decide differ), none kept for a
mutation or for variables that cannot be a key, and dropped with its operation."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql import execution, limits
from api.graphql.execution import Execution, call_resolvers_directly
from api.settings import Settings
from tests.api.test_graphql_plan import CREATED, DIRECTIVES, QUERIES, Mutation, Query, _variables


def _schema(context: type) -> strawberry.Schema:
    """A schema with the server's limits, whose parser's cache hands back the same document
    for the same text (as the server's does)."""
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=context,
        extensions=limits.extensions(Settings()),
    )
    call_resolvers_directly(schema)
    return schema


def _asked(schema: strawberry.Schema, asks: list[tuple[str, dict[str, Any] | None]]) -> list[Any]:
    async def ask() -> list[Any]:
        answers = []
        for query, variables in asks:
            CREATED.clear()
            result = await schema.execute(query, variable_values=variables)
            await asyncio.sleep(0.01)  # what a non-null error left settles in the background
            errors = [(e.message, e.path, e.locations) for e in result.errors or []]
            answers.append((result.data, sorted(errors, key=repr)))
        return answers

    return asyncio.run(ask())


def _plans(schema: strawberry.Schema) -> dict[Any, Any]:
    return Execution.kept.get(schema._schema, {})


def test_the_queries_answer_as_graphql_core_asked_again_in_turn():
    """Each query of test_graphql_plan three times over, in turn, and the directives' query
    with its variable on, off and on: the library's answers each time."""
    asks = [(q, _variables(q)) for q in QUERIES] * 3
    asks += [(DIRECTIVES, {"yes": v}) for v in (True, False, True, False)]
    library = _asked(_schema(StrawberryGraphQLCoreExecutionContext), asks)
    ours = _schema(Execution)
    assert _asked(ours, asks) == library
    # one plan for each query but the mutation, and one more for the directives' `false`
    assert len(_plans(ours)) == len(QUERIES) - 1 + 1


def test_a_plan_is_worked_out_once_per_operation_and_variables(monkeypatch):
    made: list[str] = []
    real = execution._Step.__init__

    def counted(self: Any, name: str, details: Any) -> None:
        made.append(name)
        real(self, name, details)

    monkeypatch.setattr(execution._Step, "__init__", counted)
    schema = _schema(Execution)
    query = "query ($t: String!) { items { id tagged(tag: $t) leaf { name } } }"
    first = _asked(schema, [(query, {"t": "a"})])
    steps = len(made)
    assert steps == 5  # items; id, tagged, leaf; name
    again = _asked(schema, [(query, {"t": "a"})] * 3)
    assert again == first * 3
    assert len(made) == steps  # none made again
    other = _asked(schema, [(query, {"t": "b"})])
    assert len(made) == 2 * steps  # other variables: another plan, with `tagged`'s "b"
    assert other != first
    assert other[0][0]["items"][0]["tagged"].startswith("i1 b ")
    assert len(_plans(schema)) == 2


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ('mutation { a: add(label: "x") { id label } }', None),
        (
            'query ($ids: [ID!]!) { clean { picked(ids: $ids, where: {name: "w"}, '
            'node: "VGhpbmc6MQ==") } }',
            {"ids": ["i1"]},
        ),
    ],
    ids=["a mutation", "a list variable"],
)
def test_no_plan_is_kept_for_a_mutation_nor_for_variables_that_cannot_be_a_key(query, variables):
    library = _asked(_schema(StrawberryGraphQLCoreExecutionContext), [(query, variables)] * 2)
    schema = _schema(Execution)
    assert _asked(schema, [(query, variables)] * 2) == library
    assert not library[0][1]
    assert _plans(schema) == {}


def test_a_plan_goes_with_its_operation():
    schema = _schema(Execution)
    _asked(schema, [("{ clean { id } }", None), ("{ strict { id } }", None)])
    assert len(_plans(schema)) == 2
    limits._document.cache_clear()  # the parser's cache lets go of the documents
    limits._verdict.cache_clear()
    gc.collect()
    assert _plans(schema) == {}
