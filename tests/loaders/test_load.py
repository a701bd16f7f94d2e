"""Loading files into the graph: every row is loaded, rejected or counted as a duplicate, the
bad input the field sends survives as rejects, and a rerun changes nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from graph.ddl import RID
from graph.dump import dump
from graph.embedded import EmbeddedBackend
from graph.schema import SCHEMA, Schema
from loaders.chinese import MOBILE_RULE
from loaders.divisions import divisions_within
from loaders.load import (
    FileReport,
    Loader,
    LoadReport,
    MemoryTable,
    Reject,
    load,
    relationship_id,
)
from loaders.provenance import file_digest, node_fact, rel_fact, sources
from loaders.read import Lines

WriteCsv = Callable[..., Path]  # the `write_csv` fixture

GRIDS = [
    ["id", "name", "level", "kind"],
    ["g1", "一号网格", "1", "basic"],
    ["g2", "二号网格", "2", "micro"],
]
PEOPLE = [
    ["id", "name", "id_number", "mobile"],
    ["p1", "张三", "33042119900101123X", "13812341234"],
    ["p2", "李四", "", ""],
]
SERVES_IN = [
    ["from", "to", "role", "valid_from"],
    ["p1", "g1", "head", "2024-01-01"],
    ["p2", "g2", "full_time", ""],
]
COUNTY = [["code", "name", "level"], ["330421000000", "嘉善县", "county"]]
GRIDS_PART_OF = [  # of two label pairs: Grid→Unit and Grid→Grid
    ["from", "to", "from_type", "to_type"],
    ["g1", "330421000000", "Grid", "Unit"],
    ["g2", "g1", "Grid", "Grid"],
]
WRONG_CHECK_DIGIT = "wrong check digit '5', expected 'X'"
EXCEL_FLOAT = (
    "the ID number was stored as a number (Excel keeps 15 significant digits, so its last "
    "digits are lost); format the column as text and enter it again"
)


def let_go_logged(backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """A list that each time `backend` lets go of its memory gains "let go" (a test adds its
    own events to it)."""
    events: list[Any] = []
    drop = backend.drop_cached_pages

    def dropping() -> None:
        events.append("let go")
        drop()

    monkeypatch.setattr(backend, "drop_cached_pages", dropping)
    return events


def lines(report: LoadReport) -> list[str]:
    return [f.line() for f in report.files]


def people(backend: EmbeddedBackend) -> list[tuple[Any, ...]]:
    rows = backend.read("MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id")
    return [(r["id"], r["name"]) for r in rows]


def counts(backend: EmbeddedBackend) -> dict[str, int]:
    """How many nodes of each label and relationships of each type there are, leaving out 0."""
    found = {}
    for n in SCHEMA.nodes:
        found[n.label] = backend.read(f"MATCH (n:{n.label}) RETURN count(n) AS n")[0]["n"]
    for r in SCHEMA.rels:
        found[r.type] = backend.read(f"MATCH ()-[r:{r.type}]->() RETURN count(r) AS n")[0]["n"]
    return {name: n for name, n in found.items() if n}


@pytest.fixture
def basics(write_csv: WriteCsv) -> list[Path]:
    """Two grids, two people and the posts they hold."""
    return [
        write_csv("t.grids.csv", GRIDS),
        write_csv("t.people.csv", PEOPLE),
        write_csv("t.serves_in.csv", SERVES_IN),
    ]


# -- what a good load does -----------------------------------------------------------------


def test_a_clean_load_accounts_for_every_row(backend: EmbeddedBackend, basics: list[Path]) -> None:
    report = load(backend, basics)
    assert report.ok
    assert lines(report) == [
        "t.grids.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        "t.people.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        "t.serves_in.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
    ]
    assert backend.read(
        "MATCH (p:Person)-[s:SERVES_IN]->(g:Grid) RETURN p.id AS person, p.id_number AS "
        "id_number, p.mobile AS mobile, s.role AS role, s.valid_from AS since, g.id AS grid, "
        "g.level AS level, s.source AS source ORDER BY person"
    ) == [
        {
            "person": "p1",
            "id_number": "33042119900101123X",
            "mobile": "13812341234",
            "role": "head",
            "since": date(2024, 1, 1),
            "grid": "g1",
            "level": 1,
            "source": "t.serves_in.csv",
        },
        {
            "person": "p2",
            "id_number": None,
            "mobile": None,
            "role": "full_time",
            "since": None,
            "grid": "g2",
            "level": 2,
            "source": "t.serves_in.csv",
        },
    ]


def test_a_rerun_of_the_same_files_changes_nothing(
    backend: EmbeddedBackend, basics: list[Path]
) -> None:
    load(backend, basics)
    first = dump(backend)
    again = load(backend, basics)
    assert (again.ok, dump(backend)) == (True, first)
    assert counts(backend) == {"Grid": 2, "Person": 2, "SERVES_IN": 2}


def test_a_batch_boundary_is_crossed(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    names = ["张一", "张二", "张三", "张四", "张五"]
    people_csv = write_csv(
        "t.people.csv", [["id", "name"], *([f"p{i}", n] for i, n in enumerate(names))]
    )
    serves_csv = write_csv(
        "t.serves_in.csv",
        [["from", "to", "role"], *([f"p{i}", "g1", "part_time"] for i in range(5))],
    )
    grids_csv = write_csv("t.grids.csv", GRIDS[:2])
    batches: list[tuple[str, int]] = []
    report = load(
        backend,
        [people_csv, serves_csv, grids_csv],
        batch_size=2,
        on_progress=lambda name, rows: batches.append((name, rows)),
    )
    assert lines(report) == [
        "t.grids.csv: read 1 = loaded 1 + rejected 0 + duplicates 0",
        "t.people.csv: read 5 = loaded 5 + rejected 0 + duplicates 0",
        "t.serves_in.csv: read 5 = loaded 5 + rejected 0 + duplicates 0",
    ]
    assert batches == [
        ("t.grids.csv", 1),
        ("t.people.csv", 2),
        ("t.people.csv", 2),
        ("t.people.csv", 1),
        ("t.serves_in.csv", 2),
        ("t.serves_in.csv", 2),
        ("t.serves_in.csv", 1),
    ]
    assert people(backend) == [(f"p{i}", n) for i, n in enumerate(names)]
    assert counts(backend) == {"Grid": 1, "Person": 5, "SERVES_IN": 5}


def test_json_lines_input(backend: EmbeddedBackend, tmp_path: Path) -> None:
    path = tmp_path / "t.people.jsonl"
    records = [
        {"id": "p1", "name": "张三", "mobile": 13812341234},
        {"id": "p2", "name": "李四", "gender": "female"},
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    report = load(backend, [path])
    assert lines(report) == ["t.people.jsonl: read 2 = loaded 2 + rejected 0 + duplicates 0"]
    assert backend.read(
        "MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.mobile AS mobile, "
        "p.gender AS gender ORDER BY id"
    ) == [
        {"id": "p1", "name": "张三", "mobile": "13812341234", "gender": None},
        {"id": "p2", "name": "李四", "mobile": None, "gender": "female"},
    ]


def test_xlsx_input(backend: EmbeddedBackend, tmp_path: Path) -> None:
    book = Workbook()
    for row in [["id", "name", "level", "kind", "households"], ["g1", "一号网格", 1, "basic", 120]]:
        book.active.append(row)
    book.save(tmp_path / "t.grids.xlsx")
    report = load(backend, [tmp_path / "t.grids.xlsx"])
    assert lines(report) == ["t.grids.xlsx: read 1 = loaded 1 + rejected 0 + duplicates 0"]
    assert backend.read(
        "MATCH (g:Grid) RETURN g.id AS id, g.name AS name, g.level AS level, "
        "g.households AS households, g.source AS source"
    ) == [{"id": "g1", "name": "一号网格", "level": 1, "households": 120, "source": "t.grids.xlsx"}]


def test_traditional_files_are_simplified(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    files = [
        write_csv("t.people.csv", [["id", "name", "profession"], ["p1", "張三", "醫生"]]),
        write_csv(
            "t.grids.csv", [["id", "name", "level", "kind"], ["東門網格", "東門網格", "1", "basic"]]
        ),
        write_csv("t.serves_in.csv", [["from", "to", "role"], ["p1", "東門網格", "head"]]),
    ]
    report = load(backend, files, traditional=True)
    assert report.ok
    assert backend.read(
        "MATCH (p:Person)-[:SERVES_IN]->(g:Grid) RETURN p.name AS name, "
        "p.profession AS profession, g.id AS grid, g.name AS grid_name"
    ) == [{"name": "张三", "profession": "医生", "grid": "东门网格", "grid_name": "东门网格"}]


def test_full_width_digits_and_letters_are_normalised(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    rows = [
        ["id", "name", "mobile", "id_number"],
        ["Ｐ１", "张三（小）", "１３８１２３４１２３４", "３３０４２１１９９００１０１１２３ｘ"],
    ]
    assert load(backend, [write_csv("t.people.csv", rows)]).ok
    assert backend.read(
        "MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.mobile AS mobile, "
        "p.id_number AS id_number"
    ) == [
        {
            "id": "P1",
            "name": "张三（小）",
            "mobile": "13812341234",
            "id_number": "33042119900101123X",
        }
    ]


def test_official_units_load_from_memory_and_grids_nest_in_them(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    village = divisions_within("330421102001")  # 大云社区 and the chain above it
    loader = Loader(backend)
    loader.load_tables(
        [
            MemoryTable("divisions", "units", village.units),
            MemoryTable("divisions", "part_of", village.part_of),
        ]
    )
    report = loader.load_paths(
        [
            write_csv("t.grids.csv", GRIDS[:2]),
            write_csv(
                "t.part_of.csv",
                [["from", "to", "from_type", "to_type"], ["g1", "330421102001", "Grid", "Unit"]],
            ),
        ]
    )
    assert lines(report) == [
        "divisions: read 5 = loaded 5 + rejected 0 + duplicates 0",
        "divisions: read 4 = loaded 4 + rejected 0 + duplicates 0",
        "t.grids.csv: read 1 = loaded 1 + rejected 0 + duplicates 0",
        "t.part_of.csv: read 1 = loaded 1 + rejected 0 + duplicates 0",
    ]
    assert backend.read(
        "MATCH (g:Grid)-[:PART_OF*1..5]->(u:Unit) RETURN u.name AS name ORDER BY u.code"
    ) == [{"name": name} for name in ["浙江省", "嘉兴市", "嘉善县", "大云镇", "大云社区"]]


# -- encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_gbk_and_utf8_with_bom_load_correctly(
    backend: EmbeddedBackend, write_csv: WriteCsv, encoding: str
) -> None:
    rows = [["id", "name", "profession"], ["p1", "嘉善县魏塘街道张三", "调解员"]]
    report = load(backend, [write_csv("t.people.csv", rows, encoding)])
    assert lines(report) == ["t.people.csv: read 1 = loaded 1 + rejected 0 + duplicates 0"]
    assert backend.read(
        "MATCH (p:Person) RETURN p.id AS id, p.name AS name, p.profession AS profession"
    ) == [{"id": "p1", "name": "嘉善县魏塘街道张三", "profession": "调解员"}]


def test_a_file_in_neither_encoding_is_refused_and_the_others_load(
    backend: EmbeddedBackend, tmp_path: Path, write_csv: WriteCsv
) -> None:
    latin1 = tmp_path / "t.people.csv"
    latin1.write_bytes("id,name\np1,José\n".encode("latin-1"))
    report = load(backend, [latin1, write_csv("t.grids.csv", GRIDS)])
    reason = "the file is neither UTF-8 nor GB18030 (byte 0xe9 at offset 14); save it as UTF-8"
    assert lines(report) == [
        f"t.people.csv: read 0 = loaded 0 + rejected 0 + duplicates 0 (file refused: {reason})",
        "t.grids.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
    ]
    assert (report.ok, report.rejects) == (False, [Reject("t.people.csv", 0, "", "", reason)])
    assert counts(backend) == {"Grid": 2}


def test_a_file_changed_after_the_load_first_read_it_is_refused_then(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """Each file is read when the load begins (to refuse it before any row is loaded) and again
    at its turn: one that changed in between is refused whole, and the others load."""
    grids = write_csv("t.grids.csv", GRIDS)
    later = write_csv("t.people.csv", PEOPLE)

    def change_the_people(name: str, rows: int) -> None:  # after the grids' batch
        later.write_text("id,name\np9,王九\n", encoding="utf-8")

    report = load(backend, [later, grids], on_progress=change_the_people)
    reason = "t.people.csv: the file changed while the load was reading it; load it again"
    assert lines(report) == [
        "t.grids.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        f"t.people.csv: read 0 = loaded 0 + rejected 0 + duplicates 0 (file refused: {reason})",
    ]
    assert (report.ok, report.rejects) == (False, [Reject("t.people.csv", 0, "", "", reason)])
    assert counts(backend) == {"Grid": 2}


def test_mojibake_is_rejected_per_cell(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    # UTF-8 text opened as GBK and saved again as UTF-8: 张三 律师 became 寮犱笁 寰嬪笀, and
    # 魏塘街道, whose bytes GBK could not all pair, 榄忓�樿�楅亾.
    rows = [
        ["id", "name", "profession"],
        ["p1", "寮犱笁", "寰嬪笀"],
        ["p2", "李四", "调解员"],
        ["p3", "榄忓�樿�楅亾", ""],
    ]
    report = load(backend, [write_csv("t.people.csv", rows)])
    mojibake = "the text looks like UTF-8 read as GBK (mojibake); fix the file's encoding"
    assert report.rejects == [
        Reject("t.people.csv", 2, "name", "寮犱笁", mojibake),
        Reject("t.people.csv", 2, "profession", "寰嬪笀", mojibake),
        Reject("t.people.csv", 4, "name", "榄忓�樿�楅亾", mojibake),
    ]
    assert lines(report) == ["t.people.csv: read 3 = loaded 1 + rejected 2 + duplicates 0"]
    assert people(backend) == [("p2", "李四")]


# -- bad rows ------------------------------------------------------------------------------


def test_nul_bytes_and_ragged_rows_are_rejected_with_their_line(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    path = tmp_path / "t.people.csv"
    path.write_text("id,name\np1,张三\np2,李\x00四\np3\np4,王五,extra\np5,赵六\n", "utf-8")
    report = load(backend, [path])
    assert lines(report) == ["t.people.csv: read 5 = loaded 2 + rejected 3 + duplicates 0"]
    assert report.rejects == [
        Reject("t.people.csv", 3, "name", "李\x00四", "the value contains a NUL byte"),
        Reject("t.people.csv", 4, "", "", "the row has 1 cells, the header 2"),
        Reject("t.people.csv", 5, "", "", "the row has 3 cells, the header 2"),
    ]
    assert people(backend) == [("p1", "张三"), ("p5", "赵六")]


def test_a_missing_required_column_rejects_every_row_naming_it(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    rows = [["id", "level", "kind"], ["g1", "1", "basic"], ["g2", "1", "basic"]]
    report = load(backend, [write_csv("t.grids.csv", rows)])
    reason = "file refused: the required column 'name' is missing"
    assert lines(report) == [
        "t.grids.csv: read 2 = loaded 0 + rejected 2 + duplicates 0"
        " (file refused: the required column 'name' is missing)"
    ]
    assert report.rejects == [
        Reject("t.grids.csv", 2, "name", "", reason),
        Reject("t.grids.csv", 3, "name", "", reason),
    ]
    assert counts(backend) == {}


def test_duplicate_keys_within_a_file(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    rows = [["id", "name"], ["p1", "张三"], ["p2", "李四"], ["p1", "张三"], ["p1", "张叁"]]
    report = load(backend, [write_csv("t.people.csv", rows)])
    assert lines(report) == ["t.people.csv: read 4 = loaded 2 + rejected 1 + duplicates 1"]
    assert report.rejects == [
        Reject(
            "t.people.csv",
            5,
            "id",
            "p1",
            "Person 'p1' was already given at t.people.csv:2 with other values",
        )
    ]
    assert people(backend) == [("p1", "张三"), ("p2", "李四")]


def test_duplicate_keys_across_files(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    files = [
        write_csv("a.people.csv", [["id", "name"], ["p1", "张三"], ["p2", "李四"]]),
        # Another file may give other columns; `source` is its own and is not compared.
        write_csv(
            "b.people.csv",
            [["id", "name", "mobile"], ["p1", "张三", ""], ["p2", "李四", "13812341234"]],
        ),
    ]
    report = load(backend, files)
    assert lines(report) == [
        "a.people.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        "b.people.csv: read 2 = loaded 0 + rejected 1 + duplicates 1",
    ]
    assert report.rejects == [
        Reject(
            "b.people.csv",
            3,
            "id",
            "p2",
            "Person 'p2' was already given at a.people.csv:3 with other values",
        )
    ]


def test_duplicate_relationships(
    backend: EmbeddedBackend, basics: list[Path], write_csv: WriteCsv
) -> None:
    more = [
        ["from", "to", "role", "valid_from", "valid_to"],
        ["p1", "g1", "head", "2024-01-01", ""],  # the same as in t.serves_in.csv
        ["p1", "g1", "head", "2024-01-01", "2024-06-30"],  # the same tie, other values
        ["p1", "g1", "head", "2025-01-01", ""],  # another term: another tie
    ]
    report = load(backend, [*basics, write_csv("more.serves_in.csv", more)])
    assert lines(report)[2:] == [
        "t.serves_in.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        "more.serves_in.csv: read 3 = loaded 1 + rejected 1 + duplicates 1",
    ]
    assert report.rejects == [
        Reject(
            "more.serves_in.csv",
            3,
            "",
            "",
            "the same SERVES_IN was already given at t.serves_in.csv:2 with other values",
        )
    ]
    assert counts(backend) == {"Grid": 2, "Person": 2, "SERVES_IN": 3}


def test_references_that_do_not_resolve_are_rejected_and_make_no_placeholders(
    backend: EmbeddedBackend, basics: list[Path], write_csv: WriteCsv
) -> None:
    files = [
        *basics,
        write_csv(
            "x.serves_in.csv", [["from", "to", "role"], ["p9", "g1", "head"], ["p1", "g9", "head"]]
        ),
        write_csv("x.lives_in.csv", [["from", "to"], ["p1", "330421999999"]]),
        write_csv(
            "x.part_of.csv",
            [["from", "to", "from_type", "to_type"], ["g1", "330421000000", "Grid", "Unit"]],
        ),
    ]
    report = load(backend, files)
    nowhere = "which is neither in this load nor in the graph"
    assert report.rejects == [
        Reject(
            "x.part_of.csv", 2, "to", "330421000000", f"refers to Unit '330421000000', {nowhere}"
        ),
        Reject(
            "x.lives_in.csv", 2, "to", "330421999999", f"refers to Unit '330421999999', {nowhere}"
        ),
        Reject("x.serves_in.csv", 2, "from", "p9", f"refers to Person 'p9', {nowhere}"),
        Reject("x.serves_in.csv", 3, "to", "g9", f"refers to Grid 'g9', {nowhere}"),
    ]
    assert counts(backend) == {"Grid": 2, "Person": 2, "SERVES_IN": 2}


def test_references_resolve_to_nodes_loaded_before(
    backend: EmbeddedBackend, basics: list[Path], write_csv: WriteCsv
) -> None:
    load(backend, basics[:2])
    report = load(backend, [basics[2]])
    assert lines(report) == ["t.serves_in.csv: read 2 = loaded 2 + rejected 0 + duplicates 0"]
    assert counts(backend) == {"Grid": 2, "Person": 2, "SERVES_IN": 2}


def test_a_reference_to_a_rejected_row_says_where_it_was_rejected(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    files = [
        write_csv("t.people.csv", [["id", "name", "mobile"], ["p1", "张三", "12345"]]),
        write_csv("t.grids.csv", GRIDS[:2]),
        write_csv("t.serves_in.csv", SERVES_IN[:2]),
    ]
    report = load(backend, files)
    assert report.rejects == [
        Reject("t.people.csv", 2, "mobile", "12345", MOBILE_RULE),
        Reject(
            "t.serves_in.csv",
            2,
            "from",
            "p1",
            "refers to Person 'p1', which was rejected at t.people.csv:2",
        ),
    ]
    assert counts(backend) == {"Grid": 1}


def test_a_relationship_with_an_empty_endpoint_is_rejected(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    rows = [["from", "to", "role"], ["p9", "g1", "head"], ["", "g1", "head"]]
    report = load(backend, [write_csv("t.serves_in.csv", rows)])
    assert report.rejects == [
        Reject("t.serves_in.csv", 3, "from", "", "a value is required"),
        Reject(
            "t.serves_in.csv",
            2,
            "from",
            "p9",
            "refers to Person 'p9', which is neither in this load nor in the graph",
        ),
    ]


def test_id_numbers_with_a_wrong_check_digit_or_turned_into_floats(
    backend: EmbeddedBackend, tmp_path: Path, write_csv: WriteCsv
) -> None:
    csv_rows = [
        ["id", "name", "id_number"],
        ["p1", "张三", "330421199001011235"],
        ["p2", "李四", "3.30421199001011E+17"],  # Excel's float, saved as CSV
        ["p3", "王五", "33042119900101123X"],
    ]
    book = Workbook()
    book.active.append(["id", "name", "id_number"])
    book.active.append(["p4", "赵六", 3.30421199001011e17])  # a number cell, as Excel keeps it
    book.save(tmp_path / "t.people.xlsx")
    report = load(backend, [write_csv("t.people.csv", csv_rows), tmp_path / "t.people.xlsx"])
    assert report.rejects == [
        Reject("t.people.csv", 2, "id_number", "330421199001011235", WRONG_CHECK_DIGIT),
        Reject("t.people.csv", 3, "id_number", "3.30421199001011E+17", EXCEL_FLOAT),
        Reject("t.people.xlsx", 2, "id_number", "330421199001011008", EXCEL_FLOAT),
    ]
    assert people(backend) == [("p3", "王五")]


def test_oversize_cells(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    people_rows = [["id", "name"], ["p1", "长" * 201], ["p2", "长" * 200_000], ["p3", "长" * 200]]
    # A whole number past 64 bits once crashed the batch it was in instead of being rejected.
    grid_rows = [[*GRIDS[0], "population"], ["g1", "一号网格", "1", "basic", "9" * 20]]
    report = load(
        backend, [write_csv("t.people.csv", people_rows), write_csv("t.grids.csv", grid_rows)]
    )
    assert report.rejects == [
        Reject(
            "t.grids.csv", 2, "population", "9" * 20, "the number is too large for a 64-bit integer"
        ),
        Reject("t.people.csv", 2, "name", "长" * 201, "201 characters, more than the 200 allowed"),
        Reject("t.people.csv", 3, "", "", "unreadable CSV: field larger than field limit (131072)"),
    ]
    assert people(backend) == [("p3", "长" * 200)]
    assert counts(backend) == {"Person": 1}


# -- files refused whole -------------------------------------------------------------------


def test_empty_and_wrong_type_files_are_refused(backend: EmbeddedBackend, tmp_path: Path) -> None:
    files = {
        "empty.people.csv": b"",
        "t.people.txt": b"id,name\np1,x\n",
        "t.people.xlsx": b"id,name\np1,x\n",
        "t.peoples.csv": b"id,name\np1,x\n",
        "header.people.csv": b"id,name\n",  # no rows, nothing wrong
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    report = load(backend, [tmp_path / name for name in files])
    reasons = {
        "empty.people.csv": "empty.people.csv: the file is empty; it needs at least a header row",
        "t.people.txt": "t.people.txt: .txt is not a format the loader reads; use one of .csv, "
        ".xlsx, .jsonl",
        "t.people.xlsx": "t.people.xlsx: not a readable XLSX workbook (File is not a zip file)",
        "t.peoples.csv": "'peoples' is not a type the loader knows; did you mean 'people'? (name "
        f"files <anything>.<type>.csv, one of: {', '.join(SCHEMA.files)})",
    }
    zero = "read 0 = loaded 0 + rejected 0 + duplicates 0"
    assert lines(report) == [
        *(f"{name}: {zero} (file refused: {reason})" for name, reason in reasons.items()),
        f"header.people.csv: {zero}",
    ]
    assert report.rejects == [Reject(name, 0, "", "", reason) for name, reason in reasons.items()]
    assert not report.ok
    assert counts(backend) == {}


# -- values shaped like Cypher -------------------------------------------------------------


def test_cypher_shaped_values_are_stored_as_text_and_touch_nothing(
    backend: EmbeddedBackend, basics: list[Path], write_csv: WriteCsv
) -> None:
    load(backend, basics)
    before = dump(backend)
    name = "x' WITH p MATCH (q:Person) DETACH DELETE q //"
    key = 'p9"}) MATCH (n) DETACH DELETE n //'
    evil_column, evil_label = "kind`) DETACH DELETE (n", "Grid]->() DETACH DELETE (x"
    report = load(
        backend,
        [
            write_csv("evil.people.csv", [["id", "name"], [key, name]]),
            write_csv(
                "evil.part_of.csv",
                [
                    ["from", "to", "from_type", "to_type"],
                    ["g1", "g2", evil_label, "Grid"],
                ],
            ),
            write_csv(
                "evil.grids.csv",
                [
                    ["id", "name", "level", "kind", evil_column],
                    ["g9", "x", "1", "basic", "y"],
                ],
            ),
        ],
    )
    assert people(backend) == [("p1", "张三"), ("p2", "李四"), (key, name)]
    after = dump(backend)
    assert after["Person"][:2] == before["Person"]
    assert {label: rows for label, rows in after.items() if label != "Person"} == {
        label: rows for label, rows in before.items() if label != "Person"
    }
    assert report.rejects == [
        Reject(
            "evil.grids.csv",
            2,
            evil_column,
            "",
            f"file refused: {evil_column!r} is not a column of grids files",
        ),
        Reject(
            "evil.part_of.csv",
            2,
            "from_type",
            evil_label,
            f"PART_OF does not join {evil_label}→Grid; it joins Unit→Unit, Grid→Unit, Grid→Grid",
        ),
    ]


# -- the report ----------------------------------------------------------------------------


def test_the_reconciliation_line(backend: EmbeddedBackend, write_csv: WriteCsv) -> None:
    rows = [
        ["id", "name"],
        ["p1", "张三"],
        ["p1", "张三"],
        ["p2", ""],
        ["p3", "王五"],
        ["p3", "王伍"],
    ]
    report = load(backend, [write_csv("330421.people.csv", rows)])
    assert report.files == [
        FileReport("330421.people.csv", read=5, loaded=2, rejected=2, duplicates=1, lines=Lines(6))
    ]
    assert report.files[0].balanced
    assert report.files[0].line() == (
        "330421.people.csv: read 5 = loaded 2 + rejected 2 + duplicates 1"
    )


def test_a_misplaced_quote_loses_no_one_and_gives_no_one_else_s_numbers(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    """Read as one record, lines 3-4 would give 王二 张三's ID number and mobile."""
    path = tmp_path / "t.people.csv"
    path.write_text(
        "id,name,id_number,mobile\n"
        "p1,李一,33042119900101123X,13812340001\n"
        'p2,"王二,330421199001011008,13812340002\n'
        'p3,张三",330421199001011016,13812340003\n'
        "\n"
        "p4,赵四,,13812340004\n",
        encoding="utf-8",
    )
    report = load(backend, [path])
    assert not report.ok and report.files[0].balanced
    assert lines(report) == [
        "t.people.csv: read 4 = loaded 2 + rejected 2 + duplicates 0; "
        "6 lines = 1 header + 1 blank + 4 in rows read"
    ]
    why = (
        "lines 3–4 read as one record: the name cell holds a line break; a quote on line 3 is "
        'probably missing, extra or not doubled (write "" for a quote inside a quoted cell)'
    )
    assert report.rejects == [
        Reject("t.people.csv", 3, "name", "", why),
        Reject("t.people.csv", 4, "name", "", why),
    ]
    assert people(backend) == [("p1", "李一"), ("p4", "赵四")]


def test_free_text_may_span_lines_and_the_report_says_so(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    path = tmp_path / "t.disputes.csv"
    path.write_text(
        'id,title,reported_on\nd1,"邻里漏水\n楼上楼下",2024-03-01\nd2,宅基地,2024-03-02\n',
        encoding="utf-8",
    )
    report = load(backend, [path])
    assert report.ok and report.files[0].balanced
    assert lines(report) == [
        "t.disputes.csv: read 2 = loaded 2 + rejected 0 + duplicates 0; 4 lines = 1 header + "
        "0 blank + 3 in rows read (1 inside rows whose free text spans lines)"
    ]
    titles = backend.read("MATCH (d:Dispute) RETURN d.title AS t ORDER BY d.id")
    assert [r["t"] for r in titles] == ["邻里漏水\n楼上楼下", "宅基地"]


def test_a_key_stored_as_a_decimal_number_is_rejected(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    path = tmp_path / "t.grids.jsonl"
    path.write_text(
        '{"id": 1001.0, "name": "一号网格", "level": 1, "kind": "basic"}\n'
        '{"id": 1002, "name": "二号网格", "level": 1, "kind": "basic"}\n',
        encoding="utf-8",
    )
    report = load(backend, [path])
    assert report.rejects == [
        Reject(
            "t.grids.jsonl",
            1,
            "id",
            "1001",
            "the key was stored as a decimal number (such as 1001.0), so its text cannot be "
            "known for sure; store keys as text",
        )
    ]
    assert [r["id"] for r in backend.read("MATCH (g:Grid) RETURN g.id AS id")] == ["1002"]


def test_the_rejects_file(backend: EmbeddedBackend, tmp_path: Path, write_csv: WriteCsv) -> None:
    rows = [
        ["id", "name", "mobile", "gender"],
        ["p1", "张三", "1381234123", "M"],  # 男 would do: a choice's Chinese name
        ["p2", "", "", ""],
        ["p3", "王五", "", "male", "extra"],
        ["p4", 'say "hi", then', "", "female"],
    ]
    report = load(backend, [write_csv("t.people.csv", rows)])
    report.write_rejects(tmp_path / "rejects.csv")
    assert (tmp_path / "rejects.csv").read_bytes().decode() == (
        "file,line,column,value,reason\r\n"
        't.people.csv,2,mobile,1381234123,"a mobile number is 11 digits starting 13–19 (+86 or '
        '0086 before it, and spaces or hyphens in it, are fine)"\r\n'
        't.people.csv,2,gender,M,"not one of male (男/男性), female (女/女性)"\r\n'
        "t.people.csv,3,name,,a value is required\r\n"
        't.people.csv,4,,,"the row has 5 cells, the header 4"\r\n'
    )
    assert people(backend) == [("p4", 'say "hi", then')]


# -- relationship files that name their endpoints' labels ---------------------------------


def test_the_same_relationship_with_and_without_endpoint_types_is_a_duplicate(
    backend: EmbeddedBackend, basics: list[Path], write_csv: WriteCsv
) -> None:
    typed = [
        ["from", "to", "from_type", "to_type", "role", "valid_from"],
        ["p1", "g1", "Person", "Grid", "head", "2024-01-01"],
    ]
    report = load(backend, [*basics, write_csv("typed.serves_in.csv", typed)])
    assert lines(report)[2:] == [
        "t.serves_in.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        "typed.serves_in.csv: read 1 = loaded 0 + rejected 0 + duplicates 1",
    ]


def test_a_wrong_to_type_is_reported_in_its_own_column(
    backend: EmbeddedBackend, basics: list[Path], write_csv: WriteCsv
) -> None:
    rows = [["from", "to", "from_type", "to_type"], ["g1", "p1", "Grid", "Person"]]
    report = load(backend, [*basics, write_csv("t.part_of.csv", rows)])
    assert report.rejects == [
        Reject(
            "t.part_of.csv",
            2,
            "to_type",
            "Person",
            "PART_OF does not join Grid→Person; it joins Unit→Unit, Grid→Unit, Grid→Grid",
        )
    ]


class CountingBackend:
    """The backend, recording each relationship write (one call is one transaction)."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self._backend = backend
        self.rel_writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def upsert_rels(self, rel_type: Any, *args: Any, **kwargs: Any) -> None:
        self.rel_writes.append(rel_type.type)
        self._backend.upsert_rels(rel_type, *args, **kwargs)


def test_a_batch_of_relationships_of_several_label_pairs_is_one_write(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """A killed load keeps whole batches only: a batch joining Grid→Unit and Grid→Grid must
    not be written as one transaction per pair."""
    files = [
        write_csv("t.units.csv", COUNTY),
        write_csv("t.grids.csv", GRIDS),
        write_csv("t.part_of.csv", GRIDS_PART_OF),
    ]
    counting = CountingBackend(backend)
    assert load(counting, files, batch_size=5).ok
    assert counting.rel_writes == ["PART_OF"]
    assert counts(backend) == {"Unit": 1, "Grid": 2, "PART_OF": 2}


def test_a_loaded_log_is_appended_to_never_changed(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """A reload of the same events is all duplicates; an event whose row now says something
    else is rejected, and the log keeps what it held."""
    header = ["id", "dispute", "version", "at", "action", "to_state"]
    first = [
        ["W1#1", "W1", "1", "2024-07-02T09:00:00+08:00", "report", "reported"],
        ["W1#2", "W1", "2", "2024-07-02T10:00:00+08:00", "accept", "accepted"],
    ]
    assert load(backend, [write_csv("a.dispute_events.csv", [header, *first])]).rejects == []
    again = load(backend, [write_csv("b.dispute_events.csv", [header, *first])])
    assert [f.line() for f in again.files] == [
        "b.dispute_events.csv: read 2 = loaded 0 + rejected 0 + duplicates 2"
    ]
    changed = [*first[:1], ["W1#2", "W1", "2", "2024-07-02T10:00:00+08:00", "bounce", "accepted"]]
    report = load(backend, [write_csv("c.dispute_events.csv", [header, *changed])])
    assert [(r.line, r.column, r.value, r.reason) for r in report.rejects] == [
        (
            3,
            "action",
            "bounce",
            "DisputeEvent 'W1#2' is in the log already with other values (action): a log is "
            "appended to, never changed",
        )
    ]
    assert backend.read("MATCH (e:DisputeEvent) RETURN e.id AS id, e.action AS a ORDER BY id") == [
        {"id": "W1#1", "a": "report"},
        {"id": "W1#2", "a": "accept"},
    ]


EVENTS = [
    ["id", "dispute", "version", "at", "action", "to_state"],
    ["W1#1", "W1", "1", "2024-07-02T09:00:00+08:00", "report", "reported"],
    ["W1#2", "W1", "2", "2024-07-02T10:00:00+08:00", "accept", "accepted"],
    ["W2#1", "W2", "1", "2024-07-03T09:00:00+08:00", "report", "reported"],
]
DISPUTES = [
    ["id", "title", "reported_on"],
    ["W1", "漏水", "2024-07-02"],
    ["W2", "噪音", "2024-07-03"],
]
LOGGED = [["from", "to"], ["W1", "W1#1"], ["W1", "W1#2"], ["W2", "W2#1"]]


def in_dump(row: dict[str, Any]) -> str:
    """Where `dump` sorts a row."""
    return repr(sorted(row.items()))


# The graph with the workflow's log, for `dump` (provenance aside: every load adds its Loads).
WITH_LOG = Schema(nodes=(*SCHEMA.nodes, *SCHEMA.log_nodes), rels=SCHEMA.stored_rels, log_nodes=())


def store_writes(backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the store is asked to write from now on: `COPY DisputeEvent 1` for each COPY,
    `CREATE Load 1` for a few new nodes created, `SET Assertion 3` for each update, with the
    table written and how many rows it is given."""
    writes: list[str] = []
    execute = backend._execute

    def recording(query: str, params: Any = None, conn: Any = None) -> Any:
        copied = re.match(r"COPY (\w+)", query) or re.match(
            r"LOAD FROM \$rows (CREATE) \(n:(\w+)", query
        )
        updated = re.search(r"SET (\w+)\.", query)
        if conn is None and (copied or updated):
            rows = params["rows"].num_rows
            if copied and copied.re.groups == 2:
                writes.append(f"CREATE {copied[2]} {rows}")
            elif copied:
                writes.append(f"COPY {copied[1]} {rows}")
            else:
                assert updated is not None
                table = re.search(r"[(\[]" + updated[1] + r":(\w+)", query)
                assert table is not None
                writes.append(f"SET {table[1]} {rows}")
        return execute(query, params, conn)

    monkeypatch.setattr(backend, "_execute", recording)
    return writes


def test_a_reload_of_an_unchanged_log_writes_nothing_and_reports_every_row(
    backend: EmbeddedBackend, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same files again, in batches of two: every event is read, validated and counted as
    a duplicate, and the store writes only each file's Load."""
    files = [
        write_csv("t.disputes.csv", DISPUTES),
        write_csv("t.dispute_events.csv", EVENTS),
        write_csv("t.logged.csv", LOGGED),
    ]
    assert load(backend, files, batch_size=2).ok
    before = dump(backend, WITH_LOG)
    writes = store_writes(backend, monkeypatch)
    again = load(backend, files, batch_size=2)
    assert (lines(again), again.rejects) == (
        [
            "t.disputes.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
            "t.dispute_events.csv: read 3 = loaded 0 + rejected 0 + duplicates 3",
            "t.logged.csv: read 3 = loaded 3 + rejected 0 + duplicates 0",
        ],
        [],
    )
    assert writes == ["CREATE Load 1", "SET Load 1"] * 3
    assert dump(backend, WITH_LOG) == before


def test_a_reload_of_a_log_with_a_changed_and_an_added_event_writes_the_added_one(
    backend: EmbeddedBackend, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log's file again with W1#2 changed and W2#2 added: the change is rejected, W2#2 and
    its LOGGED are the only records written, and every row of the file asserts its event (the
    unchanged ones were last seen at the reload)."""
    times = clock("2024-08-01T09:00:00+08:00", "2024-09-01T09:00:00+08:00")
    files = [
        write_csv("t.disputes.csv", DISPUTES),
        write_csv("t.dispute_events.csv", EVENTS),
        write_csv("t.logged.csv", LOGGED),
    ]
    assert load(backend, files, now=times).ok
    before = dump(backend, WITH_LOG)
    added = ["W2#2", "W2", "2", "2024-07-03T10:00:00+08:00", "accept", "accepted"]
    changed = ["W1#2", "W1", "2", "2024-07-02T10:00:00+08:00", "bounce", "accepted"]
    write_csv("t.dispute_events.csv", [*EVENTS[:2], changed, EVENTS[3], added])
    write_csv("t.logged.csv", [*LOGGED, ["W2", "W2#2"]])
    writes = store_writes(backend, monkeypatch)
    report = load(backend, files, now=times)
    assert lines(report) == [
        "t.disputes.csv: read 2 = loaded 2 + rejected 0 + duplicates 0",
        "t.dispute_events.csv: read 4 = loaded 1 + rejected 1 + duplicates 2",
        "t.logged.csv: read 4 = loaded 4 + rejected 0 + duplicates 0",
    ]
    assert report.rejects == [
        Reject(
            "t.dispute_events.csv",
            3,
            "action",
            "bounce",
            "DisputeEvent 'W1#2' is in the log already with other values (action): a log is "
            "appended to, never changed",
        )
    ]
    # The disputes' file repeats its Load; the others assert their facts: one new Assertion
    # each, and the last Load of those asserted before moves on. The new ones are written
    # together as the load ends, then the counts of the Loads that gave them.
    assert writes == [
        *["CREATE Load 1", "SET Load 1"],
        *["CREATE Load 1", "CREATE DisputeEvent 1", "SET Assertion 2"],
        *["CREATE Load 1", "COPY LOGGED 1", "SET Assertion 3"],
        *["COPY Assertion 2", "SET Load 2"],
    ]
    event = {
        **{p.name: None for p in SCHEMA.node("DisputeEvent").properties},
        **dict(zip(EVENTS[0], added, strict=True)),
        "version": 2,
        "source": "t.dispute_events.csv",
    }
    logged = {"from_type": "Dispute", "to_type": "DisputeEvent", "from": "W2", "to": "W2#2"}
    logged |= {
        RID: relationship_id("LOGGED", "Dispute", "DisputeEvent", logged),
        "source": "t.logged.csv",
    }
    assert dump(backend, WITH_LOG) == before | {
        "DisputeEvent": sorted([*before["DisputeEvent"], event], key=in_dump),
        "LOGGED": sorted([*before["LOGGED"], logged], key=in_dump),
    }
    aug, sep = "2024-08-01T09:00:00.000000+08:00", "2024-09-01T09:00:00.000000+08:00"
    assert [
        [(r["first_seen"], r["last_seen"]) for r in sources(backend, node_fact("DisputeEvent", e))]
        for e in ("W1#1", "W1#2", "W2#1", "W2#2")
    ] == [[(aug, sep)], [(aug, aug)], [(aug, sep)], [(sep, sep)]]


# -- validity: an end before a start --------------------------------------------------------


def test_an_end_before_a_start_is_rejected_naming_file_line_and_field(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """A grid redrawn when villages merged ends on a day; one that ends before it begins is a
    typing slip, whether on a record of the structure or on a tie, and loses nothing else."""
    grids = write_csv(
        "t.grids.csv",
        [
            ["id", "name", "level", "kind", "valid_from", "valid_to"],
            ["g1", "一号网格", "1", "basic", "2019-01-01", "2022-12-31"],
            ["g2", "二号网格", "1", "basic", "2023-01-01", "2022年12月31日"],
            ["g3", "三号网格", "1", "basic", "2023-01-01", "2023-01-01"],
        ],
    )
    people = write_csv("t.people.csv", [["id", "name"], ["p1", "张三"]])
    serves = write_csv(
        "t.serves_in.csv",
        [
            ["from", "to", "role", "valid_from", "valid_to"],
            ["p1", "g1", "head", "2021-03-01", "2020-03-01"],
            ["p1", "g3", "head", "2023-01-01", ""],
        ],
    )
    report = load(backend, [grids, people, serves])
    assert report.rejects == [
        Reject(
            "t.grids.csv",
            3,
            "valid_to",
            "2022年12月31日",
            "the end 2022-12-31 is before the start 2023-01-01 (valid_from): a record or tie "
            "cannot end before it begins",
        ),
        Reject(
            "t.serves_in.csv",
            2,
            "valid_to",
            "2020-03-01",
            "the end 2020-03-01 is before the start 2021-03-01 (valid_from): a record or tie "
            "cannot end before it begins",
        ),
    ]
    assert lines(report) == [
        "t.grids.csv: read 3 = loaded 2 + rejected 1 + duplicates 0",
        "t.people.csv: read 1 = loaded 1 + rejected 0 + duplicates 0",
        "t.serves_in.csv: read 2 = loaded 1 + rejected 1 + duplicates 0",
    ]
    rows = backend.read(
        "MATCH (g:Grid) RETURN g.id AS id, g.valid_from AS since, g.valid_to AS until ORDER BY id"
    )
    assert rows == [
        {"id": "g1", "since": date(2019, 1, 1), "until": date(2022, 12, 31)},
        {"id": "g3", "since": date(2023, 1, 1), "until": date(2023, 1, 1)},
    ]


# -- provenance: every source that asserted a fact ------------------------------------------


def clock(*times: str) -> Callable[[], datetime]:
    """A `now` that gives each of `times` in turn, one per load."""
    given = iter(datetime.fromisoformat(t) for t in times)
    return lambda: next(given)


def test_a_reload_from_a_second_source_keeps_both_sources(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """The articles gave 日晖社区 in 2021; the 2023 division table gives it again with its
    end: the record's source is the table, and the articles are kept as its first source."""
    articles = write_csv(
        "articles.units.csv", [["code", "name", "level"], ["330421001001", "日晖社区", "village"]]
    )
    table = write_csv(
        "nbs2023.units.csv",
        [
            ["code", "name", "level", "valid_to"],
            ["330421001001", "日晖社区", "village", "2022-12-31"],
        ],
    )
    times = clock(
        "2024-01-05T09:00:00+08:00", "2024-02-01T10:30:00+08:00", "2024-03-01T08:00:00+08:00"
    )
    assert load(backend, [articles], now=times).rejects == []
    assert load(backend, [table], now=times).rejects == []
    assert load(backend, [articles], now=times).rejects == []  # the articles again: last seen
    assert backend.read("MATCH (u:Unit) RETURN u.source AS source, u.valid_to AS until") == [
        {"source": "articles.units.csv", "until": date(2022, 12, 31)}
    ]
    assert sources(backend, node_fact("Unit", "330421001001")) == [
        {
            "source": "articles.units.csv",
            "first_seen": "2024-01-05T09:00:00.000000+08:00",
            "last_seen": "2024-03-01T08:00:00.000000+08:00",
            "first_file": "articles.units.csv",
            "first_digest": file_digest(articles),
            "last_file": "articles.units.csv",
            "last_digest": file_digest(articles),
        },
        {
            "source": "nbs2023.units.csv",
            "first_seen": "2024-02-01T10:30:00.000000+08:00",
            "last_seen": "2024-02-01T10:30:00.000000+08:00",
            "first_file": "nbs2023.units.csv",
            "first_digest": file_digest(table),
            "last_file": "nbs2023.units.csv",
            "last_digest": file_digest(table),
        },
    ]
    loads = backend.read(
        "MATCH (l:Load) RETURN l.file AS file, l.at AS at, l.read AS read, l.loaded AS loaded, "
        "l.rejected AS rejected, l.duplicates AS duplicates ORDER BY at"
    )
    assert loads == [
        {"file": f, "at": at, "read": 1, "loaded": 1, "rejected": 0, "duplicates": 0}
        for f, at in (
            ("articles.units.csv", "2024-01-05T09:00:00.000000+08:00"),
            ("nbs2023.units.csv", "2024-02-01T10:30:00.000000+08:00"),
            ("articles.units.csv", "2024-03-01T08:00:00.000000+08:00"),
        )
    ]


def test_an_older_store_keeps_its_assertions_and_a_fact_is_found_whole(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    """A store whose Assertion table has the `fact` column an older govgraph wrote: bringing it
    up to the schema drops it (a COPY without it would fail), its assertions are still found
    (the fact begins their key), and a key that begins with another's and U+001F is not it."""
    store = EmbeddedBackend(tmp_path / "old.lbdb")
    store.init_schema()
    old = "2024-01-05T09:00:00.000000+08:00"
    store.write(
        [
            ("ALTER TABLE Assertion ADD fact STRING", {}),
            ("CREATE (:Load {id: 'L0', file: 'old.people.csv', at: $at})", {"at": old}),
            (
                "CREATE (:Assertion {id: 'Person:p1\x1fabcdefghijkl', fact: 'Person:p1', "
                "source: 'old.people.csv', first_load: 'L0', last_load: 'L0'})",
                {},
            ),
        ]
    )
    store.init_schema()  # as `govgraph load` does
    columns = store.read("CALL table_info('Assertion') RETURN name")
    assert [c["name"] for c in columns] == ["id", "source", "first_load", "last_load"]
    people = write_csv("t.people.csv", [["id", "name"], ["p1", "张三"]])
    longer = write_csv("u.people.csv", [["id", "name"], ["p1\x1fx", "李四"]])
    times = clock("2024-02-01T10:30:00+08:00", "2024-03-01T08:00:00+08:00")
    assert load(store, [people], now=times).rejects == []  # Person was empty: by COPY
    assert load(store, [longer], now=times).rejects == []
    seen = [
        (s["source"], s["first_seen"], s["last_seen"])
        for s in sources(store, node_fact("Person", "p1"))
    ]
    store.close()
    feb = "2024-02-01T10:30:00.000000+08:00"
    assert seen == [("old.people.csv", old, old), ("t.people.csv", feb, feb)]


def test_a_duplicate_from_another_file_and_a_relationship_are_asserted_too(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    grids = write_csv("a.grids.csv", GRIDS[:2])
    again = write_csv("b.grids.csv", GRIDS[:2])
    people = write_csv("a.people.csv", PEOPLE[:2])
    serves = write_csv("a.serves_in.csv", SERVES_IN[:2])
    report = load(backend, [grids, again, people, serves], now=clock("2024-01-05T09:00:00+08:00"))
    assert lines(report)[:2] == [
        "a.grids.csv: read 1 = loaded 1 + rejected 0 + duplicates 0",
        "b.grids.csv: read 1 = loaded 0 + rejected 0 + duplicates 1",
    ]
    assert [r["source"] for r in sources(backend, node_fact("Grid", "g1"))] == [
        "a.grids.csv",
        "b.grids.csv",
    ]
    rid = relationship_id(
        "SERVES_IN",
        "Person",
        "Grid",
        {"from": "p1", "to": "g1", "role": "head", "valid_from": date(2024, 1, 1)},
    )
    assert [r["source"] for r in sources(backend, rel_fact("SERVES_IN", rid))] == [
        "a.serves_in.csv"
    ]


def test_a_rerun_of_the_same_bytes_repeats_its_load_and_a_changed_file_asserts_anew(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """Unchanged files write one Load each and nothing per fact, yet every fact in them is last
    seen at the rerun; a changed file asserts what it holds now, and a fact it dropped keeps
    the last time it was given."""
    times = clock(*(f"2024-0{m}-01T09:00:00+08:00" for m in range(1, 5)))
    people = write_csv("t.people.csv", PEOPLE)
    serves = write_csv("t.serves_in.csv", SERVES_IN)
    grids = write_csv("t.grids.csv", GRIDS)
    assert load(backend, [grids, people, serves], now=times).ok
    count = "MATCH (a:Assertion) RETURN count(a) AS n"
    assert backend.read(count) == [{"n": 6}]
    assert load(backend, [grids, people, serves], now=times).ok  # the same bytes again
    assert backend.read(count) == [{"n": 6}]
    loads = backend.read(
        "MATCH (l:Load) RETURN l.file AS file, l.id AS id, l.repeats AS repeats ORDER BY l.at, file"
    )
    first = {r["file"]: r["id"] for r in loads[:3]}
    assert [(r["file"], r["repeats"]) for r in loads] == [
        ("t.grids.csv", None),
        ("t.people.csv", None),
        ("t.serves_in.csv", None),
        ("t.grids.csv", first["t.grids.csv"]),
        ("t.people.csv", first["t.people.csv"]),
        ("t.serves_in.csv", first["t.serves_in.csv"]),
    ]
    rid = relationship_id(
        "SERVES_IN",
        "Person",
        "Grid",
        {"from": "p1", "to": "g1", "role": "head", "valid_from": date(2024, 1, 1)},
    )

    def seen(fact: str) -> list[tuple[str, str, str]]:
        return [(r["source"], r["first_seen"], r["last_seen"]) for r in sources(backend, fact)]

    jan, feb = "2024-01-01T09:00:00.000000+08:00", "2024-02-01T09:00:00.000000+08:00"
    mar, apr = "2024-03-01T09:00:00.000000+08:00", "2024-04-01T09:00:00.000000+08:00"
    assert seen(rel_fact("SERVES_IN", rid)) == [("t.serves_in.csv", jan, feb)]
    # March: p2 is gone from the file and p3 is new; April: the same bytes as March.
    people.write_text("id,name\np1,张三\np3,王五\n", encoding="utf-8")
    assert load(backend, [people], now=times).ok
    assert load(backend, [people], now=times).ok
    assert [seen(node_fact("Person", p)) for p in ("p1", "p2", "p3")] == [
        [("t.people.csv", jan, apr)],
        [("t.people.csv", jan, feb)],
        [("t.people.csv", mar, apr)],
    ]
    assert backend.read(count) == [{"n": 7}]
    last = backend.read("MATCH (l:Load) RETURN l.digest AS digest ORDER BY l.at DESC LIMIT 1")
    assert last == [{"digest": file_digest(people)}]


def test_two_files_of_one_source_each_keep_their_own_last_seen(
    backend: EmbeddedBackend, write_csv: WriteCsv
) -> None:
    """Two files that both say `source` nbs-2023 give the same unit: a rerun of the first alone
    is its last sighting, though the second came after it."""
    rows = [
        ["code", "name", "level", "source"],
        ["330421001001", "日晖社区", "village", "nbs-2023"],
    ]
    a = write_csv("a.units.csv", rows)
    b = write_csv("b.units.csv", rows)
    times = clock(*(f"2024-0{m}-01T09:00:00+08:00" for m in range(1, 4)))
    assert load(backend, [a], now=times).ok
    assert load(backend, [b], now=times).ok
    assert load(backend, [a], now=times).ok
    assert sources(backend, node_fact("Unit", "330421001001")) == [
        {
            "source": "nbs-2023",
            "first_seen": "2024-01-01T09:00:00.000000+08:00",
            "last_seen": "2024-03-01T09:00:00.000000+08:00",
            "first_file": "a.units.csv",
            "first_digest": file_digest(a),
            "last_file": "a.units.csv",
            "last_digest": file_digest(a),
        }
    ]


def test_the_store_lets_go_of_its_memory_between_files_once_enough_rows_are_written(
    backend: EmbeddedBackend, basics: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """LadybugDB keeps native memory that grows with what a load writes until the store is
    closed (a city's first load: 3.2 GiB at its end and 1.1 GiB once closed): the loader
    asks it to let go after a write once `LET_GO_ROWS` rows have been written since it last
    did, and the load goes on in the store opened again as if nothing had happened."""
    monkeypatch.setattr("loaders.load.LET_GO_ROWS", 3)
    events = let_go_logged(backend, monkeypatch)
    report = load(backend, basics, on_progress=lambda name, rows: events.append((name, rows)))
    assert (report.ok, events) == (
        True,
        [("t.grids.csv", 2), "let go", ("t.people.csv", 2), ("t.serves_in.csv", 2)],
    )
    written = "MATCH (a:Assertion) WITH count(a) AS a MATCH (l:Load) RETURN a, count(l) AS l"
    assert (counts(backend), backend.read(written)) == (
        {"Grid": 2, "Person": 2, "SERVES_IN": 2},
        [{"a": 6, "l": 3}],
    )
    first = dump(backend)
    assert load(backend, basics).ok  # a rerun changes nothing: the same bytes repeat their Loads
    assert (dump(backend), backend.read(written)) == (first, [{"a": 6, "l": 6}])


def test_a_first_loads_batch_in_parts_loads_what_it_does_whole(
    tmp_path: Path, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the bulk path a batch goes to the store in parts of `BULK_PART_ROWS` rows, in the
    batch's one transaction: the same graph, report, rejects and assertions as the batch
    written whole, and one commit (one progress call) per batch, not per part. Duplicates and
    conflicts fall within a part, across parts and across batches. The parts' keys, held as
    Arrow text until the batch is written, assert what they did as Python text."""
    people = [["id", "name"]] + [[f"p{i}", f"张{i}"] for i in range(1, 12)]
    people += [["p2", "张2"], ["p3", "张三"], ["p9", "张9"], ["p11", "张十一"], ["p12", "张12"]]
    lives = [["from", "to"]] + [[f"p{i}", "330421001001"] for i in range(1, 13)]
    lives += [["p1", "330421001001"], ["p4", "330421001002"], ["p13", "330421001001"]]
    files = [write_csv("t.people.csv", people), write_csv("t.lives_in.csv", lives)]
    chain = divisions_within("330421001001")
    now = datetime(2026, 12, 6, 12, 0)

    def loaded(part: int, name: str = "parts") -> tuple[Any, ...]:
        monkeypatch.setattr("loaders.load.BULK_PART_ROWS", part)
        backend = EmbeddedBackend(tmp_path / f"{name}-{part}.lbdb")
        backend.init_schema()
        progress: list[tuple[str, int]] = []
        loader = Loader(
            backend,
            batch_size=2,
            bulk_batch_size=7,
            on_progress=lambda name, rows: progress.append((name, rows)),
            now=lambda: now,
        )
        loader.load_tables([MemoryTable("divisions", "units", chain.units)])
        report = loader.load_paths(files)
        assertions = backend.read(
            "MATCH (a:Assertion) RETURN a.id AS id, a.source AS source, "
            "a.first_load AS first, a.last_load AS last ORDER BY id"
        )
        loads = backend.read(
            "MATCH (l:Load) RETURN l.file AS file, l.read AS read, l.loaded AS loaded, "
            "l.rejected AS rejected, l.duplicates AS duplicates ORDER BY file"
        )
        graph = dump(backend)
        backend.close()
        return lines(report), report.rejects, graph, assertions, loads, progress

    whole = loaded(7)
    in_parts = loaded(3)
    assert in_parts == whole
    monkeypatch.setattr("loaders.load._compact", lambda keys: keys)  # Python text, as before
    assert loaded(3, "text") == in_parts
    assert whole[0][1:] == [
        "t.people.csv: read 16 = loaded 12 + rejected 2 + duplicates 2",
        "t.lives_in.csv: read 15 = loaded 12 + rejected 2 + duplicates 1",
    ]
    assert [(r.line, r.reason) for r in whole[1]] == [
        (14, "Person 'p3' was already given at t.people.csv:4 with other values"),
        (16, "Person 'p11' was already given at t.people.csv:12 with other values"),
        (15, "refers to Unit '330421001002', which is neither in this load nor in the graph"),
        (16, "refers to Person 'p13', which is neither in this load nor in the graph"),
    ]
    assert len(whole[3]) == 5 + 12 + 12  # one per fact and file: a duplicate asserts it again
    assert whole[5][1:] == [
        ("t.people.csv", 7),
        ("t.people.csv", 7),
        ("t.people.csv", 2),
        ("t.lives_in.csv", 7),
        ("t.lives_in.csv", 7),
        ("t.lives_in.csv", 1),
    ]


def test_a_file_a_little_over_the_bulk_batch_goes_in_one_copy(
    tmp_path: Path, write_csv: WriteCsv
) -> None:
    """On the bulk path a file of at most a quarter more rows than `bulk_batch_size` is one
    batch, one COPY into the empty table (a second COPY, into a table no longer empty, costs
    the store far more a row); a larger one goes in batches of `bulk_batch_size`, as before.
    Either way the same graph and report as in one batch."""
    chain = divisions_within("330421001001")

    def loaded(name: str, rows: int, bulk: int) -> tuple[Any, ...]:
        people = [["id", "name"]] + [[f"p{i}", f"张{i}"] for i in range(1, rows + 1)]
        lives = [["from", "to"]] + [[f"p{i}", "330421001001"] for i in range(1, rows + 1)]
        files = [write_csv(f"{name}.people.csv", people), write_csv(f"{name}.lives_in.csv", lives)]
        backend = EmbeddedBackend(tmp_path / f"{name}-{bulk}.lbdb")
        backend.init_schema()
        progress: list[tuple[str, int]] = []
        loader = Loader(
            backend,
            batch_size=2,
            bulk_batch_size=bulk,
            on_progress=lambda name, rows: progress.append((name, rows)),
        )
        loader.load_tables([MemoryTable("divisions", "units", chain.units)])
        report = loader.load_paths(files)
        graph = dump(backend)
        backend.close()
        return lines(report)[1:], graph, progress[1:]

    report, graph, progress = loaded("a", 10, 8)  # 8 and a quarter: 10 rows
    assert progress == [("a.people.csv", 10), ("a.lives_in.csv", 10)]
    assert (report, graph) == loaded("a", 10, 100)[:2]
    report, graph, progress = loaded("b", 11, 8)
    assert progress == [
        ("b.people.csv", 8),
        ("b.people.csv", 3),
        ("b.lives_in.csv", 8),
        ("b.lives_in.csv", 3),
    ]
    assert (report, graph) == loaded("b", 11, 100)[:2]
    assert report == [
        "b.people.csv: read 11 = loaded 11 + rejected 0 + duplicates 0",
        "b.lives_in.csv: read 11 = loaded 11 + rejected 0 + duplicates 0",
    ]


def test_the_store_lets_go_of_its_memory_after_so_many_relationship_copies(
    backend: EmbeddedBackend, write_csv: WriteCsv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A COPY into a relationship table keeps native memory in the store whatever its rows
    (on a city 50–60 MiB each): the loader lets go after `LET_GO_COPIES` of them too, however
    few rows they held; a batch of two label pairs is two COPYs."""
    monkeypatch.setattr("loaders.load.LET_GO_ROWS", 1_000_000)
    monkeypatch.setattr("loaders.load.LET_GO_COPIES", 2)
    files = [
        write_csv("t.units.csv", COUNTY),
        write_csv("t.grids.csv", GRIDS),
        write_csv("t.people.csv", PEOPLE),
        write_csv("t.part_of.csv", GRIDS_PART_OF),
        write_csv("t.serves_in.csv", SERVES_IN),
    ]
    events = let_go_logged(backend, monkeypatch)
    report = load(backend, files, on_progress=lambda name, rows: events.append(name))
    assert (report.ok, events) == (
        True,
        [
            "t.units.csv",
            "t.grids.csv",
            "t.people.csv",
            "let go",
            "t.part_of.csv",
            "t.serves_in.csv",
        ],
    )
    assert counts(backend) == {"Unit": 1, "Grid": 2, "Person": 2, "PART_OF": 2, "SERVES_IN": 2}
