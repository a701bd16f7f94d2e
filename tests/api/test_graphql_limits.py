"""Limits (depth, aliases, tokens, page size), production mode, and which errors are masked.

No graph is needed: a stand-in backend answers, or fails, as each test requires.
"""

import asyncio
import json

import pytest

from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.errors import QueryTimeout


class Empty:
    def read(self, query, params=None):
        return []


class Failing:
    def __init__(self, exc):
        self.exc = exc

    def read(self, query, params=None):
        raise self.exc


def run(query, backend=None, **settings):
    schema = build_schema(Settings(_env_file=None, **settings))
    context = Context(backend or Empty())
    result = asyncio.run(schema.execute(query, context_value=context))
    return [e.formatted for e in result.errors or []], result.data


def test_a_query_deeper_than_the_limit_is_refused_before_it_runs():
    query = '{ grid(id: "g") { unit { parent { parent { code } } } } }'
    assert run(query, Failing(AssertionError("must not run")), max_depth=3) == (
        [
            {
                "message": "'anonymous' exceeds maximum operation depth of 3",
                "locations": [{"line": 1, "column": 44}],
            }
        ],
        None,
    )
    errors, _ = run(query, max_depth=4)
    assert "depth" not in json.dumps(errors)


def test_a_kept_verdict_still_refuses_and_still_admits():
    """Parses and validation verdicts are kept per query text (api.graphql.limits): the same
    schema asked the same texts again gives the same answers, refusals included."""
    schema = build_schema(Settings(_env_file=None, max_depth=3, max_aliases=1))
    deep = '{ grid(id: "g") { unit { parent { parent { code } } } } }'
    aliased = "{ a: me { role } b: me { role } }"
    fine = "{ me { role } }"

    def ask(query):
        result = asyncio.run(schema.execute(query, context_value=Context(Empty())))
        return [e.message for e in result.errors or []], result.data

    for _ in range(3):
        assert ask(deep) == (["'anonymous' exceeds maximum operation depth of 3"], None)
        assert ask(aliased) == (["2 aliases found. Allowed: 1"], None)
        assert ask(fine) == ([], {"me": {"role": "viewer"}})


def test_too_many_aliases_are_refused():
    query = "{ a: me { role } b: me { role } c: me { role } }"
    assert run(query, max_aliases=2) == ([{"message": "3 aliases found. Allowed: 2"}], None)
    assert run(query, max_aliases=3) == (
        [],
        {"a": {"role": "viewer"}, "b": {"role": "viewer"}, "c": {"role": "viewer"}},
    )


def test_too_many_tokens_are_refused_while_parsing():
    query = "{ " + "me { role } " * 12 + "}"
    errors, data = run(query, max_tokens=30)
    assert (errors, data) == (
        [
            {
                "message": "Syntax Error: Document contains more than 30 tokens. Parsing aborted.",
                "locations": [{"line": 1, "column": 90}],
            }
        ],
        None,
    )


def test_the_default_limits_let_a_real_query_through():
    query = """{ grids(first: 100, within: "330421") { totalCount items { id unit { parent {
        parent { code } } } team(asOf: "2021-01-01") { role person { home { code } } } } } }"""
    errors, _ = run(query)
    # The stand-in graph has no unit 330421000000: the query ran and said so.
    assert [e["message"] for e in errors] == [
        "within: there is no unit with code 330421000000; list the units with units(level: COUNTY)"
    ]


@pytest.mark.parametrize("first", [-1, 101, 10_000])
def test_page_size_is_0_to_100(first):
    errors, data = run(f"{{ grids(first: {first}) {{ totalCount }} }}")
    assert data is None
    assert errors == [
        {
            "message": f"first: {first} is outside 0..100; ask for at most 100 items and "
            "follow pageInfo.endCursor for more",
            "locations": [{"line": 1, "column": 3}],
            "path": ["grids"],
            "extensions": {"code": "BAD_USER_INPUT", "argument": "first"},
        }
    ]


def test_production_refuses_introspection_and_development_answers_it():
    query = "{ __schema { queryType { name } } }"
    assert run(query, mode="production") == (
        [
            {
                "message": "GraphQL introspection has been disabled, but the requested query "
                "contained the field '__schema'.",
                "locations": [{"line": 1, "column": 3}],
            },
            {
                "message": "GraphQL introspection has been disabled, but the requested query "
                "contained the field 'queryType'.",
                "locations": [{"line": 1, "column": 14}],
            },
        ],
        None,
    )
    assert run(query, mode="development") == ([], {"__schema": {"queryType": {"name": "Query"}}})
    assert run("{ me { __typename } }", mode="production") == ([], {"me": {"__typename": "Me"}})


def test_an_internal_error_is_masked():
    secret = RuntimeError("Binder exception: table Person at /srv/secret/graph.lbdb")
    errors, data = run('{ grid(id: "g") { id } }', Failing(secret))
    assert (errors, data) == (
        [
            {
                "message": "Unexpected error.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["grid"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR"},
            }
        ],
        {"grid": None},
    )


def test_a_timeout_says_what_to_change():
    errors, _ = run("{ grids { totalCount } }", Failing(QueryTimeout("interrupted")))
    assert errors == [
        {
            "message": "the query ran past the store's time limit (GOVGRAPH_QUERY_TIMEOUT_MS); "
            "ask for a smaller page, fewer nested fields or a narrower filter",
            "locations": [{"line": 1, "column": 3}],
            "path": ["grids"],
            "extensions": {"code": "QUERY_TIMEOUT"},
        }
    ]


def test_a_query_text_over_the_size_limit_is_refused_before_it_is_parsed_or_kept():
    """Comments are not tokens: without a size limit a long comment-only text would be
    parsed, and kept in the parser's cache."""
    from api.graphql.limits import _document as kept

    query = "#" * 200 + "\n{ me { role } }"
    before = kept.cache_info()
    assert run(query, Failing(AssertionError("must not run")), max_query_chars=100) == (
        [
            {
                "message": "the query is 216 characters long, more than the 100 allowed; send a "
                "shorter query, with the values as variables",
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
        None,
    )
    after = kept.cache_info()
    assert (after.hits, after.misses, after.currsize) == (
        before.hits,
        before.misses,
        before.currsize,
    )
    errors, data = run(query, max_query_chars=216)
    assert errors == [] and data is not None


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("2024-02-30", "day is out of range for month"),
        ("nope", "Invalid isoformat string: 'nope'"),
        (20240101, "Expected a string."),
    ],
)
def test_a_malformed_date_variable_is_the_caller_s_mistake_not_a_server_fault(value, why, caplog):
    schema = build_schema(Settings(_env_file=None))
    query = 'query($d: Date) { center(id: "c") { staff(asOf: $d) { post } } }'
    result = asyncio.run(
        schema.execute(query, context_value=Context(Empty()), variable_values={"d": value})
    )
    assert [e.formatted for e in result.errors or []] == [
        {
            "message": f"Variable '$d' has invalid value: Value cannot represent a Date: "
            f"{json.dumps(str(value))}. {why}",
            "locations": [{"line": 1, "column": 7}],
        }
    ]
    assert "Traceback" not in caplog.text and "ERROR" not in caplog.text
