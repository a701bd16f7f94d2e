"""workflow.clocks: within, approaching, breached and paused, derived at read time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from queries.calendar import CHINA_TIME, Allowance, Unit
from workflow.clocks import Clock
from workflow.model import Caller, Facts, Ref

CENTER = Ref("Center", "center-330421")
DISPATCHER = Caller(Ref("Person", "P-D"), "dispatcher", CENTER, "330421")
DEPT = Ref("Department", "dept-330421-zjj")
OFFICER = Caller(Ref("Person", "P-O"), "department", DEPT, "330421")
SCOPE = Facts(in_scope=True)


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CHINA_TIME)


def sent(flow_of: Any, when: datetime, days: int) -> Any:
    """A dispute dispatched at `when` to a department with a list item of `days` days."""
    flow = flow_of("D1", "330421")
    flow.act(
        "report",
        Caller(Ref("Person", "P-A"), "resident"),
        when - timedelta(hours=2),
        Facts(target_level="county"),
        targets=(CENTER,),
        channel="app",
        title="违建",
        place="330421001001-G01",
        parties=2,
    )
    flow.act("accept", DISPATCHER, when - timedelta(hours=1))
    limit = Facts(target_level="county", time_limit_days=days, limit_source="list item L3-020")
    flow.act("dispatch", DISPATCHER, when, limit, targets=(DEPT,))
    flow.act("sign", OFFICER, when + timedelta(minutes=30))
    return flow


def handle(flow: Any, now: datetime) -> Clock:
    (clock,) = [c for c in flow.clocks(now) if c.name == "handle"]
    return clock


def test_a_clock_is_within_then_approaching_then_breached(flow_of: Any) -> None:
    flow = sent(flow_of, at("2024-05-20", 9), 5)  # Tuesday 21 to Monday 27 May
    start = at("2024-05-20", 9)
    expected = dict(
        name="handle",
        who=DEPT,
        opened=3,
        start=start,
        limit=Allowance(5, Unit.WORKING_DAYS),
        limit_source="list item L3-020",
        due=at("2024-05-28"),
        pre_breach=at("2024-05-25"),  # 0.8 of 5 working days: when the 4th ends
    )
    assert handle(flow, at("2024-05-22", 12)) == Clock(
        **expected, status="within", remaining=timedelta(hours=84), overdue=timedelta(0)
    )
    assert handle(flow, at("2024-05-27", 6)) == Clock(
        **expected, status="approaching", remaining=timedelta(hours=18), overdue=timedelta(0)
    )
    assert handle(flow, at("2024-05-29", 8)) == Clock(
        **expected, status="breached", remaining=timedelta(0), overdue=timedelta(hours=32)
    )


def test_an_extension_approved_before_its_deadline_keeps_the_step_on_time(flow_of: Any) -> None:
    flow = sent(flow_of, at("2024-05-20", 9), 5)
    flow.act("request_extension", OFFICER, at("2024-05-27", 10), reason="需要现场测量", days=3)
    flow.act("approve", DISPATCHER, at("2024-05-27", 15), SCOPE, request=flow.version)
    clock = handle(flow, at("2024-05-29", 8))  # past the first due time, 28 May
    assert (clock.limit, clock.due, clock.status, clock.overdue) == (
        Allowance(8, Unit.WORKING_DAYS),
        at("2024-05-31"),
        "within",
        timedelta(0),
    )
    flow.act("feed_back", OFFICER, at("2024-05-30", 16))
    assert [c.name for c in flow.clocks(at("2024-05-30", 16))] == ["handle"]  # the center's turn
    assert flow.state.holder == CENTER
    flow.act(
        "close", DISPATCHER, at("2024-05-31", 9), SCOPE, outcome="settled", settled_level="county"
    )
    assert flow.badges(at("2024-05-31", 9)) == [
        ("call_back", "Center:center-330421", "within", "2024-06-04T00:00:00+08:00"),
    ]  # 12345: the call-back the working day after closing (Monday 3 June)


def test_national_day_does_not_count_on_a_working_day_clock(flow_of: Any) -> None:
    flow = sent(flow_of, at("2024-09-30", 10), 5)
    before, after = handle(flow, at("2024-09-30", 23)), handle(flow, at("2024-10-07", 23))
    assert (before.remaining, after.remaining) == (timedelta(days=5), timedelta(days=5))
    assert (after.status, after.due) == ("within", at("2024-10-13"))  # Oct 8–12 are worked


def test_a_parked_dispute_stops_its_clocks_and_resumes_where_it_stopped(flow_of: Any) -> None:
    flow = sent(flow_of, at("2024-05-20", 9), 5)
    flow.act("park", OFFICER, at("2024-05-22", 12), reason="雨季无法施工")
    flow.act("approve", DISPATCHER, at("2024-05-22", 12), SCOPE, request=flow.version)
    parked = handle(flow, at("2024-06-20", 9))
    assert (parked.status, parked.due, parked.remaining) == ("paused", None, timedelta(hours=84))
    flow.act("resume", OFFICER, at("2024-06-24", 12))
    resumed = handle(flow, at("2024-06-24", 12))
    assert (resumed.status, resumed.remaining, resumed.due) == (
        "within",
        timedelta(hours=84),
        at("2024-06-28"),  # 84 working hours from Monday noon: Thursday 24:00
    )
