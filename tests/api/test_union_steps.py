"""A plain attribute of a union type (a dispute's party: `DisputeParty.party`) completed by
its value's type's steps (`api.graphql.execution`, `_Step.UNION`) answers as graphql-core
does: for each member type, a null (allowed and forbidden), a value of neither type, a
subclass, a value `strawberry.cast` to a type, an error raised in the member's field, and
`__typename`, fragments on the union's types and on neither; and it is taken: no abstract
type's completion for the members' own values."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import pytest
import strawberry
from graphql.execution.executor import Executor
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.execution import Execution, call_resolvers_directly


@strawberry.type
class Person:
    name: str | None
    mobile: str

    @strawberry.field
    def checked(self) -> str:
        if self.mobile == "bad":
            raise ValueError(f"{self.name} is bad")
        return self.mobile


@strawberry.type
class Org:
    name: str | None
    kind: str | None


class Employee(Person):  # not a strawberry type of its own: strawberry resolves it as Person
    pass


@strawberry.type
class Unlisted:
    name: str


Party = Annotated[Person | Org, strawberry.union("Party")]


@strawberry.type
class Side:
    label: str
    party: Party | None
    sure: Party


def _sides() -> list[Side]:
    cast = strawberry.cast(Org, Person(name="cast", mobile="1"))  # resolves to Org
    return [
        Side(label="a", party=Person(name="p", mobile="138"), sure=Org(name="o", kind="k")),
        Side(label="b", party=Org(name="o2", kind=None), sure=Person(name=None, mobile="2")),
        Side(label="c", party=None, sure=Person(name="n", mobile="bad")),
        Side(label="d", party=Employee(name="e", mobile="3"), sure=cast),
        Side(label="e", party=Unlisted(name="u"), sure=None),  # type: ignore[arg-type]
        Side(label="f", party="not a party", sure=Org(name="o3", kind=None)),  # type: ignore[arg-type]
    ]


@strawberry.type
class Query:
    @strawberry.field
    def sides(self) -> list[Side | None]:
        return _sides()  # type: ignore[return-value]

    @strawberry.field
    def first(self) -> Side:
        return _sides()[0]


def _answer(context: type, query: str) -> Any:
    schema = strawberry.Schema(query=Query, execution_context_class=context)
    call_resolvers_directly(schema)
    result = asyncio.run(schema.execute(query))
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, sorted(errors, key=repr)


PARTS = "__typename ... on Person { name mobile checked } ... on Org { name kind __typename }"
QUERIES = [
    f"{{ sides {{ label party {{ {PARTS} }} sure {{ {PARTS} }} }} }}",
    f"{{ sides {{ label party {{ {PARTS} }} }} }}",
    "{ sides { party { ... on Person { name } } sure { ... on Org { kind } } } }",
    "{ sides { party { __typename } } first { sure { __typename } } }",
    "{ sides { party { ...P ...O } } } fragment P on Person { mobile } fragment O on Org { name }",
    "{ first { party { ... on Person { name } } a: party { ... on Person { mobile } } } }",
]


@pytest.mark.parametrize("query", QUERIES)
def test_a_union_attribute_answers_as_graphql_core(query):
    assert _answer(Execution, query) == _answer(StrawberryGraphQLCoreExecutionContext, query)


def test_the_unions_meet_nulls_errors_and_strangers():
    """The comparisons compare something: the first query meets each case."""
    data, errors = _answer(Execution, QUERIES[0])
    assert [s and (s["party"], s["sure"]) for s in data["sides"]] == [
        (
            {"__typename": "Person", "name": "p", "mobile": "138", "checked": "138"},
            {"__typename": "Org", "name": "o", "kind": "k"},
        ),
        (
            {"__typename": "Org", "name": "o2", "kind": None},
            {"__typename": "Person", "name": None, "mobile": "2", "checked": "2"},
        ),
        None,  # `sure`'s `checked` raised: the non-null union nulls its side
        (
            {"__typename": "Person", "name": "e", "mobile": "3", "checked": "3"},
            {"__typename": "Org", "name": "cast", "kind": None},
        ),
        None,  # `sure` null where forbidden
        (None, {"__typename": "Org", "name": "o3", "kind": None}),  # `party` neither type
    ]
    assert sorted((message[:24], path) for message, path, _ in errors) == [
        ("'Person' object has no a", ["sides", 3, "sure", "kind"]),  # the cast
        ("Cannot return null for n", ["sides", 4, "sure"]),
        ("The type \"<class 'str'>\"", ["sides", 5, "party"]),
        ("The type \"<class 'tests.", ["sides", 4, "party"]),
        ("n is bad", ["sides", 2, "sure", "checked"]),
    ]


def test_the_members_own_values_need_no_abstract_completion(monkeypatch):
    calls: list[str] = []
    real = Executor.complete_abstract_value

    def counted(self: Any, *args: Any) -> Any:
        calls.append(args[3].as_list()[-1] if args[3] else "")
        return real(self, *args)

    monkeypatch.setattr(Executor, "complete_abstract_value", counted)
    data, _ = _answer(Execution, QUERIES[1])
    assert len(data["sides"]) == 6
    # only the subclass and the value of neither type go the library's way
    assert calls == ["party", "party", "party"]
