"""Hostile privacy: researchers' Cypher, over HTTP and the CLI, that tries every way to smuggle
a real name, mobile, ID number or dispute title out finds none, in answers or the audit log;
and a person has the same pseudonym in Cypher and in an export."""

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.adhoc import close_all
from api.app import create_app
from api.auth import create_token
from api.cli import app as cli_app
from api.settings import Settings
from graph.pseudonym import Privacy, key_from_text, new_key, pseudonym
from graph.schema import Mask
from loaders.export import export

P = "MATCH (p:Person) "
D = "MATCH (d:Dispute) "
SMUGGLE = [
    P + "RETURN {n: p.name, m: p.mobile, i: p.id_number} AS x",
    P + "RETURN p",
    P + "RETURN properties(p) AS x",
    P + "RETURN collect(p.name) AS x",
    P + "RETURN collect(p.mobile) AS x",
    P + "RETURN collect({a: {b: p.id_number}}) AS x",
    P + "UNWIND [p.name, p.mobile, p.id_number] AS x RETURN x",
    P + "RETURN CASE WHEN p.name IS NOT NULL THEN p.name ELSE p.mobile END AS x",
    P + "RETURN substring(p.mobile, 1, 11) AS x",
    P + "RETURN substring(p.id_number, 1, 18) AS x",
    P + "RETURN substring(p.name, 1, 3) AS x",
    P + "RETURN reverse(p.name) AS x",
    P + "RETURN reverse(p.mobile) AS x",
    P + "RETURN toInteger(p.mobile) AS x",
    P + "RETURN toInteger(substring(p.id_number, 1, 17)) AS x",
    P + "RETURN 'n:' + p.name + ' m:' + p.mobile AS x",
    P + "RETURN concat(p.name, p.id_number) AS x",
    P + "RETURN lower(p.id_number) AS x",
    P + "RETURN upper(p.name) AS x",
    P + "RETURN [p.name, [p.mobile, [p.id_number]]] AS x",
    P + "RETURN {a: [{b: p.name}]} AS x",
    P + "WITH p.name AS who RETURN who",
    P + "WITH p AS q RETURN q.name AS x, q.mobile AS y",
    P + "WITH collect(p) AS ps UNWIND ps AS q RETURN q.name AS x",
    P + "RETURN p.name AS x ORDER BY p.name",
    P + "RETURN p.id AS x ORDER BY p.mobile",
    P + "RETURN min(p.name) AS a, max(p.mobile) AS b, min(p.id_number) AS c",
    P + "WITH p LIMIT 1 RETURN collect(p.name)[1] AS x",
    P + "RETURN size(p.name) AS n, p.name AS x",
    P + "WHERE p.name = '钱国良' RETURN count(p) AS n",
    P + "WHERE p.mobile = '13967301475' RETURN count(p) AS n",
    P + "WHERE p.id_number STARTS WITH '330421' RETURN count(p) AS n",
    P + "WHERE p.mobile >= '139' AND p.mobile < '140' RETURN count(p) AS n",
    P + "WHERE p.name CONTAINS '钱' RETURN count(p) AS n",
    P + "WHERE p.name =~ '钱.*' RETURN count(p) AS n",
    P + "RETURN p.name IN ['钱国良'] AS hit",
    P + "RETURN left(p.mobile, 11) AS x",
    P + "RETURN right(p.id_number, 18) AS x",
    P + "RETURN replace(p.mobile, '-', '') AS x",
    P + "RETURN trim(' ' + p.name + ' ') AS x",
    P + "RETURN coalesce(null, p.name) AS x",
    "MATCH path = (p:Person)-[*1..2]-(x) RETURN path",
    "MATCH path = (p:Person)-[*1..2]-(x) RETURN nodes(path) AS ns",
    "MATCH (p:Person)-[r]->(x) RETURN p, r, x",
    "MATCH (p:Person)-[r]->(x) RETURN properties(r) AS rp, x",
    "MATCH (a:Person)-[]-()-[]-(b:Person) RETURN a.name AS a, b.name AS b",
    "MATCH (n) RETURN n",
    "MATCH (n) RETURN properties(n) AS x",
    "MATCH ()-[r]->() RETURN properties(r) AS x",
    D + "RETURN d.title AS x",
    D + "RETURN {t: d.title} AS x",
    D + "RETURN collect(d.title) AS x",
    D + "RETURN d",
    D + "RETURN substring(d.title, 1, 20) AS x",
    D + "RETURN reverse(d.title) AS x",
    D + "WHERE d.title = '术后并发症赔偿纠纷' RETURN count(d) AS n",
    D + "WHERE d.title CONTAINS '纠纷' RETURN count(d) AS n",
    D + "RETURN d.title AS x ORDER BY d.title",
    D + "MATCH (d)-[r]-(x) RETURN d, r, x",
    P + "UNWIND range(1, size(p.mobile)) AS i RETURN substring(p.mobile, i, 1) AS c",
    P + "RETURN [c IN [p.name, p.mobile] | c] AS x",
]


@pytest.fixture
def world(tmp_path, examples_graph):
    key = new_key()
    people = examples_graph.read(
        "MATCH (p:Person) RETURN p.name AS n, p.mobile AS m, p.id_number AS i"
    )
    titles = examples_graph.read("MATCH (d:Dispute) RETURN d.title AS t")
    secrets = {v for r in people for v in r.values() if v} | {r["t"] for r in titles}
    # also a mobile or ID number with its digits reversed, and the names' characters reversed
    secrets |= {s[::-1] for s in secrets}
    yield examples_graph, key, secrets
    close_all()


def _leaks(text, secrets):
    return sorted(s for s in secrets if s in text)


def test_the_suite_is_large():
    assert len(SMUGGLE) >= 60


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_researchers_over_http_see_no_real_value(tmp_path, world):
    graph, key, secrets = world
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
        pseudonym_key=key,
    )
    token = create_token(settings.tokens, "researcher", None)
    app = create_app(settings, backend=graph)
    answered = 0
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            for query in SMUGGLE:
                response = await client.post(
                    "/cypher",
                    json={"query": query},
                    headers={"authorization": f"Bearer {token}"},
                )
                assert response.status_code in (200, 400), (query, response.text)
                answered += response.status_code == 200
                assert _leaks(response.text, secrets) == [], query
                if "WHERE" in query and response.status_code == 200:
                    # equality, range and pattern oracles confirm nothing: no real value is there
                    assert response.json()["rows"] in ([{"n": 0}], [{"hit": False}] * 5), query
    assert answered >= 55
    audit = Path(settings.audit_log).read_text(encoding="utf-8")
    # the audit log holds the queries' text (with the guesses researchers typed), no answer
    typed = {s for s in secrets if s in "".join(SMUGGLE)}
    assert _leaks(audit, secrets - typed) == []


def test_researchers_over_the_cli_see_no_real_value(tmp_path, world, monkeypatch):
    graph, key, secrets = world
    monkeypatch.setenv("GOVGRAPH_DB", str(graph.path))
    monkeypatch.setenv("GOVGRAPH_PSEUDONYM_KEY", key)
    monkeypatch.setenv("GOVGRAPH_AUDIT_LOG", str(tmp_path / "audit.jsonl"))
    monkeypatch.setenv("GOVGRAPH_RESEARCH_COPIES", str(tmp_path / "copies"))
    graph.close()  # the CLI opens the store itself
    runner = CliRunner()
    for query in SMUGGLE[:20] + SMUGGLE[-12:]:
        result = runner.invoke(
            cli_app, ["cypher", query, "--role", "researcher", "--format", "json"]
        )
        assert result.exit_code in (0, 2), (query, result.output)
        assert _leaks(result.output, secrets) == [], query


def test_the_same_pseudonym_in_cypher_and_in_an_export(tmp_path, world):
    from api.adhoc import ask
    from api.audit import AuditLog

    graph, key, _ = world
    settings = Settings(_env_file=None, pseudonym_key=key, audit_log=str(tmp_path / "a.jsonl"))
    seen = ask(
        graph,
        settings,
        AuditLog(Path(settings.audit_log)),
        who="t",
        role="researcher",
        query="MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.mobile AS mobile ORDER BY id",
        params={},
    ).rows
    export(
        graph, tmp_path / "out", types={"Person"}, privacy=Privacy.pseudonymised(key_from_text(key))
    )
    exported = (tmp_path / "out" / "export.people.csv").read_text(encoding="utf-8-sig")
    real = graph.read("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id")
    for row, truth in zip(seen, real, strict=True):
        assert row["name"] == pseudonym(truth["name"], key_from_text(key), Mask.NAME)
        assert row["name"] in exported and row["mobile"] in exported
    assert json.dumps(seen, ensure_ascii=False).count("人-") == len(real)
