"""workflow.measures: 踢皮球 counted from the log, loops flagged, rates per area and unit."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from queries.calendar import CHINA_TIME, china_calendar
from workflow.measures import (
    AreaMeasures,
    DisputeMeasures,
    Loop,
    Step,
    UnitMeasures,
    by_area,
    by_unit,
    measure,
)
from workflow.model import Caller, Facts, Ref

CENTER = Ref("Center", "center-330421002")
DISPATCHER = Caller(Ref("Person", "P-D"), "dispatcher", CENTER, "330421002")
HOUSING = Ref("Department", "dept-zjb")
ENVIRONMENT = Ref("Department", "dept-hbj")
OFFICER = {
    d: Caller(Ref("Person", "P-" + d.id), "department", d, "330421") for d in (HOUSING, ENVIRONMENT)
}
TOWN = Facts(target_level="town")


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), CHINA_TIME)


def test_a_dispute_coming_back_to_a_unit_that_bounced_it_is_a_loop(flow_of: Any) -> None:
    flow = flow_of("D-LOOP", "330421")
    flow.act(
        "report",
        Caller(Ref("Person", "P-A"), "resident"),
        at("2024-04-01", 9),
        TOWN,
        targets=(CENTER,),
        channel="visit",
        title="养殖污染",
        place="330421002001-G01",
        parties=4,
    )
    flow.act("accept", DISPATCHER, at("2024-04-01", 10))
    flow.act("dispatch", DISPATCHER, at("2024-04-01", 11), TOWN, targets=(HOUSING,))
    flow.act(
        "bounce",
        OFFICER[HOUSING],
        at("2024-04-02", 9),
        reason="非本部门职责",
        cause="not_responsible",
    )
    assert flow.state.holder == HOUSING  # waits for approval
    flow.act(
        "approve", DISPATCHER, at("2024-04-02", 10), Facts(in_scope=True), request=flow.version
    )
    flow.act("dispatch", DISPATCHER, at("2024-04-02", 11), TOWN, targets=(ENVIRONMENT,))
    flow.act(
        "bounce", OFFICER[ENVIRONMENT], at("2024-04-03", 9), reason="派错了", cause="dispatch_error"
    )
    flow.act("dispatch", DISPATCHER, at("2024-04-03", 10), TOWN, targets=(HOUSING,))
    flow.act("sign", OFFICER[HOUSING], at("2024-04-03", 11))
    flow.act("feed_back", OFFICER[HOUSING], at("2024-04-10", 16))
    flow.act(
        "close",
        DISPATCHER,
        at("2024-04-11", 9),
        Facts(in_scope=True),
        outcome="settled",
        settled_level="town",
    )
    m = measure(flow.log, at("2024-04-12"), china_calendar())
    assert flow.state.counts["loops"] == 1  # the replay counts the loop the measures flag
    hours = timedelta(hours=1)
    assert m == DisputeMeasures(
        dispute="D-LOOP",
        place="330421002001-G01",
        kind="dispute",
        assignments=5,  # three dispatches and two bounces back
        distinct_holders=3,
        bounces=2,
        escalations=0,
        reopens=0,
        summoned=(),
        holdings=(CENTER, CENTER, HOUSING, CENTER, ENVIRONMENT, CENTER, HOUSING, CENTER),
        bounced_by=(HOUSING, ENVIRONMENT),
        held=(
            (CENTER, 2 * hours + 1 * hours + 1 * hours + 17 * hours),
            (HOUSING, 23 * hours + 7 * 24 * hours + 6 * hours),
            (ENVIRONMENT, 22 * hours),
        ),
        steps=(
            Step(CENTER, 2, 3, True),
            Step(HOUSING, 3, 5, True),
            Step(CENTER, 5, 6, True),
            Step(ENVIRONMENT, 6, 7, True),
            Step(CENTER, 7, 8, True),
            Step(HOUSING, 8, 10, True),
            Step(CENTER, 10, 11, True),
        ),
        loops=(Loop(HOUSING, 5, 8),),
        outcome="settled",
        settled_level="town",
    )
    assert by_unit([m])[HOUSING] == UnitMeasures(
        received=2, bounced=1, summoned=0, ended=2, on_time=2
    )
    assert by_unit([m])[HOUSING].bounce_rate == 0.5
    assert by_area([m], lambda m: m.place) == {
        "330421002001-G01": AreaMeasures(
            disputes=1,
            bounce_rate=1.0,
            whistle_rate=0.0,
            on_time_rate=1.0,
            settled_at={"town": 1.0},
        )
    }
