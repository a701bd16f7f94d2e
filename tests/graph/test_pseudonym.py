"""Keyed pseudonyms and the privacy policy: stable, keyed, not reversible, and applied to
node rows and to the rows of ad-hoc queries."""

from __future__ import annotations

import hashlib
import re
from datetime import date

import pytest

from graph.masking import WITHHELD
from graph.pseudonym import (
    Privacy,
    PseudonymKeyError,
    View,
    key_from_text,
    new_key,
    personal_columns,
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


def test_empty_values_stay_empty():
    row = {"id": "p2", "name": None, "mobile": None, "id_number": None}
    assert Privacy.pseudonymised(KEY).apply("Person", row) == row


def test_relationship_rows_have_no_personal_properties():
    row = {"from": "p1", "to": "p2", "kind": "family", "relation": "嫂子"}
    assert Privacy.pseudonymised(KEY).apply("RELATED_TO", row) == row


# -- ad-hoc results -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "columns"),
    [
        (
            "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) RETURN p.name, u.name, p.mobile AS m",
            {"p.name": Mask.NAME, "m": Mask.MOBILE},
        ),
        # relationships say what their ends are: a and b are units or grids here
        (
            "MATCH (g:Grid {id: $grid}) OPTIONAL MATCH (g)-[:PART_OF*0..8]->(a)-[:PART_OF]->(b) "
            "RETURN g.name AS grid, b.name AS parent",
            {},
        ),
        (
            "MATCH (u:Unit)<-[:LIVES_IN]-(p) RETURN p.name AS who, u.name AS place",
            {"who": Mask.NAME},
        ),
        # an unconstrained variable may be a person
        ("MATCH (n) RETURN n.name AS x", {"x": Mask.NAME}),
        ("UNWIND $xs AS x RETURN x.name", {"x.name": Mask.NAME}),
        ("MATCH (x:Unit) WITH count(*) AS c MATCH (x) RETURN x.name", {"x.name": Mask.NAME}),
        ("MATCH (a:Department|Person) RETURN a.name", {"a.name": Mask.NAME}),
        # aliases carry it through WITH, and expressions keep it
        ("MATCH (p:Person) WITH p.name AS who, count(*) AS c RETURN who, c", {"who": Mask.NAME}),
        (
            "MATCH (p:Person) RETURN collect(p.name) AS names, toUpper(p.id_number) AS idn",
            {"names": Mask.NAME, "idn": Mask.ID_NUMBER},
        ),
        # mixed kinds are withheld
        (
            "MATCH (d:Dispute)<-[:PARTY_TO]-(p:Person) RETURN d.title, p.name + p.mobile AS both",
            {"d.title": Mask.TEXT, "both": Mask.TEXT},
        ),
        ("MATCH (u:Unit) WHERE u.code STARTS WITH $p RETURN u.name, u.code", {}),
        # only patterns that must hold say what a variable is
        (
            "MATCH (li:ListItem) OPTIONAL MATCH (li)-[:HAS_EXPERTISE]->(dm:Domain) "
            "RETURN li.name AS item, dm.name AS domain",
            {},
        ),
        (
            "MATCH (p:Person) WITH p AS q OPTIONAL MATCH (q)-[:PART_OF]->(z) RETURN q.name",
            {"q.name": Mask.NAME},
        ),
        ("MATCH (x) WHERE (x)-[:PART_OF]->() RETURN x.name", {"x.name": Mask.NAME}),
        (
            "MATCH (g:Grid) OPTIONAL MATCH (g)-[:PART_OF*0..8]->(a) RETURN a.name",
            {"a.name": Mask.NAME},
        ),
        ("MATCH (g:Grid) OPTIONAL MATCH (g)-[:PART_OF*1..8]->(a) RETURN a.name", {}),
        (
            "MATCH (u:Unit) OPTIONAL MATCH (u)<-[:LIVES_IN]-(p) RETURN u.name, p.name",
            {"p.name": Mask.NAME},
        ),
        (
            "MATCH (p:Person) RETURN p.name AS x UNION MATCH (p:Unit) RETURN p.name AS x",
            {"x": Mask.NAME},
        ),
        ("MATCH p = shortestPath((a:Unit)-[*]-(b:Unit)) RETURN a.name", {"a.name": Mask.NAME}),
        ("MATCH (a:Unit), (b)-[:PART_OF]->(a) RETURN b.name, a.name", {}),
        (
            "MATCH (c:Center)-[:JURISDICTION]->(u) WITH c, u WHERE u.code STARTS WITH '33' "
            "RETURN c.name, u.name",
            {},
        ),
    ],
)
def test_personal_columns_from_the_query(query, columns):
    assert personal_columns(query, []) == columns


def test_personal_columns_from_names_and_values():
    rows = [
        {"p.mobile": "x", "u.name": "嘉善县", "phone": None, "ids": ["33042119900101123X"]},
        {"p.mobile": "y", "u.name": "景宁县", "phone": 13812341234, "ids": []},
    ]
    assert personal_columns(None, rows) == {
        "p.mobile": Mask.MOBILE,
        "u.name": Mask.NAME,  # without the query, u may be a person
        "phone": Mask.MOBILE,
        "ids": Mask.ID_NUMBER,
    }
    query = (
        "MATCH (p:Person)-[:LIVES_IN]->(u:Unit) RETURN p.mobile, u.name, p.x AS phone, p.y AS ids"
    )
    assert personal_columns(query, rows) == {
        "p.mobile": Mask.MOBILE,
        "phone": Mask.MOBILE,
        "ids": Mask.ID_NUMBER,
    }


def test_rows_of_an_ad_hoc_query():
    node = {"_ID": {"offset": 0, "table": 2}, "_LABEL": "Person", **PERSON}
    unit = {
        "_ID": {"offset": 0, "table": 0},
        "_LABEL": "Unit",
        "code": "330421000000",
        "name": "嘉善县",
    }
    rows = [
        {
            "p": node,
            "path": {"_NODES": [node, unit], "_RELS": []},
            "p.name": "张三",
            "props": {"name": "张三", "mobile": "13812341234"},
            "note": "call 13812341234",
            "n": 3,
        }
    ]
    query = (
        "MATCH path = (p:Person)-[:LIVES_IN]->(u:Unit) RETURN p, path, p.name, "
        "properties(p) AS props, 'call ' + p.x AS note, 3 AS n"
    )
    masked_node = {
        **node,
        "name": "张某",
        "id_number": "330421********123X",
        "mobile": "138****1234",
    }
    assert Privacy.masked().rows(rows, query) == [
        {
            "p": masked_node,
            "path": {"_NODES": [masked_node, unit], "_RELS": []},
            "p.name": "张某",
            "props": {"name": "张某", "mobile": "138****1234"},
            "note": "call 138****1234",
            "n": 3,
        }
    ]
    assert Privacy.raw().rows(rows, query) == rows


def test_apply_without_a_label_reads_the_values():
    row = {"who": "张三", "phone": "13812341234", "p.name": "李四"}
    assert Privacy.masked().apply(None, row) == {
        "who": "张三",  # a name cannot be told by its value: the documented limit
        "phone": "138****1234",
        "p.name": "李某",
    }


def test_the_named_queries_personal_columns():
    from queries.library import named_queries

    found = {n: personal_columns(q.text, []) for n, q in named_queries().items()}
    assert found["ladder_unit_bodies"] == {"holder_name": Mask.NAME, "mobile": Mask.MOBILE}
    assert found["county_summary"] == {}
    assert found["counts_by_label"] == {}
