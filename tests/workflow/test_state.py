"""workflow.state: a log folds into the state, one event at a time, and only in order."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from queries.calendar import CHINA_TIME, Allowance, Unit
from workflow.model import Caller, Facts, Ref
from workflow.state import DisputeState, Holding, LogError, Request, apply, replay

CENTER = Ref("Center", "center-330421")
DISPATCHER = Caller(Ref("Person", "P-D"), "dispatcher", CENTER, "330421")
DEPT = Ref("Department", "dept-330421-rsj")
OFFICER = Caller(Ref("Person", "P-O"), "department", DEPT, "330421")


def at(day: str, hour: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour), CHINA_TIME)


def test_replay_of_nothing_is_nothing() -> None:
    assert replay([]) is None


def test_the_state_holds_the_holding_the_requests_and_the_counters(flow_of: Any) -> None:
    flow = flow_of("D1", "330421")
    flow.act(
        "report",
        Caller(Ref("Person", "P-A"), "resident"),
        at("2024-11-04", 9),
        Facts(target_level="county"),
        targets=(CENTER,),
        channel="hotline",
        title="欠薪",
        place="330421001001-G01",
        parties=3,
    )
    flow.act("accept", DISPATCHER, at("2024-11-04", 10))
    flow.act(
        "dispatch", DISPATCHER, at("2024-11-04", 11), Facts(target_level="county"), targets=(DEPT,)
    )
    flow.act("sign", OFFICER, at("2024-11-04", 14))
    flow.act("request_extension", OFFICER, at("2024-11-20", 9), reason="需仲裁", days=10)
    flow.act("bounce", OFFICER, at("2024-11-20", 10), reason="属劳动仲裁", cause="not_responsible")
    state = replay(flow.log)
    assert state == flow.state
    assert state is not None
    assert (state.state, state.version, state.step, state.holder) == ("handling", 6, "routed", DEPT)
    assert state.holding == Holding(
        holder=DEPT,
        level="county",
        via="dispatch",
        sender=CENTER,
        sender_level="county",
        start=at("2024-11-04", 11),
        opened=3,
        limit=Allowance(30, Unit.WORKING_DAYS),
        limit_source="time_limits.county",
        sign_limit=Allowance(1, Unit.WORKING_DAYS),
        signed=at("2024-11-04", 14),
    )
    assert [(r.action, r.version, r.by, r.at) for r in state.pending] == [
        ("request_extension", 5, DEPT, at("2024-11-20", 9)),
        ("bounce", 6, DEPT, at("2024-11-20", 10)),
    ]
    assert isinstance(state.pending[0], Request) and dict(state.counts) == {"assignments": 1}
    # The bounce approved: back at the center, the extension request lapses with the holding.
    flow.act("approve", DISPATCHER, at("2024-11-20", 11), Facts(in_scope=True), request=6)
    after = flow.state
    assert (after.state, after.holder, after.pending, after.bounced_by, dict(after.counts)) == (
        "accepted",
        CENTER,
        (),
        (DEPT,),
        {"assignments": 1, "bounces": 1},
    )


def test_an_event_out_of_order_is_refused(flow_of: Any) -> None:
    flow = flow_of("D1", "330421")
    flow.act(
        "report",
        Caller(Ref("Person", "P-A"), "resident"),
        at("2024-11-04", 9),
        Facts(target_level="county"),
        targets=(CENTER,),
        channel="app",
        title="t",
        place="g",
        parties=2,
    )
    flow.act("accept", DISPATCHER, at("2024-11-04", 10))
    with pytest.raises(LogError, match="D1#2 cannot follow D1 at version 0"):
        apply(DisputeState("D1"), flow.log[1])
    with pytest.raises(LogError, match="D1#1 cannot follow D2 at version 0"):
        apply(DisputeState("D2"), flow.log[0])
