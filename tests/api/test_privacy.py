"""Personal data by role: masked for viewers and researchers, in full for admins, and for
mediators inside their jurisdiction only."""

import asyncio

import pytest

from api.auth import ANONYMOUS, Caller, Role
from api.graphql.context import Context
from api.graphql.schema import build_schema
from api.privacy import PERSONAL, Access, access, masked, reveal
from api.settings import Settings
from graph.masking import WITHHELD, mask_mobile, mask_name

ADMIN = Caller(Role.ADMIN)
RESEARCHER = Caller(Role.RESEARCHER)

# 陆敏慧 lives in 新联社区 (330421002012) and headed its grid; 331127-P000111 lives in
# 331127212216 and heads a grid in 331127001001.
PERSON = """query ($id: ID!) { person(id: $id) { id name mobile idNumber gender } }"""
LU = {
    "id": "330421-P000537",
    "name": "陆敏慧",
    "mobile": "18622614828",
    "idNumber": "330421196802102509",
    "gender": "FEMALE",
}
LU_MASKED = {**LU, "name": "陆某", "mobile": "186****4828", "idNumber": "330421********2509"}


# -- the rules, without a graph -------------------------------------------------------------


def test_personal_data_is_what_the_schema_marks_so():
    assert sorted(PERSONAL) == ["Dispute", "Person"]
    assert masked("Person", {"id": "p1", "name": "欧阳修", "mobile": "13812341234",
                             "id_number": "330421197006052509", "gender": "male"}) == {
        "id": "p1",
        "name": "欧阳某",
        "mobile": "138****1234",
        "id_number": "330421********2509",
        "gender": "male",
    }  # fmt: skip
    assert masked("Dispute", {"id": "d1", "title": "张三与李四相邻纠纷"}) == {
        "id": "d1",
        "title": WITHHELD,
    }


@pytest.mark.parametrize(
    ("caller", "label", "expected"),
    [
        (ADMIN, "Person", Access.FULL),
        (ANONYMOUS, "Person", Access.MASKED),
        (RESEARCHER, "Dispute", Access.MASKED),
        (Caller(Role.MEDIATOR, "330421"), "Person", Access.BY_JURISDICTION),
        (Caller(Role.MEDIATOR, "330421"), "Dispute", Access.BY_JURISDICTION),
        (Caller(Role.MEDIATOR), "Person", Access.MASKED),  # no scope: nothing is inside
        (ANONYMOUS, "Grid", Access.FULL),  # no personal data
    ],
)
def test_access_by_role(caller, label, expected):
    assert access(caller, label) is expected


def test_a_mediator_sees_in_full_only_the_rows_inside():
    rows = [{"id": "a", "name": "张三"}, {"id": "b", "name": "李四"}]
    mediator = Caller(Role.MEDIATOR, "330421")
    assert reveal(mediator, "Person", rows, [True, False]) == [
        {"id": "a", "name": "张三"},
        {"id": "b", "name": "李某"},
    ]
    # Without the answer to "inside?", nothing is shown in full.
    assert reveal(mediator, "Person", rows) == [
        {"id": "a", "name": "张某"},
        {"id": "b", "name": "李某"},
    ]


# -- through the API, on the demo graph -----------------------------------------------------


@pytest.fixture(scope="module")
def schema():
    return build_schema(Settings(_env_file=None))


@pytest.fixture
def data(schema, demo_graph):
    def execute(query, caller, **variables):
        context = Context(demo_graph, caller)
        result = asyncio.run(
            schema.execute(query, variable_values=variables, context_value=context)
        )
        assert result.errors is None, result.errors
        return result.data

    return execute


@pytest.mark.slow
@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (ANONYMOUS, LU_MASKED),
        (RESEARCHER, LU_MASKED),
        (ADMIN, LU),
        (Caller(Role.MEDIATOR, "330421"), LU),  # lives in the county
        (Caller(Role.MEDIATOR, "330421002012"), LU),  # lives in the village
        (Caller(Role.MEDIATOR, "330421001"), LU_MASKED),  # another town
        (Caller(Role.MEDIATOR, "331127"), LU_MASKED),  # another county
    ],
    ids=["viewer", "researcher", "admin", "mediator-county", "mediator-village",
         "mediator-other-town", "mediator-other-county"],
)  # fmt: skip
def test_a_person_as_each_role_sees_them(data, caller, expected):
    assert data(PERSON, caller, id="330421-P000537") == {"person": expected}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("scope", "name"),
    [("331127212", "full"), ("331127001", "full"), ("331127002", "masked")],
    ids=["where-they-live", "where-they-serve", "neither"],
)
def test_a_mediator_sees_those_who_live_or_serve_inside(data, demo_graph, scope, name):
    [row] = demo_graph.read("MATCH (p:Person {id: '331127-P000111'}) RETURN p.name AS name")
    shown = data(PERSON, Caller(Role.MEDIATOR, scope), id="331127-P000111")["person"]["name"]
    assert shown == (row["name"] if name == "full" else mask_name(row["name"]))


@pytest.mark.slow
def test_a_dispute_title_is_withheld_outside_the_jurisdiction(data):
    query = '{ dispute(id: "330421-D000001") { title } }'
    shown = {"dispute": {"title": "钱某追讨工资纠纷"}}
    withheld = {"dispute": {"title": WITHHELD}}
    assert data(query, ANONYMOUS) == withheld
    assert data(query, ADMIN) == shown
    assert data(query, Caller(Role.MEDIATOR, "330421102")) == shown  # occurred in 大云镇
    assert data(query, Caller(Role.MEDIATOR, "330421103")) == withheld


@pytest.mark.slow
def test_people_reached_through_relationships_are_masked_too(data):
    query = """{ grid(id: "330421-G0096") { team(asOf: "2021-01-01") { person { name } } }
        dispute(id: "330421-D000001") { participants { party { ... on Person { name } } } } }"""
    viewer = data(query, ANONYMOUS)
    assert viewer == {
        "grid": {"team": [{"person": {"name": n}} for n in ("陆某", "明某", "李某", "张某")]},
        "dispute": {"participants": [{"party": {"name": "钱某"}}, {"party": {"name": "刘某"}}]},
    }
    mediator = data(query, Caller(Role.MEDIATOR, "330421002"))  # 罗星街道, the grid's town
    assert mediator["grid"] == {
        "team": [{"person": {"name": n}} for n in ("陆敏慧", "明玲", "李宇", "张鹏鑫")]
    }


@pytest.mark.slow
def test_a_page_of_people_mixes_full_and_masked_rows_for_a_mediator(data, demo_graph):
    query = '{ people(first: 100, within: "330421002") { items { id name mobile } } }'
    everyone = data(query, ADMIN)["people"]["items"]
    homes = {
        r["id"]: r["home"]
        for r in demo_graph.read(
            "UNWIND $ids AS i MATCH (p:Person {id: i})-[:LIVES_IN]->(u:Unit) "
            "RETURN p.id AS id, u.code AS home",
            {"ids": [p["id"] for p in everyone]},
        )
    }
    village = homes[everyone[0]["id"]]
    assert len(set(homes.values())) > 1  # the page holds people of several villages
    shown = data(query, Caller(Role.MEDIATOR, village))["people"]["items"]
    assert shown == [
        p
        if homes[p["id"]] == village
        else {**p, "name": mask_name(p["name"]), "mobile": mask_mobile(p["mobile"])}
        for p in everyone
    ]


def test_where_a_person_lies_counts_home_grid_and_micro_grid(backend):
    """The units a person lies in: their home, and the unit of every grid they serve in,
    through the parent grid for a micro-grid; a dispute: its grid's unit."""
    from api.privacy import inside, inside_query
    from graph.places import DivisionCode

    backend.write(
        [
            (
                "CREATE (:Unit {code: '330421001001', name: '村'}), "
                "(:Unit {code: '330421002001', name: '家'}), "
                "(:Grid {id: 'G', name: '网格'}), (:Grid {id: 'M', name: '微网格'}), "
                "(:Person {id: 'P', name: '张三'}), (:Dispute {id: 'D', title: '纠纷'})",
                {},
            ),
            (
                "MATCH (v:Unit {code: '330421001001'}), (h:Unit {code: '330421002001'}), "
                "(g:Grid {id: 'G'}), (m:Grid {id: 'M'}), (p:Person {id: 'P'}), "
                "(d:Dispute {id: 'D'}) "
                "CREATE (g)-[:PART_OF]->(v), (m)-[:PART_OF]->(g), (p)-[:LIVES_IN]->(h), "
                "(p)-[:SERVES_IN]->(m), (d)-[:OCCURRED_IN]->(m)",
                {},
            ),
        ]
    )
    person = backend.read(inside_query("Person"), {"keys": ["P", "nobody"]})
    dispute = backend.read(inside_query("Dispute"), {"keys": ["D"]})
    assert person == [{"key": "P", "t0": "330421002001", "t1": "330421001001"}]
    assert dispute == [{"key": "D", "t0": "330421001001"}]

    def judge(label: str, rows: list[dict[str, str]], scope: str) -> bool:
        return inside(rows, DivisionCode.parse(scope))

    assert [
        judge("Person", person, s) for s in ("330421001001", "330421002", "330421", "330422")
    ] == [
        True,
        True,
        True,
        False,
    ]
    assert [judge("Dispute", dispute, s) for s in ("330421001", "330421002")] == [True, False]
    assert judge("Person", [], "330421") is False
