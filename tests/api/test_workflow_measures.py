"""workflowMeasures: bounce, whistle and on-time rates and the share settled at each level, per
area and per department, from the logs of two disputes driven through the API's code."""

from datetime import date, datetime

import httpx
import pytest

from api import acting
from api.app import create_app
from api.auth import Caller, Role, create_token
from api.measures import OpenCounts, workflow_measures
from api.settings import Settings
from queries.calendar import CHINA_TIME
from workflow.model import Ref, Refusal

pytestmark = pytest.mark.anyio

GRID = "330421001001-G01"
CENTER = "Center:center-330421001"
GRID_WORKER = Caller(
    Role.VIEWER, person="JS-P-0002", unit=f"Grid:{GRID}", workflow_role="grid_worker"
)
DISPATCHER = Caller(
    Role.MEDIATOR, "330421001", person="JS-P-0001", unit=CENTER, workflow_role="dispatcher"
)
HEALTH = Caller(
    Role.VIEWER, person="JS-P-0003", unit="Department:dept-330421-health",
    workflow_role="department",
)  # fmt: skip
LABOUR = Caller(
    Role.VIEWER, person="JS-P-0004", unit="Department:dept-330421-labour",
    workflow_role="department",
)  # fmt: skip


@pytest.fixture
def anyio_backend():
    return "asyncio"


def at(day: int, hour: int) -> datetime:
    return datetime(2024, 9, day, hour, tzinfo=CHINA_TIME)


def drive(graph, key, steps, day):
    reported = acting.report(
        graph, GRID_WORKER, key, kind="dispute", title="纠纷", place=GRID, category="医疗纠纷",
        channel="app", receiver=CENTER, new_parties=[acting.NewParty("王小明")],
        now=at(day, 9),
    )  # fmt: skip
    assert not isinstance(reported.result, Refusal), reported.result
    for version, (who, action, more) in enumerate(steps, 1):
        acted = acting.act(
            graph, who, reported.dispute, action, version, f"{key}-{version}",
            targets=more.get("targets", ()), reason=more.get("reason"),
            data={k: v for k, v in more.items() if k not in ("targets", "reason")},
            now=at(day, 10 + version),
        )  # fmt: skip
        assert not isinstance(acted.result, Refusal), (action, acted.result)
    return reported.dispute


@pytest.fixture
def graph(examples_graph):
    close = {"outcome": "settled"}
    drive(examples_graph, "bounced", [
        (DISPATCHER, "accept", {}),
        (DISPATCHER, "dispatch", {"targets": [HEALTH.unit]}),
        (HEALTH, "bounce", {"cause": "dispatch_error", "reason": "不属本局职责"}),
        (DISPATCHER, "dispatch", {"targets": [LABOUR.unit]}),
        (LABOUR, "sign", {}),
        (LABOUR, "feed_back", {}),
        (DISPATCHER, "close", {**close, "settled_level": "town"}),
    ], day=2)  # fmt: skip
    drive(examples_graph, "whistled", [
        (DISPATCHER, "accept", {}),
        (DISPATCHER, "sign", {}),
        (DISPATCHER, "whistle", {"targets": [HEALTH.unit], "reason": "需要卫健部门到场"}),
        (DISPATCHER, "feed_back", {}),
        (DISPATCHER, "close", {**close, "settled_level": "grid"}),
    ], day=3)  # fmt: skip
    return examples_graph


def test_the_figures_per_town_grid_and_department(graph):
    admin = Caller(Role.ADMIN)
    figures = workflow_measures(graph, admin, now=at(30, 12))
    assert figures.disputes == 2
    [(town, area)] = figures.by_area.items()
    assert town == Ref("Unit", "330421001000")
    assert (area.disputes, area.bounce_rate, area.whistle_rate, area.on_time_rate) == (
        2, 0.5, 0.5, 1.0
    )  # fmt: skip
    assert area.settled_at == {"grid": 0.5, "town": 0.5}
    health, labour = (figures.by_department[Ref("Department", d)] for d in (
        "dept-330421-health", "dept-330421-labour"))  # fmt: skip
    assert (health.received, health.bounced, health.summoned, health.bounce_rate) == (1, 1, 1, 1.0)
    assert (labour.received, labour.bounced, labour.ended, labour.on_time) == (1, 0, 1, 1)
    grids = workflow_measures(graph, admin, level="grid", now=at(30, 12))
    assert list(grids.by_area) == [Ref("Grid", GRID)]
    later = workflow_measures(graph, admin, start=date(2024, 9, 3), now=at(30, 12))
    assert later.disputes == 1 and later.by_area[town].whistle_rate == 1.0
    elsewhere = workflow_measures(graph, admin, within="330402", now=at(30, 12))
    assert (elsewhere.disputes, elsewhere.by_area) == (0, {})


async def test_workflow_measures_in_graphql(graph, tmp_path):
    settings = Settings(
        _env_file=None, tokens=str(tmp_path / "t.json"), audit_log=str(tmp_path / "a.jsonl")
    )
    token = create_token(settings.tokens, "mediator", "330421001")
    app = create_app(settings, backend=graph)
    query = """{ workflowMeasures(from: "2024-09-01", to: "2024-09-30") { disputes
      byArea { area { label key name } disputes bounceRate whistleRate onTimeRate
               settledShare { level share } }
      byDepartment { department { key name } orders bounced bounceRate whistled onTimeRate } }
    }"""
    bad = '{ workflowMeasures(from: "2024-09-30", to: "2024-09-01") { disputes } }'
    transport = httpx.ASGITransport(app=app)
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
        body = (await c.post("/graphql", json={"query": query}, headers=headers)).json()
        refused = (await c.post("/graphql", json={"query": bad}, headers=headers)).json()
    assert refused["errors"][0]["message"] == "from: 2024-09-30 is after to (2024-09-01)"
    assert refused["errors"][0]["extensions"]["argument"] == "from"
    assert "errors" not in body, body
    assert body["data"]["workflowMeasures"] == {
        "disputes": 2,
        "byArea": [
            {
                "area": {"label": "Unit", "key": "330421001000", "name": "魏塘街道"},
                "disputes": 2,
                "bounceRate": 0.5,
                "whistleRate": 0.5,
                "onTimeRate": 1.0,
                "settledShare": [{"level": "grid", "share": 0.5}, {"level": "town", "share": 0.5}],
            }
        ],
        "byDepartment": [
            {"department": {"key": "dept-330421-health", "name": "嘉善县卫生健康局"},
             "orders": 1, "bounced": 1, "bounceRate": 1.0, "whistled": 1, "onTimeRate": 1.0},
            {"department": {"key": "dept-330421-labour", "name": "嘉善县人力资源和社会保障局"},
             "orders": 1, "bounced": 0, "bounceRate": 0.0, "whistled": 0, "onTimeRate": 1.0},
        ],
    }  # fmt: skip


def open_one(graph):
    """A third dispute, with 陆美琴 (JS-P-0005, party to two disputes already) as its party,
    dispatched to the health bureau on 4 September and left there unsigned."""
    reported = acting.report(
        graph, DISPATCHER, "open", kind="dispute", title="纠纷", place=GRID, category="医疗纠纷",
        channel="visit", receiver=CENTER, parties=["Person:JS-P-0005"], now=at(4, 9),
    )  # fmt: skip
    assert not isinstance(reported.result, Refusal), reported.result
    for version, action, targets in ((1, "accept", ()), (2, "dispatch", (HEALTH.unit,))):
        acted = acting.act(
            graph, DISPATCHER, reported.dispute, action, version, f"open-{version}",
            targets=targets, now=at(4, 10 + version),
        )  # fmt: skip
        assert not isinstance(acted.result, Refusal), (action, acted.result)
    return reported.dispute


def test_open_disputes_by_area_and_holder_whistle_rates_and_repeat_visitors(graph):
    open_one(graph)
    admin = Caller(Role.ADMIN)
    health = Ref("Department", "dept-330421-health")
    # 30 September: the order's one working day to sign ran out long ago.
    figures = workflow_measures(graph, admin, now=at(30, 12))
    assert figures.disputes == 3
    assert figures.open_by_area == {Ref("Unit", "330421001000"): OpenCounts(1, 0, 1, 0)}
    assert figures.open_by_holder == {health: OpenCounts(1, 0, 1, 0)}
    # The health bureau was summoned by one whistle of the three disputes; labour by none.
    assert figures.whistled_share == {
        health: 1 / 3, Ref("Department", "dept-330421-labour"): 0.0
    }  # fmt: skip
    # Two disputes of the examples (May, June) and this one.
    assert figures.repeat_visitors == [(Ref("Person", "JS-P-0005"), 3)]
    assert workflow_measures(graph, admin, now=at(30, 12), visits=4).repeat_visitors == []
    september = workflow_measures(graph, admin, start=date(2024, 9, 1), now=at(30, 12))
    assert september.repeat_visitors == []  # one dispute each in September
    assert september.open_by_area == figures.open_by_area  # open now, whatever the period
    # Dispatched at 12:00 on Wednesday the 4th, the order is due to be signed by the end of
    # the next working day (the 6th, 00:00), approaching from 19:12 on the 5th (80 % used).
    early = workflow_measures(graph, admin, now=datetime(2024, 9, 5, 20, tzinfo=CHINA_TIME))
    assert early.open_by_holder == {health: OpenCounts(1, 1, 0, 0)}
    with pytest.raises(ValueError, match=r"^visits: a repeat visitor brings at least 2"):
        workflow_measures(graph, admin, visits=1)


async def test_the_dashboards_figures_in_graphql_name_people_as_the_caller_may_see_them(
    graph, tmp_path
):
    open_one(graph)
    settings = Settings(
        _env_file=None, tokens=str(tmp_path / "t.json"), audit_log=str(tmp_path / "a.jsonl")
    )
    query = """{ workflowMeasures { disputes
      openByArea { unit { label key name } open approaching overdue paused }
      openByHolder { unit { label key name } open approaching overdue paused }
      byDepartment { department { key } whistled whistleRate }
      repeatVisitors { person { label key name } disputes } } }"""
    app = create_app(settings, backend=graph)
    transport = httpx.ASGITransport(app=app)
    answers = {}
    for role, scope in (("mediator", "330421001"), ("viewer", None)):
        token = create_token(settings.tokens, role, scope)
        headers = {"authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", timeout=60) as c:
            body = (await c.post("/graphql", json={"query": query}, headers=headers)).json()
        assert "errors" not in body, body
        answers[role] = body["data"]["workflowMeasures"]
    mediator = answers["mediator"]
    town = {"label": "Unit", "key": "330421001000", "name": "魏塘街道"}
    health = {"label": "Department", "key": "dept-330421-health", "name": "嘉善县卫生健康局"}
    assert mediator["disputes"] == 3
    # The clock is read now (today, long after September 2024): the order is overdue.
    assert mediator["openByArea"] == [
        {"unit": town, "open": 1, "approaching": 0, "overdue": 1, "paused": 0}
    ]
    assert mediator["openByHolder"] == [
        {"unit": health, "open": 1, "approaching": 0, "overdue": 1, "paused": 0}
    ]
    assert mediator["byDepartment"] == [
        {"department": {"key": "dept-330421-health"}, "whistled": 1, "whistleRate": 1 / 3},
        {"department": {"key": "dept-330421-labour"}, "whistled": 0, "whistleRate": 0.0},
    ]
    person = {"label": "Person", "key": "JS-P-0005"}
    assert mediator["repeatVisitors"] == [{"person": {**person, "name": "陆美琴"}, "disputes": 3}]
    viewer = answers["viewer"]
    assert viewer["repeatVisitors"] == [{"person": {**person, "name": "陆某"}, "disputes": 3}]
    assert {k: v for k, v in viewer.items() if k != "repeatVisitors"} == {
        k: v for k, v in mediator.items() if k != "repeatVisitors"
    }
