"""The one shape of every HTTP error the app returns, written down once:

    {"error": {"status": 401, "code": "unauthorized", "message": "…"}}

Routes raise `HTTPException`; the handlers below turn it, a request that fails validation and
any unexpected exception into that shape. Some errors are answered by code that is not ours —
strawberry's plain-text "Unable to parse request body as JSON", the CORS middleware's refused
preflight — so `JSONErrors`, the outermost middleware, rewrites any error response that is not
JSON into the same shape, keeping its status and headers.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("govgraph.api")


def error_body(status: int, message: str) -> dict[str, dict[str, object]]:
    code = HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    return {"error": {"status": status, "code": code, "message": message}}


def error_response(
    status: int, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The one shape of every HTTP error."""
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def add_error_handlers(app: FastAPI) -> None:
    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return error_response(exc.status_code, str(exc.detail), exc.headers)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return error_response(422, problems)

    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(500, "internal error; the server log has the details")

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, internal_error)


class JSONErrors:
    """ASGI middleware: an error response (400 or above) whose body is not JSON is rewritten
    into the one error shape, its text the message. Other responses pass through untouched,
    streamed as they come."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def rewrite(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                given = dict(message.get("headers", []))
                kind = given.get(b"content-type", b"").split(b";")[0].strip()
                if message["status"] >= 400 and kind != b"application/json":
                    start = message  # held until the whole body is read
                    return
                await send(message)
            elif start is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                status = start["status"]
                text = body.decode("utf-8", "replace").strip() or HTTPStatus(status).phrase
                payload = json.dumps(error_body(status, text), ensure_ascii=False).encode()
                kept = [
                    (k, v)
                    for k, v in start.get("headers", [])
                    if k.lower() not in (b"content-type", b"content-length")
                ]
                headers = [
                    *kept,
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ]
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": payload})
            else:
                await send(message)

        await self.app(scope, receive, rewrite)


class BodyLimit:
    """ASGI middleware: a request whose body is larger than `max_bytes` is answered 413, in the
    one error shape, before any route reads or parses it.

    A declared Content-Length over the limit is refused at once. Otherwise the body is read
    here, up to one byte over the limit (a chunked body has no length to trust), and handed
    on whole; so no request holds more than `max_bytes` in memory. A body with a
    Content-Encoding (gzip, …) is answered 415: no route would decode it.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        coding = headers.get(b"content-encoding", b"").strip().lower()
        # no route decodes one, and a small gzip can hold gigabytes
        if coding not in (b"", b"identity"):
            refusal = error_response(
                415,
                f"the request body is {coding.decode('latin-1')}-encoded (Content-Encoding); "
                "send it uncompressed",
                {"Accept-Encoding": "identity"},
            )
            await refusal(scope, receive, send)
            return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        whole = {"type": "http.request", "body": bytes(body), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"the request body is larger than the {self.max_bytes:,} bytes allowed "
            "(GOVGRAPH_MAX_BODY_BYTES)"
        )
        await error_response(413, message, {"connection": "close"})(scope, receive, send)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that gives `messages` first, then whatever the client sends next."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
