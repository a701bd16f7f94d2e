"""Chinese input (loaders/chinese.py): dates, mobile numbers, choices, categories and places as
people write them, one whole value at a time, and in a load."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from graph.embedded import EmbeddedBackend
from graph.schema import SCHEMA
from loaders.chinese import (
    MOBILE_RULE,
    Place,
    Vocabulary,
    choice,
    everyday_name,
    mobile,
    parse_date,
)
from loaders.divisions import divisions_within
from loaders.load import Loader, MemoryTable, Reject

DATE_FORMS = (
    "expected a date such as 2021-03-01, 2021/3/1, 2021.3.1, 2021年3月1日 or 二〇二一年三月一日"
)
DOMAINS = {
    "medical": "医疗纠纷",
    "traffic": "道路交通事故纠纷",
    "labour": "劳动争议",
    "wages": "欠薪纠纷",
    "family": "婚姻家庭纠纷",
}
FENHU = (
    "'汾湖村' names 2 places: 320509110242 汾湖村委会 (江苏省 苏州市 吴江区 黎里镇); "
    "330421107221 汾湖村委会 (浙江省 嘉兴市 嘉善县 陶庄镇). Give the code, or the name after "
    "that of its county or town (e.g. '黎里镇汾湖村')"
)


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    """The units of 嘉善, 景宁, 吴江 and 东营 from the official table, and five categories."""
    units: dict[str, Place] = {}
    for code in ("330421", "331127", "320509", "3705"):
        found = divisions_within(code)
        parent = {r["from"]: r["to"] for r in found.part_of}
        for u in found.units:
            units[u["code"]] = Place(u["code"], u["name"], u["level"], parent.get(u["code"]))
    return Vocabulary(DOMAINS, units.values())


# -- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2021-03-01",
        "2021-3-1",
        "2021/3/1",
        "2021.3.1",
        "2021年3月1日",
        "2021年03月01日",
        "2021年3月1号",
        "2021年3月1",
        "二〇二一年三月一日",
        "二零二一年三月一日",
        "20210301",
    ],
)
def test_a_date_in_the_usual_chinese_forms(text: str) -> None:
    assert parse_date(text) == date(2021, 3, 1)


def test_dates_written_out_in_chinese_numerals() -> None:
    assert [
        parse_date("二〇二一年十二月三十一日"),
        parse_date("二〇二〇年二月二十九日"),
        parse_date("二〇一九年十月十日"),
    ] == [date(2021, 12, 31), date(2020, 2, 29), date(2019, 10, 10)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2021年2月30日", "not a real date: day is out of range for month"),
        ("二〇二一年十三月一日", "not a real date: month must be in 1..12"),
        ("二〇二一年三月三十十日", "'三十十' is not a number of a month or a day"),
        ("2021年3月", DATE_FORMS),
        ("21/3/1", DATE_FORMS),
    ],
)
def test_what_is_not_a_date_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_date(text)
    assert str(caught.value) == reason


# -- mobile numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "＋86 13812345678",
        "0086 13812345678",
        "0086-138-1234-5678",
        "(+86) 13812345678",
        "（86）13812345678",
        "86 13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "138\u30001234\u30005678",
    ],
)
def test_a_mobile_number_as_people_write_it(text: str) -> None:
    assert mobile(text) == "13812345678"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1381234567", MOBILE_RULE),
        ("+86 1381234567", MOBILE_RULE),
        ("12812345678", MOBILE_RULE),
        ("0571-87654321", MOBILE_RULE),  # a landline
        (
            "+852 9123 4567",
            "'+852 9123 4567' is not a mainland number: " + MOBILE_RULE,
        ),
    ],
)
def test_what_is_not_a_mobile_number_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        mobile(text)
    assert str(caught.value) == reason


# -- choices --------------------------------------------------------------------------------


def test_roles_sex_and_kinds_by_their_chinese_names() -> None:
    role = SCHEMA.rel("SERVES_IN").property("role")
    gender = SCHEMA.node("Person").property("gender")
    field = SCHEMA.node("Grid").property("field")
    assert [
        choice(role, "网格长"),
        choice(role, "网格指导员"),
        choice(role, "指导员"),
        choice(role, "专职网格员"),
        choice(role, "兼职网格员"),
        choice(role, "head"),
        choice(gender, "男"),
        choice(gender, "女"),
        choice(field, "劳动监察"),
        choice(SCHEMA.node("PartyOrg").property("kind"), "楼栋工作组"),
    ] == [
        "head",
        "instructor",
        "instructor",
        "full_time",
        "part_time",
        "head",
        "male",
        "female",
        "labour_inspection",
        "building_group",
    ]


def test_a_name_that_is_no_choice_lists_them_all() -> None:
    with pytest.raises(ValueError) as caught:
        choice(SCHEMA.node("Person").property("gender"), "男的")
    assert str(caught.value) == "not one of male (男/男性), female (女/女性); did you mean '男'?"


# -- categories ---------------------------------------------------------------------------------


def test_categories_by_code_name_or_part_of_a_name(vocabulary: Vocabulary) -> None:
    assert [
        vocabulary.category(t)
        for t in ("medical", "医疗纠纷", "医疗", "交通事故", "劳动纠纷", "家庭")
    ] == ["medical", "medical", "medical", "traffic", "labour", "family"]


def test_a_category_not_named_or_named_by_several_says_which(vocabulary: Vocabulary) -> None:
    with pytest.raises(ValueError) as unknown:
        vocabulary.category("工资")
    with pytest.raises(ValueError) as several:
        vocabulary.category("纠纷")
    assert [str(unknown.value), str(several.value)] == [
        "'工资' is neither the code nor the name of a category in the graph (the categories: "
        "婚姻家庭纠纷 (family), 劳动争议 (labour), 医疗纠纷 (medical), "
        "道路交通事故纠纷 (traffic), 欠薪纠纷 (wages))",
        "'纠纷' could be any of 婚姻家庭纠纷 (family), 医疗纠纷 (medical), "
        "道路交通事故纠纷 (traffic), 欠薪纠纷 (wages): give the category's code",
    ]


# -- places -------------------------------------------------------------------------------------


def test_places_by_code_name_or_path(vocabulary: Vocabulary) -> None:
    assert [
        vocabulary.place(t)
        for t in (
            "姚庄镇",
            "武长村",  # the table has 武长村委会
            "武长村委会",
            "国安社区",  # 国安社区居委会
            "嘉善县姚庄镇武长村",
            "浙江省嘉兴市嘉善县",
            "嘉善县汾湖村",
            "黎里镇 汾湖村",
            "吴江区/汾湖村",
            "广饶街道张庄村",
            "330421",
            "3705",
            "330421111206",
        )
    ] == [
        "330421111000",
        "330421111206",
        "330421111206",
        "370523001015",
        "330421111206",
        "330421000000",
        "330421107221",
        "320509110242",
        "320509110242",
        "370523001222",
        "330421000000",
        "370500000000",
        "330421111206",
    ]


def test_an_ambiguous_place_lists_the_candidates_with_their_codes(
    vocabulary: Vocabulary,
) -> None:
    with pytest.raises(ValueError) as fenhu:
        vocabulary.place("汾湖村")
    with pytest.raises(ValueError) as zhangzhuang:
        vocabulary.place("广饶县张庄村")  # two in 广饶县: the town tells them apart
    assert [str(fenhu.value), str(zhangzhuang.value)] == [
        FENHU,
        "'广饶县张庄村' names 2 places: 370523001222 张庄村委会 (山东省 东营市 广饶县 广饶街道); "
        "370523002252 张庄村委会 (山东省 东营市 广饶县 乐安街道). Give the code, or the name "
        "after that of its county or town (e.g. '广饶街道张庄村')",
    ]


def test_an_unknown_place_suggests_the_nearest_names(vocabulary: Vocabulary) -> None:
    with pytest.raises(ValueError) as caught:
        vocabulary.place("武场村")
    assert str(caught.value) == (
        "no place in the graph is named '武场村'; did you mean 马场村 or 牧场村 or 武长村?"
    )
    with pytest.raises(ValueError) as short:
        vocabulary.place("33042")
    assert str(short.value) == "'33042' is not a division code of a unit in the graph"
    with pytest.raises(ValueError) as absent:  # a prefix names a unit only if the graph has it
        vocabulary.place("330422")
    assert str(absent.value) == "'330422' is not a division code of a unit in the graph"
    assert vocabulary.place("330422000000") == "330422000000"  # a code is a code: loader checks


# -- in a load ----------------------------------------------------------------------------------


def test_a_load_takes_chinese_names_and_rejects_what_it_cannot_tell(
    backend: EmbeddedBackend, write_csv: Callable[..., Path]
) -> None:
    """Places and categories by name in relationship files, roles, sex, dates and mobile
    numbers in Chinese; an ambiguous place is a reject naming the candidates, and the rest of
    the file loads."""
    loader = Loader(backend)
    for code in ("330421", "320509"):
        chain = divisions_within(code)
        loader.load_tables(
            [MemoryTable(code, "units", chain.units), MemoryTable(code, "part_of", chain.part_of)]
        )
    files = [
        write_csv("c.domains.csv", [["code", "name"], *DOMAINS.items()]),
        write_csv(
            "c.people.csv",
            [
                ["id", "name", "gender", "mobile"],
                ["p1", "沈丽华", "女", "+86 138 1234 5678"],
                ["p2", "陆建国", "男", "0086-139-8765-4321"],
                ["p3", "顾晓燕", "女性", "137 0000 1111"],
            ],
        ),
        write_csv(
            "c.grids.csv",
            [
                ["id", "name", "level", "kind", "field"],
                ["g1", "武长村网格", "1", "全科网格", ""],
                ["g2", "黎里镇劳动监察专业网格", "3", "专业网格", "劳动监察"],
            ],
        ),
        write_csv(
            "c.lives_in.csv",
            [
                ["from", "to"],
                ["p1", "武长村"],
                ["p2", "汾湖村"],
                ["p3", "吴江区 汾湖村"],
            ],
        ),
        write_csv(
            "c.part_of.csv",
            [
                ["from", "to", "from_type", "to_type"],
                ["g1", "嘉善县姚庄镇武长村", "Grid", "Unit"],
                ["g2", "黎里镇", "Grid", "Unit"],
            ],
        ),
        write_csv(
            "c.serves_in.csv",
            [
                ["from", "to", "role", "valid_from"],
                ["p1", "g1", "网格长", "2021年3月1日"],
                ["p3", "g2", "专业网格员", "二〇二一年三月一日"],
            ],
        ),
        write_csv(
            "c.has_expertise.csv",
            [
                ["from", "to", "from_type", "to_type"],
                ["p1", "医疗纠纷", "Person", "Domain"],
                ["p2", "工资", "Person", "Domain"],
            ],
        ),
    ]
    report = loader.load_paths(files)
    assert report.rejects == [
        Reject("c.lives_in.csv", 3, "to", "汾湖村", FENHU),
        Reject(
            "c.has_expertise.csv",
            3,
            "to",
            "工资",
            "'工资' is neither the code nor the name of a category in the graph (the "
            "categories: 婚姻家庭纠纷 (family), 劳动争议 (labour), 医疗纠纷 (medical), "
            "道路交通事故纠纷 (traffic), 欠薪纠纷 (wages))",
        ),
    ]
    assert backend.read(
        "MATCH (p:Person) OPTIONAL MATCH (p)-[:LIVES_IN]->(u:Unit) "
        "RETURN p.id AS id, p.gender AS gender, p.mobile AS mobile, u.code AS home ORDER BY id"
    ) == [
        {"id": "p1", "gender": "female", "mobile": "13812345678", "home": "330421111206"},
        {"id": "p2", "gender": "male", "mobile": "13987654321", "home": None},
        {"id": "p3", "gender": "female", "mobile": "13700001111", "home": "320509110242"},
    ]
    assert backend.read(
        "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid)-[:PART_OF]->(u:Unit) "
        "RETURN p.id AS id, s.role AS role, s.valid_from AS since, g.kind AS kind, "
        "g.field AS field, u.code AS unit ORDER BY id"
    ) == [
        {
            "id": "p1",
            "role": "head",
            "since": date(2021, 3, 1),
            "kind": "basic",
            "field": None,
            "unit": "330421111206",
        },
        {
            "id": "p3",
            "role": "inspector",
            "since": date(2021, 3, 1),
            "kind": "professional",
            "field": "labour_inspection",
            "unit": "320509110000",
        },
    ]
    assert backend.read(
        "MATCH (p:Person)-[:HAS_EXPERTISE]->(d:Domain) RETURN p.id AS id, d.code AS domain"
    ) == [{"id": "p1", "domain": "medical"}]


def test_part_of_several_names_offers_each_of_them() -> None:
    with pytest.raises(ValueError) as caught:
        choice(SCHEMA.rel("SERVES_IN").property("role"), "网格员")
    assert str(caught.value) == (
        "not one of head (网格长), instructor (网格指导员/指导员), full_time (专职网格员), "
        "part_time (兼职网格员), inspector (专业网格员/专业网格监管员/监管员), "
        "coordinator (协管员/网格协管员), assessor (评议员/网格评议员); did you mean "
        "专职网格员 (full_time) or 兼职网格员 (part_time) or 专业网格员 (inspector)?"
    )


def test_everyday_names_of_village_committees() -> None:
    assert [
        everyday_name(n)
        for n in (
            "武长村委会",
            "一村村委会",
            "曹家村村民委员会",
            "国安村民委员会",
            "日晖社区居民委员会",
            "国安社区居委会",
            "姚庄镇",
        )
    ] == ["武长村", "一村", "曹家村", "国安村", "日晖社区", "国安社区", "姚庄镇"]
