"""POST /cypher: roles, the read-only check, the row cap, pseudonyms and the audit log."""

import json
import re
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.audit import verify
from api.auth import create_token, token_id
from api.settings import Settings
from graph.pseudonym import new_key

pytestmark = pytest.mark.anyio
PEOPLE = "MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.mobile AS mobile ORDER BY id"


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def graph(examples_graph):
    return examples_graph


@asynccontextmanager
async def client_for(tmp_path, graph, **values):
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
        pseudonym_key=new_key(),
        **values,
    )
    tokens = {
        role: create_token(settings.tokens, role, "330421" if role == "mediator" else None)
        for role in ("viewer", "mediator", "researcher", "admin")
    }
    app = create_app(settings, backend=graph)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

            async def ask(role, query, params=None):
                headers = {"authorization": f"Bearer {tokens[role]}"}
                body = {"query": query, "params": params or {}}
                return await client.post("/cypher", json=body, headers=headers)

            # who each role is in the audit log: role[@scope]#token id
            ask.who = {
                role: role + ("@330421" if role == "mediator" else "") + "#" + token_id(token)
                for role, token in tokens.items()
            }
            yield ask


def audit(tmp_path):
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.parametrize("role", ["viewer", "mediator"])
async def test_only_researchers_and_admins_may_ask(tmp_path, graph, role):
    async with client_for(tmp_path, graph) as ask:
        response = await ask(role, PEOPLE)
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "status": 403,
            "code": "forbidden",
            "message": "ad-hoc Cypher is for the researcher and admin roles",
        }
    }
    [record] = audit(tmp_path)
    assert (record["who"], record["outcome"], record["query"]) == (ask.who[role], "refused", PEOPLE)


async def test_an_admin_sees_raw_values_and_a_researcher_stable_pseudonyms(tmp_path, graph):
    async with client_for(tmp_path, graph) as ask:
        raw = (await ask("admin", PEOPLE)).json()
        first = (await ask("researcher", PEOPLE)).json()
        again = (await ask("researcher", PEOPLE + " LIMIT 2")).json()
    assert raw["columns"] == ["id", "name", "mobile"] and raw["truncated"] is False
    assert raw["rows"] == graph.read(PEOPLE)
    assert [r["id"] for r in first["rows"]] == [r["id"] for r in raw["rows"]]
    for seen, real in zip(first["rows"], raw["rows"], strict=True):
        assert seen["name"].startswith("人-") and seen["name"] != real["name"]
        assert seen["mobile"].startswith("M-")
    assert again["rows"] == first["rows"][:2]  # the same pseudonym in another query
    text = json.dumps(first, ensure_ascii=False)
    assert re.findall(r"1[3-9]\d{9}", text) == []


@pytest.mark.parametrize(
    "query",
    [
        "LOAD FROM '/etc/passwd' RETURN *",
        "MATCH (p:Person) DETACH DELETE p",
        "MATCH (p) RETURN p; MATCH (q) DELETE q",
        "CALL { MATCH (p:Person) SET p.name = 'x' }",
    ],
)
async def test_anything_but_reading_is_refused_and_audited(tmp_path, graph, query):
    async with client_for(tmp_path, graph) as ask:
        response = await ask("admin", query)
    assert response.status_code == 400
    started, record = audit(tmp_path)
    assert (started["outcome"], started["query"]) == ("started", query)
    assert started["asked"] == record["asked"] != ""
    assert record["outcome"] == "refused"
    assert record["reason"] == response.json()["error"]["message"]
    assert len(graph.read("MATCH (p:Person) RETURN p.id AS id")) == 5


async def test_rows_beyond_the_cap_are_cut_and_flagged(tmp_path, graph):
    async with client_for(tmp_path, graph, cypher_row_cap=2) as ask:
        response = (await ask("admin", "MATCH (p:Person) RETURN p.id AS id ORDER BY id")).json()
    assert (response["rows"], response["row_count"], response["truncated"]) == (
        [{"id": r["id"]} for r in graph.read("MATCH (p:Person) RETURN p.id AS id ORDER BY id")][:2],
        2,
        True,
    )
    started, record = audit(tmp_path)
    assert (started["outcome"], started["asked"]) == ("started", record["asked"])
    assert (record["outcome"], record["rows"], record["truncated"]) == ("accepted", 2, True)


async def test_a_bad_query_is_a_clear_400(tmp_path, graph):
    async with client_for(tmp_path, graph) as ask:
        response = await ask("admin", "MATCH (p:Person) RETURN p.nope")
    assert response.status_code == 400
    assert "Cannot find property nope" in response.json()["error"]["message"]


async def test_every_query_is_audited_in_a_chain_that_shows_tampering(tmp_path, graph):
    async with client_for(tmp_path, graph) as ask:
        await ask("researcher", PEOPLE, {})
        await ask("viewer", PEOPLE)
        await ask(
            "admin", "MATCH (g:Grid) WHERE g.kind = $kind RETURN g.id AS id", {"kind": "micro"}
        )
    records = audit(tmp_path)
    assert [(r["who"], r["outcome"], r["params"]) for r in records] == [
        (ask.who["researcher"], "started", {}),
        (ask.who["researcher"], "accepted", {}),
        (ask.who["viewer"], "refused", {}),
        (ask.who["admin"], "started", {"kind": "micro"}),
        (ask.who["admin"], "accepted", {"kind": "micro"}),
    ]
    log = tmp_path / "audit.jsonl"
    assert verify(log) is None
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace('"refused"', '"accepted"')
    log.write_text("".join(lines), encoding="utf-8")
    assert verify(log) == 4  # the line after the changed one no longer chains
