"""The headline queries as GraphQL fields (`referral`, `expertPool`, `escalationPath`) on the
demo graph: the planted scenario whole, masking by role, the caller's mistakes and the rest."""

import asyncio
import json
import re
import threading
from collections import Counter
from contextlib import asynccontextmanager

import httpx
import pytest

from api.app import create_app
from api.auth import ANONYMOUS, Caller, Role, create_token
from api.graphql.context import Context
from api.graphql.headline import BodyRole, ReferralPart
from api.graphql.schema import build_schema
from api.settings import Settings
from graph.masking import WITHHELD, mask_mobile, mask_name
from queries.referral import PARTS
from queries.rules import RulesError

pytestmark = pytest.mark.slow

ADMIN = Caller(Role.ADMIN)
JIASHAN = Caller(Role.MEDIATOR, "330421")
JINGNING = Caller(Role.MEDIATOR, "331127")
YAOZHUANG = Caller(Role.MEDIATOR, "330421111")  # 姚庄镇, the town of the planted dispute

MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")


@pytest.fixture(scope="module")
def schema():
    return build_schema(Settings(_env_file=None))


class Recording:
    """The demo graph, recording the thread of every read made through it."""

    def __init__(self, inner):
        self.inner, self.threads = inner, []

    def read(self, query, params=None):
        self.threads.append(threading.get_ident())
        return self.inner.read(query, params)


class Failing:
    def __init__(self, error):
        self.error = error

    def read(self, query, params=None):
        raise self.error


@pytest.fixture
def run(schema, demo_graph):
    def execute(query, caller=ANONYMOUS, backend=None, **variables):
        context = Context(backend or demo_graph, caller)
        return asyncio.run(schema.execute(query, variable_values=variables, context_value=context))

    return execute


@pytest.fixture
def data(run):
    def execute(query, caller=ANONYMOUS, **variables):
        result = run(query, caller, **variables)
        assert result.errors is None, result.errors
        return result.data

    return execute


@pytest.fixture
def errors(run):
    def execute(query, caller=ANONYMOUS, backend=None, **variables):
        result = run(query, caller, backend, **variables)
        return result.data, [(e.message, e.path, e.extensions) for e in result.errors or []]

    return execute


# -- the planted scenario, whole ----------------------------------------------------------------

REFERRAL = """query ($id: ID!) { referral(disputeId: $id, asOf: "2021-12-20") {
    dispute { label key name } grid { label key name } category { key name }
    listItem { key name } parties warning group reportedOn asOf
    steps { order part level actor { key } rule timeLimitDays due } } }"""


def test_the_referral_of_the_planted_dispute_step_by_step(data):
    answer = data(REFERRAL, ADMIN, id="330421-D900001")["referral"]
    steps = [
        (s["order"], s["part"], s["level"], s["actor"]["key"], s["rule"], s["timeLimitDays"],
         s["due"])
        for s in answer.pop("steps")
    ]  # fmt: skip
    assert answer == {
        "dispute": {"label": "Dispute", "key": "330421-D900001", "name": "陆某医疗损害赔偿纠纷"},
        "grid": {"label": "Grid", "key": "330421-G0332", "name": "武长村第1网格"},
        "category": {"key": "medical", "name": "医疗纠纷"},
        "listItem": {"key": "L1-019", "name": "医疗纠纷调解"},
        "parties": 2,
        "warning": None,
        "group": False,
        "reportedOn": "2021-12-20",
        "asOf": "2021-12-20",
    }
    assert steps == [
        (1, "FIRST_RESPONDER", "grid", "330421-G0332", "grid-first", 3, "2021-12-23"),
        (2, "RESPONSIBLE_DEPARTMENT", "county", "330421-DEP007", "department-lowest-level", 15,
         "2022-01-11"),
        (3, "MEDIATION_BODY", "village", "330421-MO147", "mediation-before-litigation", 7,
         "2022-01-04"),
        (4, "MEDIATION_BODY", "town", "330421-MO008", "mediation-before-litigation", 15,
         "2022-01-25"),
        (5, "MEDIATION_BODY", "county", "330421-MO184", "mediation-before-litigation", 30,
         "2022-03-11"),
        (6, "COURT", "county", "330421-DEP004", "court-last", None, None),
    ]  # fmt: skip


STEP = """query ($id: ID!) { referral(disputeId: $id, asOf: "2021-12-20") { steps {
    order part level actor { label key name }
    contacts { person { label key name } post mobile since until }
    timeLimitDays due rule reason
    path { nodes { label key name } rels { type forward detail } text } } } }"""

HEALTH_BUREAU = {"label": "Department", "key": "330421-DEP007", "name": "嘉善县卫生健康局"}


def _department_step(dispute_title, name, mobile):
    dispute = {"label": "Dispute", "key": "330421-D900001", "name": dispute_title}
    item = {"label": "ListItem", "key": "L1-019", "name": "医疗纠纷调解"}
    return {
        "order": 2,
        "part": "RESPONSIBLE_DEPARTMENT",
        "level": "county",
        "actor": HEALTH_BUREAU,
        "contacts": [
            {
                "person": {"label": "Person", "key": "330421-P000007", "name": name},
                "post": "局长",
                "mobile": mobile,
                "since": "2015-01-20",
                "until": None,
            }
        ],
        "timeLimitDays": 15,
        "due": "2022-01-11",
        "rule": "department-lowest-level",
        "reason": "L1-019 医疗纠纷调解 names the health department; it is taken at the lowest "
        "level present (the county)",
        "path": {
            "nodes": [dispute, item, HEALTH_BUREAU],
            "rels": [
                {"type": "CLASSIFIED_AS", "forward": True, "detail": ""},
                {"type": "RESPONSIBLE_FOR", "forward": False, "detail": ""},
            ],
            "text": f"(Dispute 330421-D900001 {dispute_title})-[:CLASSIFIED_AS]->"
            "(ListItem L1-019 医疗纠纷调解)<-[:RESPONSIBLE_FOR]-"
            "(Department 330421-DEP007 嘉善县卫生健康局)",
        },
    }


def test_a_referral_step_with_its_contacts_and_path_as_an_admin_and_as_a_viewer(data):
    admin = data(STEP, ADMIN, id="330421-D900001")["referral"]["steps"][1]
    viewer = data(STEP, ANONYMOUS, id="330421-D900001")["referral"]["steps"][1]
    assert admin == _department_step("陆某医疗损害赔偿纠纷", "钱秀芳", "13499368836")
    assert viewer == _department_step(WITHHELD, "钱某", "134****8836")


def test_a_referral_says_what_is_missing_and_who_leads_at_its_severity(data):
    query = """{ a: referral(description: {place: "331127-G0100", category: "land", parties: 3,
        warning: RED}, asOf: "2021-12-20") { missing { what } lead { tier actors { key } rule } }
      b: referral(disputeId: "330421-D900001", asOf: "2021-12-20") { missing { what } lead {
        tier } } }"""
    answer = data(query)
    assert answer == {
        "a": {
            "missing": [],
            "lead": {"tier": 3, "actors": [{"key": "331127-C001"}], "rule": "severity-tier"},
        },
        "b": {"missing": [], "lead": None},  # 嘉善's rules grade no severity
    }


def test_an_urgent_referral_in_jingning_has_its_one_hour_arrival_as_a_limit_in_hours(data):
    """seeds/003_e207cda1d8a07614.txt:56 (景宁): 派驻责任人必须在接到指令后1个小时内到达现场. The
    arrival is a limit of 1 HOURS due at an instant (23:30 + 1 h, China time, a naive reportedAt
    read as China time); the day limits keep their days and due days."""
    query = """{ referral(description: {place: "331127-G0100", category: "land", parties: 3,
        urgent: true, reportedAt: "2021-12-20T23:30:00"}, asOf: "2021-12-20") {
        reportedOn reportedAt urgent
        steps { part actor { key } limit { amount unit } timeLimitDays due dueAt rule } } }"""
    answer = data(query)["referral"]
    days = {"amount": 15, "unit": "WORKING_DAYS"}
    assert answer["steps"][1:3] == [
        {"part": "URGENT_ARRIVAL", "actor": {"key": "331127-DEP015"},
         "limit": {"amount": 1, "unit": "HOURS"}, "timeLimitDays": None, "due": None,
         "dueAt": "2021-12-21T00:30:00+08:00", "rule": "urgent-arrival"},
        {"part": "RESPONSIBLE_DEPARTMENT", "actor": {"key": "331127-DEP015"}, "limit": days,
         "timeLimitDays": 15, "due": "2022-01-11", "dueAt": None,
         "rule": "department-lowest-level"},
    ]  # fmt: skip
    assert (answer["reportedOn"], answer["reportedAt"], answer["urgent"]) == (
        "2021-12-20",
        "2021-12-20T23:30:00+08:00",
        True,
    )
    assert answer["steps"][0]["limit"] == {"amount": 3, "unit": "WORKING_DAYS"}
    assert answer["steps"][0]["due"] == "2021-12-23"


def test_a_described_dispute_at_a_factory_in_its_dedicated_grid(data):
    query = """{ referral(description: {place: "330421-O013", category: "wages", parties: 3,
        reportedOn: "2021-12-01"}, asOf: "2021-12-01") {
        dispute { key } grid { key name } listItem { key } warning group
        steps { order part actor { key } due path { text } } } }"""
    answer = data(query)["referral"]
    steps = answer.pop("steps")
    assert answer == {
        "dispute": None,
        "grid": {"key": "330421-G0435", "name": "嘉善群英服饰有限公司专属网格"},
        "listItem": {"key": "L1-011"},
        "warning": None,
        "group": False,
    }
    assert [(s["order"], s["part"], s["actor"]["key"], s["due"]) for s in steps] == [
        (1, "FIRST_RESPONDER", "330421-G0435", "2021-12-06"),
        (2, "RESPONSIBLE_DEPARTMENT", "330421-DEP006", "2021-12-22"),
        (3, "MEDIATION_BODY", "330421-MO032", "2021-12-15"),
        (4, "MEDIATION_BODY", "330421-MO001", "2022-01-06"),
        (5, "MEDIATION_BODY", "330421-MO188", "2022-02-22"),
        # 000:6: labour arbitration (at the human-resources bureau) before the court
        (6, "PRE_COURT_STEP", "330421-DEP006", "2022-04-08"),
        (7, "COURT", "330421-DEP004", None),
    ]
    assert steps[0]["path"]["text"] == (
        "(Organisation 330421-O013 嘉善群英服饰有限公司)-[:LOCATED_IN]->"
        "(Grid 330421-G0435 嘉善群英服饰有限公司专属网格)"
    )


EXPERTS = """query ($id: ID!) { expertPool(disputeId: $id, asOf: "2021-12-20", limit: 3) {
    domains place { label key name } dispute { key } asOf
    ranked { rank expert { key name } score domains pools { key } rule
      parts { name value weight detail } contact { post mobile since until } path { text } }
    excluded { expert { key name } rule reason
      path { nodes { label key name } rels { type forward detail } text } } } }"""

SISTER_IN_LAW = "330421-P900001"


def _sister_in_law(name, party, title):
    expert = {"label": "Person", "key": SISTER_IN_LAW, "name": name}
    return {
        "expert": {"key": SISTER_IN_LAW, "name": name},
        "rule": "conflict-of-interest",
        "reason": "330421-P900001 is tied to 330421-P900002, a party to 330421-D900001, "
        "within 1 of 3 hops",
        "path": {
            "nodes": [
                expert,
                {"label": "Person", "key": "330421-P900002", "name": party},
                {"label": "Dispute", "key": "330421-D900001", "name": title},
            ],
            "rels": [
                {"type": "RELATED_TO", "forward": True, "detail": "family 嫂子"},
                {"type": "PARTY_TO", "forward": True, "detail": "applicant"},
            ],
            "text": f"(Person 330421-P900001 {name})-[:RELATED_TO family 嫂子]->"
            f"(Person 330421-P900002 {party})-[:PARTY_TO applicant]->"
            f"(Dispute 330421-D900001 {title})",
        },
    }


def test_the_expert_pool_excludes_the_sister_in_law_with_the_rule_and_the_path(data):
    answer = data(EXPERTS, ADMIN, id="330421-D900001")["expertPool"]
    ranked, excluded = answer.pop("ranked"), answer.pop("excluded")
    assert answer == {
        "domains": ["medical"],
        "place": {"label": "Grid", "key": "330421-G0332", "name": "武长村第1网格"},
        "dispute": {"key": "330421-D900001"},
        "asOf": "2021-12-20",
    }
    assert [(e["rank"], e["expert"]["key"], e["score"]) for e in ranked] == [
        (1, "330421-P017415", 0.96),
        (2, "330421-P017420", 0.96),
        (3, "330421-P017424", 0.96),
    ]
    assert ranked[0] == {
        "rank": 1,
        "expert": {"key": "330421-P017415", "name": "张丹瑜"},
        "score": 0.96,
        "domains": ["medical"],
        "pools": [{"key": "330421-EP01"}],
        "rule": "expert-score",
        "parts": [
            {"name": "domain", "value": 1.0, "weight": 0.4, "detail": "medical of medical"},
            {"name": "locality", "value": 1.0, "weight": 0.25, "detail": "same town 330421111000"},
            {"name": "load", "value": 1.0, "weight": 0.15, "detail": "0 open disputes"},
            {"name": "rating", "value": 0.6, "weight": 0.1, "detail": "not rated yet"},
            {"name": "availability", "value": 1.0, "weight": 0.1,
             "detail": "in 330421-EP01 on the date"},
        ],
        "contact": {"post": "医师", "mobile": "13586714496", "since": "2020-06-22", "until": None},
        "path": {
            "text": "(Domain medical 医疗纠纷)<-[:HAS_EXPERTISE]-(Person 330421-P017415 张丹瑜)"
            "-[:IN_POOL]->(ExpertPool 330421-EP01 嘉善县“三官三师”专业人才库)"
        },
    }  # fmt: skip
    assert [x for x in excluded if x["expert"]["key"] == SISTER_IN_LAW] == [
        _sister_in_law("沈丽华", "陆建国", "陆某医疗损害赔偿纠纷")
    ]
    assert SISTER_IN_LAW not in {e["expert"]["key"] for e in ranked}
    # The 69 staff of the respondent hospital and the sister-in-law at one hop, her 63
    # colleagues at three (family, then the same employer).
    assert Counter((x["rule"], len(x["path"]["rels"]) - 1) for x in excluded) == {
        ("conflict-of-interest", 1): 70,
        ("conflict-of-interest", 3): 63,
    }


def test_a_viewer_sees_the_exclusion_with_names_masked_and_the_title_withheld(data):
    excluded = data(EXPERTS, ANONYMOUS, id="330421-D900001")["expertPool"]["excluded"]
    assert [x for x in excluded if x["expert"]["key"] == SISTER_IN_LAW] == [
        _sister_in_law("沈某", "陆某", WITHHELD)
    ]


LADDER = """query ($id: ID!) { escalationPath(gridId: $id, asOf: "2021-12-31") {
    grid { key name } dispute { key } asOf
    ladder { order level place { key } rule timeLimitDays due
      bodies { role node { key } holders { post person { key } } } }
    partyLine { order org { key } kind level rule leaders { post person { key } } } } }"""


def test_the_escalation_path_of_a_jiashan_micro_grid(data):
    answer = data(LADDER, id="330421-M08315")["escalationPath"]
    ladder, line = answer.pop("ladder"), answer.pop("partyLine")
    assert answer == {
        "grid": {"key": "330421-M08315", "name": "武长村第1网格第1微网格"},
        "dispute": None,
        "asOf": "2021-12-31",
    }
    county = (
        ("CENTER", "330421-C001"),
        *(("STATIONED_DEPARTMENT", f"330421-DEP{i:03d}") for i in range(1, 21)),
        ("PARTY_ORGANISATION", "330421-PO0001"),
    )
    assert [
        (s["order"], s["level"], s["place"]["key"], s["rule"], s["timeLimitDays"], s["due"],
         tuple((b["role"], b["node"]["key"]) for b in s["bodies"]))
        for s in ladder
    ] == [
        (1, "grid", "330421-M08315", "grid-first", 3, None, (("GRID_TEAM", "330421-M08315"),)),
        (2, "grid", "330421-G0332", "part-of-ladder", 3, None, (("GRID_TEAM", "330421-G0332"),)),
        (3, "village", "330421111206", "part-of-ladder", 7, None,
         (("CENTER", "330421-C131"), ("MEDIATION_COMMITTEE", "330421-MO147"),
          ("PARTY_ORGANISATION", "330421-PO0147"))),
        (4, "town", "330421111000", "escalates-to", 15, None,
         (("CENTER", "330421-C009"),
          *(("STATIONED_DEPARTMENT", f"330421-DEP0{i}") for i in range(49, 53)),
          ("MEDIATION_COMMITTEE", "330421-MO008"), ("PARTY_ORGANISATION", "330421-PO0133"))),
        (5, "county", "330421000000", "escalates-to", 30, None, county),
        (6, "court", "330421000000", "court-last", None, None, (("COURT", "330421-DEP004"),)),
    ]  # fmt: skip
    assert [(h["post"], h["person"]["key"]) for h in ladder[0]["bodies"][0]["holders"]] == [
        ("coordinator", "330421-P011773"),
        ("assessor", "330421-P011774"),
    ]
    assert [
        (p["order"], p["org"]["key"], p["kind"], p["level"], p["rule"],
         tuple((c["post"], c["person"]["key"]) for c in p["leaders"]))
        for p in line
    ] == [
        (1, "330421-PO0559", "branch", "grid", "branch-on-grid", (("书记", "330421-P021282"),)),
        (2, "330421-PO0147", "general_branch", "village", "party-line",
         (("书记", "330421-P019312"),)),
        (3, "330421-PO0133", "committee", "town", "party-line", (("书记", "330421-P019225"),)),
        (4, "330421-PO0001", "committee", "county", "party-line", (("书记", "330421-P018404"),)),
    ]  # fmt: skip


def test_a_disputes_ladder_runs_its_due_days_from_the_report_day(data):
    query = """{ escalationPath(disputeId: "330421-D900001", asOf: "2021-12-20") {
        grid { key } dispute { key name } ladder { level timeLimitDays due } } }"""
    assert data(query)["escalationPath"] == {
        "grid": {"key": "330421-G0332"},
        "dispute": {"key": "330421-D900001", "name": WITHHELD},
        "ladder": [
            {"level": "grid", "timeLimitDays": 3, "due": "2021-12-23"},
            {"level": "village", "timeLimitDays": 7, "due": "2022-01-04"},
            {"level": "town", "timeLimitDays": 15, "due": "2022-01-25"},
            {"level": "county", "timeLimitDays": 30, "due": "2022-03-11"},
            {"level": "court", "timeLimitDays": None, "due": None},
        ],
    }


def test_the_enums_hold_the_query_librarys_values():
    assert tuple(p.value for p in ReferralPart) == PARTS
    assert {r.value for r in BodyRole} == {
        "grid_team", "liaison_body", "center", "stationed_department", "mediation_committee",
        "party_organisation", "pre_court_body", "court",
    }  # fmt: skip


# -- personal data by role ------------------------------------------------------------------------

PERSON = "{ label key name }"
CONTACT = "{ person " + PERSON + " post mobile }"
PATH = "{ nodes " + PERSON + " }"
EVERYTHING = (
    """{ referral(disputeId: "330421-D900001", asOf: "2021-12-20") {
        dispute PERSON steps { actor PERSON contacts CONTACT path PATH } }
    expertPool(disputeId: "330421-D900001", asOf: "2021-12-20", limit: 5) {
        dispute PERSON ranked { expert PERSON contact CONTACT path PATH }
        excluded { expert PERSON path PATH } }
    escalationPath(disputeId: "330421-D900001", asOf: "2021-12-20") {
        dispute PERSON ladder { bodies { holders CONTACT path PATH } }
        partyLine { leaders CONTACT path PATH } } }""".replace("PERSON", PERSON)
    .replace("CONTACT", CONTACT)
    .replace("PATH", PATH)
)


def masked(answer):
    """The answer with every person's name and mobile masked and every dispute withheld."""
    if isinstance(answer, list):
        return [masked(x) for x in answer]
    if not isinstance(answer, dict):
        return answer
    out = {k: masked(v) for k, v in answer.items()}
    if out.get("label") == "Person":
        out["name"] = mask_name(out["name"])
    if out.get("label") == "Dispute":
        out["name"] = WITHHELD
    if "mobile" in out and out["mobile"] is not None:
        out["mobile"] = mask_mobile(out["mobile"])
    return out


def assert_nothing_personal(answer):
    text = json.dumps(answer, ensure_ascii=False)
    assert not MOBILE.search(text), MOBILE.search(text)
    assert not ID_NUMBER.search(text), ID_NUMBER.search(text)


@pytest.fixture(scope="module")
def everything(schema, demo_graph):
    """The three answers, with every name and mobile, for each caller."""
    found = {}
    for name, caller in [("admin", ADMIN), ("viewer", ANONYMOUS), ("researcher",
                         Caller(Role.RESEARCHER)), ("jiashan", JIASHAN), ("jingning", JINGNING),
                         ("yaozhuang", YAOZHUANG)]:  # fmt: skip
        result = asyncio.run(schema.execute(EVERYTHING, context_value=Context(demo_graph, caller)))
        assert result.errors is None, result.errors
        found[name] = result.data
    return found


def test_an_admin_sees_everything_raw(everything):
    admin = everything["admin"]
    assert admin["referral"]["dispute"]["name"] == "陆某医疗损害赔偿纠纷"
    assert admin["referral"]["steps"][1]["contacts"] == [
        {
            "person": {"label": "Person", "key": "330421-P000007", "name": "钱秀芳"},
            "post": "局长",
            "mobile": "13499368836",
        }
    ]
    assert MOBILE.search(json.dumps(admin))


@pytest.mark.parametrize("who", ["viewer", "researcher", "jingning"])
def test_those_outside_see_every_name_mobile_and_title_masked(everything, who):
    """A viewer, a researcher, and a mediator of 景宁 (331127): nothing of 嘉善 is theirs."""
    assert everything[who] == masked(everything["admin"])
    assert_nothing_personal(everything[who])


def test_a_mediator_of_jiashan_sees_what_lies_in_jiashan_raw(everything):
    """The dispute occurred in 嘉善's grid, and every person named lives or serves there."""
    assert everything["jiashan"] == everything["admin"]


def test_a_town_mediator_sees_raw_only_who_lives_or_serves_in_the_town(everything):
    """姚庄镇 (330421111): the dispute (its grid is in the town), the grid team and the village
    and town committees in full; the county bureau chief, the county committee and the court
    president, who live elsewhere, masked."""
    steps = everything["yaozhuang"]["referral"]["steps"]
    assert everything["yaozhuang"]["referral"]["dispute"]["name"] == "陆某医疗损害赔偿纠纷"
    assert [[(c["person"]["name"], c["mobile"]) for c in s["contacts"]] for s in steps] == [
        [("沈洋", "13735575788"), ("郜淑英", "13090246848"), ("巴红霞", "13265480465"),
         ("张春梅", "15783501895")],
        [("钱某", "134****8836")],
        [("张畅", "13389084780"), ("胡云云", "15951801175")],
        [("李晶", "18190663807"), ("李荣玉", "13944038431"), ("刘淑兰", "15791542706"),
         ("朱岩", "18990605916")],
        [("祝某", "152****0721"), ("洪某", "132****7686"), ("钱某", "180****2988"),
         ("吴某", "135****4594"), ("许某", "147****6339"), ("姚某", "157****1532")],
        [("姚某", "187****8851")],
    ]  # fmt: skip


# -- the caller's mistakes, and everything else ---------------------------------------------------


def _bad(message, path, argument):
    return (message, [path], {"code": "BAD_USER_INPUT", "argument": argument})


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            '{ referral(disputeId: "330421-D999999") { grid { key } } }',
            _bad("disputeId: no dispute with id '330421-D999999'", "referral", "disputeId"),
        ),
        (
            "{ referral { grid { key } } }",
            _bad(
                "disputeId: give exactly one of disputeId or description (a dispute in the "
                "graph, or the description of one that is not)",
                "referral",
                "disputeId",
            ),
        ),
        (
            '{ referral(description: {place: "x", category: "land"}) { grid { key } } }',
            _bad(
                "description: no grid, unit or organisation with key 'x' (give a grid id, a "
                "village or community code, or an organisation's id)",
                "referral",
                "description",
            ),
        ),
        (
            '{ referral(description: {place: "330421-G0332"}) { grid { key } } }',
            _bad(
                "description: give a category (a domain code such as wages or medical) or a "
                "listItem (a responsibility-list item id such as L1-011)",
                "referral",
                "description",
            ),
        ),
        (
            '{ referral(description: {place: "330421111000", category: "land"}) '
            "{ grid { key } } }",
            _bad(
                "description: the unit '330421111000' (姚庄镇, town) has no grid directly in it "
                "or around it; describe the place by a grid id, a village or community code, "
                "or an organisation located in a grid",
                "referral",
                "description",
            ),
        ),
        (
            '{ expertPool(domains: ["astrology"]) { asOf } }',
            _bad(
                "domains: there is no Domain with code 'astrology'; list them with "
                "domains { items { code name } }",
                "expertPool",
                "domains",
            ),
        ),
        (
            "{ expertPool { asOf } }",
            _bad(
                'domains: give domains (e.g. ["medical"]) or a disputeId whose category gives '
                'them (e.g. "330421-D900001")',
                "expertPool",
                "domains",
            ),
        ),
        (
            '{ expertPool(domains: ["medical"], limit: 51) { asOf } }',
            _bad("limit: 51 is outside 1..50; ask for at most 50 experts", "expertPool", "limit"),
        ),
        (
            '{ expertPool(domains: ["medical"], place: "nowhere") { asOf } }',
            _bad(
                "place: no grid or unit with key 'nowhere' (give a grid id or a unit code)",
                "expertPool",
                "place",
            ),
        ),
        (
            '{ expertPool(disputeId: "nope", place: "330421111000") { asOf } }',
            _bad("disputeId: no dispute with id 'nope'", "expertPool", "disputeId"),
        ),
        (
            '{ escalationPath(gridId: "330421-G9999") { asOf } }',
            _bad("gridId: no grid with id '330421-G9999'", "escalationPath", "gridId"),
        ),
        (
            '{ escalationPath(gridId: "330421-G0001", disputeId: "330421-D900001") { asOf } }',
            _bad(
                "gridId: give exactly one of gridId or disputeId (a dispute's ladder starts at "
                "the grid it occurred in)",
                "escalationPath",
                "gridId",
            ),
        ),
        (
            '{ referral(description: {place: "330421-G0332", category: "land", '
            'reportedOn: "9999-12-30"}) { grid { key } } }',
            _bad(
                "asOf: a due day would fall after 9999-12-31; give asOf (and a description's "
                "reportedOn) in this era",
                "referral",
                "asOf",
            ),
        ),
    ],
    ids=[
        "unknown-dispute", "no-dispute-nor-description", "unknown-place", "no-category",
        "town-without-grid", "unknown-domain", "no-domains", "limit-over-50",
        "unknown-expert-place", "unknown-dispute-with-place", "unknown-grid",
        "grid-and-dispute", "date-past-9999",
    ],
)  # fmt: skip
def test_the_callers_mistakes_say_what_to_change(errors, query, expected):
    field = expected[1][0]
    assert errors(query) == ({field: None}, [expected])


def test_an_unknown_id_leaves_the_rest_of_the_query_answered(errors):
    query = """{ escalationPath(gridId: "330421-G9999") { asOf }
        grid(id: "330421-G0332") { name } }"""
    assert errors(query) == (
        {"escalationPath": None, "grid": {"name": "武长村第1网格"}},
        [_bad("gridId: no grid with id '330421-G9999'", "escalationPath", "gridId")],
    )


@pytest.mark.parametrize(
    "error",
    [RuntimeError("the store fell over"), RulesError("invalid rules (defaults): …")],
    ids=["a failure", "the server's rules file"],
)
def test_anything_else_is_masked(errors, error):
    query = '{ referral(disputeId: "330421-D900001") { grid { key } } }'
    assert errors(query, backend=Failing(error)) == (
        {"referral": None},
        [("Unexpected error.", ["referral"], {"code": "INTERNAL_SERVER_ERROR"})],
    )


def test_the_query_functions_and_the_jurisdiction_check_run_off_the_event_loop(run, demo_graph):
    graph = Recording(demo_graph)
    query = '{ referral(disputeId: "330421-D900001") { steps { contacts { mobile } } } }'
    result = run(query, JIASHAN, backend=graph)
    assert result.errors is None
    assert len(graph.threads) >= 5  # four named queries, and the jurisdiction check
    assert threading.get_ident() not in graph.threads


# -- over HTTP ------------------------------------------------------------------------------------


@asynccontextmanager
async def serving(app):
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


def test_a_headline_query_over_http_with_a_mediators_token(tmp_path, demo_graph):
    settings = Settings(_env_file=None, tokens=str(tmp_path / "tokens.json"))
    token = create_token(settings.tokens, "mediator", "331127")
    query = """{ escalationPath(gridId: "330421-M08315", asOf: "2021-12-31") {
        ladder { order level place { key }
          bodies { role holders { person { name } mobile } } } } }"""

    async def ask():
        async with serving(create_app(settings, backend=demo_graph)) as client:
            return await client.post(
                "/graphql",
                json={"query": query},
                headers={"Authorization": f"Bearer {token}"},
            )

    response = asyncio.run(ask())
    assert response.status_code == 200
    ladder = response.json()["data"]["escalationPath"]["ladder"]
    assert [(s["order"], s["level"], s["place"]["key"]) for s in ladder] == [
        (1, "grid", "330421-M08315"),
        (2, "grid", "330421-G0332"),
        (3, "village", "330421111206"),
        (4, "town", "330421111000"),
        (5, "county", "330421000000"),
        (6, "court", "330421000000"),
    ]
    assert ladder[0]["bodies"] == [
        {
            "role": "GRID_TEAM",
            "holders": [
                {"person": {"name": "李某"}, "mobile": "131****8778"},
                {"person": {"name": "张某"}, "mobile": "136****5711"},
            ],
        }
    ]
    assert_nothing_personal(response.json())
