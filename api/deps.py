"""FastAPI dependencies shared by the routes: the open backend and the caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.exceptions import HTTPException

from api.auth import ANONYMOUS, Caller, InvalidToken, TokenStore
from api.session import page_token
from api.settings import Settings
from graph.backend import Backend


async def get_backend(request: Request) -> Backend:
    backend: Backend | None = getattr(request.app.state, "backend", None)
    if backend is None:
        raise HTTPException(503, "the graph store is not open")
    return backend


async def get_caller(request: Request) -> Caller:
    """The caller a request's bearer token stands for, or the page's session cookie (with
    the header that only the page can set: `api.session`); a viewer when it has neither
    (unless GOVGRAPH_ALLOW_ANONYMOUS is false). Async, as is get_backend: FastAPI runs a plain
    function dependency in a worker thread, and a thread hop costs more than the work (a dict
    look-up and one stat of the token file)."""
    settings: Settings = request.app.state.settings
    header = request.headers.get("authorization")
    if header is None:
        token = page_token(request)
        if token is None:
            if settings.allow_anonymous:
                return ANONYMOUS
            raise HTTPException(
                401,
                "this server needs a token: send 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
    else:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(
                401,
                "send the token as 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
    store: TokenStore = request.app.state.tokens
    try:
        return store.verify(token.strip())
    except InvalidToken as exc:
        raise HTTPException(
            401, str(exc), headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        ) from None


GraphDep = Annotated[Backend, Depends(get_backend)]
CallerDep = Annotated[Caller, Depends(get_caller)]
