"""The GraphQL request's body read (api/app.py, `_GraphQL.parse_http_body`): what strawberry's
own reading gives, or the same refusal, for JSON of the right shape and of every wrong one,
other content types and a GET; and a POST of `application/json` read without strawberry's
parse of the Content-Type header (`email.message.Message`)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from cross_web import HTTPException
from starlette.requests import Request
from strawberry.asgi import GraphQL
from strawberry.http import async_base_view

from api.app import _GraphQL
from api.graphql.schema import build_schema

QUERY = '{ grid(id: "330421-G0096") { id } }'
BODIES: list[Any] = [
    {"query": QUERY},
    {"query": QUERY, "variables": {"a": 1}, "operationName": "Q", "extensions": {"b": [2]}},
    {"query": QUERY, "variables": None, "extensions": None},
    {"query": None},
    {},
    {"query": 3},
    {"query": QUERY, "variables": [1]},
    {"query": QUERY, "extensions": "x"},
    [{"query": QUERY}, {"query": QUERY}],  # a batch: strawberry's, which refuses it here
    "a string",
    7,
    None,
]
TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=utf-8",
    "Application/JSON",
    "application/jsonx",
    "application/graphql-response+json",
    "text/plain",
    "multipart/form-data; boundary=x",
    "",
]


def _read(view: GraphQL, method: str, content_type: str, body: bytes) -> Any:
    headers = [(b"content-type", content_type.encode())] if content_type else []
    scope = {
        "type": "http",
        "method": method,
        "path": "/graphql",
        "query_string": b"query=" + QUERY.encode() if method == "GET" else b"",
        "headers": headers,
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def read() -> Any:
        adapter = view.request_adapter_class(Request(scope, receive))
        try:
            return await view.parse_http_body(adapter)
        except HTTPException as refused:
            return refused.status_code, refused.reason
        except Exception as failed:  # strawberry's own failure (a JSON string's `.get`)
            return type(failed).__name__, str(failed)

    return asyncio.run(read())


@pytest.fixture(scope="module")
def views() -> tuple[GraphQL, GraphQL]:
    schema = build_schema()
    return _GraphQL(schema, subscription_protocols=()), GraphQL(schema, subscription_protocols=())


@pytest.mark.parametrize("content_type", TYPES)
def test_a_body_is_read_as_strawberry_reads_it(views, content_type):
    ours, strawberrys = views
    for body in [*(json.dumps(b).encode() for b in BODIES), b"{not json", b""]:
        for method in ("POST", "GET"):
            assert _read(ours, method, content_type, body) == _read(
                strawberrys, method, content_type, body
            ), (method, content_type, body)


def test_a_json_post_is_read_without_the_email_parser(views, monkeypatch):
    parsed: list[str] = []
    real = async_base_view.parse_content_type

    def counted(content_type: str) -> Any:
        parsed.append(content_type)
        return real(content_type)

    monkeypatch.setattr(async_base_view, "parse_content_type", counted)
    ours, _ = views
    body = json.dumps({"query": QUERY, "variables": {"a": 1}}).encode()
    for content_type in ("application/json", "application/json; charset=utf-8"):
        read = _read(ours, "POST", content_type, body)
        assert (read.query, read.variables, read.operation_name, read.protocol) == (
            QUERY,
            {"a": 1},
            None,
            "http",
        )
    assert parsed == []
    assert _read(ours, "POST", "text/plain", body) == (400, "Unsupported content type")
    assert parsed == ["text/plain"]
