"""`Schema.execute` (api/graphql/schema.py), which runs a request without strawberry's
extension machinery, answers as strawberry's own `execute` with the same limits and masking
as extensions: the same data, errors, extensions and raised exceptions, the same errors
logged. No graph: a stand-in backend answers, or fails."""

import asyncio
import logging

import pytest
import strawberry
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings


class Backend:
    def __init__(self, failure: Exception | None = None) -> None:
        self.failure = failure

    def read(self, query, params=None):
        if self.failure is not None:
            raise self.failure
        return []


ASKS = [
    ("{ me { role } }", {}),
    ('{ grid(id: "330421-G0096") { id name } }', {}),
    ('{ grid(id: "g") { name } }', {"failure": RuntimeError("the store fell over")}),
    ("{ me { role }", {}),  # a syntax error
    ("{ nothing }", {}),  # a validation error
    ('{ grid(id: "g") { unit { parent { parent { parent { code } } } } } }', {}),  # too deep
    ("{ a: me { role } b: me { role } c: me { role } d: me { role } }", {}),  # aliases
    ("{ " + "me { role } " * 400 + "}", {}),  # too many tokens
    ("{ me { role } }" + " " * 60_000, {}),  # too long
    ("{ __schema { types { name } } }", {}),  # introspection, refused in production
    ("query A { me { role } } query B { me { role } }", {}),  # no operation named
    ("query A { me { role } } query B { me { role } }", {"operation_name": "B"}),
    ("query A { me { role } }", {"operation_name": "C"}),
    ("query Q($d: Date) { me { role } }", {"variable_values": {"d": "2024-02-30"}}),
]


def _answer(execute, query, failure=None, **asked):
    context = Context(Backend(failure))
    try:
        result = asyncio.run(execute(query, context_value=context, **asked))
    except Exception as raised:
        return type(raised).__name__, str(raised)
    errors = [(e.formatted, type(e.original_error).__name__) for e in result.errors or []]
    return type(result).__name__, result.data, errors, result.extensions


@pytest.mark.parametrize("mode", ["production", "development"])
@pytest.mark.parametrize(("query", "asked"), ASKS)
def test_answers_as_strawberrys_execute_with_the_limits_as_extensions(caplog, mode, query, asked):
    schema = build_schema(Settings(_env_file=None, mode=mode, max_depth=4, max_aliases=3))
    answers, logged = [], []
    for execute in (schema.execute, lambda *a, **k: strawberry.Schema.execute(schema, *a, **k)):
        caplog.clear()
        with caplog.at_level(logging.ERROR):
            answers.append(_answer(execute, query, **asked))
        logged.append([r.getMessage() for r in caplog.records])
    assert answers[0] == answers[1]
    assert logged[0] == logged[1]


def test_the_masked_error_and_the_refusals_are_as_before():
    schema = build_schema(Settings(_env_file=None))
    failing = RuntimeError("the store fell over")
    assert _answer(schema.execute, '{ grid(id: "g") { name } }', failing) == (
        "ExecutionResult",
        {"grid": None},
        [
            (
                {
                    "message": "Unexpected error.",
                    "locations": [{"line": 1, "column": 3}],
                    "path": ["grid"],
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                },
                "NoneType",
            )
        ],
        {},
    )
    assert _answer(schema.execute, "") == ("MissingQueryError", str(MissingQueryError()))
    only_queries = {OperationType.QUERY}
    mutation = "mutation { reportDispute(input: {}) { id } }"
    raised = _answer(schema.execute, mutation, allowed_operation_types=only_queries)
    assert raised[0] == InvalidOperationTypeError.__name__
