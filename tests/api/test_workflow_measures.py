"""workflowMeasures: bounce, whistle and on-time rates and the share settled at each level, per
area and per department, from the logs of two disputes driven through the API's code."""

from dataclasses import fields, replace
from datetime import date, datetime, time

import httpx
import pytest

from api import acting, measures
from api.acting import rules_by_grid
from api.app import create_app
from api.auth import Caller, Role, create_token
from api.measures import LEVELS, Figures, OpenCounts, workflow_measures
from api.queue import rows_of, scope_of
from api.settings import Settings
from graph.places import units_of
from queries.calendar import CHINA_TIME, Calendar
from workflow.measures import by_area, by_unit, measure
from workflow.model import Ref, Refusal
from workflow.state import replay
from workflow.store import EventStore

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


# -- the figures kept per dispute and version equal the figures replayed afresh ---------------


def afresh(backend, caller, *, level="town", within=None, start=None, end=None, now, visits=2):
    """The figures as workflow_measures defined them before it kept each dispute's part: every
    log in scope read whole (EventStore.logs) and replayed, at every call."""
    where, params = scope_of(caller, within)
    logs = EventStore(backend).logs(where, params)
    measured, open_states = [], []
    rules = rules_by_grid(backend, (log[0].data.get("place") for log in logs.values()))
    for log in logs.values():
        day = log[0].at.date()
        if (start and day < start) or (end and day > end):
            state = replay(log)
        else:
            measured.append(measure(log, now, rules[log[0].data.get("place")][1]))
            state = measured[-1].state
        if state is not None and state.state != "closed":
            open_states.append(state)
    open_rows = rows_of(backend, open_states, now, rules)
    grids = {m.place for m in measured} | {r.state.report.get("place") for r in open_rows}
    units = units_of(backend.read, {g for g in grids if g})
    digits = LEVELS[level]

    def area_of_place(place):
        if place is None:
            return None
        if not digits:
            return f"Grid:{place}"
        code = units.get(place)
        return f"Unit:{code[:digits].ljust(12, '0')}" if code else None

    areas = {
        Ref.parse(k): v for k, v in by_area(measured, lambda m: area_of_place(m.place)).items()
    }
    departments = {u: f for u, f in by_unit(measured).items() if u.kind == "Department"}
    whistled = {
        u: (f.summoned / len(measured) if measured else None) for u, f in departments.items()
    }
    open_by_area, open_by_holder = {}, {}
    for row in open_rows:
        area = area_of_place(row.state.report.get("place"))
        for key, counts in (
            (Ref.parse(area) if area else None, open_by_area),
            (row.state.holder, open_by_holder),
        ):
            if key is not None:
                measures._count(
                    counts.setdefault(key, OpenCounts()), row.clock.status if row.clock else None
                )
    return Figures(
        disputes=len(measured),
        by_area=areas,
        by_department=departments,
        whistled_share=whistled,
        open_by_area=measures._worst_first(open_by_area),
        open_by_holder=measures._worst_first(open_by_holder),
        repeat_visitors=measures._repeat_visitors(backend, caller, within, start, end, visits),
    )


def assert_same(kept: Figures, replayed: Figures) -> None:
    """Equal, and in the same order (GraphQL answers each dict as a list in its order)."""
    assert kept == replayed
    for f in fields(Figures):
        value = getattr(kept, f.name)
        if isinstance(value, dict):
            assert list(value) == list(getattr(replayed, f.name)), f.name


def test_a_dispute_is_measured_again_when_its_log_grows_and_no_text_is_kept(graph):
    admin, now = Caller(Role.ADMIN), at(30, 12)
    health, town = Ref("Department", "dept-330421-health"), Ref("Unit", "330421001000")
    dispute = open_one(graph)
    before = workflow_measures(graph, admin, now=now)
    assert_same(before, afresh(graph, admin, now=now))
    assert before.open_by_holder == {health: OpenCounts(1, 0, 1, 0)}
    kept = measures._kept[graph].kept
    assert {d: k.version for d, k in kept.items()} == {
        d: len(log) for d, log in EventStore(graph).logs().items()
    }
    [held] = [k.open for k in kept.values() if k.open is not None]
    assert (held.id, held.report, held.ratings) == (dispute, {"place": GRID}, ())
    for version, (who, action, data) in enumerate([
        (HEALTH, "sign", {}),
        (HEALTH, "feed_back", {}),
        (DISPATCHER, "close", {"outcome": "settled", "settled_level": "town"}),
    ], 3):  # fmt: skip
        acted = acting.act(graph, who, dispute, action, version, f"open-{version}", data=data,
                           now=at(5, 9 + version))  # fmt: skip
        assert not isinstance(acted.result, Refusal), (action, acted.result)
    after = workflow_measures(graph, admin, now=now)
    assert_same(after, afresh(graph, admin, now=now))
    assert (after.open_by_area, after.open_by_holder) == ({}, {})
    assert after.by_area[town].settled_at == {"grid": 1 / 3, "town": 2 / 3}
    assert kept[dispute].version == 6 and kept[dispute].open is None


def test_at_most_kept_disputes_are_kept_and_the_figures_stay_the_same(graph, monkeypatch):
    open_one(graph)
    monkeypatch.setattr(measures, "KEPT", 2)
    admin, now = Caller(Role.ADMIN), at(30, 12)
    for level in ("grid", "town"):
        assert_same(
            workflow_measures(graph, admin, level=level, now=now),
            afresh(graph, admin, level=level, now=now),
        )
        assert len(measures._kept[graph].kept) == 2


def test_a_dispute_timed_by_another_calendar_than_its_countys_now_is_measured_again(graph):
    """As after a load that put its grid in another county: its log has not grown, but its
    steps are timed again by the calendar its grid's county has now."""
    admin, now = Caller(Role.ADMIN), at(30, 12)
    workflow_measures(graph, admin, now=now)
    kept = measures._kept[graph].kept
    first = next(iter(kept))
    county = kept[first].calendar
    # A calendar no county has (no holidays at all), as if kept from before the load.
    nowhere = Calendar(rest=frozenset(), work=frozenset(), years=frozenset({2024}))
    kept[first] = replace(kept[first], calendar=nowhere)
    assert_same(workflow_measures(graph, admin, now=now), afresh(graph, admin, now=now))
    assert kept[first].calendar is county


@pytest.mark.slow
def test_the_demos_figures_kept_equal_its_logs_replayed_afresh(demo_graph):
    """Every demo dispute's life (bounces, extensions, escalations, whistles, reopens…):
    the whole demo by grid in a period, then one county by town from what was kept."""
    researcher = Caller(Role.RESEARCHER)
    now = datetime.combine(date(2021, 12, 31), time(17), CHINA_TIME)
    asked = [
        {"level": "grid", "start": date(2021, 3, 1), "end": date(2021, 10, 31)},
        {"level": "town", "within": "331127"},
    ]
    for ask in asked:
        kept = workflow_measures(demo_graph, researcher, now=now, **ask)
        assert_same(kept, afresh(demo_graph, researcher, now=now, **ask))
        assert kept.disputes > 1000 and kept.open_by_area
