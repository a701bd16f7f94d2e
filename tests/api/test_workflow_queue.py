"""workQueue's search, filters, counts and paging: the rows each caller may find."""

from datetime import datetime

import httpx
import pytest

from api import acting
from api.app import create_app
from api.auth import Caller, Role, create_token
from api.settings import Settings
from queries.calendar import CHINA_TIME
from workflow.model import Refusal

pytestmark = pytest.mark.anyio

GRID = "330421001001-G01"
REPORTER = Caller(Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker")
CENTER = "Center:center-330421001"
QUEUE = """query($view: QueueView!, $search: String, $states: [WorkflowState!],
  $warnings: [Warning!], $domain: String, $kind: DisputeKind, $first: Int!, $after: String) {
  workQueue(view: $view, search: $search, states: $states, warnings: $warnings,
            domain: $domain, kind: $kind, first: $first, after: $after) {
    items { dispute { id } state heldSince holder { key } }
    totalCount counts { mine unit claimable approaching overdue all }
    pageInfo { endCursor hasNextPage } } }"""


@pytest.fixture
def anyio_backend():
    return "asyncio"


def report(graph, key, *, title, kind="dispute", category=None, parties=(), known=(), hour=9):
    acted = acting.report(
        graph, REPORTER, key, kind=kind, title=title, place=GRID, category=category,
        channel="app", receiver=CENTER, new_parties=list(parties), parties=list(known),
        now=datetime(2024, 9, 2, hour, tzinfo=CHINA_TIME),
    )  # fmt: skip
    assert not isinstance(acted.result, Refusal), acted.result
    return acted.dispute


@pytest.fixture
def setup(examples_graph, tmp_path):
    graph = examples_graph
    medical = report(
        graph, "r-1", title="手术费用纠纷", category="医疗纠纷", hour=9,
        parties=[acting.NewParty("王小明", id_number="33042119900101123X", mobile="13857321840")],
    )  # fmt: skip
    neighbours = report(  # 顾晓燕 lives in 日晖社区, inside the center's jurisdiction
        graph, "r-2", title="邻里漏水纠纷", hour=10, known=["Person:JS-P-0002"]
    )
    manhole = report(graph, "r-3", title="井盖破损", kind="event", hour=11)
    settings = Settings(
        _env_file=None, tokens=str(tmp_path / "t.json"), audit_log=str(tmp_path / "a.jsonl")
    )
    tokens = {
        "admin": create_token(settings.tokens, "admin"),
        "viewer": create_token(settings.tokens, "viewer"),
        "center": create_token(
            settings.tokens, "mediator", "330421001", person="JS-P-0001", unit=CENTER,
            workflow_role="dispatcher",
        ),
    }  # fmt: skip
    return create_app(settings, backend=graph), tokens, (medical, neighbours, manhole)


async def ask(app, token, **variables):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
        response = await c.post(
            "/graphql",
            json={"query": QUEUE, "variables": {"view": "ALL", "first": 50, **variables}},
            headers={"authorization": f"Bearer {token}"},
        )
    return response.json()


async def ids(app, token, **variables):
    body = await ask(app, token, **variables)
    assert "errors" not in body, body
    return [row["dispute"]["id"] for row in body["data"]["workQueue"]["items"]]


async def test_search_finds_what_the_caller_may_see(setup):
    app, tokens, (medical, neighbours, manhole) = setup
    assert await ids(app, tokens["admin"], search="13857321840") == [medical]
    assert await ids(app, tokens["admin"], search="19900101123x") == [medical]
    assert await ids(app, tokens["admin"], search="王小明") == [medical]
    # a town mediator sees in full the people of the town: 顾晓燕, not the new 王小明 (who is
    # placed nowhere yet, so masked: the privacy rule fails closed)
    assert await ids(app, tokens["center"], search="15906734582") == [neighbours]
    assert await ids(app, tokens["center"], search="顾晓燕") == [neighbours]
    assert await ids(app, tokens["center"], search="13857321840") == []
    assert await ids(app, tokens["center"], search="手术") == [medical]  # in the town: in full
    assert await ids(app, tokens["admin"], search="漏水") == [neighbours]
    assert await ids(app, tokens["admin"], search=manhole.lower()) == [manhole]
    # the grid's name and the holder's (the center) are in every row here
    assert await ids(app, tokens["admin"], search="日晖社区第一网格") == [
        medical, neighbours, manhole
    ]  # fmt: skip
    assert len(await ids(app, tokens["admin"], search="魏塘街道社会矛盾")) == 3
    # a viewer sees the mobile as 138****1840 and the name as 王*明: the rest finds nothing
    assert await ids(app, tokens["viewer"], search="13857321840") == []
    assert await ids(app, tokens["viewer"], search="王小明") == []
    assert await ids(app, tokens["viewer"], search="138****1840") == [medical]
    assert await ids(app, tokens["viewer"], search="手术") == []  # the title is masked too


async def test_filters_counts_and_pages(setup):
    app, tokens, (medical, neighbours, manhole) = setup
    admin = tokens["admin"]
    assert await ids(app, admin, kind="EVENT") == [manhole]
    assert await ids(app, admin, kind="DISPUTE") == [medical, neighbours]
    assert await ids(app, admin, domain="医疗纠纷") == [medical]
    assert await ids(app, admin, domain="medical") == [medical]
    assert await ids(app, admin, states=["REPORTED"]) == [medical, neighbours, manhole]
    assert await ids(app, admin, states=["HANDLING"]) == []
    assert await ids(app, admin, warnings=["RED"]) == []
    body = await ask(app, tokens["center"], first=2)
    page = body["data"]["workQueue"]
    assert [r["dispute"]["id"] for r in page["items"]] == [medical, neighbours]
    assert page["items"][0]["heldSince"] == "2024-09-02T09:00:00+08:00"
    assert page["items"][0]["holder"] == {"key": "center-330421001"}
    assert page["totalCount"] == 3
    assert page["counts"] == {
        "mine": 0, "unit": 3, "claimable": 0, "approaching": 0, "overdue": 3, "all": 3
    }  # fmt: skip
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await ask(app, tokens["center"], first=2, after=page["pageInfo"]["endCursor"])
    assert rest["data"]["workQueue"]["pageInfo"] == {
        "endCursor": rest["data"]["workQueue"]["pageInfo"]["endCursor"],
        "hasNextPage": False,
    }
    assert [r["dispute"]["id"] for r in rest["data"]["workQueue"]["items"]] == [manhole]
    filtered = await ask(app, tokens["center"], kind="EVENT")
    assert filtered["data"]["workQueue"]["counts"] == {
        "mine": 0, "unit": 1, "claimable": 0, "approaching": 0, "overdue": 1, "all": 1
    }  # fmt: skip
    bad = await ask(app, admin, domain="天文")
    assert (
        bad["errors"][0]["message"] == "domain: no domain '天文'; give a code or its Chinese name"
    )
    assert bad["errors"][0]["extensions"]["argument"] == "domain"
    worse = await ask(app, admin, after="not-a-cursor")
    assert worse["errors"][0]["extensions"]["argument"] == "after"
