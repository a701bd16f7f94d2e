"""Lookups, relationships, filters, sorting and pages, run in-process on the demo graph."""

import asyncio

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.pagination import Listing
from api.graphql.schema import build_schema
from api.graphql.within import start_within, within
from api.settings import Settings
from graph.schema import SCHEMA

pytestmark = pytest.mark.slow

ADMIN = Caller(Role.ADMIN)


@pytest.fixture(scope="module")
def schema():
    return build_schema(Settings(_env_file=None))


class Counting:
    """The demo graph, counting the reads made through it."""

    def __init__(self, inner):
        self.inner, self.reads = inner, []

    def read(self, query, params=None):
        self.reads.append(query)
        return self.inner.read(query, params)


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
    def execute(query, caller=ANONYMOUS, **variables):
        result = run(query, caller, **variables)
        return [(e.message, e.path, e.extensions) for e in result.errors or []]

    return execute


# -- lookups and relationships --------------------------------------------------------------


def test_a_grid_by_id_with_its_unit_and_its_team_past_and_present(data):
    query = """{ grid(id: "330421-G0096") {
        id name level kind gridClass households population urban location source
        unit { code name level parent { code name } }
        parent { id }
        team { role validFrom validTo person { id name } } } }"""
    assert data(query, ADMIN) == {
        "grid": {
            "id": "330421-G0096",
            "name": "新联社区第1网格",
            "level": 1,
            "kind": "BASIC",
            "gridClass": 2,
            "households": 419,
            "population": 1089,
            "urban": True,
            "location": None,
            "source": "demo:330421",
            "unit": {
                "code": "330421002012",
                "name": "新联社区",
                "level": "VILLAGE",
                "parent": {"code": "330421002000", "name": "罗星街道"},
            },
            "parent": None,
            "team": [
                {
                    "role": "HEAD",
                    "validFrom": "2020-08-14",
                    "validTo": "2021-04-08",
                    "person": {"id": "330421-P000537", "name": "陆敏慧"},
                },
                {
                    "role": "HEAD",
                    "validFrom": "2021-04-09",
                    "validTo": None,
                    "person": {"id": "330421-P000546", "name": "林阳磊"},
                },
                {
                    "role": "INSTRUCTOR",
                    "validFrom": "2020-08-14",
                    "validTo": None,
                    "person": {"id": "330421-P000538", "name": "明玲"},
                },
                {
                    "role": "FULL_TIME",
                    "validFrom": "2020-10-02",
                    "validTo": None,
                    "person": {"id": "330421-P000539", "name": "李宇"},
                },
                {
                    "role": "PART_TIME",
                    "validFrom": "2020-09-13",
                    "validTo": None,
                    "person": {"id": "330421-P000540", "name": "张鹏鑫"},
                },
            ],
        }
    }


def test_team_as_of_a_day_is_who_held_the_posts_that_day(data):
    query = """{
        before: grid(id: "330421-G0096") { team(asOf: "2021-04-08") { role person { id } } }
        after: grid(id: "330421-G0096") { team(asOf: "2021-04-09") { role person { id } } } }"""
    others = [
        {"role": "INSTRUCTOR", "person": {"id": "330421-P000538"}},
        {"role": "FULL_TIME", "person": {"id": "330421-P000539"}},
        {"role": "PART_TIME", "person": {"id": "330421-P000540"}},
    ]
    assert data(query) == {
        "before": {"team": [{"role": "HEAD", "person": {"id": "330421-P000537"}}, *others]},
        "after": {"team": [{"role": "HEAD", "person": {"id": "330421-P000546"}}, *others]},
    }


def test_a_person_knows_their_posts_from_the_other_end(data):
    query = """{ person(id: "330421-P000546") {
        gridPosts { role validFrom validTo grid { id } }
        now: gridPosts(asOf: "2021-06-01") { grid { id } }
        home { code } } }"""
    assert data(query) == {
        "person": {
            "gridPosts": [
                {
                    "role": "HEAD",
                    "validFrom": "2018-10-02",
                    "validTo": "2021-04-08",
                    "grid": {"id": "330421-G0098"},
                },
                {
                    "role": "HEAD",
                    "validFrom": "2021-04-09",
                    "validTo": None,
                    "grid": {"id": "330421-G0096"},
                },
            ],
            "now": [{"grid": {"id": "330421-G0096"}}],
            "home": {"code": "330421002012"},
        }
    }


def test_a_unit_by_code_with_its_parent_and_children(data):
    query = """{ unit(code: "330421000000") {
        code name level kind parent { code name } children { code name } } }"""
    towns = [
        ("330421001000", "魏塘街道"),
        ("330421002000", "罗星街道"),
        ("330421003000", "惠民街道"),
        ("330421102000", "大云镇"),
        ("330421103000", "西塘镇"),
        ("330421105000", "干窑镇"),
        ("330421107000", "陶庄镇"),
        ("330421111000", "姚庄镇"),
        ("330421112000", "天凝镇"),
    ]
    assert data(query) == {
        "unit": {
            "code": "330421000000",
            "name": "嘉善县",
            "level": "COUNTY",
            "kind": "county",
            "parent": {"code": "330400000000", "name": "嘉兴市"},
            "children": [{"code": c, "name": n} for c, n in towns],
        }
    }


def test_a_dispute_with_its_grid_category_parties_and_steps(data):
    query = """{ dispute(id: "330421-D000001") {
        id title reportedOn channel status outcome settledLevel settledOn parties warning
        satisfaction grid { id } domain { code name } listItem { id name }
        participants { side party { __typename ... on Person { id name } } }
        handling { step onDate handler { __typename ... on Person { id } ... on Center { id } } }
    } }"""
    assert data(query, ADMIN) == {
        "dispute": {
            "id": "330421-D000001",
            "title": "钱某追讨工资纠纷",
            "reportedOn": "2021-01-01",
            "channel": "HOTLINE",
            "status": "EVALUATED",
            "outcome": "SETTLED",
            "settledLevel": "GRID",
            "settledOn": "2021-01-02",
            "parties": 2,
            "warning": None,
            "satisfaction": 5,
            "grid": {"id": "330421-G0417"},
            "domain": {"code": "wages", "name": "欠薪纠纷"},
            "listItem": {"id": "L1-011", "name": "欠薪纠纷调解"},
            "participants": [
                {
                    "side": "APPLICANT",
                    "party": {"__typename": "Person", "id": "330421-P022025", "name": "钱霞"},
                },
                {
                    "side": "RESPONDENT",
                    "party": {"__typename": "Person", "id": "330421-P022026", "name": "刘彬楠"},
                },
            ],
            "handling": [
                {
                    "step": "ACCEPTED",
                    "onDate": "2021-01-01",
                    "handler": {"__typename": "Center", "id": "330421-C072"},
                },
                {
                    "step": "FEEDBACK",
                    "onDate": "2021-01-02",
                    "handler": {"__typename": "Person", "id": "330421-P002014"},
                },
                {
                    "step": "HANDLING",
                    "onDate": "2021-01-03",
                    "handler": {"__typename": "Person", "id": "330421-P002012"},
                },
                {
                    "step": "EVALUATED",
                    "onDate": "2021-01-03",
                    "handler": {"__typename": "Center", "id": "330421-C072"},
                },
            ],
        }
    }


def test_an_unknown_key_is_a_clear_error_and_the_rest_of_the_query_still_answers(errors, run):
    query = '{ grid(id: "330421-G9999") { id } unit(code: "330421000000") { name } }'
    assert errors(query) == [
        (
            "id: there is no Grid with id '330421-G9999'",
            ["grid"],
            {"code": "BAD_USER_INPUT", "argument": "id"},
        )
    ]
    assert run(query).data == {"grid": None, "unit": {"name": "嘉善县"}}


# -- lists: filters -------------------------------------------------------------------------


def test_every_list_counts_its_whole_type(data):
    names = [
        "units", "grids", "people", "partyOrgs", "departments", "centers", "mediationOrgs",
        "organisations", "domains", "pools", "listItems", "disputes",
    ]  # fmt: skip
    query = "{ " + " ".join(f"{n}(first: 0) {{ totalCount }}" for n in names) + " }"
    counts = {name: value["totalCount"] for name, value in data(query).items()}
    assert counts == {
        "units": 2663,
        "grids": 18581,
        "people": 86667,
        "partyOrgs": 6030,
        "departments": 204,
        "centers": 263,
        "mediationOrgs": 2671,
        "organisations": 5556,
        "domains": 19,
        "pools": 6,
        "listItems": 229,
        "disputes": 15504,
    }


def test_within_takes_a_code_or_its_prefix_and_reaches_micro_grids(data, demo_graph):
    query = """{
        county: grids(within: "330421000000") { totalCount }
        prefix: grids(within: "330421") { totalCount }
        village: grids(within: "330421002012") { totalCount }
        villageBasic: grids(within: "330421002012", kind: BASIC) { totalCount }
        townLevel1: grids(within: "330421002", level: 1) { totalCount }
        away: grids(within: "331127", kind: OUT_OF_COUNTY) { totalCount } }"""
    # The same counts, walked hop by hop in Cypher.
    in_village = demo_graph.read(
        "MATCH (g:Grid) WHERE EXISTS { MATCH (g)-[:PART_OF]->(:Unit {code: $v}) } "
        "OR EXISTS { MATCH (g)-[:PART_OF]->(:Grid)-[:PART_OF]->(:Unit {code: $v}) } "
        "RETURN count(g) AS n",
        {"v": "330421002012"},
    )[0]["n"]
    assert in_village == 80
    assert data(query) == {
        "county": {"totalCount": 10558},
        "prefix": {"totalCount": 10558},
        "village": {"totalCount": 80},
        "villageBasic": {"totalCount": 3},
        "townLevel1": {"totalCount": 81},
        "away": {"totalCount": 18},
    }


def test_people_units_and_disputes_filter_by_where_and_when(data):
    query = """{
        residents: people(within: "331127") { totalCount }
        lawyers: people(profession: "律师") { totalCount }
        towns: units(within: "331127", level: TOWN) { totalCount }
        march: disputes(within: "331127", reportedFrom: "2021-03-01",
                        reportedTo: "2021-03-31") { totalCount }
        marchSettled: disputes(within: "331127", reportedFrom: "2021-03-01",
                               reportedTo: "2021-03-31", outcome: SETTLED) { totalCount }
        oneDay: disputes(reportedFrom: "2021-01-01", reportedTo: "2021-01-01") {
            totalCount items { reportedOn } } }"""
    found = data(query)
    one_day = found.pop("oneDay")
    assert {k: v["totalCount"] for k, v in found.items()} == {
        "residents": 13586,
        "lawyers": 427,
        "towns": 21,
        "march": 331,
        "marchSettled": 328,
    }
    assert {d["reportedOn"] for d in one_day["items"]} == {"2021-01-01"}


def test_disputes_filter_by_open_and_by_the_level_they_were_settled_at(data, demo_graph):
    levels = ("GRID", "VILLAGE", "TOWN", "COUNTY", "COURT")
    query = (
        '{ open: disputes(within: "330421111", open: true, first: 100) { totalCount '
        "items { id outcome } } ended: disputes(open: false) { totalCount } "
        + " ".join(
            f"{lv}: disputes(outcome: SETTLED, settledLevel: {lv}) {{ totalCount }}"
            for lv in levels
        )
        + " }"
    )
    found = data(query)
    # The same, counted in Cypher.
    open_ids = [
        r["id"]
        for r in demo_graph.read(
            "MATCH (d:Dispute)-[:OCCURRED_IN]->(:Grid)-[:PART_OF]->(u:Unit) "
            "WHERE d.outcome IS NULL AND u.code STARTS WITH '330421111' RETURN d.id AS id"
        )
    ]
    by_level = {
        r["level"].upper(): r["n"]
        for r in demo_graph.read(
            "MATCH (d:Dispute {outcome: 'settled'}) RETURN d.settled_level AS level, count(*) AS n"
        )
    }
    ended = demo_graph.read("MATCH (d:Dispute) WHERE d.outcome IS NOT NULL RETURN count(*) AS n")
    assert len(open_ids) == 18
    assert found["open"]["totalCount"] == 18
    assert sorted(d["id"] for d in found["open"]["items"]) == sorted(open_ids)
    assert {d["outcome"] for d in found["open"]["items"]} == {None}
    assert found["ended"]["totalCount"] == ended[0]["n"] == 15333
    assert {lv: found[lv]["totalCount"] for lv in levels} == by_level
    assert sum(by_level.values()) == 11747


def test_a_partys_disputes_earliest_first_with_titles_as_the_caller_may_see_them(data):
    query = """{ dispute(id: "330421-D900001") { participants { party {
        ... on Person { id disputes { id title reportedOn } }
        ... on Organisation { id disputes { id reportedOn } } } } } }"""
    viewer = data(query)["dispute"]["participants"]
    admin = data(query, ADMIN)["dispute"]["participants"]
    assert viewer[0]["party"] == {
        "id": "330421-P900002",
        "disputes": [{"id": "330421-D900001", "title": "（已隐去）", "reportedOn": "2021-12-20"}],
    }
    assert admin[0]["party"]["disputes"] == [
        {"id": "330421-D900001", "title": "陆某医疗损害赔偿纠纷", "reportedOn": "2021-12-20"}
    ]
    hospital = viewer[1]["party"]
    assert hospital["id"] == "330421-O002"
    assert [d["id"] for d in hospital["disputes"]] == [
        "330421-D000443", "330421-D000947", "330421-D001118", "330421-D001354",
        "330421-D001684", "330421-D001719", "330421-D002027", "330421-D002353",
        "330421-D002599", "330421-D003830", "330421-D005243", "330421-D005515",
        "330421-D006458", "330421-D900001",
    ]  # fmt: skip
    days = [d["reportedOn"] for d in hospital["disputes"]]
    assert days == sorted(days)


def test_filters_that_cannot_be_met_are_clear_errors(errors):
    assert errors('{ grids(within: "33042") { totalCount } }') == [
        (
            "within: '33042' is not a division code; give its 12 digits (e.g. 330421000000 "
            "for 嘉善县) or its significant prefix (330421)",
            ["grids"],
            {"code": "BAD_USER_INPUT", "argument": "within"},
        )
    ]
    assert errors('{ grids(within: "330499") { totalCount } }') == [
        (
            "within: there is no unit with code 330499000000; list the units with "
            "units(level: COUNTY)",
            ["grids"],
            {"code": "BAD_USER_INPUT", "argument": "within"},
        )
    ]
    query = '{ disputes(reportedFrom: "2021-03-31", reportedTo: "2021-03-01") { totalCount } }'
    assert errors(query) == [
        (
            "reportedFrom 2021-03-31 is after reportedTo 2021-03-01; swap them",
            ["disputes"],
            {"code": "BAD_USER_INPUT", "argument": "reportedFrom"},
        )
    ]


# -- lists: pages ---------------------------------------------------------------------------


PAGE = """query ($after: String, $order: GridOrder!, $direction: Direction!) {
    grids(within: "330421002012", first: 30, after: $after, orderBy: $order,
          direction: $direction) {
        totalCount items { id name } pageInfo { endCursor hasNextPage } } }"""


@pytest.mark.parametrize(("order", "direction"), [("ID", "ASC"), ("NAME", "DESC")])
def test_pages_follow_each_other_without_gap_or_overlap(data, order, direction):
    pages, after = [], None
    while True:
        page = data(PAGE, after=after, order=order, direction=direction)["grids"]
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [len(p["items"]) for p in pages] == [30, 30, 20]
    assert {p["totalCount"] for p in pages} == {80}
    walked = [g for p in pages for g in p["items"]]
    whole = data(PAGE.replace("first: 30", "first: 100"), order=order, direction=direction)
    assert walked == whole["grids"]["items"]
    key = "id" if order == "ID" else "name"
    expected = sorted(walked, key=lambda g: (g[key], g["id"]), reverse=direction == "DESC")
    assert walked == expected
    assert pages[-1]["pageInfo"] == {
        "endCursor": pages[-1]["pageInfo"]["endCursor"],
        "hasNextPage": False,
    }


def test_disputes_page_by_date_with_ties_broken_by_id(data):
    query = """query ($after: String) { disputes(reportedFrom: "2021-01-01",
        reportedTo: "2021-01-02", orderBy: REPORTED_ON, direction: ASC, first: 7,
        after: $after) { items { id reportedOn } pageInfo { endCursor } } }"""
    first = data(query)["disputes"]
    second = data(query, after=first["pageInfo"]["endCursor"])["disputes"]
    both = first["items"] + second["items"]
    assert both == sorted(both, key=lambda d: (d["reportedOn"], d["id"]))
    assert len({d["id"] for d in both}) == 14


def test_a_cursor_works_only_with_the_sort_it_came_from(data, errors):
    page = data(PAGE, order="ID", direction="ASC")["grids"]
    cursor = page["pageInfo"]["endCursor"]
    assert errors(PAGE, after=cursor, order="NAME", direction="ASC") == [
        (
            "after: this cursor belongs to a list sorted by id asc; ask for the next page with "
            "the same orderBy and direction",
            ["grids"],
            {"code": "BAD_USER_INPUT", "argument": "after"},
        )
    ]
    damaged = [
        (
            "after: not a cursor this API gave out; pass pageInfo.endCursor of the previous page",
            ["grids"],
            {"code": "BAD_USER_INPUT", "argument": "after"},
        )
    ]
    assert errors(PAGE, after="not-a-cursor", order="ID", direction="ASC") == damaged


def test_a_page_above_100_is_refused_with_the_way_to_get_more(errors):
    assert errors("{ grids(first: 101) { totalCount } }") == [
        (
            "first: 101 is outside 0..100; ask for at most 100 items and follow "
            "pageInfo.endCursor for more",
            ["grids"],
            {"code": "BAD_USER_INPUT", "argument": "first"},
        )
    ]


# -- DataLoaders ----------------------------------------------------------------------------


TEAMS = """query ($n: Int!) { grids(first: $n, kind: BASIC) {
    items { id unit { code } team { role person { name } } } } }"""


@pytest.mark.parametrize(
    ("caller", "reads"),
    [
        # a page: its keys, then its records by key; a grid's unit: the walk up the grids
        # (one read a level; the first 50 are one deep), then the units by key
        (ANONYMOUS, ["page's keys", "page", "walk up", "units", "teams"]),
        (
            Caller(Role.MEDIATOR, "330421"),
            ["page's keys", "page", "walk up", "units", "teams", "jurisdiction"],
        ),
    ],
    ids=["viewer", "mediator"],
)
def test_a_list_with_relationships_costs_the_same_reads_for_5_grids_as_for_50(
    run, demo_graph, caller, reads
):
    counts = {}
    for n in (5, 50):
        counting = Counting(demo_graph)
        result = run(TEAMS, caller, backend=counting, n=n)
        assert result.errors is None
        assert len(result.data["grids"]["items"]) == n
        assert all(g["unit"] and g["team"] for g in result.data["grids"]["items"])
        counts[n] = len(counting.reads)
    assert counts == {5: len(reads), 50: len(reads)}


def test_total_count_is_counted_only_when_asked_for(run, demo_graph):
    without, with_total = Counting(demo_graph), Counting(demo_graph)
    run("{ grids(first: 3) { items { id } } }", backend=without)
    run("{ grids(first: 3) { totalCount items { id } } }", backend=with_total)
    assert (len(without.reads), len(with_total.reads)) == (2, 3)  # the page's keys, records


@pytest.mark.parametrize(
    "label", ["Person", "Center", "Department", "MediationOrg", "PartyOrg", "ExpertPool"]
)
@pytest.mark.parametrize("conditions", [(), ("n.name < $name",)], ids=["all", "some names"])
def test_finding_from_the_units_gives_what_testing_every_node_gives(demo_graph, label, conditions):
    key = SCHEMA.node(label).key
    scan = Listing(label, key, conditions=(within(label), *conditions))
    start = Listing(label, key, conditions=conditions, start=start_within(label))
    for prefix in ("33", "330421", "330421002", "331127104204"):
        params = {"within": prefix, "limit": 100, "name": "李"}
        assert demo_graph.read(start.count_query(), params) == demo_graph.read(
            scan.count_query(), params
        )
        assert demo_graph.read(start.page_query(after=False), params) == demo_graph.read(
            scan.page_query(after=False), params
        )
