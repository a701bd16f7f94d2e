"""Signing in from the page (api/session.py): the token in an HttpOnly, SameSite=Strict session
cookie, taken by the API only with the header no other origin's page can set."""

from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.auth import create_token, revoke_token, token_id
from api.settings import Settings

pytestmark = pytest.mark.anyio

ME = {"query": "{ me { role scope } }"}
PAGE = {"X-Requested-With": "govgraph"}


@pytest.fixture
def anyio_backend():
    return "asyncio"


class NoGraph:
    def read(self, query, params=None):
        raise AssertionError("signing in reads no graph")


@asynccontextmanager
async def client(tmp_path, **values):
    settings = Settings(_env_file=None, tokens=str(tmp_path / "tokens.json"), **values)
    app = create_app(settings, backend=NoGraph())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        c.settings = settings
        yield c


async def test_signing_in_sets_an_httponly_strict_session_cookie(tmp_path):
    async with client(tmp_path) as c:
        token = create_token(c.settings.tokens, "mediator", "330421111")
        response = await c.post("/session", json={"token": token}, headers=PAGE)
    assert (response.status_code, response.json()) == (
        200,
        {"role": "mediator", "scope": "330421111"},
    )
    assert response.headers["set-cookie"] == (
        f"govgraph_session={token}; HttpOnly; Path=/; SameSite=strict"
    )  # no Expires or Max-Age: gone when the browser closes; not Secure over http


async def test_over_https_the_cookie_is_secure(tmp_path):
    async with client(tmp_path) as c:
        token = create_token(c.settings.tokens, "viewer")
        response = await c.post("https://testserver/session", json={"token": token}, headers=PAGE)
    assert "; Secure" in response.headers["set-cookie"]


async def test_the_cookie_counts_only_with_the_pages_header(tmp_path):
    async with client(tmp_path) as c:
        token = create_token(c.settings.tokens, "mediator", "330421")
        await c.post("/session", json={"token": token}, headers=PAGE)
        from_the_page = await c.post("/graphql", json=ME, headers=PAGE)
        # what a form another site posts, or GraphiQL, would send: the cookie alone
        cookie_alone = await c.post("/graphql", json=ME)
        other_value = await c.post("/graphql", json=ME, headers={"X-Requested-With": "x"})
    assert from_the_page.json() == {"data": {"me": {"role": "mediator", "scope": "330421"}}}
    assert cookie_alone.json() == {"data": {"me": {"role": "viewer", "scope": None}}}
    assert other_value.json() == {"data": {"me": {"role": "viewer", "scope": None}}}


async def test_without_anonymous_access_the_cookie_alone_is_refused(tmp_path):
    async with client(tmp_path, allow_anonymous=False) as c:
        token = create_token(c.settings.tokens, "admin")
        await c.post("/session", json={"token": token}, headers=PAGE)
        with_header = await c.post("/graphql", json=ME, headers=PAGE)
        without = await c.post("/graphql", json=ME)
    assert with_header.json() == {"data": {"me": {"role": "admin", "scope": None}}}
    assert without.status_code == 401


async def test_a_bearer_header_wins_over_the_cookie(tmp_path):
    async with client(tmp_path) as c:
        mediator = create_token(c.settings.tokens, "mediator", "331127")
        admin = create_token(c.settings.tokens, "admin")
        await c.post("/session", json={"token": mediator}, headers=PAGE)
        answer = await c.post(
            "/graphql", json=ME, headers={**PAGE, "Authorization": f"Bearer {admin}"}
        )
    assert answer.json() == {"data": {"me": {"role": "admin", "scope": None}}}


async def test_a_revoked_token_ends_the_pages_session_at_its_next_request(tmp_path):
    async with client(tmp_path) as c:
        token = create_token(c.settings.tokens, "mediator", "330421")
        await c.post("/session", json={"token": token}, headers=PAGE)
        revoke_token(c.settings.tokens, token_id(token))
        answer = await c.post("/graphql", json=ME, headers=PAGE)
    assert (answer.status_code, answer.json()) == (
        401,
        {
            "error": {
                "status": 401,
                "code": "unauthorized",
                "message": "the token is not valid: it was never issued here or was removed",
            }
        },
    )


async def test_signing_in_needs_the_pages_header_and_a_valid_token(tmp_path):
    async with client(tmp_path) as c:
        token = create_token(c.settings.tokens, "viewer")
        no_header = await c.post("/session", json={"token": token})
        wrong = await c.post("/session", json={"token": "ggt_guessed"}, headers=PAGE)
        empty = await c.post("/session", json={"token": ""}, headers=PAGE)
    assert (no_header.status_code, no_header.json()) == (
        403,
        {
            "error": {
                "status": 403,
                "code": "forbidden",
                "message": "sign in from the page: this request needs the header "
                "'X-Requested-With: govgraph' (a defence against requests other sites make)",
            }
        },
    )
    assert "set-cookie" not in no_header.headers
    assert (wrong.status_code, wrong.json()["error"]["message"]) == (
        401,
        "the token is not valid: it was never issued here or was removed",
    )
    assert "set-cookie" not in wrong.headers
    assert (empty.status_code, empty.json()) == (
        422,
        {
            "error": {
                "status": 422,
                "code": "unprocessable_entity",
                "message": "body.token: String should have at least 1 character",
            }
        },
    )


async def test_signing_out_drops_the_cookie(tmp_path):
    async with client(tmp_path) as c:
        token = create_token(c.settings.tokens, "admin")
        await c.post("/session", json={"token": token}, headers=PAGE)
        out = await c.delete("/session", headers=PAGE)
        after = await c.post("/graphql", json=ME, headers=PAGE)
    assert out.status_code == 204
    assert out.headers["set-cookie"].startswith('govgraph_session=""; expires=')
    assert after.json() == {"data": {"me": {"role": "viewer", "scope": None}}}


async def test_the_page_is_served_at_the_root_with_a_content_security_policy(tmp_path):
    for mode in ("production", "development"):
        async with client(tmp_path, mode=mode) as c:
            page = await c.get("/")
        assert page.status_code == 200
        assert '<html lang="zh-CN">' in page.text
        assert '<script type="module" src="/static/app/main.js"></script>' in page.text
        policy = page.headers["content-security-policy"]
        assert policy.startswith("default-src 'self'; script-src 'self' 'sha256-")
        assert "frame-ancestors 'none'" in policy
        assert "connect-src 'self'" in policy
