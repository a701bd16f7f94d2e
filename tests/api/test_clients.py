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


def _run(query, variables=None, operation_name=None, mode="production"):
    schema = build_schema(Settings(_env_file=None, mode=mode))
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


async def _post(tmp_path, body, headers):
    return await _send(tmp_path, "POST", content=body, headers=headers)


async def _send(tmp_path, method, mode="production", **request):
    settings = Settings(_env_file=None, tokens=str(tmp_path / "tokens.json"), mode=mode)
    app = create_app(settings, backend=Empty())
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.request(method, "/graphql", **request)


async def test_a_get_s_variables_that_are_not_json_are_told_as_the_url_s_fault(tmp_path):
    """Strawberry said "Unable to parse request body as JSON" of a GET, which has no body."""
    query = "query($b: Boolean!) { __typename @include(if: $b) }"
    params = {"query": query, "variables": "{b: true}"}
    answer = await _send(tmp_path, "GET", mode="development", params=params)
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "error": {
                "status": 400,
                "code": "bad_request",
                "message": "the URL's `variables` parameter is not JSON: Expecting property "
                "name enclosed in double quotes: line 1 column 2 (char 1)",
            }
        },
    )
    params["variables"] = '{"b": true}'
    answer = await _send(tmp_path, "GET", mode="development", params=params)
    assert (answer.status_code, answer.json()) == (200, {"data": {"__typename": "Query"}})


async def test_a_compressed_body_is_refused_with_415_saying_to_send_it_plain(tmp_path):
    """A gzip body reached json.loads as bytes and failed inside: a 500."""
    body = gzip.compress(json.dumps({"query": "{ __typename }"}).encode())
    answer = await _post(
        tmp_path, body, {"content-type": "application/json", "content-encoding": "gzip"}
    )
    assert (answer.status_code, answer.headers["accept-encoding"], answer.json()) == (
        415,
        "identity",
        {
            "error": {
                "status": 415,
                "code": "unsupported_media_type",
                "message": "the request body is gzip-encoded (Content-Encoding); "
                "send it uncompressed",
            }
        },
    )


async def test_a_body_not_in_utf8_is_a_400_that_says_so(tmp_path):
    """JSON written out as GBK (a Windows client's default for Chinese) was a 500."""
    body = json.dumps({"query": '{ unit(code: "嘉善县") { name } }'}, ensure_ascii=False)
    answer = await _post(tmp_path, body.encode("gbk"), {"content-type": "application/json"})
    assert (answer.status_code, answer.json()) == (
        400,
        {
            "error": {
                "status": 400,
                "code": "bad_request",
                "message": "the request body is not UTF-8 (invalid start byte at byte 26); "
                "send JSON encoded as UTF-8",
            }
        },
    )


@pytest.mark.parametrize("coding", ["identity", "Identity", ""])
async def test_an_identity_coded_body_is_read(tmp_path, coding):
    body = json.dumps({"query": "{ __typename }"}).encode()
    answer = await _post(
        tmp_path, body, {"content-type": "application/json", "content-encoding": coding}
    )
    assert (answer.status_code, answer.json()) == (200, {"data": {"__typename": "Query"}})


def test_the_full_introspection_query_describes_every_value_of_the_api_s_enums():
    """As GraphiQL and code generators run it: every value of the enums of
    api/graphql/enums.py carries a description (none did), a property's choice with the
    Chinese names a loaded file may give it."""
    from graphql import get_introspection_query

    from api.graphql import enums

    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    result = _run(query, mode="development")
    assert result.errors is None
    types = {t["name"]: t for t in result.data["__schema"]["types"]}
    ours = {
        e.__strawberry_definition__.name
        for e in vars(enums).values()
        if hasattr(e, "__strawberry_definition__")
    }
    undescribed = [
        f"{name}.{value['name']}"
        for name in sorted(ours)
        for value in types[name]["enumValues"]
        if not value["description"]
    ]
    assert undescribed == []
    assert {v["name"]: v["description"] for v in types["GridKind"]["enumValues"]} == {
        "BASIC": "`basic` in loaded files, or 全科网格、基础网格、基础全科网格、综合网格",
        "DEDICATED": "`dedicated` in loaded files, or 专属网格",
        "PROFESSIONAL": "`professional` in loaded files, or 专业网格",
        "MICRO": "`micro` in loaded files, or 微网格",
        "OUT_OF_COUNTY": "`out_of_county` in loaded files, or 域外网格、县域外网格、域外综治网格",
    }
    assert {v["name"]: v["description"] for v in types["Direction"]["enumValues"]} == {
        "ASC": "Ascending: smallest first (A before B, the earlier day first).",
        "DESC": "Descending: largest first (B before A, the later day first).",
    }


async def test_a_mutation_sent_by_get_is_405_saying_to_post_it(tmp_path):
    """GraphQL over HTTP: a server MUST answer a mutation by GET with 405; strawberry's 400."""
    params = {"query": "mutation M { __typename }", "operationName": "M"}
    answer = await _send(tmp_path, "GET", mode="development", params=params)
    assert (answer.status_code, answer.headers["allow"], answer.json()) == (
        405,
        "POST",
        {
            "error": {
                "status": 405,
                "code": "method_not_allowed",
                "message": "mutations are not allowed when using GET; send it as POST",
            }
        },
    )
