"""Validating rows of text against the schema (and normalising them first), column by column."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from graph.schema import SCHEMA
from loaders.chinese import Place, Vocabulary
from loaders.normalise import half_width, looks_like_mojibake, simplified
from loaders.read import Chunk, RawRow
from loaders.validate import CellProblem, HeaderError, RowValidator

EXCEL_FLOAT = (
    "the ID number was stored as a number (Excel keeps 15 significant digits, so its last "
    "digits are lost); format the column as text and enter it again"
)
MOJIBAKE = "the text looks like UTF-8 read as GBK (mojibake); fix the file's encoding"


def validate(
    file: str, cells: dict[str, str], numeric: set[str] | None = None, traditional: bool = False
) -> tuple[dict[str, Any], list[CellProblem]]:
    """One row of a `file` type file whose header is the row's columns."""
    kind = SCHEMA.by_file(file)
    assert kind is not None
    validator = RowValidator(kind, list(cells), traditional=traditional)
    return validator.validate(RawRow(2, cells, numeric or set()))


def problems(file: str, cells: dict[str, str], numeric: set[str] | None = None) -> list[Any]:
    return [(p.column, p.value, p.reason) for p in validate(file, cells, numeric)[1]]


def person(**values: Any) -> dict[str, Any]:
    """The typed values of a people row: p1 张三 with `values`, and None for the rest."""
    row = dict.fromkeys(p.name for p in SCHEMA.node("Person").properties)
    return row | {"id": "p1", "name": "张三"} | values


def header_error(file: str, columns: list[str]) -> tuple[str, str]:
    kind = SCHEMA.by_file(file)
    assert kind is not None
    with pytest.raises(HeaderError) as caught:
        RowValidator(kind, columns, traditional=False)
    return caught.value.column, str(caught.value)


# -- headers -------------------------------------------------------------------------------


def test_header_problems_name_their_column() -> None:
    assert [
        header_error("people", ["id", "mobile"]),
        header_error("people", ["id", "name", "mobil"]),
        # Read into a dict, a second `name` would silently replace the first.
        header_error("people", ["id", "name", "mobile", "name"]),
    ] == [
        ("name", "the required column 'name' is missing"),
        ("mobil", "'mobil' is not a column of people files; did you mean 'mobile'?"),
        ("name", "the column 'name' appears more than once"),
    ]


def test_relationship_headers_need_endpoints_their_types_and_required_properties() -> None:
    assert [
        header_error("serves_in", ["from", "role"]),
        header_error("part_of", ["from", "to", "to_type"]),  # PART_OF joins several pairs
        header_error("part_of", ["from", "to", "from_type"]),
        header_error("serves_in", ["from", "to", "valid_from"]),
        header_error("related_to", ["from", "to", "relation"]),
    ] == [
        ("to", "the required column 'to' is missing"),
        ("from_type", "the required column 'from_type' is missing"),
        ("to_type", "the required column 'to_type' is missing"),
        ("role", "the required column 'role' is missing"),
        ("kind", "the required column 'kind' is missing"),
    ]


# -- values --------------------------------------------------------------------------------


def test_a_good_row_becomes_typed_values_for_every_property() -> None:
    cells = {
        "id": " g1 ",
        "name": "魏塘街道一号网格",
        "level": "２",
        "kind": "basic",
        "households": "１２０",
        "urban": "是",
        "population": "",
        "valid_from": "2021年3月1日",
    }
    assert validate("grids", cells) == (
        {
            "id": "g1",
            "name": "魏塘街道一号网格",
            "level": 2,
            "kind": "basic",
            "grid_class": None,
            "households": 120,
            "population": None,
            "urban": True,
            "location": None,
            "field": None,
            "unit_level": None,
            "valid_from": date(2021, 3, 1),
            "valid_to": None,
            "source": None,
        },
        [],
    )


def test_type_range_and_choice_problems_name_their_column() -> None:
    cells = {
        "id": "g1",
        "name": "一号网格",
        "level": "6",
        "kind": "Basic",
        "grid_class": "一",
        "households": "-1",
        "population": "99999999999999999999",
        "urban": "maybe",
    }
    assert problems("grids", cells) == [
        ("level", "6", "6 is above the maximum 5"),
        (
            "kind",
            "Basic",
            "not one of basic (全科网格/基础网格/基础全科网格/综合网格), dedicated (专属网格), "
            "professional (专业网格), micro (微网格), "
            "out_of_county (域外网格/县域外网格/域外综治网格); did you mean 'basic'?",
        ),
        ("grid_class", "一", "expected a whole number"),
        ("households", "-1", "-1 is below the minimum 0"),
        ("population", "99999999999999999999", "the number is too large for a 64-bit integer"),
        ("urban", "maybe", "expected true or false"),
    ]


def test_dates_are_checked_and_full_width_dates_parse() -> None:
    values, found = validate(
        "disputes",
        {
            "id": "d1",
            "title": "邻里纠纷",
            "reported_on": "２０２４－０５－０１",
            "settled_on": "2024-02-30",
        },
    )
    assert (values["reported_on"], found) == (
        date(2024, 5, 1),
        [CellProblem("settled_on", "2024-02-30", "not a real date: day is out of range for month")],
    )
    assert problems("disputes", {"id": "d1", "title": "x", "reported_on": "24/5/1"}) == [
        (
            "reported_on",
            "24/5/1",
            "expected a date such as 2021-03-01, 2021/3/1, 2021.3.1, 2021年3月1日 "
            "or 二〇二一年三月一日",
        )
    ]


def test_required_values_may_not_be_empty_or_blank() -> None:
    assert problems("people", {"id": "p1", "name": " \u3000 "}) == [
        ("name", "", "a value is required")
    ]


def test_an_oversize_cell_is_rejected_with_its_length() -> None:
    assert problems("people", {"id": "p1", "name": "长" * 201}) == [
        ("name", "长" * 201, "201 characters, more than the 200 allowed")
    ]
    assert problems("departments", {"id": "d1", "name": "司法局", "function": "j" * 41}) == [
        ("function", "j" * 41, "41 characters, more than the 40 allowed")
    ]


def test_nul_bytes_are_rejected_in_any_column() -> None:
    assert problems("people", {"id": "p1", "name": "王\x00五"}) == [
        ("name", "王\x00五", "the value contains a NUL byte")
    ]
    assert problems("serves_in", {"from": "p\x001", "to": "g1", "role": "head"}) == [
        ("from", "p\x001", "the value contains a NUL byte")
    ]


def test_id_numbers_by_check_digit_and_as_excel_leaves_them() -> None:
    rows = [
        ("33042119900101123x", set()),
        ("330421199001011235", set()),
        ("3.30421199001011E+17", set()),  # Excel's float, saved to CSV
        ("330421199001011008", {"id_number"}),  # a number cell in XLSX
    ]
    assert [
        validate("people", {"id": "p1", "name": "张三", "id_number": text}, numeric)
        for text, numeric in rows
    ] == [
        (person(id_number="33042119900101123X"), []),
        (
            person(),
            [CellProblem("id_number", "330421199001011235", "wrong check digit '5', expected 'X'")],
        ),
        (person(), [CellProblem("id_number", "3.30421199001011E+17", EXCEL_FLOAT)]),
        (person(), [CellProblem("id_number", "330421199001011008", EXCEL_FLOAT)]),
    ]


def test_mobile_numbers_and_division_codes_by_format() -> None:
    assert problems("people", {"id": "p1", "name": "张三", "mobile": "1381234123"}) == [
        (
            "mobile",
            "1381234123",
            "a mobile number is 11 digits starting 13–19 (+86 or 0086 before it, and spaces or "
            "hyphens in it, are fine)",
        )
    ]
    assert (
        problems("people", {"id": "p1", "name": "张三", "mobile": "１３８１２３４１２３４"}) == []
    )
    assert problems("units", {"code": "330421", "name": "嘉善县", "level": "county"}) == [
        ("code", "330421", "a division code has 12 digits, e.g. 330421000000")
    ]


def test_mojibake_is_rejected_per_cell() -> None:
    # 张三 in UTF-8, opened as GBK and saved again
    assert problems("people", {"id": "p1", "name": "寮犱笁", "profession": "律师"}) == [
        ("name", "寮犱笁", MOJIBAKE)
    ]


def test_a_relationship_row_needs_both_endpoints_and_their_types() -> None:
    assert problems("part_of", {"from": "", "to": "g1", "from_type": "Grid", "to_type": ""}) == [
        ("from", "", "a value is required"),
        ("to_type", "", "a value is required"),
    ]


# -- normalising ---------------------------------------------------------------------------


def test_full_width_digits_and_letters_become_half_width_and_chinese_punctuation_stays() -> None:
    # An official village name (NBS 2023, 110108010027): text keeps its （）; typed values such
    # as dates lose full-width punctuation too.
    name = "中国矿业大学（北京）社区居委会"
    cells = {
        "code": "１１０１０８０１００２７",
        "name": f"\u3000{name} ",
        "level": "ｖｉｌｌａｇｅ",
        "valid_from": "２０２３－０１－０１",
    }
    assert validate("units", cells) == (
        {
            "code": "110108010027",
            "name": name,
            "level": "village",
            "kind": None,
            "edition": None,
            "valid_from": date(2023, 1, 1),
            "valid_to": None,
            "source": None,
        },
        [],
    )
    assert [
        half_width("\u3000Ｐ００１ｘ（１） "),
        half_width("２０２４－０５－０１", punctuation=True),
    ] == [
        "P001x（1）",
        "2024-05-01",
    ]


def test_traditional_text_is_simplified_only_when_the_file_is_marked() -> None:
    cells = {"id": "p1", "name": "張三", "profession": "醫生"}
    assert [validate("people", cells, traditional=marked) for marked in (True, False)] == [
        (person(name="张三", profession="医生"), []),
        (person(name="張三", profession="醫生"), []),
    ]
    assert simplified("東營市墾利區") == "东营市垦利区"


def test_references_are_simplified_as_the_keys_they_refer_to() -> None:
    grid = validate(
        "grids",
        {"id": "東門網格", "name": "東門網格", "level": "1", "kind": "basic"},
        traditional=True,
    )
    serves = validate(
        "serves_in", {"from": "p1", "to": "東門網格", "role": "head"}, traditional=True
    )
    assert (grid[0]["id"], serves[0]["to"]) == ("东门网格", "东门网格")


def test_mojibake_is_told_from_genuine_chinese() -> None:
    genuine = [
        "嘉善县",
        "张三",
        "魏塘街道",
        "欧阳娜娜",
        "万柳（集团）股份经济合作社",
        "Zhang San 张三",
    ]
    garbled = [text.encode().decode("gbk", errors="replace") for text in genuine[:4]]
    # 魏塘街道 garbles to 榄忓�樿�楅亾: GBK could not pair every byte and left U+FFFD.
    assert garbled == ["鍢夊杽鍘�", "寮犱笁", "榄忓�樿�楅亾", "娆ч槼濞滃��"]
    assert [looks_like_mojibake(text) for text in genuine + garbled] == [False] * 6 + [True] * 4


# -- Chinese input -------------------------------------------------------------------------


def _chunk_values(file: str, rows: list[dict[str, str]], **kw: Any) -> list[dict[str, Any]]:
    """Each row's values as `validate_chunk` gives them (whole-row values where it fell back)."""
    kind = SCHEMA.by_file(file)
    assert kind is not None
    columns = list(rows[0])
    validator = RowValidator(kind, columns, traditional=False, **kw)
    chunk = Chunk(columns, list(range(2, len(rows) + 2)), [[r[c] for r in rows] for c in columns])
    checked = validator.validate_chunk(chunk)
    assert checked.problems == {}
    return [
        {c: checked.whole[i][c] if i in checked.whole else checked.values[c][i] for c in columns}
        for i in range(len(rows))
    ]


def test_roles_sex_dates_and_mobiles_in_chinese_row_by_row_and_by_chunk() -> None:
    people = [
        {"id": "p1", "name": "沈丽华", "gender": "女", "mobile": "+86 138 1234 5678"},
        {"id": "p2", "name": "陆建国", "gender": "男性", "mobile": "0086-139-8765-4321"},
    ]
    posts = [
        {"from": "p1", "to": "g1", "role": "网格长", "valid_from": "2021年3月1日"},
        {"from": "p2", "to": "g1", "role": "指导员", "valid_from": "二〇二一年三月一日"},
    ]
    expected_people = [
        {"id": "p1", "name": "沈丽华", "gender": "female", "mobile": "13812345678"},
        {"id": "p2", "name": "陆建国", "gender": "male", "mobile": "13987654321"},
    ]
    expected_posts = [
        {"from": "p1", "to": "g1", "role": "head", "valid_from": date(2021, 3, 1)},
        {"from": "p2", "to": "g1", "role": "instructor", "valid_from": date(2021, 3, 1)},
    ]
    by_row = [
        {k: v for k, v in validate("people", row)[0].items() if k in row} for row in people
    ] + [{k: v for k, v in validate("serves_in", row)[0].items() if k in row} for row in posts]
    assert by_row == expected_people + expected_posts
    assert _chunk_values("people", people) == expected_people
    assert _chunk_values("serves_in", posts) == expected_posts


def test_places_and_categories_by_name_need_a_vocabulary_asked_only_when_needed() -> None:
    asked: list[int] = []

    def names() -> Vocabulary:
        asked.append(1)
        return Vocabulary(
            {"medical": "医疗纠纷"},
            [
                Place("330421000000", "嘉善县", "county", None),
                Place("330421111000", "姚庄镇", "town", "330421000000"),
                Place("330421111206", "武长村委会", "village", "330421111000"),
            ],
        )

    coded = [{"from": "p1", "to": "330421111206"}, {"from": "p2", "to": "330421111000"}]
    assert _chunk_values("lives_in", coded, names=names) == coded
    assert asked == []  # codes are codes: the graph is not read
    named = [{"from": "p1", "to": "武长村"}, {"from": "p2", "to": "嘉善县姚庄镇"}]
    assert _chunk_values("lives_in", named, names=names) == coded
    expertise = {"from": "p1", "to": "医疗纠纷", "from_type": "Person", "to_type": "Domain"}
    assert _chunk_values("has_expertise", [expertise], names=names) == [
        expertise | {"to": "medical"}
    ]
    # without a vocabulary a name stays as written (the loader then finds no such key)
    assert _chunk_values("lives_in", named) == named
    assert problems("lives_in", {"from": "p1", "to": "武长村"}) == []


# -- a chunk at a time, as row by row --------------------------------------------------------

_ID = "330421199001011234"  # a real birth date with its check digit (id_check_digit)
_CELLS = {  # per column, cells a column pass may or may not take at once
    "id": ["p1", "p2", " p3 ", "ｐ4", "p\x005", ""],
    "name": ["张三", "李四 ", "王ＡＢ", "鍢夊杽鍘�", "寮犱笁", "", "x" * 300, "Zhang"],
    "gender": ["男", "女", "male", "其他", ""],
    "id_number": [_ID, _ID.lower()[:17] + "x", "330421199002301234", "123", "3.3e17", ""],
    "mobile": ["13812345678", "+86 138 1234 5678", "12345", ""],
    "from": ["p1", "p2", "330421111206", "武长村", "医疗纠纷", "p\x00"],
    "to": ["330421111206", "330421111000", "姚庄镇", "武长村", "medical", "医疗纠纷", "", "3\x00"],
    "from_type": ["Person", ""],
    "to_type": ["Unit", "Domain", "Grid", ""],
    "valid_from": ["2021-03-01", "2021年3月1日", "2021-02-30", ""],
    "valid_to": ["2021-01-01", "2022-01-01", "", "", ""],
    "dispute": ["d1"],
    "version": ["1", "２", "x"],
    "at": ["2021-01-01T12:40:00+08:00"],
    "data": ['{"title": "黄某纠纷"}', '{"title": "鍢夊杽"}', '{"a": 1}', "", "ａｂ"],
}


def _vocabulary() -> Vocabulary:
    return Vocabulary(
        {"medical": "医疗纠纷"},
        [
            Place("330421000000", "嘉善县", "county", None),
            Place("330421111000", "姚庄镇", "town", "330421000000"),
            Place("330421111206", "武长村委会", "village", "330421111000"),
        ],
    )


@pytest.mark.parametrize(
    ("file", "columns"),
    [
        ("people", ["id", "name", "gender", "id_number", "mobile"]),
        ("lives_in", ["from", "to"]),
        ("has_expertise", ["from", "to", "from_type", "to_type"]),
        ("member_of", ["from", "to", "valid_from", "valid_to"]),
        ("dispute_events", ["id", "dispute", "version", "at", "data"]),
    ],
)
def test_a_chunk_is_validated_as_its_rows_are_one_by_one(file: str, columns: list[str]) -> None:
    """Columns of one repeated value, of many, of pure ASCII, with a bad cell among good ones:
    each row's values and problems from `validate_chunk` are those `validate` gives it."""
    kind = SCHEMA.by_file(file)
    assert kind is not None
    names = [c for c in columns if c in _CELLS]
    rng = random.Random(file)
    for _ in range(200):
        size = rng.choice([1, 3, 40, 600])
        pools = {c: rng.sample(_CELLS[c], rng.randint(1, len(_CELLS[c]))) for c in names}
        rows = [{c: rng.choice(pools[c]) for c in names} for _ in range(size)]
        if rng.random() < 0.5:  # a column of distinct values, with or without a bad one
            rows = [row | {names[0]: f"k{i}"} for i, row in enumerate(rows)]
        validator = RowValidator(kind, names, traditional=False, names=_vocabulary)
        chunk = Chunk(names, list(range(2, size + 2)), [[r[c] for r in rows] for c in names])
        checked = validator.validate_chunk(chunk)
        for i, row in enumerate(rows):
            values, found = validator.validate(RawRow(i + 2, row))
            if found:
                assert checked.problems[i] == (values, found)
            elif i in checked.whole:
                assert checked.whole[i] == values
            else:
                assert i not in checked.problems
                assert {c: checked.values[c][i] for c in names} == {c: values[c] for c in names}
