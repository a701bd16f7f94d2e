"""GraphQL over HTTP as clients send it: a variable of the wrong type, a document of several
operations, a body that is compressed or not UTF-8. Each answer says what, where and why."""

import asyncio
import gzip
import json

import httpx
import pytest

from api.app import create_app
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


class Empty:
    def read(self, query, params=None):
        return []


def _run(query, variables=None, operation_name=None):
    schema = build_schema(Settings(_env_file=None))
    return asyncio.run(
        schema.execute(
            query,
            context_value=Context(Empty()),
            variable_values=variables,
            operation_name=operation_name,
        )
    )


@pytest.mark.parametrize(
    ("declared", "value", "why"),
    [
        ("Int", "ten", "Int cannot represent non-integer value: 'ten'"),
        ("Int", 2**40, "Int cannot represent non 32-bit signed integer value: 1099511627776"),
        (
            "Level",
            "TOWNX",
            "Value 'TOWNX' does not exist in 'Level' enum. Did you mean the enum value 'TOWN'?",
        ),
        ("Int!", None, "Expected value of non-null type 'Int!' not to be None."),
    ],
)
def test_a_variable_its_type_cannot_take_is_told_not_masked(declared, value, why, caplog):
    """graphql-core reports these over its own error, which the masking took for a fault of
    the server: `Unexpected error.`, INTERNAL_SERVER_ERROR, and a traceback in the log."""
    query = f"query($v: {declared}) {{ {_use(declared)} }}"
    result = _run(query, {"v": value})
    assert [e.formatted for e in result.errors or []] == [
        {
            "message": f"Variable '$v' has invalid value: {why}",
            "locations": [{"line": 1, "column": 7}],
        }
    ]
    assert result.data is None
    assert "Traceback" not in caplog.text and "ERROR" not in caplog.text


def _use(declared):
    """A field that takes `$v` of this type."""
    if declared.startswith("Level"):
        return "units(level: $v, first: 0) { totalCount }"
    return "units(first: $v) { totalCount }"


def test_a_required_variable_left_out_is_told():
    result = _run("query($v: Int!) { units(first: $v) { totalCount } }", {})
    assert [e.formatted for e in result.errors or []] == [
        {
            "message": "Variable '$v' has invalid value: Expected a value of non-null type "
            "'Int!' to be provided.",
            "locations": [{"line": 1, "column": 7}],
        }
    ]


def test_a_document_of_several_operations_without_a_name_runs_none_of_them():
    """strawberry took the first operation's name when none was given, and ran it."""
    document = "query A { a: __typename } mutation B { b: __typename }"
    unnamed = _run(document)
    assert (unnamed.data, [e.formatted for e in unnamed.errors or []]) == (
        None,
        [
            {
                "message": "Must provide operation name if query contains multiple operations: "
                "the document holds 2 (A, B); name the one to run in operationName."
            }
        ],
    )
    named = _run(document.replace("mutation", "query"), operation_name="B")
    assert (named.data, named.errors) == ({"b": "Query"}, None)


def test_one_named_operation_runs_without_operation_name():
    result = _run("query A { a: __typename }")
    assert (result.data, result.errors) == ({"a": "Query"}, None)
