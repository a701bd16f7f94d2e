"""The short path for plain attribute fields (`api.graphql.execution`) answers as graphql-core
and strawberry do without it: the same data and the same errors."""

from __future__ import annotations

import asyncio
import enum
from datetime import date

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.execution import Execution
from api.graphql.schema import Mutation, Query, Schema, build_schema
from api.settings import Settings
from tests.bench_http import QUERIES

CALLERS = {
    "viewer": ANONYMOUS,
    "mediator": Caller(Role.MEDIATOR, "330421"),
    "admin": Caller(Role.ADMIN),
}


def _answer(schema, query, **execute):
    result = asyncio.run(schema.execute(query, **execute))
    errors = [(e.message, e.path, e.extensions) for e in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("name", list(QUERIES))
def test_the_read_mix_answers_as_without_the_short_path(demo_graph, name):
    library = Schema(
        query=Query,
        mutation=Mutation,
        execution_context_class=StrawberryGraphQLCoreExecutionContext,
    )
    ours = build_schema(Settings(_env_file=None))
    who, query = QUERIES[name]
    answers = [
        _answer(s, query, context_value=Context(demo_graph, CALLERS[who])) for s in (library, ours)
    ]
    assert answers[0] == answers[1]
    assert answers[1][0] and not answers[1][1]


class Colour(enum.Enum):
    RED = "red"


@strawberry.type
class Thing:
    name: str
    nickname: str | None
    colour: Colour | None
    day: date | None
    count: int | None
    failing: str | None


def _thing(**values):
    fields = {"name": "x", "nickname": None, "colour": None, "day": None, "count": None}
    return Thing(failing=None, **{**fields, **values})


@strawberry.type
class Pal:
    name: str | None
    nickname: str

    @strawberry.field
    async def later(self) -> str:  # a sub-field awaited: its error comes later
        if self.name is None:
            raise ValueError("no name yet")
        return self.name


@strawberry.type
class Holder:
    pal: Pal | None
    required: Pal


def _holders() -> list[Holder | None]:
    broken = Holder(pal=Pal(name="x", nickname="y"), required=Pal(name="x", nickname="y"))
    del broken.pal  # reading it raises
    return [
        Holder(pal=Pal(name="a", nickname="b"), required=Pal(name="c", nickname="d")),
        Holder(pal=None, required=Pal(name=None, nickname="e")),
        Holder(pal=Pal(name=None, nickname=None), required=Pal(name="f", nickname="g")),
        Holder(pal=Pal(name="h", nickname="i"), required=Pal(name="j", nickname=None)),
        Holder(pal=Pal(name="k", nickname="l"), required=None),  # null where forbidden
        Holder(pal="not a pal", required=Pal(name="m", nickname="n")),
        broken,
    ]


@strawberry.type
class Things:
    @strawberry.field
    def holders(self) -> list[Holder | None]:
        return _holders()

    @strawberry.field
    def pals(self) -> list[Pal]:  # a null item where the type forbids one
        return [Pal(name="a", nickname="b"), Pal(name=None, nickname="c"), None]  # type: ignore[list-item]

    @strawberry.field
    async def maybe_pals(self) -> list[Pal | None]:  # awaited, then its items completed
        return [
            Pal(name="a", nickname="b"),
            None,
            Pal(name=None, nickname="c"),
            "not a pal",  # type: ignore[list-item]
            ValueError("an error in place of an item"),  # type: ignore[list-item]
            Pal(name="d", nickname=None),
        ]

    @strawberry.field
    def pal_tuple(self) -> list[Pal | None]:  # a tuple, completed as a list is
        return (  # type: ignore[return-value]
            Pal(name="a", nickname="b"),
            None,
            Pal(name=None, nickname="c"),
            "not a pal",
            Pal(name="d", nickname=None),
        )

    @strawberry.field
    def things(self) -> list[Thing]:
        broken = _thing()
        del broken.failing  # reading it raises
        return [
            _thing(nickname="y", colour=Colour.RED, day=date(2024, 2, 29), count=3),
            _thing(name=None),  # null where the type forbids it
            _thing(colour="purple"),  # a value its enum does not have
            _thing(count="many"),  # a value Int cannot serialise
            _thing(day="not a date"),
            broken,
        ]


@pytest.mark.parametrize(
    "query",
    [
        "{ things { name nickname colour day count failing } }",
        "{ things { name } }",
        "{ things { colour } }",
        "{ things { count day } }",
        "{ things { nickname failing } }",
        "{ holders { pal { name nickname } required { name } } }",
        "{ holders { pal { later } } }",
        "{ holders { required { later nickname } } }",
        "{ holders { pal { nickname later } required { name later } } }",
        "{ pals { name } }",
        "{ pals { nickname later } }",
        "{ maybePals { name later } }",
        "{ maybePals { nickname } }",
        "{ maybePals { name } pals { nickname } }",
        "{ palTuple { name later } }",
        "{ palTuple { nickname } }",
    ],
)
def test_unusual_values_give_the_same_errors_as_without_the_short_path(query):
    answers = [
        _answer(strawberry.Schema(query=Things, execution_context_class=execution), query)
        for execution in (StrawberryGraphQLCoreExecutionContext, Execution)
    ]
    assert answers[0] == answers[1]
    assert answers[1][1]  # each query meets an unusual value
