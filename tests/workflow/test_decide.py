"""workflow.decide: the common checks, each a typed error that says what and why."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from queries.calendar import CHINA_TIME
from workflow.model import Caller, Command, Facts, Ref, Refusal, Rung

CENTER = Ref("Center", "center-330421")
TOWN_CENTER = Ref("Center", "center-330421001")
DISPATCHER = Caller(Ref("Person", "P-D"), "dispatcher", CENTER, "330421")
DEPT = Ref("Department", "dept-330421-wjw")
OFFICER = Caller(Ref("Person", "P-O"), "department", DEPT, "330421")
PARTY = Caller(Ref("Person", "P-A"), "resident")
SUPERVISOR = Caller(Ref("Person", "P-S"), "supervisor", Ref("Department", "zfw"), "330421")


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CHINA_TIME)


def reported(flow_of: Any, parties: int = 2, visits: int = 0) -> Any:
    flow = flow_of("D1", "330421")
    flow.act(
        "report",
        PARTY,
        at("2024-05-20", 9),
        Facts(target_level="county", visits=visits),
        targets=(CENTER,),
        channel="app",
        title="纠纷",
        place="330421001001-G01",
        parties=parties,
    )
    return flow


def handled(flow_of: Any) -> Any:
    flow = reported(flow_of)
    flow.act("accept", DISPATCHER, at("2024-05-20", 10))
    flow.act(
        "dispatch", DISPATCHER, at("2024-05-20", 11), Facts(target_level="county"), targets=(DEPT,)
    )
    flow.act("sign", OFFICER, at("2024-05-20", 12))
    return flow


def test_a_stale_version_is_refused(flow_of: Any) -> None:
    flow = reported(flow_of)
    command = Command("D1", "accept", DISPATCHER, 0, "k")
    result = flow.decide(command, at("2024-05-20", 10))
    assert isinstance(result, Refusal)
    assert [(e.code.value, e.message, e.field) for e in result.errors] == [
        (
            "stale_version",
            "the dispute is at version 1, not 0: read it again and decide anew",
            "expectedVersion",
        )
    ]


def test_a_wrong_role_and_a_wrong_state_are_both_reported(flow_of: Any) -> None:
    flow = reported(flow_of)
    assert flow.refused("close", OFFICER, at("2024-05-20", 10), outcome="settled") == [
        ("wrong_role", "a department may not close; who may: dispatcher"),
        (
            "not_allowed_in_state",
            "close is not allowed while the dispute is reported; it is allowed when handling, "
            "fed_back",
        ),
    ]


def test_standing_to_the_dispute_is_checked_per_role(flow_of: Any) -> None:
    flow = reported(flow_of)
    elsewhere = Caller(Ref("Person", "P-X"), "dispatcher", TOWN_CENTER, "330421001")
    assert flow.refused("accept", elsewhere, at("2024-05-20", 10)) == [
        ("not_holder", "your unit does not hold the dispute")
    ]
    assert flow.refused("chase", SUPERVISOR, at("2024-05-20", 10)) == [
        ("out_of_scope", "the dispute lies outside your jurisdiction")
    ]
    assert flow.refused("report", PARTY, at("2024-05-20", 10)) == [
        ("dispute_exists", "dispute 'D1' exists already")
    ]


def test_a_reason_is_required_where_the_rules_say(flow_of: Any) -> None:
    flow = handled(flow_of)
    assert flow.refused("bounce", OFFICER, at("2024-05-21", 9), cause="not_responsible") == [
        ("reason_missing", "bounce needs a reason")
    ]
    assert flow.refused(
        "escalate", OFFICER, at("2024-05-21", 9), Facts(next_rung=Rung("court", DEPT)), reason=" "
    ) == [("reason_missing", "escalate needs a reason")]


def test_the_risk_colour_is_graded_at_the_report(flow_of: Any) -> None:
    assert reported(flow_of, parties=15).state.warning == "red"  # 000: 十人以上
    assert reported(flow_of, parties=2, visits=3).state.warning == "orange"  # 000: 一人3次以上
    assert reported(flow_of, parties=6).state.warning == "yellow"
    assert reported(flow_of, parties=2, visits=1).state.warning is None


def test_an_extension_is_asked_before_the_deadline_and_at_most_twice(flow_of: Any) -> None:
    flow = handled(flow_of)  # 30 working days for the county from 21 May: to the end of 2 July
    assert flow.refused(
        "request_extension", OFFICER, at("2024-07-03", 9), reason="复杂", days=5
    ) == [("past_deadline", "an extension is asked before the deadline, 2024-07-03 00:00")]
    flow.act("request_extension", OFFICER, at("2024-06-20", 9), reason="需鉴定", days=5)
    first = flow.version
    assert flow.refused(
        "approve", OFFICER, at("2024-06-20", 10), Facts(in_scope=True), request=first
    ) == [
        ("wrong_role", "a department may not approve; who may: dispatcher, supervisor"),
    ]
    assert flow.refused(
        "approve", DISPATCHER, at("2024-06-20", 10), Facts(in_scope=True), request=99
    ) == [
        ("no_pending_request", "no such request; pending: request_extension (version 5)"),
    ]
    flow.act("approve", DISPATCHER, at("2024-06-20", 10), Facts(in_scope=True), request=first)
    flow.act("request_extension", OFFICER, at("2024-06-21", 9), reason="再次鉴定", days=3)
    assert flow.refused(
        "request_extension", OFFICER, at("2024-06-21", 10), reason="再", days=1
    ) == [("limit_reached", "at most 2 extensions")]


def test_a_unit_does_not_approve_its_own_request(flow_of: Any) -> None:
    flow = reported(flow_of)
    flow.act("accept", DISPATCHER, at("2024-05-20", 10))
    flow.act("sign", DISPATCHER, at("2024-05-20", 11))
    flow.act("park", DISPATCHER, at("2024-05-20", 12), reason="汛期无法施工")
    assert flow.refused(
        "approve", DISPATCHER, at("2024-05-20", 13), Facts(in_scope=True), request=4
    ) == [("self_approval", "a unit does not decide its own request")]
    flow.act("approve", SUPERVISOR, at("2024-05-20", 14), Facts(in_scope=True), request=4)
    assert flow.state.state == "parked"
    assert flow.state.pauses == ((at("2024-05-20", 14), None),)


def test_a_reopen_comes_within_its_window_or_after_a_failed_check(flow_of: Any) -> None:
    flow = handled(flow_of)
    flow.act("feed_back", OFFICER, at("2024-05-24", 9))
    scope = Facts(in_scope=True)
    flow.act(
        "close", DISPATCHER, at("2024-05-24", 10), scope, outcome="settled", settled_level="county"
    )
    # 5 days from Friday 24 May: the last day, Wednesday 29 May, is a working day.
    assert flow.refused(
        "reopen", PARTY, at("2024-05-30", 0), Facts(is_party=True), reason="未履行"
    ) == [
        (
            "past_window",
            "a dispute reopens within 5 days of closing (until 2024-05-30 00:00), or after a "
            "failed call-back or check",
        )
    ]
    flow.act("check", DISPATCHER, at("2024-06-10", 9), scope, carried_out=False)
    flow.act("reopen", PARTY, at("2024-06-11", 9), Facts(is_party=True), reason="协议未履行")
    assert (flow.state.state, flow.state.holder, flow.state.counts["reopens"]) == (
        "accepted",
        CENTER,
        1,
    )


def test_an_unknown_action_and_bad_input_say_so(flow_of: Any) -> None:
    flow = reported(flow_of)
    result = flow.decide(Command("D1", "delete", DISPATCHER, 1, "k"), at("2024-05-20", 10))
    assert isinstance(result, Refusal)
    assert result.errors[0].code.value == "unknown_action"
    flow.act("accept", DISPATCHER, at("2024-05-20", 10))
    assert flow.refused(
        "dispatch", DISPATCHER, at("2024-05-20", 11), Facts(target_level="moon"), targets=(DEPT,)
    ) == [
        (
            "invalid_input",
            "no time limit for level 'moon': give the target's level (grid, village, town, "
            "county, city, liaison, industry)",
        )
    ]
    assert flow.refused("dispatch", DISPATCHER, at("2024-05-20", 11), targets=()) == [
        (
            "invalid_input",
            "dispatch takes one target, a Grid or Department or MediationOrg or Center",
        )
    ]
    assert flow.version == 2
    assert flow.state.reported_at + timedelta(hours=1) == at("2024-05-20", 10)


def test_an_extension_past_the_calendar_is_refused_before_it_can_be_approved(
    flow_of: Any,
) -> None:
    # Approved, it would make every read of the dispute's clocks fail: its queue, its page and
    # the whole timer pass.
    flow = handled(flow_of)
    assert flow.refused(
        "request_extension", OFFICER, at("2024-06-20", 9), reason="需鉴定", days=1000
    ) == [
        (
            "invalid_input",
            "an extension of 1000 working_days would end where no deadline can be counted "
            "(2028-01-01: the holiday table queries/data/holidays-cn.csv does not cover 2028 "
            "(it covers 2019–2026); add that year's rows from the State Council's notice on its "
            "holidays (国务院办公厅关于部分节假日安排的通知)): ask for fewer",
        )
    ]
    assert flow.refused(
        "request_extension", OFFICER, at("2024-06-20", 9), reason="需鉴定", days=10**9
    ) == [
        (
            "invalid_input",
            "an extension of 1000000000 working_days would end where no deadline can be counted "
            "(past any date): ask for fewer",
        )
    ]
    flow.act("request_extension", OFFICER, at("2024-06-20", 9), reason="需鉴定", days=500)
    assert flow.refused(  # with the one still waiting, 500 more pass the table's end
        "request_extension", OFFICER, at("2024-06-20", 10), reason="再", days=500
    ) == [
        (
            "invalid_input",
            "an extension of 500 working_days would end where no deadline can be counted "
            "(2028-01-01: the holiday table queries/data/holidays-cn.csv does not cover 2028 "
            "(it covers 2019–2026); add that year's rows from the State Council's notice on its "
            "holidays (国务院办公厅关于部分节假日安排的通知)): ask for fewer",
        )
    ]
    flow.act("approve", DISPATCHER, at("2024-06-20", 10), Facts(in_scope=True), request=5)
    assert flow.badges(at("2024-06-21", 9)) == [
        ("handle", str(DEPT), "within", "2026-07-09T00:00:00+08:00")
    ]


def test_a_party_rates_each_closing_once_and_a_reopened_dispute_anew(flow_of: Any) -> None:
    flow = handled(flow_of)
    scope, party = Facts(in_scope=True), Facts(is_party=True)
    flow.act("feed_back", OFFICER, at("2024-05-24", 9))
    flow.act(
        "close", DISPATCHER, at("2024-05-24", 10), scope, outcome="settled", settled_level="county"
    )
    flow.act("rate", PARTY, at("2024-05-24", 11), party, rating=1)
    assert flow.refused("rate", PARTY, at("2024-05-24", 12), party, rating=2) == [
        ("not_allowed_in_state", "you have rated it already")
    ]
    flow.act("reopen", PARTY, at("2024-05-27", 9), party, reason="协议未履行")
    flow.act("sign", DISPATCHER, at("2024-05-27", 10))
    flow.act(
        "close", DISPATCHER, at("2024-05-28", 10), scope, outcome="settled", settled_level="county"
    )
    flow.act("rate", PARTY, at("2024-05-28", 11), party, rating=5)
    assert flow.refused("rate", PARTY, at("2024-05-28", 12), party, rating=4) == [
        ("not_allowed_in_state", "you have rated it already")
    ]
    assert flow.state.ratings == (("Person:P-A", 5),)


def test_the_holders_requests_lapse_when_it_feeds_back(flow_of: Any) -> None:
    # A department's parking or extension approved after it fed back would park or extend
    # the center's own holding, and a parked dispute cannot be closed.
    flow = handled(flow_of)
    scope = Facts(in_scope=True)
    flow.act("park", OFFICER, at("2024-05-21", 9), reason="汛期无法施工")
    flow.act("request_extension", OFFICER, at("2024-05-21", 10), reason="需鉴定", days=3)
    assert [(r.action, r.version) for r in flow.state.waiting] == [
        ("park", 5),
        ("request_extension", 6),
    ]
    flow.act("feed_back", OFFICER, at("2024-05-22", 9))
    assert flow.state.waiting == ()
    assert flow.refused("approve", SUPERVISOR, at("2024-05-22", 10), scope, request=5) == [
        ("no_pending_request", "no such request; pending: none")
    ]
    flow.act(
        "close", DISPATCHER, at("2024-05-22", 11), scope, outcome="settled", settled_level="county"
    )
    assert (flow.state.state, flow.state.pauses, flow.state.counts.get("extensions")) == (
        "closed",
        (),
        None,
    )


def test_a_whistle_that_names_a_department_twice_says_which(flow_of: Any) -> None:
    flow = reported(flow_of)
    flow.act("accept", DISPATCHER, at("2024-05-20", 10))
    flow.act("sign", DISPATCHER, at("2024-05-20", 11))
    labour = Ref("Department", "dept-330421-labour")
    assert flow.refused(
        "whistle", DISPATCHER, at("2024-05-20", 12), targets=(labour, DEPT, labour), reason="欠薪"
    ) == [("invalid_input", "named twice: Department:dept-330421-labour")]
    flow.act("whistle", DISPATCHER, at("2024-05-20", 12), targets=(labour,), reason="欠薪")
    assert flow.refused(
        "whistle", DISPATCHER, at("2024-05-20", 13), targets=(DEPT, labour), reason="再吹"
    ) == [("invalid_input", "summoned already: Department:dept-330421-labour")]


def test_an_escalation_from_the_top_says_where_the_dispute_is_held(flow_of: Any) -> None:
    flow = handled(flow_of)
    assert flow.refused("escalate", OFFICER, at("2024-05-21", 9), reason="无法处理") == [
        (
            "invalid_input",
            "the ladder has no rung with a body above where the dispute is held "
            "(Department:dept-330421-wjw at level county): settle or close it there",
        )
    ]


def test_a_limit_whose_due_time_cannot_be_counted_is_refused(flow_of: Any) -> None:
    # A list item's limit of years (loaded data: 长期 written as 3000 days) would start a
    # clock that no read of the dispute, its work queue or the timers could count.
    flow = reported(flow_of)
    flow.act("accept", DISPATCHER, at("2024-05-20", 10))
    assert flow.refused(
        "dispatch",
        DISPATCHER,
        at("2024-05-20", 11),
        Facts(target_level="county", time_limit_days=3000, limit_source="list item L-1"),
        targets=(DEPT,),
    ) == [
        (
            "invalid_input",
            "dispatch would start a clock whose due time cannot be counted (2028-01-01: the "
            "holiday table queries/data/holidays-cn.csv does not cover 2028 (it covers "
            "2019–2026); add that year's rows from the State Council's notice on its holidays "
            "(国务院办公厅关于部分节假日安排的通知))",
        )
    ]
    assert flow.version == 2
