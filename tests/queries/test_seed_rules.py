"""The rules of issue 13 that the seeds give, each on the demo, naming the seed line it comes
from (`../shared/seeds/<number>_*.txt`, line numbers as the file has them)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from graph.embedded import EmbeddedBackend
from queries.calendar import CHINA_TIME
from queries.escalation import escalation_path
from queries.experts import expert_pool
from queries.explain import NodeRef
from queries.flow_rules import Limit
from queries.library import run
from queries.referral import DisputeDescription, Lead, Missing, Referral, referral
from queries.rules import load_rules

pytestmark = pytest.mark.slow

DAY = date(2021, 12, 20)


def steps(r: Referral) -> list[tuple[object, ...]]:
    return [
        (s.order, s.part, s.level, s.actor.key, s.rule, s.time_limit_days, s.due) for s in r.steps
    ]


def test_referral_degrades_when_no_list_item_matches(demo_graph: EmbeddedBackend) -> None:
    """001:8 小事不出格 (the grid team first) and 000:6 调解优先、诉讼断后 (mediation,
    arbitration, then the court) hold with or without a list: a county whose list names its
    class 矛盾纠纷调处 has no item for a wage dispute, and the referral still names the grid
    team, the committees, the arbitration and the court, and says what is missing and where
    to add it."""
    rules = load_rules("330421")
    rules = rules.model_copy(
        update={"referral": rules.referral.model_copy(update={"item_class": "矛盾纠纷调处"})}
    )
    r = referral(
        demo_graph,
        description=DisputeDescription(place="330421-G0332", category="wages"),
        as_of=DAY,
        rules=rules,
    )
    assert (r.category and (r.category.key, r.category.name), r.list_item) == (
        ("wages", "欠薪纠纷"),
        None,
    )
    assert steps(r) == [
        (1, "first_responder", "grid", "330421-G0332", "grid-first", 3, date(2021, 12, 23)),
        (
            2,
            "mediation_body",
            "village",
            "330421-MO147",
            "mediation-before-litigation",
            7,
            date(2022, 1, 4),
        ),
        (
            3,
            "mediation_body",
            "town",
            "330421-MO008",
            "mediation-before-litigation",
            15,
            date(2022, 1, 25),
        ),
        (
            4,
            "mediation_body",
            "county",
            "330421-MO188",
            "mediation-before-litigation",
            30,
            date(2022, 3, 11),
        ),
        (
            5,
            "pre_court_step",
            "county",
            "330421-DEP006",
            "statutory-pre-court-step",
            45,
            date(2022, 4, 25),
        ),
        (6, "court", "county", "330421-DEP004", "court-last", None, None),
    ]
    assert r.missing == (
        Missing(
            "no responsibility-list item of class '矛盾纠纷调处' for the category 'wages': no "
            "department is named, and the time limits are the rules'",
            "a list_items row (item_class 矛盾纠纷调处), a has_expertise row from it to the "
            "domain wages, and a responsible_for row from the county's department to it",
        ),
    )
    whole = referral(demo_graph, dispute_id="330421-D900001", as_of=DAY)
    assert whole.missing == ()


def test_a_wage_dispute_at_a_factory_is_answered_by_its_labour_inspection_grid(
    demo_graph: EmbeddedBackend,
) -> None:
    """001:25 (吴江: 165 professional grids for 安监、消防、环保、劳动监察, 80 enterprises each):
    the factory of the planted wage dispute is supervised by a work-safety, a fire, a labour-
    inspection and an environment grid; only the labour-inspection grid answers first, beside
    the grid where it happened. The grids above are rungs at the level they work at (001:21),
    each with that level's limit, not first responders."""
    r = referral(demo_graph, dispute_id="320509-D900001", as_of=DAY)
    assert steps(r) == [
        (1, "first_responder", "grid", "320509-G0609", "grid-first", 3, date(2021, 12, 23)),
        (
            2,
            "first_responder",
            "grid",
            "320509-G1527",
            "professional-grid-by-field",
            3,
            date(2021, 12, 23),
        ),
        (
            3,
            "responsible_department",
            "county",
            "320509-DEP006",
            "department-lowest-level",
            15,
            date(2022, 1, 11),
        ),
        (4, "higher_grid", "village", "320509-G0607", "part-of-ladder", 7, date(2022, 1, 4)),
        (
            5,
            "mediation_body",
            "village",
            "320509-MO165",
            "mediation-before-litigation",
            7,
            date(2022, 1, 4),
        ),
        (6, "higher_grid", "town", "320509-G0006", "part-of-ladder", 15, date(2022, 1, 25)),
        (
            7,
            "mediation_body",
            "town",
            "320509-MO006",
            "mediation-before-litigation",
            15,
            date(2022, 1, 25),
        ),
        (
            8,
            "pre_court_step",
            "county",
            "320509-DEP006",
            "statutory-pre-court-step",
            45,
            date(2022, 3, 11),
        ),
        (9, "court", "county", "320509-DEP004", "court-last", None, None),
    ]
    inspectors = r.steps[1]
    assert (inspectors.actor.name, [c.post for c in inspectors.contacts]) == (
        "盛泽镇劳动保障监察专业网格4",
        ["inspector", "inspector"],
    )
    assert str(inspectors.path) == (
        "(Dispute 320509-D900001 周某与锦华纺织公司欠薪纠纷)<-[:PARTY_TO]-"
        "(Organisation 320509-O900001 苏州吴江盛泽锦华纺织有限公司)<-[:SUPERVISES]-"
        "(Grid 320509-G1527 盛泽镇劳动保障监察专业网格4)"
    )
    described = referral(
        demo_graph,
        description=DisputeDescription(place="320509-O900001", category="wages"),
        as_of=DAY,
    )
    assert steps(described) == steps(r)
    medical = referral(
        demo_graph,
        description=DisputeDescription(place="320509-O900001", category="medical"),
        as_of=DAY,
    )
    assert [s.actor.key for s in medical.steps if s.part == "first_responder"] == ["320509-G0609"]


def test_four_grid_levels_and_no_village_center_climb_by_the_level_each_works_at(
    demo_graph: EmbeddedBackend,
) -> None:
    """001:21 (苏州: 市、区、镇、村四级管理, 区、镇两级指挥) and 001:22 (四级网格 in places): a
    松陵街道 micro-grid (level 4) climbs to its level-3 grid, then to the village rung, where
    the village's level-2 grid stands with the community's committee (吴江 has no village
    center), then to the town rung with the town's level-1 grid and the town linkage center,
    then the district's command center. The town's grid never comes before the village."""
    e = escalation_path(demo_graph, grid_id="320509-G1224", as_of=DAY)
    assert [
        (
            s.order,
            s.level,
            s.place.key,
            s.rule,
            s.time_limit_days,
            [(b.role, b.node.key) for b in s.bodies],
        )
        for s in e.ladder
    ] == [
        (1, "grid", "320509-G1224", "grid-first", 3, [("grid_team", "320509-G1224")]),
        (2, "grid", "320509-G0016", "part-of-ladder", 3, [("grid_team", "320509-G0016")]),
        (
            3,
            "village",
            "320509001001",
            "part-of-ladder",
            7,
            [
                ("grid_team", "320509-G0015"),
                ("mediation_committee", "320509-MO015"),
                ("party_organisation", "320509-PO0003"),
            ],
        ),
        (
            4,
            "town",
            "320509001000",
            "part-of-ladder",
            15,
            [
                ("grid_team", "320509-G0001"),
                ("center", "320509-C002"),
                ("mediation_committee", "320509-MO001"),
                ("party_organisation", "320509-PO0002"),
            ],
        ),
        (
            5,
            "county",
            "320509000000",
            "escalates-to",
            30,
            [("center", "320509-C001"), ("party_organisation", "320509-PO0001")],
        ),
        (6, "court", "320509000000", "court-last", None, [("court", "320509-DEP004")]),
    ]
    r = referral(
        demo_graph,
        description=DisputeDescription(place="320509-G1224", category="neighbour"),
        as_of=DAY,
    )
    assert steps(r) == [
        (1, "first_responder", "grid", "320509-G1224", "grid-first", 3, date(2021, 12, 23)),
        (2, "higher_grid", "grid", "320509-G0016", "part-of-ladder", 3, date(2021, 12, 28)),
        (
            3,
            "responsible_department",
            "county",
            "320509-DEP003",
            "department-lowest-level",
            15,
            date(2022, 1, 11),
        ),
        (4, "higher_grid", "village", "320509-G0015", "part-of-ladder", 7, date(2022, 1, 7)),
        (
            5,
            "mediation_body",
            "village",
            "320509-MO015",
            "mediation-before-litigation",
            7,
            date(2022, 1, 7),
        ),
        (6, "higher_grid", "town", "320509-G0001", "part-of-ladder", 15, date(2022, 1, 28)),
        (
            7,
            "mediation_body",
            "town",
            "320509-MO001",
            "mediation-before-litigation",
            15,
            date(2022, 1, 28),
        ),
        (8, "court", "county", "320509-DEP004", "court-last", None, None),
    ]


def test_labour_arbitration_comes_before_the_court(demo_graph: EmbeddedBackend) -> None:
    """000:6 (访、调、仲、诉, and the county center's 劳动监察仲裁 window): a wage dispute takes
    the labour steps ([related_domains]), so 劳动人事争议仲裁 (劳动争议调解仲裁法第5条, 45 days)
    stands between mediation and the court, in the referral and on the ladder; a medical
    dispute has no such step."""
    r = referral(demo_graph, dispute_id="320509-D900001", as_of=DAY)
    assert steps(r)[-2:] == [
        (
            8,
            "pre_court_step",
            "county",
            "320509-DEP006",
            "statutory-pre-court-step",
            45,
            date(2022, 3, 11),
        ),
        (9, "court", "county", "320509-DEP004", "court-last", None, None),
    ]
    assert (r.steps[7].actor.name, r.steps[7].reason) == (
        "苏州市吴江区人力资源和社会保障局",
        "a wages dispute goes to 劳动人事争议仲裁 before any suit "
        "(劳动争议调解仲裁法第5条、第43条)",
    )
    e = escalation_path(demo_graph, dispute_id="320509-D900001", as_of=DAY)
    assert [(s.order, s.level, s.place.key, s.rule, s.time_limit_days, s.due) for s in e.ladder][
        -3:
    ] == [
        (4, "county", "320509000000", "escalates-to", 30, date(2022, 3, 11)),
        (5, "pre_court", "320509000000", "statutory-pre-court-step", 45, date(2022, 4, 25)),
        (6, "court", "320509000000", "court-last", None, None),
    ]
    assert [(b.role, b.node.key) for b in e.ladder[4].bodies] == [
        ("pre_court_body", "320509-DEP006")
    ]
    medical = escalation_path(demo_graph, dispute_id="330421-D900001", as_of=DAY)
    assert [s.level for s in medical.ladder] == ["grid", "village", "town", "county", "court"]


def test_expert_pools_are_per_county_and_shared_pools_opt_in(demo_graph: EmbeddedBackend) -> None:
    """000:18: 嘉善's pools (医疗、金融、房地产 and its 三官三师) are its own, and its 33-person
    三地专家库 is shared with the other regions of the 长三角 zone. 景宁 has no pool in the demo
    and is offered none of 嘉善's experts; 吴江, which opts into the tri-region pool in the
    rules, is offered that pool's labour experts and no others, and none at all without shared
    pools; 嘉善 draws on its own pools and the shared one."""
    jingning = expert_pool(demo_graph, domains=("labour",), place="331127001001", as_of=DAY)
    assert (jingning.ranked, jingning.excluded) == ((), ())
    wujiang = expert_pool(
        demo_graph, domains=("labour",), place="320509105000", as_of=DAY, limit=50
    )
    assert sorted(e.expert.key for e in wujiang.ranked) == [
        "330421-P015889",
        *(f"330421-P0{n}" for n in (18324, 18326, 18328, 18331, 18335, 18337, 18338, 18339)),
        "330421-P018341",
    ]
    assert {p.key for e in wujiang.ranked for p in e.pools} == {"330421-EP05"}
    alone = expert_pool(
        demo_graph,
        domains=("labour",),
        place="320509105000",
        as_of=DAY,
        include_shared=False,
    )
    assert (alone.ranked, alone.excluded) == ((), ())
    jiashan = expert_pool(
        demo_graph, domains=("labour",), place="330421111000", as_of=DAY, limit=500
    )
    assert {p.key for e in jiashan.ranked for p in e.pools} == {
        "330421-EP01",
        "330421-EP03",
        "330421-EP05",
    }


DONGYING = (
    "370502000000",
    "370503000000",
    "370505000000",
    "370522000000",
    "370523000000",
    "370571000000",
    "370572000000",
)


def test_dongyings_basic_grids_keep_to_its_household_rule(demo_graph: EmbeddedBackend) -> None:
    """004:13 (东营): 将常住居民300户或1000人左右划分为一个基础网格. research_grid_size, given
    [grid_size], counts each town's basic grids about the rule, above it and below it: no basic
    grid of 东营's 4010 is above it; a district's community grids are about it, its villages'
    mostly smaller. Without the slack, 199 of 东营区's grids would be above it."""
    size = load_rules("370502").grid_size
    rule = {"households": size.households, "residents": size.residents, "slack": size.slack}
    rows = [r for c in DONGYING for r in run(demo_graph, "research_grid_size", county=c, **rule)]
    assert [sum(r[k] for r in rows) for k in ("grids", "unknown", "within", "above", "below")] == [
        4010,
        0,
        1674,
        0,
        2336,
    ]
    dongying_district = run(demo_graph, "research_grid_size", county="370502000000", **rule)
    assert [tuple(r.values()) for r in dongying_district] == [
        ("370502001000", "文汇街道", 50, 0, 49, 0, 1),
        ("370502002000", "黄河路街道", 84, 0, 80, 0, 4),
        ("370502003000", "东城街道", 66, 0, 66, 0, 0),
        ("370502004000", "辛店街道", 100, 0, 88, 0, 12),
        ("370502005000", "胜利街道", 102, 0, 94, 0, 8),
        ("370502006000", "胜园街道", 33, 0, 15, 0, 18),
        ("370502102000", "牛庄镇", 85, 0, 27, 0, 58),
        ("370502103000", "六户镇", 29, 0, 8, 0, 21),
        ("370502104000", "史口镇", 122, 0, 38, 0, 84),
        ("370502105000", "龙居镇", 105, 0, 27, 0, 78),
        ("370502400000", "东营商贸园", 2, 0, 1, 0, 1),
    ]
    strict = run(
        demo_graph, "research_grid_size", county="370502000000", households=300, residents=1000,
        slack=0.0,
    )  # fmt: skip
    assert [sum(r[k] for r in strict) for k in ("grids", "within", "above", "below")] == [
        778,
        7,
        199,
        572,
    ]


def test_jingnings_three_tier_linkage_decides_who_leads(demo_graph: EmbeddedBackend) -> None:
    """003:42 (景宁 三级联动): tier 1, the police, fire and building departments and the town;
    tier 2, the competent department; tier 3, the county's unified command. A land dispute in
    英川镇's 隆川村 at each warning colour; 嘉善 sets no tiers, so its referrals name no lead."""

    def lead(warning: str | None) -> Lead | None:
        described = DisputeDescription(
            place="331127-G0100", category="land", parties=3, warning=warning
        )
        return referral(demo_graph, description=described, as_of=DAY).lead

    town_lead = (
        NodeRef("Center", "331127-C006", "英川镇综合信息指挥室"),
        NodeRef("Department", "331127-DEP011", "景宁畲族自治县公安局"),
        NodeRef("Department", "331127-DEP008", "景宁畲族自治县住房和城乡建设局"),
    )
    assert lead(None) == Lead(
        1,
        town_lead,
        "severity-tier",
        "no warning: tier 1 of the linkage by severity; the town leads with the police, "
        "housing departments",
    )
    assert lead("yellow") == Lead(
        1,
        town_lead,
        "severity-tier",
        "yellow warning: tier 1 of the linkage by severity; the town leads with the police, "
        "housing departments",
    )
    assert lead("orange") == Lead(
        2,
        (NodeRef("Department", "331127-DEP015", "景宁畲族自治县自然资源和规划局"),),
        "severity-tier",
        "orange warning: tier 2 of the linkage by severity; the competent department (主管部门) "
        "leads",
    )
    assert lead("red") == Lead(
        3,
        (NodeRef("Center", "331127-C001", "景宁畲族自治县社会综合服务指挥中心"),),
        "severity-tier",
        "red warning: tier 3 of the linkage by severity; the county's center leads",
    )
    assert referral(demo_graph, dispute_id="330421-D900001", as_of=DAY).lead is None


def test_jingnings_urgent_arrival_is_one_hour_from_the_order(demo_graph: EmbeddedBackend) -> None:
    """seeds/003_e207cda1d8a07614.txt:56 (景宁): 责任乡发生突发事件时,派驻责任人必须在接到指令
    后1个小时内到达现场. An urgent land dispute in 英川镇's 隆川村 reported at 23:30 on a
    Monday: the responsible department is on site by 00:30 the next day (an hour does not wait for a
    working day), a step of its own before its handling days, counted in the county's working
    days. Not urgent, or in 嘉善 (no seed gives it an arrival), there is no such step."""
    at = datetime(2021, 12, 20, 23, 30, tzinfo=CHINA_TIME)
    described = DisputeDescription(
        place="331127-G0100", category="land", parties=3, reported_at=at, urgent=True
    )
    r = referral(demo_graph, description=described, as_of=DAY)
    assert (r.reported_on, r.reported_at, r.urgent) == (DAY, at, True)
    days = "working_days"
    assert [
        (s.order, s.part, s.actor.key, s.rule, s.limit, s.due, s.due_at) for s in r.steps
    ] == [
        (1, "first_responder", "331127-G0100", "grid-first", Limit(amount=3, unit=days),
         date(2021, 12, 23), None),
        (2, "urgent_arrival", "331127-DEP015", "urgent-arrival", Limit(amount=1, unit="hours"),
         None, datetime(2021, 12, 21, 0, 30, tzinfo=CHINA_TIME)),
        (3, "responsible_department", "331127-DEP015", "department-lowest-level",
         Limit(amount=15, unit=days), date(2022, 1, 11), None),
        (4, "mediation_body", "331127-MO065", "mediation-before-litigation",
         Limit(amount=7, unit=days), date(2022, 1, 4), None),
        (5, "mediation_body", "331127-MO005", "mediation-before-litigation",
         Limit(amount=15, unit=days), date(2022, 1, 25), None),
        (6, "court", "331127-DEP004", "court-last", None, None, None),
    ]  # fmt: skip
    assert r.steps[1].reason == (
        "an urgent matter (突发事件): the natural_resources department's responsible person is "
        "on site within 1 hour of the order"
    )
    assert r.steps[1].contacts == r.steps[2].contacts  # the same department, the same people
    # a stored dispute's report is known by its day: an hour limit has no due instant there
    day_only = referral(demo_graph, description=replace(described, reported_at=None), as_of=DAY)
    assert [(s.part, s.due, s.due_at) for s in day_only.steps[1:3]] == [
        ("urgent_arrival", None, None),
        ("responsible_department", date(2022, 1, 11), None),
    ]
    # 嘉善's rules set no arrival: an urgent matter there has no such step
    jiashan = DisputeDescription(place="330421-G0332", category="medical", urgent=True)
    assert "urgent_arrival" not in {
        s.part for s in referral(demo_graph, description=jiashan, as_of=DAY).steps
    }
    calm = referral(demo_graph, description=replace(described, urgent=False), as_of=DAY)
    assert [s for s in calm.steps if s.part == "urgent_arrival"] == []
    assert [(s.limit, s.due, s.due_at) for s in calm.steps] == [
        (s.limit, s.due, s.due_at) for s in r.steps if s.part != "urgent_arrival"
    ]
