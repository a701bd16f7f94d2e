"""Escalation path on the demo counties: whole ladders, compared as tuples of what matters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from graph.embedded import EmbeddedBackend
from queries.calendar import county_calendar
from queries.escalation import Escalation, escalation_path
from queries.explain import GraphPath, NodeRef, NotFound, RelRef
from queries.flow_rules import Limit
from queries.rules import Rules, load_rules

pytestmark = pytest.mark.slow

JIASHAN_COUNTY_BODIES = (
    ("center", "330421-C001"),
    *(("stationed_department", f"330421-DEP{i:03d}") for i in range(1, 21)),
    ("party_organisation", "330421-PO0001"),
)


CALENDAR = county_calendar(load_rules("330421"))


def in_working_days(rules: Rules) -> Rules:
    """`rules` with the ladder's limits in working days: grid 3, village 7, town 15, county
    and industry 30."""
    days = {"grid": 3, "village": 7, "town": 15, "county": 30, "industry": 30}
    limits = {k: Limit(amount=n, unit="working_days") for k, n in days.items()}
    return rules.model_copy(update={"time_limits": rules.time_limits.model_copy(update=limits)})


def rungs(e: Escalation) -> list[tuple[object, ...]]:
    return [
        (
            s.order,
            s.level,
            s.place.key,
            s.rule,
            s.time_limit_days,
            s.due,
            tuple((b.role, b.node.key) for b in s.bodies),
        )
        for s in e.ladder
    ]


def holders(e: Escalation, key: str) -> tuple[tuple[str, str], ...]:
    for step in e.ladder:
        for body in step.bodies:
            if body.node.key == key:
                return tuple((c.post, c.person.key) for c in body.holders)
    raise AssertionError(f"{key} is on no rung")


def party_line(e: Escalation) -> list[tuple[object, ...]]:
    return [
        (
            p.order,
            p.org.key,
            p.kind,
            p.level,
            p.rule,
            tuple((c.post, c.person.key) for c in p.leaders),
        )
        for p in e.party_line
    ]


def test_the_ladder_of_a_jiashan_micro_grid(demo_graph: EmbeddedBackend) -> None:
    """武长村第1网格's first micro-grid: its own team, its grid's, then village, town, county,
    court — each rung found by PART_OF, JURISDICTION and ESCALATES_TO in the graph."""
    e = escalation_path(demo_graph, grid_id="330421-M08315", as_of=date(2021, 12, 31))
    assert e.grid == NodeRef("Grid", "330421-M08315", "武长村第1网格第1微网格")
    assert e.dispute is None
    assert rungs(e) == [
        (1, "grid", "330421-M08315", "grid-first", 3, None, (("grid_team", "330421-M08315"),)),
        (2, "grid", "330421-G0332", "part-of-ladder", 3, None, (("grid_team", "330421-G0332"),)),
        (
            3,
            "village",
            "330421111206",
            "part-of-ladder",
            7,
            None,
            (
                ("center", "330421-C131"),
                ("mediation_committee", "330421-MO147"),
                ("party_organisation", "330421-PO0147"),
            ),
        ),
        (
            4,
            "town",
            "330421111000",
            "escalates-to",
            15,
            None,
            (
                ("center", "330421-C009"),
                ("stationed_department", "330421-DEP049"),
                ("stationed_department", "330421-DEP050"),
                ("stationed_department", "330421-DEP051"),
                ("stationed_department", "330421-DEP052"),
                ("mediation_committee", "330421-MO008"),
                ("party_organisation", "330421-PO0133"),
            ),
        ),
        (5, "county", "330421000000", "escalates-to", 30, None, JIASHAN_COUNTY_BODIES),
        (6, "court", "330421000000", "court-last", None, None, (("court", "330421-DEP004"),)),
    ]
    assert holders(e, "330421-M08315") == (
        ("coordinator", "330421-P011773"),
        ("assessor", "330421-P011774"),
    )
    assert holders(e, "330421-G0332") == (
        ("head", "330421-P001619"),
        ("instructor", "330421-P001620"),
        ("full_time", "330421-P001621"),
        ("part_time", "330421-P001622"),
    )
    assert party_line(e) == [
        (1, "330421-PO0559", "branch", "grid", "branch-on-grid", (("书记", "330421-P021282"),)),
        (
            2,
            "330421-PO0147",
            "general_branch",
            "village",
            "party-line",
            (("书记", "330421-P019312"),),
        ),
        (3, "330421-PO0133", "committee", "town", "party-line", (("书记", "330421-P019225"),)),
        (4, "330421-PO0001", "committee", "county", "party-line", (("书记", "330421-P018404"),)),
    ]


def test_each_body_carries_the_path_that_found_it(demo_graph: EmbeddedBackend) -> None:
    e = escalation_path(demo_graph, grid_id="330421-M08315", as_of=date(2021, 12, 31))
    micro = NodeRef("Grid", "330421-M08315", "武长村第1网格第1微网格")
    grid = NodeRef("Grid", "330421-G0332", "武长村第1网格")
    village = NodeRef("Unit", "330421111206", "武长村委会")
    town = NodeRef("Unit", "330421111000", "姚庄镇")
    up = GraphPath((micro, grid, village, town), (RelRef("PART_OF"),) * 3)
    assert e.ladder[3].path == up
    county_center = e.ladder[4].bodies[0]
    assert county_center.path == up.then(
        RelRef("JURISDICTION", False),
        NodeRef("Center", "330421-C009", "姚庄镇社会矛盾纠纷调处化解中心"),
    ).then(
        RelRef("ESCALATES_TO"), NodeRef("Center", "330421-C001", "嘉善县社会矛盾纠纷调处化解中心")
    )
    assert str(e.party_line[0].path) == (
        "(Grid 330421-M08315 武长村第1网格第1微网格)-[:PART_OF]->(Grid 330421-G0332 武长村第1网格)"
        "<-[:COVERS]-(PartyOrg 330421-PO0559 中共武长村第1网格支部委员会)"
    )


def test_an_as_of_date_before_posts_changed_hands(demo_graph: EmbeddedBackend) -> None:
    """新联社区第1网格's head changed on 2021-04-09, the county center's director on
    2021-02-18 and 武长村's party secretary in spring 2021: the ladder follows the date."""
    before = escalation_path(demo_graph, grid_id="330421-G0096", as_of=date(2021, 1, 15))
    after = escalation_path(demo_graph, grid_id="330421-G0096", as_of=date(2021, 12, 31))
    assert holders(before, "330421-G0096") == (
        ("head", "330421-P000537"),
        ("instructor", "330421-P000538"),
        ("full_time", "330421-P000539"),
        ("part_time", "330421-P000540"),
    )
    assert holders(after, "330421-G0096") == (
        ("head", "330421-P000546"),
        ("instructor", "330421-P000538"),
        ("full_time", "330421-P000539"),
        ("part_time", "330421-P000540"),
    )
    assert holders(before, "330421-C001") == (
        ("主任", "330421-P000078"),
        ("法律援助律师", "330421-P000081"),
        ("首席调解员", "330421-P000080"),
    )
    assert holders(after, "330421-C001") == (
        ("主任", "330421-P000079"),
        ("法律援助律师", "330421-P000081"),
        ("首席调解员", "330421-P000080"),
    )
    micro_before = escalation_path(demo_graph, grid_id="330421-M08315", as_of=date(2021, 1, 15))
    assert party_line(micro_before)[1] == (
        2,
        "330421-PO0147",
        "general_branch",
        "village",
        "party-line",
        (("书记", "330421-P019311"),),
    )


def test_an_out_of_county_grid_climbs_through_its_liaison_bodies(
    demo_graph: EmbeddedBackend,
) -> None:
    """景宁's grid in Hangzhou: its team, the four liaison departments of 4+X (10 days by the
    county's override of the rules), the county command center, the court."""
    e = escalation_path(demo_graph, grid_id="331127-G0294", as_of=date(2021, 12, 31))
    assert rungs(e) == [
        (1, "grid", "331127-G0294", "grid-first", 3, None, (("grid_team", "331127-G0294"),)),
        (
            2,
            "liaison",
            "331127-G0294",
            "out-of-county-liaison",
            10,
            None,
            tuple(("liaison_body", f"331127-DEP{n:03d}") for n in (2, 14, 21, 22)),
        ),
        (
            3,
            "county",
            "331127000000",
            "part-of-ladder",
            30,
            None,
            (
                ("center", "331127-C001"),
                *(("stationed_department", f"331127-DEP{n:03d}") for n in (10, 11, 20, 21)),
                ("party_organisation", "331127-PO0001"),
            ),
        ),
        (4, "court", "331127000000", "court-last", None, None, (("court", "331127-DEP004"),)),
    ]
    assert party_line(e) == [
        (1, "331127-PO0464", "branch", "grid", "branch-on-grid", (("书记", "331127-P003965"),)),
        (2, "331127-PO0001", "committee", "county", "party-line", (("书记", "331127-P001731"),)),
    ]


def test_a_disputes_ladder_has_due_dates_from_its_report_day(demo_graph: EmbeddedBackend) -> None:
    e = escalation_path(demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20))
    assert e.dispute == NodeRef("Dispute", "330421-D900001", "陆某医疗损害赔偿纠纷")
    assert e.grid.key == "330421-G0332"
    assert [(s.level, s.time_limit_days, s.due) for s in e.ladder] == [
        ("grid", 3, date(2021, 12, 23)),
        ("village", 7, date(2022, 1, 4)),
        ("town", 15, date(2022, 1, 25)),
        ("county", 30, date(2022, 3, 11)),
        ("court", None, None),
    ]


def test_a_ladder_in_working_days_runs_out_when_the_workflows_clocks_do(
    demo_graph: EmbeddedBackend, clock_day: Callable[..., date]
) -> None:
    """With the rungs' limits in working days, each rung runs out on the day the workflow's
    clock for the same start and limit does: China's weekends, holidays and make-up working
    days. From the report on Monday 2021-12-20: the grid's 3 end on Thursday the 23rd; the
    village's 7 from there skip the weekend and 元旦 (1–3 January 2022) to Tuesday 4 January;
    the town's 15 end on Tuesday 25 January; the county's 30 work Saturday and Sunday 29–30
    January (调休), skip 春节 (31 January–6 February) and end on Friday 11 March
    (国办发明电〔2021〕11号). In calendar days they were 23 December, 30 December, 14 January
    and 13 February."""
    rules = in_working_days(load_rules("330421"))
    e = escalation_path(
        demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20), rules=rules
    )
    assert [(s.level, s.limit, s.due, s.due_at) for s in e.ladder] == [
        ("grid", Limit(amount=3, unit="working_days"), date(2021, 12, 23), None),
        ("village", Limit(amount=7, unit="working_days"), date(2022, 1, 4), None),
        ("town", Limit(amount=15, unit="working_days"), date(2022, 1, 25), None),
        ("county", Limit(amount=30, unit="working_days"), date(2022, 3, 11), None),
        ("court", None, None, None),
    ]
    start = date(2021, 12, 20)
    for rung in e.ladder[:-1]:
        assert rung.limit is not None
        assert rung.due == clock_day(CALENDAR, start, rung.limit.amount)  # the workflow's own count
        start = rung.due


def test_unknown_ids_and_bad_arguments(demo_graph: EmbeddedBackend) -> None:
    with pytest.raises(NotFound, match="no grid with id '330421-G9999'"):
        escalation_path(demo_graph, grid_id="330421-G9999")
    with pytest.raises(NotFound, match="no dispute with id 'nope'"):
        escalation_path(demo_graph, dispute_id="nope")
    with pytest.raises(ValueError, match="exactly one of grid_id"):
        escalation_path(demo_graph)
    with pytest.raises(ValueError, match="exactly one of grid_id"):
        escalation_path(demo_graph, grid_id="330421-G0001", dispute_id="330421-D900001")
