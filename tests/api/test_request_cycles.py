"""A GraphQL request leaves nothing in reference cycles once answered (api/app.py closes its
`Context`; the execution lets go of its helpers): what it made is freed by reference counts,
not left for the cyclic collector (docs/benchmarks.md)."""

from __future__ import annotations

import asyncio
import gc
import json
from typing import Any

import pytest

from api import heap
from api.app import create_app
from api.auth import create_token
from api.graphql.context import Context
from api.graphql.execution import Execution
from api.graphql.schema import build_schema
from api.settings import Settings
from tests.bench_http import QUERIES

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _post(app: Any, query: str, token: str | None) -> dict[str, Any]:
    """The answer to a POST /graphql of `query`, through the ASGI app as uvicorn calls it."""
    body = json.dumps({"query": query}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if token is not None:
        headers.append((b"authorization", b"Bearer " + token.encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/graphql", "raw_path": b"/graphql",
             "query_string": b"", "root_path": "", "headers": headers,
             "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    return json.loads(b"".join(m.get("body", b"") for m in sent[1:]))


def _not_ours(garbage: list[Any]) -> set[int]:
    """The ids of LadybugDB's own cycles among `garbage`: the self-recursive `_merge` of its
    parameters' signatures (ladybug/connection.py), a closure holding itself, with its cells."""
    found = set()
    for thing in garbage:
        if getattr(thing, "__qualname__", "") == "_pybind_value_signature.<locals>._merge":
            found |= {id(thing), id(thing.__closure__), *map(id, thing.__closure__)}
    return found


@pytest.mark.slow
@pytest.mark.parametrize("name", list(QUERIES))
async def test_an_answered_request_leaves_nothing_to_the_collector(tmp_path, demo_graph, name):
    settings = Settings(_env_file=None, tokens=str(tmp_path / "tokens.json"))
    tokens = {
        "viewer": None,
        "mediator": create_token(settings.tokens, "mediator", "330421"),
        "admin": create_token(settings.tokens, "admin"),
    }
    app = create_app(settings, backend=demo_graph)
    who, query = QUERIES[name]
    await _post(app, query, tokens[who])  # warm: the app's stack, the parsed query
    gc.collect()
    gc.disable()
    try:
        answer = await _post(app, query, tokens[who])
        await asyncio.sleep(0)  # what the request left scheduled is run
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        ladybugs = _not_ours(gc.garbage)
        left = [type(o).__qualname__ for o in gc.garbage if id(o) not in ladybugs]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert answer.keys() == {"data"}
    assert left == []


def test_the_young_generation_is_collected_seldom_while_the_heap_is_frozen():
    """With nothing left in cycles by a request, the server collects its young generation
    every `heap.YOUNG` allocations, not Python's 700 (api/heap.py); as it was after."""
    before = gc.get_threshold()
    try:
        with heap.frozen():
            assert gc.get_threshold() == (heap.YOUNG, *before[1:])
        assert gc.get_threshold() == before
    finally:
        gc.unfreeze()


async def test_a_documents_field_names_are_kept_with_it_by_its_identity(tmp_path):
    """`Context.fields_named`, worked out once per parsed operation (kept by the parser's
    cache), and dropped with it (api/graphql/execution.py)."""
    query = "{ me { role } }"
    cached = build_schema(Settings(_env_file=None, tokens=str(tmp_path / "tokens.json")))
    first, second = Context(Answering()), Context(Answering())
    for context in (first, second):
        assert (await cached.execute(query, context_value=context)).errors is None
    assert first.fields_named == frozenset({"me", "role"})
    assert second.fields_named is first.fields_named
    kept = dict(Execution.named)
    uncached = build_schema()  # no parser's cache: the document is dropped once answered
    third = Context(Answering())
    assert (await uncached.execute(query, context_value=third)).errors is None
    assert third.fields_named == first.fields_named
    gc.collect()  # a parsed document is itself cyclic: its tokens link both ways
    assert Execution.named == kept


class Answering:
    def read(self, query, params=None):
        return []
