"""Signing in from the page: the caller's token kept in a browser session cookie.

The 调解工作台 (`/`) asks for a token once, sends it to `POST /session`, and from then on the
browser carries it in a cookie the page's script cannot read (HttpOnly), which ends when the
browser closes (no expiry). The server takes the cookie on any route that takes a bearer
token (`api.deps.get_caller`), on one condition: the request also carries the header
`X-Requested-With: govgraph`.

Why that header, and SameSite=Strict besides. A cookie goes with every request the browser
makes to this host, also those another site's page makes it send (a form posted from
elsewhere, an <img>): that is cross-site request forgery. Two defences, each enough alone
against a page on another site:

- SameSite=Strict: the browser does not send the cookie on a request another *site* starts.
  But a site is the registrable domain, not the origin: another port on the same machine
  (http://127.0.0.1:5173) or another host under the same domain is the same site.
- The custom header: a page may set it only on a request to its own origin; to another
  origin the browser first asks (CORS preflight), and this app allows no origin unless
  GOVGRAPH_CORS_ORIGINS lists it, and never with credentials. A form, a link or an <img>
  cannot set a header at all. So a request with the cookie and the header comes from a page
  of this origin, the 调解工作台 itself.

A request with the cookie but without the header is treated as if it had no token (a viewer,
or 401 when GOVGRAPH_ALLOW_ANONYMOUS is false): GraphiQL, served by the same origin, keeps
working as a viewer rather than failing. The token in the cookie is checked like a bearer
token on every request, so `govgraph token revoke` ends a page's session at its next request.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from api.auth import InvalidToken, TokenStore

COOKIE = "govgraph_session"
CSRF_HEADER = "x-requested-with"
CSRF_VALUE = "govgraph"

router = APIRouter(tags=["session"])


def page_token(request: Request) -> str | None:
    """The token of the page's session cookie, when the request may use it (it carries the
    header that only a page of this origin can set); None otherwise."""
    token = request.cookies.get(COOKIE)
    if not token or request.headers.get(CSRF_HEADER) != CSRF_VALUE:
        return None
    return token


def _from_the_page(request: Request) -> None:
    if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
        raise HTTPException(
            403,
            f"sign in from the page: this request needs the header "
            f"'X-Requested-With: {CSRF_VALUE}' (a defence against requests other sites make)",
        )


class SignIn(BaseModel):
    token: str = Field(
        min_length=1, max_length=200, description="A token from `govgraph token create`."
    )


class Session(BaseModel):
    role: str
    scope: str | None


@router.post("/session", summary="Sign in: keep a token in an HttpOnly session cookie.")
async def sign_in(body: SignIn, request: Request, response: Response) -> Session:
    _from_the_page(request)
    store: TokenStore = request.app.state.tokens
    token = body.token.strip()
    try:
        caller = store.verify(token)
    except InvalidToken as exc:
        raise HTTPException(401, str(exc)) from None
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )  # no max_age: a session cookie, gone when the browser closes
    return Session(role=caller.role.value, scope=caller.scope)


@router.delete("/session", status_code=204, summary="Sign out: drop the session cookie.")
async def sign_out(request: Request) -> Response:
    _from_the_page(request)
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
    return response
