"""The app over HTTP (httpx on the ASGI app): lifespan, health, tokens, modes, error shape."""

import gc
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.auth import create_token
from api.settings import Settings
from graph.embedded import EmbeddedBackend
from graph.errors import BackendUnavailable
from graph.schema import SCHEMA

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@asynccontextmanager
async def serving(app):
    """The app with its lifespan running, and a client for it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def settings(tmp_path, **values):
    return Settings(_env_file=None, tokens=str(tmp_path / "tokens.json"), **values)


class Failing:
    def read(self, query, params=None):
        raise BackendUnavailable("connection refused")


def _graph_file(path):
    """A tiny graph on disk: one county."""
    graph = EmbeddedBackend(path)
    graph.init_schema()
    unit = {"code": "330421000000", "name": "嘉善县", "level": "county", "kind": "county",
            "edition": "test", "source": "test"}  # fmt: skip
    graph.upsert_nodes(SCHEMA.node("Unit"), [unit], bulk=False)
    graph.close()


async def test_the_lifespan_owns_the_graph_read_write_and_closes_it(tmp_path):
    db = tmp_path / "g.lbdb"
    _graph_file(db)
    app = create_app(settings(tmp_path, db=str(db)))
    async with serving(app) as client:
        health = await client.get("/healthz")
        answer = await client.post("/graphql", json={"query": "{ units { items { name } } }"})
        app.state.backend.write([("CREATE (:Domain {code: 'x', name: '新类'})", {})])
        after = await client.post("/graphql", json={"query": '{ domain(code: "x") { name } }'})
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert answer.json() == {"data": {"units": {"items": [{"name": "嘉善县"}]}}}
    assert after.json() == {"data": {"domain": {"name": "新类"}}}
    assert app.state.backend is None
    EmbeddedBackend(db).close()  # closed: the store opens for writing again


async def test_the_heap_is_frozen_once_the_graph_is_open(tmp_path):
    """What is alive when the graph (and its read model) is open stays out of the cyclic
    collector's full collections: they walked the model, 200 ms every few dozen lists; and
    while serving, a slow full collection freezes again (api/heap.py)."""
    db = tmp_path / "g.lbdb"
    _graph_file(db)
    app = create_app(settings(tmp_path, db=str(db)))
    callbacks = list(gc.callbacks)
    gc.unfreeze()
    try:
        before = gc.get_freeze_count()
        async with serving(app):
            frozen = gc.get_freeze_count()
            refreezing = [type(c).__name__ for c in gc.callbacks if c not in callbacks]
    finally:
        gc.unfreeze()
    assert (before, frozen > 0, refreezing) == (0, True, ["_Refreeze"])
    assert gc.callbacks == callbacks


async def test_a_missing_graph_stops_the_app_from_starting(tmp_path):
    app = create_app(settings(tmp_path, db=str(tmp_path / "none.lbdb")))
    with pytest.raises(BackendUnavailable, match="there is no graph at"):
        async with serving(app):
            pass


async def test_health_is_503_in_the_one_error_shape_when_the_graph_does_not_answer(tmp_path):
    async with serving(create_app(settings(tmp_path), backend=Failing())) as client:
        response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (
        503,
        {
            "error": {
                "status": 503,
                "code": "service_unavailable",
                "message": "the graph store does not answer",
            }
        },
    )


async def test_unknown_paths_and_methods_get_the_one_error_shape(tmp_path):
    async with serving(create_app(settings(tmp_path), backend=Failing())) as client:
        missing = await client.get("/nowhere")
        wrong = await client.delete("/healthz")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": {"status": 404, "code": "not_found", "message": "Not Found"}},
    )
    assert (wrong.status_code, wrong.json()) == (
        405,
        {"error": {"status": 405, "code": "method_not_allowed", "message": "Method Not Allowed"}},
    )


ME = {"query": "{ me { role scope } }"}


async def test_a_token_says_who_is_asking(tmp_path):
    s = settings(tmp_path)
    mediator = create_token(s.tokens, "mediator", "330421")
    async with serving(create_app(s, backend=Failing())) as client:
        anonymous = await client.post("/graphql", json=ME)
        known = await client.post(
            "/graphql", json=ME, headers={"Authorization": f"Bearer {mediator}"}
        )
    assert anonymous.json() == {"data": {"me": {"role": "viewer", "scope": None}}}
    assert known.json() == {"data": {"me": {"role": "mediator", "scope": "330421"}}}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer ggt_guessed", "the token is not valid: it was never issued here or was removed"),
        ("Basic dXNlcjpwYXNz", "send the token as 'Authorization: Bearer <token>'"),
        ("Bearer ", "send the token as 'Authorization: Bearer <token>'"),
    ],
)
async def test_a_bad_token_is_401_never_a_quiet_viewer(tmp_path, header, message):
    async with serving(create_app(settings(tmp_path), backend=Failing())) as client:
        response = await client.post("/graphql", json=ME, headers={"Authorization": header})
    assert (response.status_code, response.json()) == (
        401,
        {"error": {"status": 401, "code": "unauthorized", "message": message}},
    )
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_requests_without_a_token_can_be_refused(tmp_path):
    s = settings(tmp_path, allow_anonymous=False)
    viewer = create_token(s.tokens, "viewer")
    async with serving(create_app(s, backend=Failing())) as client:
        refused = await client.post("/graphql", json=ME)
        allowed = await client.post(
            "/graphql", json=ME, headers={"Authorization": f"Bearer {viewer}"}
        )
    assert (refused.status_code, refused.json()) == (
        401,
        {
            "error": {
                "status": 401,
                "code": "unauthorized",
                "message": "this server needs a token: send 'Authorization: Bearer <token>'",
            }
        },
    )
    assert allowed.json() == {"data": {"me": {"role": "viewer", "scope": None}}}


async def test_production_serves_no_graphiql_docs_or_introspection(tmp_path):
    html = {"Accept": "text/html"}
    introspect = {"query": "{ __schema { queryType { name } } }"}
    production = create_app(settings(tmp_path, mode="production"), backend=Failing())
    async with serving(production) as client:
        ide = await client.get("/graphql", headers=html)
        docs = await client.get("/docs")
        schema = await client.post("/graphql", json=introspect)
    assert (ide.status_code, ide.json()) == (
        405,
        {
            "error": {
                "status": 405,
                "code": "method_not_allowed",
                "message": "send GraphQL queries as POST /graphql with a JSON body; GraphiQL is "
                "served in development mode (GOVGRAPH_MODE=development)",
            }
        },
    )
    assert docs.status_code == 404
    assert schema.json()["data"] is None
    development = create_app(settings(tmp_path, mode="development"), backend=Failing())
    async with serving(development) as client:
        ide = await client.get("/graphql", headers=html)
        schema = await client.post("/graphql", json=introspect)
    assert (ide.status_code, "GraphiQL" in ide.text) == (200, True)
    assert schema.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_a_body_that_is_not_json_gets_the_one_error_shape(tmp_path):
    async with serving(create_app(settings(tmp_path), backend=Failing())) as client:
        response = await client.post(
            "/graphql", content=b"{not json", headers={"content-type": "application/json"}
        )
    assert (response.status_code, response.json()) == (
        400,
        {
            "error": {
                "status": 400,
                "code": "bad_request",
                "message": "Unable to parse request body as JSON",
            }
        },
    )


PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type",
}


async def test_browsers_on_an_allowed_origin_may_call_the_api_and_others_may_not(tmp_path):
    s = settings(tmp_path, cors_origins=["http://localhost:5173"])
    async with serving(create_app(s, backend=Failing())) as client:
        allowed = await client.options(
            "/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT}
        )
        refused = await client.options(
            "/graphql", headers={"Origin": "http://evil.example", **PREFLIGHT}
        )
        call = await client.post("/graphql", json=ME, headers={"Origin": "http://localhost:5173"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert allowed.headers["access-control-allow-methods"] == "GET, POST"
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": {"status": 400, "code": "bad_request", "message": "Disallowed CORS origin"}},
    )
    assert "access-control-allow-origin" not in refused.headers
    assert call.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert call.json() == {"data": {"me": {"role": "viewer", "scope": None}}}


async def test_no_origin_is_allowed_by_default(tmp_path):
    async with serving(create_app(settings(tmp_path), backend=Failing())) as client:
        refused = await client.options(
            "/graphql", headers={"Origin": "http://localhost:5173", **PREFLIGHT}
        )
    assert refused.status_code == 400


PERSON = {"query": '{ person(id: "330421-P000537") { name mobile idNumber } }'}


@pytest.mark.slow
async def test_over_http_a_viewer_sees_masks_and_an_admin_the_data(tmp_path, demo_graph):
    s = settings(tmp_path)
    admin = create_token(s.tokens, "admin")
    outside = create_token(s.tokens, "mediator", "331127")
    async with serving(create_app(s, backend=demo_graph)) as client:
        viewer = await client.post("/graphql", json=PERSON)
        full = await client.post(
            "/graphql", json=PERSON, headers={"Authorization": f"Bearer {admin}"}
        )
        other = await client.post(
            "/graphql", json=PERSON, headers={"Authorization": f"Bearer {outside}"}
        )
    masked = {"name": "陆某", "mobile": "186****4828", "idNumber": "330421********2509"}
    assert viewer.json() == {"data": {"person": masked}}
    assert other.json() == {"data": {"person": masked}}
    assert full.json() == {
        "data": {
            "person": {"name": "陆敏慧", "mobile": "18622614828", "idNumber": "330421196802102509"}
        }
    }


class Answering:
    def read(self, query, params=None):
        return []


async def test_a_body_over_the_limit_is_413_before_it_is_parsed(tmp_path):
    """A declared length over the limit is refused at once, a chunked body (no length) once
    it passes the limit; a body at the limit is served."""
    app = create_app(settings(tmp_path, max_body_bytes=100), backend=Answering())
    query = b'{"query": "{ me { role } }"}'
    fitting = query + b" " * (100 - len(query))

    async def chunks():
        for _ in range(30):
            yield b"          "

    async with serving(app) as client:
        declared = await client.post("/graphql", content=b"x" * 101)
        chunked = await client.post(
            "/graphql", content=chunks(), headers={"content-type": "application/json"}
        )
        served = await client.post(
            "/graphql", content=fitting, headers={"content-type": "application/json"}
        )
    refused = {
        "error": {
            "status": 413,
            "code": "request_entity_too_large",
            "message": "the request body is larger than the 100 bytes allowed "
            "(GOVGRAPH_MAX_BODY_BYTES)",
        }
    }
    assert (declared.status_code, declared.json()) == (413, refused)
    assert (chunked.status_code, chunked.json()) == (413, refused)
    assert (served.status_code, served.json()) == (200, {"data": {"me": {"role": "viewer"}}})
