"""A mobile or ID number typed into a text that is not personal data itself (a grid's name, a
person's profession) is masked for every role but admin in GraphQL, as exports and
researchers' copies already mask it; a key comes back as it is, to be looked up."""

import httpx
import pytest

from api.app import create_app
from api.auth import create_token
from api.settings import Settings

pytestmark = pytest.mark.anyio

GRID = "330421001001-G01"
NAME = "日晖社区第一网格（网格长电话138-5732-1846）"
PROFESSION = "律师，身份证330421195802170152"
QUERY = "query($g: ID!, $p: ID!) { grid(id: $g) { id name } person(id: $p) { id name profession } }"


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def test_a_number_typed_into_other_text_is_masked(tmp_path, examples_graph):
    examples_graph.write(
        [
            ("MATCH (g:Grid {id: $id}) SET g.name = $name", {"id": GRID, "name": NAME}),
            ("MATCH (p:Person {id: 'JS-P-0002'}) SET p.profession = $p", {"p": PROFESSION}),
        ]
    )
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
    )
    tokens = {
        role: create_token(settings.tokens, role, "330421" if role == "mediator" else None)
        for role in ("viewer", "researcher", "mediator", "admin")
    }
    app = create_app(settings, backend=examples_graph)
    seen = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for role in (None, *tokens):
                headers = {"authorization": f"Bearer {tokens[role]}"} if role else {}
                response = await client.post(
                    "/graphql",
                    json={"query": QUERY, "variables": {"g": GRID, "p": "JS-P-0002"}},
                    headers=headers,
                )
                seen[role] = response.json()

    def answer(name, person, profession):
        return {
            "data": {
                "grid": {"id": GRID, "name": name},
                "person": {"id": "JS-P-0002", "name": person, "profession": profession},
            }
        }

    masked = answer(
        "日晖社区第一网格（网格长电话138****1846）", "顾某", "律师，身份证330421********0152"
    )
    for role in (None, "viewer", "researcher"):
        assert seen[role] == masked, role
    # a mediator sees the people of their county whole; a grid is no person: its name is masked
    assert seen["mediator"] == answer(masked["data"]["grid"]["name"], "顾晓燕", PROFESSION)
    assert seen["admin"] == answer(NAME, "顾晓燕", PROFESSION)
