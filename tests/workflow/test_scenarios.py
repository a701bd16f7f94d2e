"""Scenarios from the seeds, through the pure decision: whole trails, clocks and states."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from queries.calendar import CHINA_TIME, Allowance, Unit
from workflow.model import Caller, Facts, Ref
from workflow.state import Whistle


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CHINA_TIME)


# -- 嘉善 (000): 四单 — 中心派单, 群众点单, 专家抢单, 反馈评单 -----------------------------------

CENTER = Ref("Center", "center-330421")
DISPATCHER = Caller(Ref("Person", "JS-P-0001"), "dispatcher", CENTER, "330421")
PARTY = Caller(Ref("Person", "JS-P-0003"), "resident")
EXPERT = Caller(Ref("Person", "JS-P-0004"), "expert")
OTHER_EXPERT = Caller(Ref("Person", "JS-P-0005"), "expert")
COMMITTEE = Ref("MediationOrg", "med-330421-medical")
MEDIATOR = Caller(Ref("Person", "JS-P-0006"), "mediator", COMMITTEE, "330421")
IN_SCOPE, AS_PARTY = Facts(in_scope=True), Facts(is_party=True)


def medical_report(flow: Any, now: datetime) -> None:
    flow.act(
        "report",
        PARTY,
        now,
        Facts(target_level="county"),
        targets=(CENTER,),
        channel="app",
        title="术后并发症赔偿纠纷",
        place="330421001001-G01",
        category="medical",
        parties=2,
        party_ids=["Person:JS-P-0003"],
    )
    flow.act("accept", DISPATCHER, now + timedelta(minutes=30))


def test_a_jiashan_medical_dispute_through_the_four_orders(flow_of: Any) -> None:
    # 点单: the party picks the expert the pool offers; 评单: the party rates.
    flow = flow_of("JS-W-0001", "330421")
    medical_report(flow, at("2024-05-20", 9))
    offered = Facts(offered=(EXPERT.actor, COMMITTEE))
    flow.act("offer", DISPATCHER, at("2024-05-20", 10), offered)
    assert flow.refused(
        "claim",
        OTHER_EXPERT,
        at("2024-05-20", 11),
        Facts(in_domain=True, conflict="colleague of the respondent's doctor"),
    ) == [
        (
            "conflict_of_interest",
            "the expert pool excludes you: colleague of the respondent's doctor",
        )
    ]
    flow.act("order", PARTY, at("2024-05-20", 12), AS_PARTY, targets=(EXPERT.actor,))
    flow.act("sign", EXPERT, at("2024-05-20", 14))
    flow.act("record", EXPERT, at("2024-05-22", 10), note="第一次调解")
    flow.act("feed_back", EXPERT, at("2024-06-03", 16), result="达成赔偿协议")
    flow.act(
        "close",
        DISPATCHER,
        at("2024-06-04", 9),
        IN_SCOPE,
        outcome="settled",
        settled_level="county",
    )
    flow.act("rate", PARTY, at("2024-06-05", 9), AS_PARTY, rating=5)
    flow.act("call_back", DISPATCHER, at("2024-06-05", 10), IN_SCOPE, satisfied=True)
    assert flow.trail() == [
        ("report", "new", "reported", "Center:center-330421"),
        ("accept", "reported", "accepted", "Center:center-330421"),
        ("offer", "accepted", "open", "Center:center-330421"),
        ("order", "open", "dispatched", "Person:JS-P-0004"),
        ("sign", "dispatched", "handling", "Person:JS-P-0004"),
        ("record", "handling", "handling", "Person:JS-P-0004"),
        ("feed_back", "handling", "fed_back", "Center:center-330421"),
        ("close", "fed_back", "closed", None),
        ("rate", "closed", "closed", None),
        ("call_back", "closed", "closed", None),
    ]
    s = flow.state
    assert (s.outcome, s.settled_level, s.closed_by, s.ratings, s.satisfied, s.step) == (
        "settled",
        "county",
        CENTER,
        (("Person:JS-P-0003", 5),),
        True,
        "evaluated",
    )
    assert dict(s.counts) == {"assignments": 1}
    assert flow.clocks(at("2024-06-05", 11)) == []  # called back: nothing open


def test_an_expert_grabs_an_open_order_and_the_center_dispatches_another(flow_of: Any) -> None:
    grabbed = flow_of("JS-W-0002", "330421")  # 专家抢单
    medical_report(grabbed, at("2024-05-20", 9))
    grabbed.act("offer", DISPATCHER, at("2024-05-20", 10))
    assert grabbed.refused("claim", EXPERT, at("2024-05-20", 11), Facts()) == [
        ("not_in_domain", "the order's domain is not one of yours")
    ]
    grabbed.act("claim", EXPERT, at("2024-05-20", 11), Facts(in_domain=True))
    assert grabbed.trail()[-1] == ("claim", "open", "handling", "Person:JS-P-0004")
    assert grabbed.state.holding.limit == Allowance(30, Unit.WORKING_DAYS)  # time_limits.county
    dispatched = flow_of("JS-W-0003", "330421")  # 中心派单
    medical_report(dispatched, at("2024-05-20", 9))
    dispatched.act(
        "dispatch",
        DISPATCHER,
        at("2024-05-20", 10),
        Facts(target_level="county", time_limit_days=20, limit_source="list item L1-011"),
        targets=(COMMITTEE,),
    )
    dispatched.act("sign", MEDIATOR, at("2024-05-20", 15))
    assert dispatched.badges(at("2024-05-21", 9)) == [
        ("handle", "MediationOrg:med-330421-medical", "within", "2024-06-19T00:00:00+08:00"),
    ]  # 20 working days from Tuesday 21 May; the Dragon Boat holiday (10 June) not counted


# -- 苏州 (001): an event from 发现 to 评价 ---------------------------------------------------

LINKAGE = Ref("Center", "center-320582")  # 张家港市社会综合治理联动中心
OPERATOR = Caller(Ref("Person", "SZ-P-0001"), "dispatcher", LINKAGE, "320582")
CITIZEN = Caller(Ref("Person", "SZ-P-0100"), "resident")
WORKS = Ref("Department", "dept-320582-works")
WORKER = Caller(Ref("Person", "SZ-P-0200"), "department", WORKS, "320582")
SUPERVISOR = Caller(
    Ref("Person", "SZ-P-0300"), "supervisor", Ref("Department", "dept-320582-zfw"), "320582"
)


def test_a_suzhou_event_goes_through_the_eight_steps_and_never_to_mediation(flow_of: Any) -> None:
    flow = flow_of("SZ-E-0001", "320582")
    day = "2024-01-08"
    flow.act(
        "report",
        CITIZEN,
        at(day, 7),
        Facts(target_level="county"),
        targets=(LINKAGE,),
        kind="event",
        channel="app",
        title="育才路窨井盖松动",
        place="320582-G0001",
    )
    assert flow.state.warning is None  # an event has no parties: no risk colour
    flow.act("accept", OPERATOR, at(day, 8))
    assert flow.refused("offer", OPERATOR, at(day, 8, 5)) == [
        (
            "not_for_kind",
            "offer is not for an event: an event (部件/事件) goes to the responsible department "
            "and is closed, never offered mediation or a court",
        )
    ]
    committee = Ref("MediationOrg", "med-320582-people")
    assert flow.refused(
        "dispatch", OPERATOR, at(day, 8, 5), Facts(target_level="county"), targets=(committee,)
    ) == [("not_for_kind", "an event is never sent to mediation")]
    flow.act("dispatch", OPERATOR, at(day, 8, 10), Facts(target_level="county"), targets=(WORKS,))
    flow.act("sign", WORKER, at(day, 9))
    flow.act("record", WORKER, at(day, 15), note="橡胶垫片已垫好")
    flow.act(
        "supervise", SUPERVISOR, at(day, 16), Facts(in_scope=True), reason="学校门口，尽快修复"
    )
    flow.act("feed_back", WORKER, at("2024-01-09", 8), result="已修复")
    assert flow.refused(
        "close", OPERATOR, at("2024-01-09", 8, 30), IN_SCOPE, outcome="litigated"
    ) == [("not_for_kind", "an event never goes to a court")]
    flow.act(
        "close",
        OPERATOR,
        at("2024-01-09", 8, 30),
        IN_SCOPE,
        outcome="settled",
        settled_level="county",
    )
    flow.act("rate", CITIZEN, at("2024-01-09", 9), AS_PARTY, rating=5)
    flow.act("call_back", OPERATOR, at("2024-01-09", 9, 5), IN_SCOPE, satisfied=True)
    assert flow.steps() == [
        "discovered",  # 发现
        "accepted",  # 受理
        "routed",  # 分流
        "handling",  # 处置
        "tracking",  # 跟踪
        "supervising",  # 督办
        "feedback",  # 反馈
        "feedback",
        "evaluated",  # 评价
        "evaluated",
    ]
    assert (flow.state.kind, flow.state.outcome, flow.state.ratings) == (
        "event",
        "settled",
        (("Person:SZ-P-0100", 5),),
    )


# -- 东营 (004): 吹哨报到, two departments, one late --------------------------------------------

GRID = Ref("Grid", "370502-G0001")
GRID_WORKER = Caller(Ref("Person", "DY-P-0001"), "grid_worker", GRID, "370502")
ENFORCEMENT = Ref("Department", "dept-370502-zhzf")  # 综合执法
MARKET = Ref("Department", "dept-370502-scjg")  # 市场监管
ENFORCER = Caller(Ref("Person", "DY-P-0100"), "department", ENFORCEMENT, "370502")
INSPECTOR = Caller(Ref("Person", "DY-P-0200"), "department", MARKET, "370502")


def test_a_dongying_whistle_summons_two_departments_each_on_its_own_clocks(flow_of: Any) -> None:
    flow = flow_of("DY-W-0001", "370502")
    flow.act(
        "report",
        GRID_WORKER,
        at("2024-06-04", 9),
        Facts(in_scope=True, target_level="grid"),
        targets=(GRID,),
        channel="grid_worker",
        title="沿街商铺占道经营油烟扰民",
        place="370502-G0001",
        parties=3,
    )
    flow.act("accept", GRID_WORKER, at("2024-06-04", 9, 5))
    flow.act("sign", GRID_WORKER, at("2024-06-04", 9, 10))
    assert flow.refused(
        "whistle", GRID_WORKER, at("2024-06-04", 10), targets=(ENFORCEMENT, MARKET)
    ) == [("reason_missing", "whistle needs a reason")]
    flow.act(
        "whistle",
        GRID_WORKER,
        at("2024-06-04", 10),
        targets=(ENFORCEMENT, MARKET),
        reason="网格内无法解决，需执法和市场监管到场",
    )
    flow.act("sign_whistle", ENFORCER, at("2024-06-04", 10, 30))
    assert flow.badges(at("2024-06-04", 10, 50)) == [
        ("handle", "Grid:370502-G0001", "within", "2024-06-08T00:00:00+08:00"),
        ("whistle_contacted", "Department:dept-370502-zhzf", "within", "2024-06-05T10:00:00+08:00"),
        ("whistle_arrived", "Department:dept-370502-zhzf", "within", "2024-06-08T00:00:00+08:00"),
        (
            "whistle_signed",
            "Department:dept-370502-scjg",
            "approaching",
            "2024-06-04T11:00:00+08:00",
        ),
        ("whistle_contacted", "Department:dept-370502-scjg", "within", "2024-06-05T10:00:00+08:00"),
        ("whistle_arrived", "Department:dept-370502-scjg", "within", "2024-06-08T00:00:00+08:00"),
    ]
    late = [c for c in flow.clocks(at("2024-06-04", 11, 30)) if c.name == "whistle_signed"]
    assert [(str(c.who), c.status, c.remaining, c.overdue) for c in late] == [
        ("Department:dept-370502-scjg", "breached", timedelta(0), timedelta(minutes=30))
    ]
    flow.act("contact", ENFORCER, at("2024-06-04", 15))
    flow.act("arrive", ENFORCER, at("2024-06-06", 10))
    flow.act("sign_whistle", INSPECTOR, at("2024-06-04", 12))
    flow.act("contact", INSPECTOR, at("2024-06-05", 11))
    flow.act("arrive", INSPECTOR, at("2024-06-11", 9))  # after the Dragon Boat Festival: late
    flow.act(
        "rate_response",
        GRID_WORKER,
        at("2024-06-11", 17),
        IN_SCOPE,
        targets=(ENFORCEMENT,),
        rating=5,
    )
    flow.act(
        "rate_response", GRID_WORKER, at("2024-06-11", 17), IN_SCOPE, targets=(MARKET,), rating=2
    )
    limits = {
        "signed": Allowance(1, Unit.HOURS),
        "contacted": Allowance(24, Unit.HOURS),
        "arrived": Allowance(3, Unit.WORKING_DAYS),
    }
    assert flow.state.whistles == (
        Whistle(
            ENFORCEMENT,
            GRID,
            at("2024-06-04", 10),
            4,
            limits,
            at("2024-06-04", 10, 30),
            at("2024-06-04", 15),
            at("2024-06-06", 10),
            5,
        ),
        Whistle(
            MARKET,
            GRID,
            at("2024-06-04", 10),
            4,
            limits,
            at("2024-06-04", 12),
            at("2024-06-05", 11),
            at("2024-06-11", 9),
            2,
        ),
    )
    assert flow.refused(
        "sign_whistle",
        Caller(Ref("Person", "X"), "department", Ref("Department", "dept-other")),
        at("2024-06-12", 9),
    ) == [("not_summoned", "your unit was not summoned to it, nor sent to arrive")]


# -- 景宁 (003): an out-of-county dispute, and the one-hour arrival ---------------------------

COMMAND = Ref("Center", "center-331127")  # 县社会综合服务指挥中心
JN_DISPATCHER = Caller(Ref("Person", "JN-P-0001"), "dispatcher", COMMAND, "331127")
OUT_GRID = Ref("Grid", "331127-Y0003")  # 杭州 out-of-county grid
OUT_WORKER = Caller(Ref("Person", "JN-P-0300"), "grid_worker", OUT_GRID, "331127")
STATIONED = Ref("Department", "dept-331127-town07-sfs")  # the town's stationed justice office
STATIONED_STAFF = Caller(Ref("Person", "JN-P-0400"), "department", STATIONED, "331127")


def test_a_jingning_out_of_county_dispute_with_the_one_hour_arrival(flow_of: Any) -> None:
    flow = flow_of("JN-W-0001", "331127")
    flow.act(
        "report",
        OUT_WORKER,
        at("2024-03-12", 20),
        Facts(in_scope=True, target_level="liaison"),
        targets=(COMMAND,),
        channel="grid_worker",
        title="在杭景宁籍务工人员工资纠纷",
        place="331127-Y0003",
        category="wages",
        parties=2,
    )
    flow.act("accept", JN_DISPATCHER, at("2024-03-13", 8, 30))
    # 景宁's rules give the liaison step 10 working days (queries/rules.toml [county."331127"]).
    assert flow.state.holding.limit == Allowance(10, Unit.WORKING_DAYS)
    assert flow.state.holding.limit_source == "time_limits.liaison"
    flow.act(
        "dispatch",
        JN_DISPATCHER,
        at("2024-03-13", 9),
        Facts(target_level="town"),
        targets=(STATIONED,),
        urgent=True,
    )
    assert flow.badges(at("2024-03-13", 9, 45)) == [
        ("handle", "Department:dept-331127-town07-sfs", "within", "2024-04-04T00:00:00+08:00"),
        ("sign", "Department:dept-331127-town07-sfs", "within", "2024-03-15T00:00:00+08:00"),
        ("arrive", "Department:dept-331127-town07-sfs", "within", "2024-03-13T10:00:00+08:00"),
    ]
    assert [c.status for c in flow.clocks(at("2024-03-13", 9, 50)) if c.name == "arrive"] == [
        "approaching"
    ]
    flow.act("arrive", STATIONED_STAFF, at("2024-03-13", 9, 55))
    flow.act("sign", STATIONED_STAFF, at("2024-03-13", 10))
    assert flow.badges(at("2024-03-13", 10)) == [
        ("handle", "Department:dept-331127-town07-sfs", "within", "2024-04-04T00:00:00+08:00"),
    ]  # arrived within the hour; 15 working days for a town, from Thursday 14 March
    assert flow.refused("arrive", STATIONED_STAFF, at("2024-03-13", 10, 5)) == [
        ("not_allowed_in_state", "you have arrived already")
    ]
