"""Keyed pseudonyms and the privacy policy: stable, keyed, not reversible, and applied to
node rows and to the rows of ad-hoc queries."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pyarrow as pa
import pytest

from graph.masking import WITHHELD
from graph.pseudonym import (
    Privacy,
    PseudonymKeyError,
    View,
    key_from_text,
    new_key,
    pseudonym,
)
from graph.schema import Mask

KEY = bytes.fromhex("6b" * 32)
OTHER_KEY = bytes.fromhex("2f" * 32)
SHAPE = re.compile(r"(人|M|ID|文)-[0-9a-f]{12}")

PERSON = {
    "id": "p1",
    "name": "张三",
    "gender": "male",
    "id_number": "33042119900101123X",
    "mobile": "13812341234",
    "profession": None,
    "source": "people.csv",
}


def p(value: str, kind: Mask, key: bytes = KEY) -> str:
    return pseudonym(value, key, kind)


# -- pseudonyms -------------------------------------------------------------------------------


def test_a_pseudonym_is_a_prefix_for_its_kind_and_twelve_hex_digits():
    assert p("张三", Mask.NAME).startswith("人-")
    assert p("13812341234", Mask.MOBILE).startswith("M-")
    assert p("33042119900101123X", Mask.ID_NUMBER).startswith("ID-")
    for kind, value in [(Mask.NAME, "张三"), (Mask.MOBILE, "13812341234")]:
        assert SHAPE.fullmatch(p(value, kind))


def test_the_same_value_and_key_give_the_same_pseudonym_every_time():
    assert {p("张三", Mask.NAME) for _ in range(5)} == {p("张三", Mask.NAME)}
    assert Privacy.pseudonymised(KEY).apply("Person", PERSON) == Privacy.pseudonymised(
        bytes(KEY)
    ).apply("Person", dict(PERSON))


def test_different_keys_give_different_pseudonyms():
    for kind, value in [
        (Mask.NAME, "张三"),
        (Mask.MOBILE, "13812341234"),
        (Mask.ID_NUMBER, "33042119900101123X"),
    ]:
        assert p(value, kind) != p(value, kind, OTHER_KEY)


def test_different_values_and_kinds_give_different_pseudonyms():
    assert p("张三", Mask.NAME) != p("李四", Mask.NAME)
    # the kind is part of what is signed, not only the prefix
    assert p("13812341234", Mask.MOBILE)[2:] != p("13812341234", Mask.NAME)[2:]


def test_a_pseudonym_is_no_plain_hash_of_the_value():
    value = "13812341234"
    digits = p(value, Mask.MOBILE).removeprefix("M-")
    for algorithm in ("md5", "sha1", "sha256", "sha512", "blake2b"):
        for message in (value, "mobile\x1f" + value):
            plain = hashlib.new(algorithm, message.encode()).hexdigest()
            assert digits not in plain
    assert value not in p(value, Mask.MOBILE)


def test_one_number_written_two_ways_links():
    same = {p(v, Mask.MOBILE) for v in ("13812341234", "138-1234-1234", "+86 138 1234 1234")}
    assert len(same) == 1
    assert p("33042119900101123x", Mask.ID_NUMBER) == p("33042119900101123X", Mask.ID_NUMBER)


def test_a_short_key_is_refused():
    with pytest.raises(PseudonymKeyError, match="at least 16 bytes"):
        pseudonym("张三", b"short", Mask.NAME)
    with pytest.raises(PseudonymKeyError):
        Privacy.pseudonymised(b"")


def test_keys_from_settings_text():
    key = new_key()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert key_from_text(key) == bytes.fromhex(key)
    assert key_from_text(" a passphrase of some length ") == b"a passphrase of some length"
    with pytest.raises(PseudonymKeyError):
        key_from_text("abc")


# -- the policy -------------------------------------------------------------------------------


def test_roles():
    assert Privacy.for_role("admin", KEY).view is View.RAW
    assert Privacy.for_role("researcher", KEY).view is View.PSEUDONYMISED
    assert Privacy.for_role("researcher").view is View.MASKED
    assert Privacy.for_role("viewer", KEY).view is View.MASKED
    assert Privacy.for_role("mediator", KEY).view is View.MASKED
    with pytest.raises(ValueError, match="unknown role 'root'"):
        Privacy.for_role("root")


def test_the_key_is_not_shown():
    assert KEY.hex() not in repr(Privacy.pseudonymised(KEY))


def test_admins_see_raw_values():
    assert Privacy.raw().apply("Person", PERSON) == PERSON


def test_viewers_see_masked_values():
    assert Privacy.masked().apply("Person", PERSON) == {
        **PERSON,
        "name": "张某",
        "id_number": "330421********123X",
        "mobile": "138****1234",
    }


def test_researchers_see_pseudonyms():
    assert Privacy.pseudonymised(KEY).apply("Person", PERSON) == {
        **PERSON,
        "name": p("张三", Mask.NAME),
        "id_number": p("33042119900101123X", Mask.ID_NUMBER),
        "mobile": p("13812341234", Mask.MOBILE),
    }


def test_free_text_is_withheld_from_researchers_too():
    dispute = {"id": "d1", "title": "张三与李四宅基地纠纷", "reported_on": date(2024, 5, 20)}
    for privacy in (Privacy.masked(), Privacy.pseudonymised(KEY)):
        assert privacy.apply("Dispute", dispute) == {**dispute, "title": WITHHELD}


def test_numbers_typed_into_other_fields_are_caught_too():
    row = {"id": "u1", "name": "联系人13812341234", "source": "身份证 33042119900101123X 登记"}
    assert Privacy.masked().apply("Unit", row) == {
        "id": "u1",
        "name": "联系人138****1234",
        "source": "身份证 330421********123X 登记",
    }
    # a division code, a grid id or a date is not a mobile number
    codes = {"code": "130102001001", "id": "130102001001-G01", "on": "2024-05-20"}
    assert Privacy.masked().apply("Grid", codes) == codes


def test_numbers_typed_in_full_width_digits_are_caught_and_link():
    """A Chinese input method types １３８…: the same number, found and pseudonymised as one."""
    row = {
        "id": "u1",
        "name": "联系人１３８－１２３４－１２３４",
        "source": "证３３０４２１１９９００１０１１２３ｘ",
    }
    assert Privacy.masked().apply("Unit", row) == {
        "id": "u1",
        "name": "联系人１３８****１２３４",
        "source": "证３３０４２１********１２３ｘ",
    }
    assert Privacy.pseudonymised(KEY).apply("Unit", row) == {
        "id": "u1",
        "name": "联系人" + p("13812341234", Mask.MOBILE),
        "source": "证" + p("33042119900101123X", Mask.ID_NUMBER),
    }
    assert p("１３８ １２３４ １２３４", Mask.MOBILE) == p("13812341234", Mask.MOBILE)


def test_empty_values_stay_empty():
    row = {"id": "p2", "name": None, "mobile": None, "id_number": None}
    assert Privacy.pseudonymised(KEY).apply("Person", row) == row


def test_relationship_rows_have_no_personal_properties():
    row = {"from": "p1", "to": "p2", "kind": "family", "relation": "嫂子"}
    assert Privacy.pseudonymised(KEY).apply("RELATED_TO", row) == row


def test_a_table_is_transformed_as_its_rows_are():
    """The researchers' copy applies the policy column by column: the same values."""
    people = [
        PERSON,
        {**PERSON, "id": "p2", "name": "李四 138-1234-1234", "mobile": None, "gender": None},
        {
            **PERSON,
            "id": "p3",
            "name": None,
            "id_number": None,
            "source": "电话１３８１２３４１２３４",
        },
        {**PERSON, "id": "p4", "name": "王五", "source": "编号1234 身份证33042119900101123x"},
    ]
    grids = [
        {
            "id": "130102001001-G01",
            "name": "一网格 13812341234",
            "level": 3,
            "on": date(2024, 5, 20),
        },
        {"id": "130102001001-G02", "name": None, "level": None, "on": None},
    ]
    rels = [{"from": "p1", "to": "p2", "kind": "family", "relation": "电话 +86 138 1234 1234"}]
    for privacy in (Privacy.raw(), Privacy.masked(), Privacy.pseudonymised(KEY)):
        for label, rows in (("Person", people), ("Grid", grids), ("RELATED_TO", rels)):
            table = pa.Table.from_pylist(rows)
            expected = [privacy.apply(label, r) for r in rows]
            assert privacy.apply_table(label, table).to_pylist() == expected
    # the rows above do change: the comparison is not between untouched tables
    sources = Privacy.masked().apply_table("Person", pa.Table.from_pylist(people))["source"]
    assert sources[3].as_py() == "编号1234 身份证330421********123x"


# -- ad-hoc results -----------------------------------------------------------------------------
