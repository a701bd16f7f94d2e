"""The HTTP API: GraphQL at /graphql, researchers' Cypher at POST /cypher, health at /healthz,
the 调解工作台 page at / (signing in at /session: api/session.py).

`create_app(settings)` builds the app; its lifespan opens the backend read-write and closes it
(no global driver): the server owns the store, answers reads from a pool of connections on
it and serialises writes (the workflow's mutations) through one lock (graph/embedded.py).
`serve(settings)` runs it with uvicorn; `from_environment` is a factory for ASGI servers.
Every REST error has one shape:

    {"error": {"status": 401, "code": "unauthorized", "message": "…"}}

GraphQL answers in GraphQL's own shape (`{"data": …, "errors": [{"message": …}]}`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from cross_web import HTTPException as StrawberryHTTPException
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.unset import UNSET

from api import heap, mallocstats
from api.audit import AuditLog
from api.auth import TokenStore
from api.deps import get_backend, get_caller
from api.errors import BodyLimit, JSONErrors, add_error_handlers, error_response
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.opening import open_graph
from api.research import router as research_router
from api.session import router as session_router
from api.settings import Settings, get_settings
from graph.backend import Backend
from graph.errors import BackendUnavailable, GraphError

log = logging.getLogger("govgraph.api")
STATIC = Path(__file__).resolve().parent / "static"


class _GraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app for /graphql, routed by Starlette without FastAPI's router: its
    dependency resolution and response handling took about a tenth of a request's CPU on
    the event loop (docs/benchmarks.md). The context is the backend and the caller, from
    the same functions the REST routes depend on (`api.deps`; no websocket route, so no
    subscriptions: every request is a `Request`); a refused token raises
    their HTTPException, which the app's handlers answer in the one error shape. GraphiQL
    is served from the package (api/static), never from a public CDN: the machines of a
    mediation center are often offline."""

    async def run(  # type: ignore[override]
        self, request: Request, context: Context = UNSET, root_value: None = UNSET
    ) -> Response:
        """Strawberry's request with our context, the backend and the caller, closed once
        the response is made (`Context.close`): what the request made is freed then, not
        left in reference cycles to the collector (docs/benchmarks.md)."""
        if context is not UNSET or self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        context = Context(await get_backend(request), await get_caller(request), request)
        try:
            if (
                self._stream_transport_map
                or self.schema.config.enable_experimental_incremental_execution
            ):
                return await super().run(request, context, root_value)
            return await self._answer(request, context, root_value)
        finally:
            context.close()

    async def _answer(self, request: Request, context: Context, root_value: None) -> Response:
        """Strawberry's `run` for an HTTP request, step for step, less its tests of the
        result for a subscription's stream (against a runtime-checkable Protocol: ~16 µs a
        request) and for incremental delivery: neither is made here (no stream protocols,
        no `@defer`)."""
        if root_value is UNSET:
            root_value = await self.get_root_value(request)  # type: ignore[func-returns-value]
        request_adapter = self.request_adapter_class(request)
        sub_response = await self.get_sub_response(request)
        if not self.is_request_allowed(request_adapter):
            raise StrawberryHTTPException(405, "GraphQL only supports GET and POST requests.")
        if self.should_render_graphql_ide(request_adapter):
            if self.graphql_ide:
                return await self.render_graphql_ide(request)
            raise StrawberryHTTPException(404, "Not Found")
        try:
            request_data = await self.parse_http_body(request_adapter)
        except json.JSONDecodeError as e:
            raise StrawberryHTTPException(400, "Unable to parse request body as JSON") from e
        except KeyError as e:
            raise StrawberryHTTPException(400, "File(s) missing in form data") from e
        try:
            result = await self.execute_operation(
                request=request,
                request_adapter=request_adapter,
                request_data=request_data,
                context=context,
                root_value=root_value,
                sub_response=sub_response,
            )
        except StrawberryHTTPException as e:
            # GraphQL over HTTP: a mutation sent by GET is 405 (strawberry's 400)
            if request_adapter.method == "GET" and isinstance(
                e.__cause__, InvalidOperationTypeError
            ):
                return error_response(405, f"{e.reason}; send it as POST", {"Allow": "POST"})
            raise
        response_data: Any
        if isinstance(result, list):
            response_data = []
            for execution_result in result:
                processed = await self.process_result(request=request, result=execution_result)
                if execution_result.errors:
                    self._handle_errors(execution_result.errors, processed)
                response_data.append(processed)
        else:
            response_data = await self.process_result(request=request, result=result)  # type: ignore[arg-type]
            if result.errors:  # type: ignore[union-attr]
                self._handle_errors(result.errors, response_data)  # type: ignore[union-attr]
        return self.create_response(response_data=response_data, sub_response=sub_response)

    async def parse_http_body(self, request: Any) -> GraphQLRequestData | list[GraphQLRequestData]:
        """Strawberry's, without its parse of the Content-Type header through the standard
        library's `email.message.Message` (~3-15 µs a request) for a POST of
        `application/json` (with parameters or none) holding one operation of the right
        shape, which strawberry would take as it is (this app streams nothing: no
        subscription protocols). Anything else (another type, a batch, a value of the wrong
        type, a GET) is strawberry's, which refuses it as it always did."""
        content_type = request.content_type or ""
        if (
            request.method == "POST"
            and (content_type == _JSON or content_type.startswith(_JSON + ";"))
            and not self._stream_transport_map
        ):
            data = self.parse_json(await request.get_body())  # a 400 when not JSON
            if (
                type(data) is dict
                and isinstance(data.get("query"), str | None)
                and isinstance(data.get("variables"), dict | None)
                and isinstance(data.get("extensions"), dict | None)
            ):
                return GraphQLRequestData(
                    query=data.get("query"),
                    variables=data.get("variables"),
                    operation_name=data.get("operationName"),
                    extensions=data.get("extensions"),
                    protocol="http",
                )
        return await super().parse_http_body(request)

    def parse_json(self, data: str | bytes) -> Any:
        """Strawberry's, and a body that is not UTF-8 (GBK text, say) a 400 that says so:
        json.loads of its bytes raised UnicodeDecodeError, a 500."""
        try:
            return json.loads(data)
        except json.JSONDecodeError as e:
            raise StrawberryHTTPException(400, "Unable to parse request body as JSON") from e
        except UnicodeDecodeError as e:
            raise StrawberryHTTPException(
                400,
                f"the request body is not UTF-8 ({e.reason} at byte {e.start}); send JSON "
                "encoded as UTF-8",
            ) from e

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's parameters; `variables` and `extensions` are JSON in the URL, and one that
        is not is told as that parameter's fault, not the body's."""
        found = dict(params)
        for name in ("variables", "extensions"):
            if found.get(name):
                try:
                    found[name] = json.loads(found[name])
                except json.JSONDecodeError as e:
                    raise StrawberryHTTPException(
                        400, f"the URL's `{name}` parameter is not JSON: {e}"
                    ) from e
        return found

    def encode_json(self, data: object) -> str:
        """Strawberry's encoding, the same bytes, without the check for a list or dict inside
        itself (a fifth of the encoding's CPU: a GraphQL result is a tree the execution builds
        afresh, and a cycle would still fail, on the recursion limit)."""
        return json.dumps(data, separators=(",", ":"), check_circular=False)

    @property
    def graphql_ide_html(self) -> str:
        return (STATIC / "graphiql.html").read_text(encoding="utf-8")


_JSON = "application/json"


def _open(settings: Settings) -> Backend:
    """The graph, read-write (the workflow's mutations write), each read bounded in time.
    LadybugDB allows one read-write process or many read-only ones, never both: the server is
    that one process, and a `govgraph load` beside it is refused by the store's lock."""
    if "://" not in settings.db and not Path(settings.db).exists():
        raise BackendUnavailable(
            f"there is no graph at {settings.db}; build one with `govgraph demo` or "
            "`govgraph init` and `govgraph load`, or point GOVGRAPH_DB at it"
        )
    return open_graph(settings, timed=True, modelled=True)


def create_app(settings: Settings, *, backend: Backend | None = None) -> FastAPI:
    """The API app. Its lifespan opens `settings.db` read-write and closes it at shutdown.

    Pass `backend` to serve a graph that is already open (tests do): the app then uses it as
    it is and leaves closing it to the caller.
    """
    development = settings.mode == "development"

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _malloc_stats(settings), _backend(app):
            yield

    @asynccontextmanager
    async def _backend(app: FastAPI) -> AsyncIterator[None]:
        if backend is not None:
            app.state.backend = backend
            yield
            return
        opened = await run_in_threadpool(_open, settings)
        app.state.backend = opened
        try:
            with heap.frozen():  # the read model out of full collections, read again or not
                yield
        finally:
            app.state.backend = None
            await run_in_threadpool(opened.close)

    app = FastAPI(
        title="govgraph",
        summary="A graph of the actors of grid-based social governance.",
        lifespan=lifespan,
        docs_url="/docs" if development else None,
        redoc_url=None,
        openapi_url="/openapi.json" if development else None,
        # no OpenTelemetry here: FastAPI's own asked on every request whether a provider was
        # set (~2% of a small query's instructions, docs/benchmarks.md)
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.settings = settings
    app.state.tokens = TokenStore(settings.tokens)
    app.state.backend = backend

    if not development:

        @app.get("/graphql", include_in_schema=False)
        async def no_ide() -> JSONResponse:
            return error_response(
                405,
                "send GraphQL queries as POST /graphql with a JSON body; GraphiQL is served "
                "in development mode (GOVGRAPH_MODE=development)",
                {"Allow": "POST"},
            )

    graphql = _GraphQL(
        build_schema(settings),
        graphql_ide="graphiql" if development else None,
        subscription_protocols=(),
    )
    methods = ["GET", "POST"] if development else ["POST"]  # production's GET: `no_ide`
    app.router.routes.append(Route("/graphql", graphql, methods=methods))
    app.state.audit = AuditLog(Path(settings.audit_log))
    app.include_router(research_router)
    app.include_router(session_router)

    @app.get("/healthz", summary="200 when the graph store answers, 503 when it does not.")
    async def healthz(request: Request) -> dict[str, str]:
        graph = await get_backend(request)
        try:
            await run_in_threadpool(graph.read, "RETURN 1 AS ok", {})
        except Exception as exc:
            log.warning("health check failed: %s", exc)
            raise HTTPException(503, "the graph store does not answer") from None
        return {"status": "ok"}

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    page = (STATIC / "index.html").read_text(encoding="utf-8")
    page_headers = page_security_headers(page)

    @app.get("/", include_in_schema=False)
    async def home() -> Response:
        """The 调解工作台: a page of modules served from api/static (docs/page.md)."""
        return HTMLResponse(page, headers=page_headers)

    add_error_handlers(app)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        # never the page's X-Requested-With: only the page itself may send it (api/session.py)
        allow_headers=["authorization", "content-type"],
        max_age=600,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(JSONErrors)  # outermost: even a refused CORS preflight gets the shape
    return app


@asynccontextmanager
async def _malloc_stats(settings: Settings) -> AsyncIterator[None]:
    """Appends the allocator's figures to GOVGRAPH_MALLOC_STATS while serving, if named."""
    if not settings.malloc_stats:
        yield
        return
    task = asyncio.create_task(
        mallocstats.every(Path(settings.malloc_stats), settings.malloc_stats_seconds)
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def page_security_headers(page: str) -> dict[str, str]:
    """Headers for the page: scripts only from this origin and the page's one inline script
    (its import map, allowed by its hash), nothing framed or fetched elsewhere, no referrer.
    Personal data is on the page: a Content-Security-Policy keeps an injected script from
    running or sending it anywhere."""
    inline = re.findall(r'<script type="importmap">(.*?)</script>', page, re.S)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    )
    policy = (
        "default-src 'self'; script-src 'self' " + hashes + "; style-src 'self'; "
        "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def from_environment() -> FastAPI:
    """The app with settings read from the environment now: `uvicorn --factory
    api.app:from_environment` (or any ASGI server that takes a factory)."""
    return create_app(get_settings())


def serve(settings: Settings, **uvicorn_options: Any) -> None:
    """Serve the API with uvicorn on settings.host:settings.port until interrupted.

    `uvicorn_options` go to `uvicorn.run` (e.g. log_level="warning", access_log=False).

    The embedded store is served by one process: it owns the store read-write (mutations and
    reads on one Database), so `settings.workers` above one is refused for it
    (`SeveralWriters`). With Neo4j, uvicorn starts that many processes, each with its own
    driver: Python runs one thread at a time per process, and parsing, resolving and encoding
    a GraphQL request is Python, so a second process puts the second core to work. The
    workers build their app from the environment, so these settings are put there first.
    """
    import uvicorn

    options: dict[str, Any] = {"log_level": "info", **uvicorn_options}
    if settings.workers > 1 and "://" not in settings.db:
        raise SeveralWriters(
            f"GOVGRAPH_WORKERS={settings.workers}: the embedded store ({settings.db}) is owned "
            "by one server process, which reads and writes it; serve it with "
            "GOVGRAPH_WORKERS=1, or serve a Neo4j database (GOVGRAPH_DB=neo4j://…) with several"
        )
    if settings.workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, **options)
        return
    os.environ.update(settings_environment(settings))
    uvicorn.run(
        "api.app:from_environment",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        **options,
    )


class SeveralWriters(GraphError):
    """Several server processes asked for on a store only one process may write."""


def settings_environment(settings: Settings) -> dict[str, str]:
    """The GOVGRAPH_* variables that make `Settings()` equal to `settings`."""
    found = {}
    for name, value in settings.model_dump().items():
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if isinstance(value, bool):
            value = str(value).lower()
        elif isinstance(value, list):
            value = json.dumps(value)
        found["GOVGRAPH_" + name.upper()] = str(value)
    return found
