"""Objects and lists of objects completed by their selection's steps (`api.graphql.execution`:
`Execution.complete_value`, `_items`, `_fields`) answer as graphql-core does without them:
the same data and the same errors (message, path, locations), with nested objects, nulls,
errors raised in a resolver inside a list item (sync and awaited), fragments, aliases,
directives, lists the library completes itself (an iterator, an abstract type) and a
mutation's serial execution, and resolvers called directly with their arguments taken once
a request (`call_resolvers_directly`, `Execution._resolver`). And they are taken: a list of
plain objects is completed without graphql-core's per-item and per-object calls, and a
resolver with arguments is called without their coercion and conversion per call."""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import strawberry
import strawberry.schema.schema_converter
from graphql.execution import executor
from graphql.execution.executor import Executor
from strawberry import relay
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.execution import Execution, call_resolvers_directly


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class Where:
    name: str


@strawberry.type
class Leaf:
    name: str | None
    code: str

    @strawberry.field
    def checked(self) -> str:
        if self.code == "bad":
            raise ValueError(f"leaf {self.name} is bad")
        return self.code

    @strawberry.field
    async def later(self) -> str | None:
        await asyncio.sleep(0)
        if self.code == "late":
            raise ValueError(f"leaf {self.name} is late")
        return self.code


@strawberry.type
class Item:
    id: strawberry.ID
    label: str | None
    leaf: Leaf | None
    needed: Leaf
    leaves: list[Leaf | None]
    strict_leaves: list[Leaf]

    @strawberry.field
    def resolved(self) -> Leaf | None:
        return self.leaf

    @strawberry.field
    async def awaited(self) -> Leaf | None:
        await asyncio.sleep(0)
        return self.leaf

    @strawberry.field
    def failing(self) -> str:  # non-null: its error nulls the item
        if self.id == "i4":
            raise RuntimeError(f"item {self.id} failed")
        return str(self.id)

    @strawberry.field
    def team(self) -> list[Leaf]:  # a resolver's list of objects
        return [leaf for leaf in (self.leaf, self.needed) if leaf is not None]

    @strawberry.field
    def tagged(
        self,
        info: strawberry.Info,
        tag: str,
        times: int = 1,
        colour: Colour | None = None,
        day: date | None = None,
    ) -> str:
        if tag == "boom" and self.id == "i3":
            raise ValueError(f"{self.id} cannot take {tag}")
        return f"{self.id} {tag * times} {colour} {day!r} {info.field_name} {info.path}"

    @strawberry.field
    async def later_tagged(self, tag: str | None) -> str | None:
        await asyncio.sleep(0)
        if tag == "boom":
            raise ValueError(f"{self.id} cannot take {tag} later")
        return tag and f"{self.id} {tag}"

    @strawberry.field
    def near(self, limit: int) -> list[Leaf]:
        return [self.needed, *self.strict_leaves][:limit]

    @strawberry.field  # arguments strawberry converts: its own way
    def picked(self, ids: list[strawberry.ID], where: Where, node: relay.GlobalID) -> str:
        return f"{self.id in ids} {where.name} {node.node_id}"


def _leaf(name: str | None, code: str = "ok") -> Leaf:
    return Leaf(name=name, code=code)


def _item(id_: str, **values: Any) -> Item:
    fields: dict[str, Any] = {
        "label": f"label {id_}",
        "leaf": _leaf(f"leaf {id_}"),
        "needed": _leaf(f"needed {id_}"),
        "leaves": [_leaf(f"a {id_}"), None, _leaf(f"b {id_}", "late")],
        "strict_leaves": [_leaf(f"c {id_}")],
    }
    return Item(id=strawberry.ID(id_), **{**fields, **values})


def _items() -> list[Item | None]:
    broken = _item("i8")
    del broken.leaf  # reading it raises
    return [
        _item("i1"),
        None,
        _item("i2", leaf=None, label=None),
        _item("i3", leaf=_leaf(None, "bad")),  # a resolver raising in a nested object
        _item("i4"),  # `failing` raises
        _item("i5", needed=None),  # null where the type forbids it
        _item("i6", strict_leaves=[_leaf("d"), None]),  # a null item where forbidden
        _item("i7", label={"not": "a string"}, leaf=_leaf("x", "late")),
        broken,
        _item("i9", leaf="not a leaf"),  # an object of the wrong kind
    ]


@strawberry.type
class Soon:
    leaf: Leaf | None  # an awaitable held as a plain attribute: awaited


async def _soon(name: str) -> Leaf:
    await asyncio.sleep(0)
    return _leaf(name)


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return _items()

    @strawberry.field
    def strict(self) -> list[Item] | None:  # a null item nulls the list
        return [i for i in _items() if i is not None and i.id in ("i1", "i2", "i4")]

    @strawberry.field
    def clean(self) -> list[Item]:
        return [_item("i1"), _item("i2", leaf=None)]

    @strawberry.field
    def generated(self) -> list[Item | None]:  # not a Python list: the library's way
        def items() -> Iterator[Item | None]:
            yield from _items()

        return items()  # type: ignore[return-value]

    @strawberry.field
    async def later(self) -> list[Item | None]:
        await asyncio.sleep(0)
        return _items()

    @strawberry.field
    def mixed(self) -> list[Item | None]:  # awaitables and errors in place of items
        async def item() -> Item:
            await asyncio.sleep(0)
            return _item("a1")

        async def failing() -> Item:
            raise ValueError("an awaited item failed")

        return [  # type: ignore[list-item]
            _item("m1"),
            item(),
            ValueError("an error in place of an item"),
            failing(),
            "not an item",
            _item("m2"),
        ]

    @strawberry.field
    def either(self) -> list[Item | Leaf]:  # an abstract type: the library's way
        return [_item("u1"), _leaf("u2"), _item("u3", needed=None)]

    @strawberry.field
    def soon(self) -> list[Soon]:
        return [Soon(leaf=_soon("s1")), Soon(leaf=_leaf("s2")), Soon(leaf=_soon("s3"))]  # type: ignore[arg-type]

    @strawberry.field
    def one(self) -> Item:
        return _item("o1", needed=None)


CREATED: list[Item] = []


@strawberry.type
class Mutation:
    @strawberry.mutation
    def add(self, label: str) -> list[Item]:
        CREATED.append(_item(f"n{len(CREATED) + 1}", label=label))
        if label == "bad":
            CREATED.append(_item("nb", needed=None))
        return list(CREATED)


def _answer(
    execution: type, query: str, variables: dict[str, Any] | None = None, direct: bool = False
) -> Any:
    CREATED.clear()
    schema = strawberry.Schema(query=Query, mutation=Mutation, execution_context_class=execution)
    if direct:
        call_resolvers_directly(schema)

    async def ask() -> Any:
        result = await schema.execute(query, variable_values=variables)
        # what a non-null error left behind settles in the background (graphql-core's
        # `settle_in_background`): let it, before the loop closes
        await asyncio.sleep(0.01)
        return result

    result = asyncio.run(ask())
    errors = [(e.message, e.path, e.locations) for e in result.errors or []]
    return result.data, sorted(errors, key=repr)


FIELDS = (
    "id label failing leaf { name code checked later } needed { name } "
    "leaves { name later } strictLeaves { name } resolved { code checked } "
    "awaited { name later } team { name checked }"
)

DIRECTIVES = (
    "query ($yes: Boolean!) { items { id label @include(if: $yes) "
    "leaf @skip(if: $yes) { name } needed @include(if: $yes) { name } } }"
)

QUERIES = [
    f"{{ items {{ {FIELDS} }} }}",
    "{ items { id leaf { name code } needed { name } } }",
    "{ items { id label } }",
    "{ items { leaf { checked } } }",
    "{ items { failing } }",
    "{ items { strictLeaves { name } } }",
    "{ items { team { name later } } }",
    f"{{ strict {{ {FIELDS} }} }}",
    "{ strict { id leaf { name } } clean { id } }",
    "{ clean { id label leaf { name checked } needed { code } leaves { name } } }",
    f"{{ generated {{ {FIELDS} }} }}",
    f"{{ later {{ {FIELDS} }} }}",
    f"{{ mixed {{ {FIELDS} }} }}",
    "{ either { __typename ... on Item { id needed { name } } ... on Leaf { name checked } } }",
    "{ clean { __typename id leaf { __typename name } } __typename }",
    "{ one { id leaf { name } needed { name } } }",
    "{ soon { leaf { name checked } } }",
    # fragments and aliases: one field asked twice, merged, under other names
    """
    query {
      first: items { ...Parts again: label leaf { code n: name ...on Leaf { name } } }
      second: items { i: id leaf { other: name } }
    }
    fragment Parts on Item { id label leaf { name checked } needed { ... { name } } }
    """,
    # directives
    DIRECTIVES,
    "{ items { id ... @include(if: false) { label } ... @skip(if: false) { failing } } }",
    # resolvers with arguments: literals, variables, defaults, aliases, errors, awaited
    '{ items { id tagged(tag: "x", times: 2, colour: BLUE, day: "2024-02-29") } }',
    'query ($t: String!, $n: Int) { items { a: tagged(tag: $t, times: $n) b: tagged(tag: "b") '
    "laterTagged(tag: $t) } }",
    '{ items { tagged(tag: "boom") laterTagged(tag: "boom") } }',
    "{ items { laterTagged(tag: null) near(limit: 2) { name checked later } } }",
    '{ clean { id picked(ids: ["i1"], where: {name: "w"}, node: "VGhpbmc6MQ==") } }',
    # a mutation: its fields run one after another, each seeing the one before
    'mutation { a: add(label: "x") { id label leaf { name } } '
    'b: add(label: "bad") { id needed { name } } c: add(label: "y") { id label } }',
]


def _variables(query: str) -> dict[str, Any] | None:
    return {"yes": True} if "$yes" in query else {"t": "t", "n": 3} if "$t" in query else None


@pytest.mark.parametrize("direct", [False, True], ids=["through strawberry", "direct"])
@pytest.mark.parametrize("query", QUERIES)
def test_the_steps_answer_as_graphql_core(query, direct):
    library = _answer(StrawberryGraphQLCoreExecutionContext, query, _variables(query))
    assert _answer(Execution, query, _variables(query), direct) == library


def test_the_steps_answer_as_graphql_core_with_the_directives_off():
    library, ours = (
        _answer(execution, DIRECTIVES, {"yes": False})
        for execution in (StrawberryGraphQLCoreExecutionContext, Execution)
    )
    assert ours == library


def test_the_queries_meet_errors_and_nulls():
    """The comparisons above compare something: most queries meet errors."""
    clean = [q for q in QUERIES if not _answer(Execution, q, _variables(q))[1]]
    assert clean == [QUERIES[i] for i in (8, 9, 14, 16, 20, 21, 24)]
    data, errors = _answer(Execution, "{ items { id failing } }")
    assert data == {
        "items": [
            {"id": "i1", "failing": "i1"},
            None,
            {"id": "i2", "failing": "i2"},
            {"id": "i3", "failing": "i3"},
            None,  # its non-null `failing` raised: the item is nulled
            {"id": "i5", "failing": "i5"},
            {"id": "i6", "failing": "i6"},
            {"id": "i7", "failing": "i7"},
            {"id": "i8", "failing": "i8"},
            {"id": "i9", "failing": "i9"},
        ]
    }
    assert errors == [("item i4 failed", ["items", 4, "failing"], errors[0][2])]


def test_a_list_of_plain_objects_is_completed_without_the_per_item_calls(monkeypatch):
    """`clean`'s two items and their objects: no `complete_list_item_value`, no
    `collect_and_execute_subfields`, no `complete_value` past the list's own."""
    calls: dict[str, int] = {}

    def counting(name: str) -> Any:
        real = getattr(Executor, name)

        def counted(self, *args, **kwargs):
            calls[name] = calls.get(name, 0) + 1
            return real(self, *args, **kwargs)

        return counted

    for name in ("complete_list_item_value", "collect_and_execute_subfields", "complete_value"):
        monkeypatch.setattr(Executor, name, counting(name))
    data, errors = _answer(
        Execution, "{ clean { id label leaf { name code } needed { code } leaves { name } } }"
    )
    assert not errors
    assert data == {
        "clean": [
            {
                "id": "i1",
                "label": "label i1",
                "leaf": {"name": "leaf i1", "code": "ok"},
                "needed": {"code": "ok"},
                "leaves": [{"name": "a i1"}, None, {"name": "b i1"}],
            },
            {
                "id": "i2",
                "label": "label i2",
                "leaf": None,
                "needed": {"code": "ok"},
                "leaves": [{"name": "a i2"}, None, {"name": "b i2"}],
            },
        ]
    }
    # the null items of the two `leaves` lists and the null `leaf` go the library's way,
    # a call each; nothing else
    assert calls == {"complete_list_item_value": 2, "complete_value": 3}


def test_a_resolver_with_arguments_is_called_directly_with_them_taken_once(monkeypatch):
    """`tagged` on the ten items (nine and a null): its arguments are coerced (graphql-core)
    and converted (strawberry) not once a call but once a request, and `picked`, whose
    arguments strawberry converts (a list, an input type, a `GlobalID`), keeps both."""
    calls = {"coerced": 0, "converted": 0}

    def counting(name: str, real: Any) -> Any:
        def counted(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)

        return counted

    coerce, convert = executor.get_argument_values, strawberry.schema.schema_converter.get_arguments
    monkeypatch.setattr(executor, "get_argument_values", counting("coerced", coerce))
    monkeypatch.setattr(
        strawberry.schema.schema_converter, "get_arguments", counting("converted", convert)
    )
    query = "query ($t: String!) { items { tagged(tag: $t, colour: RED) } }"
    data, errors = _answer(Execution, query, {"t": "x"}, direct=True)
    assert not errors
    assert data["items"][:3] == [
        {
            "tagged": "i1 x Colour.RED None tagged Path(prev=Path(prev=Path(prev=None, "
            "key='items', typename='Query'), key=0, typename=None), key='tagged', typename='Item')"
        },
        None,
        {
            "tagged": "i2 x Colour.RED None tagged Path(prev=Path(prev=Path(prev=None, "
            "key='items', typename='Query'), key=2, typename=None), key='tagged', typename='Item')"
        },
    ]
    assert calls == {"coerced": 0, "converted": 0}
    query = '{ clean { picked(ids: ["i1"], where: {name: "w"}, node: "VGhpbmc6MQ==") } }'
    data, errors = _answer(Execution, query, direct=True)
    assert data == {"clean": [{"picked": "True w 1"}, {"picked": "False w 1"}]}
    assert calls == {"coerced": 2, "converted": 2}
