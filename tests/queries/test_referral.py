"""Referral on the demo counties: whole lists of (part, level, actor, rule, limit, due) steps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest

from api.acting import look_up
from graph.embedded import EmbeddedBackend
from queries.calendar import CHINA_TIME, Allowance, Unit, county_calendar
from queries.explain import Contact, GraphPath, NodeRef, NotFound, RelRef
from queries.flow_rules import Limit
from queries.referral import DisputeDescription, Referral, ReferralStep, referral
from queries.rules import load_rules
from workflow.clocks import clocks
from workflow.decide import decide
from workflow.model import Caller, Command, Ref, Refusal
from workflow.state import DisputeState, apply

pytestmark = pytest.mark.slow


DISPUTE = "330421-D900001"


def steps(r: Referral) -> list[tuple[object, ...]]:
    return [
        (s.order, s.part, s.level, s.actor.key, s.rule, s.time_limit_days, s.due) for s in r.steps
    ]


CALENDAR = county_calendar(load_rules("330421"))


def contacts(step: ReferralStep) -> tuple[tuple[str, str], ...]:
    return tuple((c.post, c.person.key) for c in step.contacts)


def test_a_medical_dispute_in_a_jiashan_village_grid(demo_graph: EmbeddedBackend) -> None:
    """The planted dispute: 武长村's grid team first, the health bureau (no town platform does
    health), the village and town committees, the county medical committee, the court."""
    r = referral(demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20))
    assert (r.dispute, r.grid, r.category, r.list_item) == (
        NodeRef("Dispute", "330421-D900001", "陆某医疗损害赔偿纠纷"),
        NodeRef("Grid", "330421-G0332", "武长村第1网格"),
        NodeRef("Domain", "medical", "医疗纠纷"),
        NodeRef("ListItem", "L1-019", "医疗纠纷调解"),
    )
    assert (r.parties, r.warning, r.group, r.reported_on) == (2, None, False, date(2021, 12, 20))
    assert steps(r) == [
        (1, "first_responder", "grid", "330421-G0332", "grid-first", 3, date(2021, 12, 23)),
        (
            2,
            "responsible_department",
            "county",
            "330421-DEP007",
            "department-lowest-level",
            15,
            date(2022, 1, 11),
        ),
        (
            3,
            "mediation_body",
            "village",
            "330421-MO147",
            "mediation-before-litigation",
            7,
            date(2022, 1, 4),
        ),
        (
            4,
            "mediation_body",
            "town",
            "330421-MO008",
            "mediation-before-litigation",
            15,
            date(2022, 1, 25),
        ),
        (
            5,
            "mediation_body",
            "county",
            "330421-MO184",
            "mediation-before-litigation",
            30,
            date(2022, 3, 11),
        ),
        (6, "court", "county", "330421-DEP004", "court-last", None, None),
    ]
    assert [contacts(s) for s in r.steps] == [
        (
            ("head", "330421-P001619"),
            ("instructor", "330421-P001620"),
            ("full_time", "330421-P001621"),
            ("part_time", "330421-P001622"),
        ),
        (("局长", "330421-P000007"),),
        (("主任", "330421-P014157"), ("调解员", "330421-P014158")),
        (
            ("主任", "330421-P013875"),
            ("调解员", "330421-P013876"),
            ("调解员", "330421-P013877"),
            ("调解员", "330421-P013878"),
        ),
        (
            ("主任", "330421-P014231"),
            *(("调解员", f"330421-P01423{n}") for n in range(2, 7)),
        ),
        (("院长", "330421-P000004"),),
    ]
    dispute = NodeRef("Dispute", "330421-D900001", "陆某医疗损害赔偿纠纷")
    item = NodeRef("ListItem", "L1-019", "医疗纠纷调解")
    assert r.steps[1] == ReferralStep(
        order=2,
        part="responsible_department",
        level="county",
        actor=NodeRef("Department", "330421-DEP007", "嘉善县卫生健康局"),
        contacts=(
            Contact(
                NodeRef("Person", "330421-P000007", "钱秀芳"),
                "局长",
                "13499368836",
                date(2015, 1, 20),
                None,
            ),
        ),
        limit=Limit(amount=15, unit="working_days"),
        due=date(2022, 1, 11),
        due_at=None,
        rule="department-lowest-level",
        reason="L1-019 医疗纠纷调解 names the health department; it is taken at the lowest "
        "level present (the county)",
        path=GraphPath.at(dispute)
        .then(RelRef("CLASSIFIED_AS"), item)
        .then(
            RelRef("RESPONSIBLE_FOR", False),
            NodeRef("Department", "330421-DEP007", "嘉善县卫生健康局"),
        ),
    )
    assert str(r.steps[4].path).endswith(
        "(Unit 330421000000 嘉善县)<-[:LOCATED_IN]-(MediationOrg 330421-MO184 "
        "嘉善县医疗纠纷人民调解委员会)-[:HAS_EXPERTISE]->(Domain medical 医疗纠纷)"
    )


def test_unpaid_wages_at_a_factory_in_its_dedicated_grid(demo_graph: EmbeddedBackend) -> None:
    """The demo has no professional grid in 嘉善 or 景宁 (only the city variant does), so this
    is a described wage dispute at an enterprise in its dedicated grid (专属网格). The
    labour-dispute committee takes it, wages being related to labour in the rules, and labour
    arbitration comes before the court (tests/queries/test_seed_rules.py)."""
    described = DisputeDescription(
        place="330421-O013", category="wages", parties=3, reported_on=date(2021, 12, 1)
    )
    r = referral(demo_graph, description=described, as_of=date(2021, 12, 1))
    assert (r.dispute, r.grid, r.list_item, r.warning, r.group) == (
        None,
        NodeRef("Grid", "330421-G0435", "嘉善群英服饰有限公司专属网格"),
        NodeRef("ListItem", "L1-011", "欠薪纠纷调解"),
        None,
        False,
    )
    assert steps(r) == [
        (1, "first_responder", "grid", "330421-G0435", "grid-first", 3, date(2021, 12, 6)),
        (
            2,
            "responsible_department",
            "county",
            "330421-DEP006",
            "department-lowest-level",
            15,
            date(2021, 12, 22),
        ),
        (
            3,
            "mediation_body",
            "village",
            "330421-MO032",
            "mediation-before-litigation",
            7,
            date(2021, 12, 15),
        ),
        (
            4,
            "mediation_body",
            "town",
            "330421-MO001",
            "mediation-before-litigation",
            15,
            date(2022, 1, 6),
        ),
        (
            5,
            "mediation_body",
            "county",
            "330421-MO188",
            "mediation-before-litigation",
            30,
            date(2022, 2, 22),
        ),
        (
            6,
            "pre_court_step",
            "county",
            "330421-DEP006",
            "statutory-pre-court-step",
            45,
            date(2022, 4, 8),
        ),
        (7, "court", "county", "330421-DEP004", "court-last", None, None),
    ]
    factory = NodeRef("Organisation", "330421-O013", "嘉善群英服饰有限公司")
    assert r.steps[0].path == GraphPath.at(factory).then(
        RelRef("LOCATED_IN"), NodeRef("Grid", "330421-G0435", "嘉善群英服饰有限公司专属网格")
    )


def test_a_twelve_party_land_dispute_enters_at_the_county_center(
    demo_graph: EmbeddedBackend,
) -> None:
    """12 parties and a red warning: the grid team, then the county center's 3+X team (judge,
    chief mediator, legal-aid lawyer, and the land bureau concerned), the petitions bureau of
    the group-dispute item, no village or town committee, the court last."""
    r = referral(demo_graph, dispute_id="330421-D006813", as_of=date(2021, 12, 4))
    assert (r.parties, r.warning, r.group, r.category, r.list_item) == (
        12,
        "red",
        True,
        NodeRef("Domain", "land", "土地山林纠纷"),
        NodeRef("ListItem", "L1-006", "土地山林纠纷群体性事件预警处置"),
    )
    assert steps(r) == [
        (1, "first_responder", "grid", "330421-G0103", "grid-first", 3, date(2021, 12, 8)),
        (
            2,
            "consultation_team",
            "county",
            "330421-C001",
            "group-dispute-county-center",
            30,
            date(2022, 1, 20),
        ),
        (
            3,
            "consultation_team",
            "county",
            "330421-DEP015",
            "group-dispute-county-center",
            30,
            date(2022, 1, 20),
        ),
        (
            4,
            "responsible_department",
            "county",
            "330421-DEP002",
            "department-lowest-level",
            30,
            date(2022, 1, 17),
        ),
        (5, "court", "county", "330421-DEP004", "court-last", None, None),
    ]
    assert contacts(r.steps[1]) == (
        ("法律援助律师", "330421-P000081"),
        ("首席调解员", "330421-P000080"),
        ("院长", "330421-P000004"),
    )
    assert r.steps[1].reason.startswith("12 parties (group dispute: 10 or more) and red warning")


def test_a_dispute_in_jingnings_hangzhou_grid_goes_through_the_liaison(
    demo_graph: EmbeddedBackend,
) -> None:
    """An out-of-county grid: its own team, then the four liaison departments of 景宁's 4+X
    (10 working days: 景宁 overrides the liaison limit), the labour bureau, the labour committee."""
    r = referral(demo_graph, dispute_id="331127-D001878", as_of=date(2021, 7, 2))
    assert r.grid == NodeRef("Grid", "331127-G0294", "杭州景宁人域外综治网格")
    assert steps(r) == [
        (1, "first_responder", "grid", "331127-G0294", "grid-first", 3, date(2021, 7, 7)),
        *(
            (n, "liaison_body", "county", key, "out-of-county-liaison", 10, date(2021, 7, 21))
            for n, key in enumerate(
                ("331127-DEP002", "331127-DEP014", "331127-DEP021", "331127-DEP022"), start=2
            )
        ),
        (
            6,
            "responsible_department",
            "county",
            "331127-DEP006",
            "department-lowest-level",
            15,
            date(2021, 7, 23),
        ),
        (
            7,
            "mediation_body",
            "county",
            "331127-MO169",
            "mediation-before-litigation",
            30,
            date(2021, 9, 1),
        ),
        (
            8,
            "pre_court_step",
            "county",
            "331127-DEP006",
            "statutory-pre-court-step",
            45,
            date(2021, 10, 18),  # the 45th day, 16 October, is a Saturday
        ),
        (9, "court", "county", "331127-DEP004", "court-last", None, None),
    ]
    assert str(r.steps[1].path) == (
        "(Dispute 331127-D001878 陈某追讨工资纠纷)-[:OCCURRED_IN]->(Grid 331127-G0294 "
        "杭州景宁人域外综治网格)-[:LIAISES_WITH]->(Department 331127-DEP002 景宁畲族自治县信访局)"
    )


def test_a_department_is_taken_at_the_lowest_level_present(demo_graph: EmbeddedBackend) -> None:
    """A consumer dispute described by its village: both of 武长村's grids answer first, and
    the market function is found on 姚庄镇's platform before the county bureau."""
    described = DisputeDescription(
        place="330421111206", category="consumer", reported_on=date(2021, 12, 1)
    )
    r = referral(demo_graph, description=described, as_of=date(2021, 12, 1))
    assert steps(r)[:3] == [
        (1, "first_responder", "grid", "330421-G0332", "grid-first", 3, date(2021, 12, 6)),
        (2, "first_responder", "grid", "330421-G0333", "grid-first", 3, date(2021, 12, 6)),
        (
            3,
            "responsible_department",
            "town",
            "330421-DEP050",
            "department-lowest-level",
            15,
            date(2021, 12, 22),
        ),
    ]
    assert str(r.steps[2].path) == (
        "(ListItem L1-015 消费维权纠纷调解)<-[:RESPONSIBLE_FOR]-(Department 330421-DEP009 "
        "嘉善县市场监督管理局)-[:LOCATED_IN]->(Unit 330421000000 嘉善县)<-[:PART_OF]-(Unit "
        "330421111000 姚庄镇)<-[:LOCATED_IN]-(Department 330421-DEP050 姚庄镇市场监管平台)"
    )


def test_a_description_is_graded_and_the_rules_can_change_it(demo_graph: EmbeddedBackend) -> None:
    described = DisputeDescription(place="330421-G0332", category="land", parties=6)
    r = referral(demo_graph, description=described, as_of=date(2021, 12, 1))
    assert (r.warning, r.group, r.reported_on) == ("yellow", False, date(2021, 12, 1))
    rules = load_rules("330421")
    stricter = rules.model_copy(update={"group": rules.group.model_copy(update={"parties": 5})})
    r = referral(demo_graph, description=described, as_of=date(2021, 12, 1), rules=stricter)
    assert r.group
    assert [s.part for s in r.steps] == [
        "first_responder",
        "consultation_team",
        "consultation_team",
        "responsible_department",
        "court",
    ]
    red = replace(described, parties=2, warning="red")
    assert referral(demo_graph, description=red, as_of=date(2021, 12, 1)).group


def test_steps_in_working_days_run_out_when_the_workflows_clocks_do(
    demo_graph: EmbeddedBackend, clock_day: Callable[..., date]
) -> None:
    """The planted dispute under the county's rules, whose bare numbers of days are working
    days (`workflow.limits.handling_unit`): each stage runs out on the day the workflow's clock
    for the same start and limit does (China's weekends, holidays and make-up working days),
    where calendar days gave 23 December, 4 January, 30 December, 14 January and 13 February.
    The grid team's 3 from Monday 2021-12-20 end on Thursday the 23rd; the health bureau's
    list-item 15 run from the report, past 元旦 (1–3 January 2022), to Tuesday 11 January; the
    village committee's 7 from the 23rd skip the weekend and 元旦 to Tuesday 4 January; the
    town's 15 end on Tuesday 25 January; the county medical committee's 30 (an industry body's
    limit) work Saturday and Sunday 29–30 January (调休), skip 春节 (31 January–6 February) and
    end on Friday 11 March (国办发明电〔2021〕11号)."""
    r = referral(demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20))
    assert [(s.part, s.level, s.actor.key, s.limit, s.due, s.due_at) for s in r.steps] == [
        ("first_responder", "grid", "330421-G0332", Limit(amount=3, unit="working_days"),
         date(2021, 12, 23), None),
        ("responsible_department", "county", "330421-DEP007", Limit(amount=15, unit="working_days"),
         date(2022, 1, 11), None),
        ("mediation_body", "village", "330421-MO147", Limit(amount=7, unit="working_days"),
         date(2022, 1, 4), None),
        ("mediation_body", "town", "330421-MO008", Limit(amount=15, unit="working_days"),
         date(2022, 1, 25), None),
        ("mediation_body", "county", "330421-MO184", Limit(amount=30, unit="working_days"),
         date(2022, 3, 11), None),
        ("court", "county", "330421-DEP004", None, None, None),
    ]  # fmt: skip
    assert r.steps[1].due == clock_day(CALENDAR, date(2021, 12, 20), 15)  # from the report
    start = date(2021, 12, 20)
    for step in (r.steps[0], *r.steps[2:5]):
        assert step.limit is not None
        assert step.due == clock_day(CALENDAR, start, step.limit.amount)  # the workflow's own count
        start = step.due


def test_unknown_ids_and_bad_arguments(demo_graph: EmbeddedBackend) -> None:
    with pytest.raises(NotFound, match="no dispute with id '330421-D999999'"):
        referral(demo_graph, dispute_id="330421-D999999")
    with pytest.raises(NotFound, match="no grid, unit or organisation with key 'x'"):
        referral(demo_graph, description=DisputeDescription(place="x", category="land"))
    with pytest.raises(NotFound, match="no responsibility-list item with id 'L9-999'"):
        referral(
            demo_graph, description=DisputeDescription(place="330421-G0332", list_item="L9-999")
        )
    with pytest.raises(NotFound, match=r"no category \(domain\) with code 'astrology'"):
        referral(
            demo_graph, description=DisputeDescription(place="330421-G0332", category="astrology")
        )
    with pytest.raises(ValueError, match="exactly one of dispute_id"):
        referral(demo_graph)
    with pytest.raises(ValueError, match="needs a category"):
        referral(demo_graph, description=DisputeDescription(place="330421-G0332"))
    with pytest.raises(ValueError, match="has no grid directly in it"):
        referral(demo_graph, description=DisputeDescription(place="330421111000", category="land"))


def test_the_health_bureaus_due_day_is_its_workflow_clocks(demo_graph: EmbeddedBackend) -> None:
    """The planted dispute dispatched to the health bureau on its report day (Monday 20
    December 2021): the referral's due day for the bureau is the day the workflow's handling
    clock runs out with, its due instant the midnight after. Both read the list item's 15 in
    the county's handling unit, working days (元旦, 1–3 January, not counted): 11 January 2022,
    where the referral once counted calendar days to 4 January."""
    rules = load_rules("330421")
    calendar = county_calendar(rules)
    r = referral(demo_graph, dispute_id="330421-D900001", as_of=date(2021, 12, 20))
    bureau = r.steps[1]
    assert (bureau.part, bureau.actor.key, bureau.limit, bureau.due) == (
        "responsible_department",
        "330421-DEP007",
        Limit(amount=15, unit="working_days"),
        date(2022, 1, 11),
    )
    center = Ref("Center", "center-330421")
    dispatcher = Caller(Ref("Person", "P-D"), "dispatcher", center, "330421")
    resident = Caller(Ref("Person", "P-R"), "resident")
    department = Ref("Department", bureau.actor.key)
    officer = Caller(Ref("Person", "P-O"), "department", department, "330421")
    report = {"channel": "app", "title": "t", "place": "330421-G0332", "parties": 2}
    state: DisputeState | None = None
    commands = [
        (Command(DISPUTE, "report", resident, 0, "r", (center,), None, report), 9),
        (Command(DISPUTE, "accept", dispatcher, 1, "a"), 10),
        (Command(DISPUTE, "dispatch", dispatcher, 2, "d", (department,)), 11),
        (Command(DISPUTE, "sign", officer, 3, "s"), 12),
    ]
    for command, hour in commands:
        now = datetime.combine(date(2021, 12, 20), time(hour), CHINA_TIME)
        facts = look_up(demo_graph, command, state, "330421-G0332", rules, now)
        event = decide(state, command, replace(facts, in_scope=True), now, rules, calendar)
        assert not isinstance(event, Refusal), event.errors
        state = apply(state or DisputeState(DISPUTE), event)
    assert state is not None
    now = datetime.combine(date(2021, 12, 20), time(13), CHINA_TIME)
    (handle,) = clocks(state, now, rules, calendar)
    assert (handle.name, handle.who, handle.limit, handle.limit_source, handle.due) == (
        "handle",
        department,
        Allowance(15, Unit.WORKING_DAYS),
        "list item L1-019 (330421-DEP007)",
        datetime(2022, 1, 12, tzinfo=CHINA_TIME),
    )
    assert handle.due - timedelta(days=1) == datetime.combine(bureau.due, time(0), CHINA_TIME)
