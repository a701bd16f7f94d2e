"""Resolvers that take nothing but their object (and `info`) are called by graphql-core
directly (`api.graphql.execution.call_resolvers_directly`), not through strawberry's
wrapper: the same answers and errors as through it; a resolver with arguments, or with a
field extension (a permission), keeps strawberry's."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.execution import Execution, call_resolvers_directly


class _Never(BasePermission):
    message = "never"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def upper(self) -> str:
        return self.name.upper()

    @strawberry.field
    def asked_by(self, info: strawberry.Info) -> str:
        return f"{info.context['who']} asked {info.field_name} of {self.name}"

    @strawberry.field
    def failing(self, info: strawberry.Info) -> str | None:
        raise ValueError(f"{self.name} fails")

    @strawberry.field
    def missing(self) -> str:  # null where the type forbids it
        return None  # type: ignore[return-value]

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        if self.name == "b":
            raise ValueError("b fails later")
        return self.name + "!"

    @strawberry.field
    def repeated(self, times: int = 2) -> str:
        return self.name * times

    @strawberry.field(permission_classes=[_Never])
    def secret(self) -> str | None:
        return "secret"


@strawberry.type
class Items:
    @strawberry.field
    def items(self) -> list[Item]:
        return [Item(name="a"), Item(name="b")]


def _answer(schema: strawberry.Schema, query: str) -> Any:
    result = asyncio.run(schema.execute(query, context_value={"who": "someone"}))
    return result.data, [(e.message, e.path) for e in result.errors or []]


def test_which_resolvers_are_called_directly() -> None:
    schema = strawberry.Schema(query=Items, execution_context_class=Execution)
    strawberrys = {n: f.resolve for n, f in schema._schema.type_map["Item"].fields.items()}
    call_resolvers_directly(schema)
    fields = schema._schema.type_map["Item"].fields
    direct = {n for n, f in fields.items() if f.resolve is not strawberrys[n]}
    assert direct == {"upper", "askedBy", "failing", "missing", "later"}


@pytest.mark.parametrize(
    "query",
    [
        "{ items { name upper askedBy later repeated(times: 3) } }",
        "{ items { failing upper } }",
        "{ items { missing } }",
        "{ items { later askedBy } }",
        "{ items { secret name } }",
    ],
)
def test_answers_and_errors_as_through_strawberry(query: str) -> None:
    library = strawberry.Schema(
        query=Items, execution_context_class=StrawberryGraphQLCoreExecutionContext
    )
    direct = strawberry.Schema(query=Items, execution_context_class=Execution)
    call_resolvers_directly(direct)
    assert _answer(direct, query) == _answer(library, query)
