"""Hostile Cypher: every file read or write, download and write is refused before it runs, by
each layer on its own (our check; the store's plan, asked in the confined process; the
kernel), and memory bombs end the query, not the server."""

import json
from pathlib import Path

import httpx
import pytest

from api.adhoc import close_all
from api.app import create_app
from api.auth import create_token
from api.settings import Settings
from graph.errors import BadQuery, QueryTimeout
from graph.readonly import NotReadOnly, check_read_only, tokens
from graph.sandbox import Sandbox

SECRET = "/secret/tokens.json"
# What an attacker wants run: read a file, write one, download, change the graph or the store.
ATTACKS = [
    f"LOAD FROM '{SECRET}' (file_format='csv', header=false, delim=':') RETURN *",
    f"LOAD WITH HEADERS (a STRING) FROM '{SECRET}' RETURN *",
    f"COPY (MATCH (p:Person) RETURN p.name) TO '{SECRET}'",
    f"COPY Person FROM '{SECRET}'",
    "INSTALL httpfs",
    "LOAD EXTENSION '/tmp/x.so'",
    "ATTACH '/tmp/other.lbdb' AS o (dbtype lbug)",
    "EXPORT DATABASE '/tmp/dump'",
    "IMPORT DATABASE '/tmp/dump'",
    "CREATE MACRO leak(x) AS x",
    "CREATE (:Domain {code: 'x', name: 'x'})",
    "MATCH (p:Person) SET p.name = 'x'",
    "MATCH (p:Person) DETACH DELETE p",
    "CALL current_setting('home_directory') RETURN *",
    "CALL read_csv('/etc/passwd') RETURN *",
    "CALL show_official_extensions() RETURN *",
    "CALL project_graph('g', ['Person'], []) RETURN *",
    "CHECKPOINT",
    "BEGIN TRANSACTION",
    "USE other",
    "DROP TABLE Person",
    "ALTER TABLE Person ADD x STRING",
    "CALL threads=1",
    f"RETURN read_csv('{SECRET}')",
]
# Ways to dress an attack so a naive check misses it.
DRESSINGS = [
    lambda a: a,
    lambda a: "WITH 1 AS x LIMIT 1" + a,  # a number glued to the keyword
    lambda a: "MATCH (n) RETURN n LIMIT 0 UNION ALL " + a,
    lambda a: "/* RETURN 1 */ " + a,
    lambda a: "RETURN 1 AS x; " + a,
    lambda a: a.lower(),
    lambda a: "// comment\n" + a,
    lambda a: "WITH 'it\\'s' AS s " + a,  # an escaped quote: where does the string end?
]
HOSTILE = [dress(attack) for attack in ATTACKS for dress in DRESSINGS]
# Unicode look-alikes and other oddities that must not run either.
HOSTILE += [
    "МATCH (p:Person) RETURN p",  # Cyrillic М
    "MATCH (p:Person) RETURN p；",  # a full-width semicolon
    "RETURN 1 AS x /* unclosed",
    "RETURN 'unclosed",
    "RETURN `unclosed",
    "",
    "   ",
    "RETURN `current_setting`('home_directory')",
    "RETURN 1 AS x;;RETURN 2 AS y",
    "RETURN 0x1LOAD",
    "RETURN 1e5COPY",
    "RETURN .5INSTALL",
]
MEMORY_BOMBS = [
    "RETURN size(range(1, 1000000000)) AS n",
    "UNWIND range(1, 200000000) AS x RETURN collect(x) AS xs",
    "UNWIND range(1, 20000000) AS x RETURN x",
    "MATCH (a), (b), (c), (d) RETURN count(*) AS n",  # a cartesian product
    "UNWIND range(1, 5000) AS a UNWIND range(1, 5000) AS b RETURN collect(a * b) AS xs",
]


def test_the_suite_is_large():
    assert len(HOSTILE) >= 120


@pytest.mark.parametrize("query", HOSTILE)
def test_our_check_refuses_every_hostile_text(query):
    with pytest.raises(NotReadOnly):
        check_read_only(query)


def test_a_glued_number_is_two_tokens_as_for_the_store():
    found = [(t.kind, t.text) for t in tokens("WITH 1 AS x LIMIT 1LOAD FROM 'f'")]
    assert found[-4:-1] == [("number", "1"), ("word", "LOAD"), ("word", "FROM")]
    assert [(t.kind, t.text) for t in tokens("RETURN 1e5COPY")][1:] == [
        ("number", "1e5"),
        ("word", "COPY"),
    ]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """The confined process over a tiny store, with a secret file outside its folder."""
    import ladybug

    root = tmp_path_factory.mktemp("hostile")
    store = root / "copy" / "graph.lbdb"
    store.parent.mkdir()
    db = ladybug.Database(str(store))
    conn = ladybug.Connection(db)
    conn.execute("CREATE NODE TABLE Person(id STRING PRIMARY KEY, name STRING)")
    conn.execute("CREATE (:Person {id: 'a', name: 'x'})")
    conn.close()
    db.close()
    (root / "secret.csv").write_text("root:x:0:0\n", encoding="utf-8")
    box = Sandbox(store, timeout_ms=5000, memory_mb=512)
    box.secret = root / "secret.csv"
    box.root = root
    yield box
    box.close()


def _as_run(query, secret):
    return query.replace(SECRET, str(secret))


@pytest.mark.parametrize("query", [q for q in HOSTILE if q.strip()])
def test_the_store_and_the_kernel_refuse_it_without_our_check(sandbox, query):
    """The store's own parser and plan (asked inside the confined process) refuse what ours
    refuses; and run with no check at all, the kernel keeps the files out of reach."""
    text = _as_run(query, sandbox.secret)
    before = sorted(p.name for p in sandbox.root.rglob("*"))
    with pytest.raises((BadQuery, QueryTimeout)):
        answer = sandbox.run(text, {}, 10)
        assert "root:x" not in json.dumps(answer.rows)  # a plain read query passes: no file
        raise BadQuery("ran as a read: " + repr(answer.rows))
    try:
        unchecked = sandbox.run(text, {}, 10, check=False)
    except (BadQuery, QueryTimeout):
        unchecked = None
    assert unchecked is None or "root:x" not in json.dumps(unchecked.rows, default=str)
    assert sorted(p.name for p in sandbox.root.rglob("*")) == before  # nothing written


def test_the_process_can_read_no_file_outside_its_folder(sandbox):
    with pytest.raises(BadQuery, match=r"Permission denied|Cannot open"):
        sandbox.run(f"LOAD FROM '{sandbox.secret}' RETURN *", {}, 10, check=False)
    assert sandbox.landlock > 0  # Linux with Landlock: the kernel refused, not a check


@pytest.mark.parametrize("bomb", MEMORY_BOMBS)
def test_memory_bombs_end_the_query_and_the_process_answers_again(sandbox, bomb):
    try:
        answer = sandbox.run(bomb, {}, 10)
    except (BadQuery, QueryTimeout):
        pass
    else:
        assert len(answer.rows) <= 10  # at most the cap was fetched
    assert sandbox.run("MATCH (p:Person) RETURN p.id AS id", {}, 10).rows == [{"id": "a"}]


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_over_http_bombs_are_4xx_and_the_server_stays_up(tmp_path, examples_graph):
    settings = Settings(
        _env_file=None,
        tokens=str(tmp_path / "tokens.json"),
        audit_log=str(tmp_path / "audit.jsonl"),
        research_memory_mb=256,
    )
    token = create_token(settings.tokens, "researcher", None)
    app = create_app(settings, backend=examples_graph)
    headers = {"authorization": f"Bearer {token}"}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                statuses = []
                for query in [*MEMORY_BOMBS, *HOSTILE[:16]]:
                    body = {"query": query, "params": {}}
                    response = await client.post("/cypher", json=body, headers=headers)
                    statuses.append(response.status_code)
                    assert "root:" not in response.text
                ok = await client.post(
                    "/cypher", json={"query": "RETURN 1 AS one"}, headers=headers
                )
    finally:
        close_all()
    assert all(400 <= s < 500 or s == 200 for s in statuses), statuses
    assert ok.json()["rows"] == [{"one": 1}]
    records = [json.loads(line) for line in Path(settings.audit_log).read_text().splitlines()]
    asked = {r["asked"] for r in records if r["outcome"] == "started"}
    finished = {r["asked"] for r in records if r["outcome"] != "started"}
    assert asked == finished and len(asked) == len(statuses) + 1
